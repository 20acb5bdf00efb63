#!/usr/bin/env bash
set -euo pipefail

export SQUARE_APP_SECRET="sq0csp-wsanEPixrLo53OHS6CABl0udd-DKhw_GZllE65PcTGQ"
echo "configured"
