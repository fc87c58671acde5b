#!/usr/bin/env bash
# Installs everything (Bun, dependencies, Debian's Chromium) and runs the whole test suite with real servers, real
# SQLite files and a real browser. Ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

if [ ! -x /usr/bin/chromium ]; then
  echo "» installing Chromium from Debian"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

mkdir -p .test-output
rm -f .test-output/junit.xml
status=0
bun test --timeout 60000 --reporter=junit --reporter-outfile=.test-output/junit.xml "$@" || status=$?
bun scripts/test-summary.ts .test-output/junit.xml || status=1
exit $status
