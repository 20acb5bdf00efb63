#!/usr/bin/env bash
set -euo pipefail

export GITLAB_SCIM_TOKEN="glsoat-uphglLFVemHYpNazVHfT"
echo "configured"
