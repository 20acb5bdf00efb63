#!/usr/bin/env bash
set -euo pipefail

export SENDINBLUE_API_KEY="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"
echo "configured"
