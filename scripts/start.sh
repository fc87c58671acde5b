#!/usr/bin/env bash
# Installs everything and starts PartyRoom on its embedded defaults (http://localhost:8080, data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
exec bun src/server/main.ts
