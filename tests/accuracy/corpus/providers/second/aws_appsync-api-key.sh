#!/usr/bin/env bash
set -euo pipefail

export APPSYNC_API_KEY="da2-3cj781o650o1plgzg0qpe3m5yf"
echo "configured"
