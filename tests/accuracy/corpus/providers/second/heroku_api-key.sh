#!/usr/bin/env bash
set -euo pipefail

export HEROKU_API_KEY="HRKU-oeGnFITNj60HmFSHgBCXJZEvAjCyb3fiP0Y1SqMnPDYFO7aIEKXWkTmlaaRf"
echo "configured"
