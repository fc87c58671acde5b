#!/usr/bin/env bash
# Installs what PartyRoom needs on a Debian machine that starts with only Node.js and npm: Bun (from npm), the
# locked dependencies, and the built web client. Safe to run again; it skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

BUN_VERSION="1.4.5"

if ! command -v bun >/dev/null 2>&1; then
  echo "» installing Bun ${BUN_VERSION} from npm"
  if ! npm install -g "bun@${BUN_VERSION}" >/dev/null 2>&1; then
    # Without write access to npm's global prefix, keep Bun inside the project.
    npm install --prefix "$PWD/.tools" "bun@${BUN_VERSION}" >/dev/null
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
fi
if ! command -v bun >/dev/null 2>&1 && [ -x "$PWD/.tools/node_modules/.bin/bun" ]; then
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi

echo "» installing dependencies (bun install)"
bun install --frozen-lockfile

# mediasoup's own postinstall is not run (Bun runs no untrusted install scripts); this puts its worker in place:
# the prebuilt binary where it can be fetched, else a build from its sources, cached per version.
bash scripts/mediasoup-worker/install.sh

echo "» building the web client"
bun run build:web >/dev/null
