#!/usr/bin/env bash
set -euo pipefail

export OKTA_API_TOKEN="00q4DIbVgSez76Y1hMAlmv7KSHaV84Qi99cK3yTgpz"
echo "configured"
