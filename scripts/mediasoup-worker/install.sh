#!/usr/bin/env bash
# Puts a mediasoup-worker binary in place for the installed mediasoup version, in this order:
#   1. MEDIASOUP_WORKER_BIN, if set (an operator's own build);
#   2. one already in node_modules or in the cache from an earlier run;
#   3. mediasoup's prebuilt binary from its GitHub release (the normal path on a machine with internet);
#   4. otherwise a build from mediasoup's npm sources against Debian's libraries (build-from-source.sh, about
#      3 minutes on 2 cores), kept in ~/.cache/partyroom/mediasoup-worker-<version>/ so it happens once per
#      version and machine.
# The server looks in the same places (src/rooms/sfu/worker-binary.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=$(bun -e "console.log(require('./node_modules/mediasoup/package.json').version)")
RELEASE_DIR=node_modules/mediasoup/worker/out/Release
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/partyroom/mediasoup-worker-$VERSION"

# A worker started without MEDIASOUP_VERSION exits with 41: the binary runs on this host.
runs() {
  [ -x "$1" ] || return 1
  local status=0
  env -i "$1" >/dev/null 2>&1 || status=$?
  [ "$status" -eq 41 ]
}

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  if runs "$MEDIASOUP_WORKER_BIN"; then echo "» mediasoup-worker: $MEDIASOUP_WORKER_BIN (MEDIASOUP_WORKER_BIN)"; exit 0; fi
  echo "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN does not run on this machine" >&2
  exit 1
fi
if runs "$RELEASE_DIR/mediasoup-worker"; then echo "» mediasoup-worker $VERSION: prebuilt, in node_modules"; exit 0; fi
if runs "$CACHE_DIR/mediasoup-worker"; then echo "» mediasoup-worker $VERSION: cached in $CACHE_DIR"; exit 0; fi

echo "» mediasoup-worker $VERSION: fetching mediasoup's prebuilt binary"
TARBALL="mediasoup-worker-$VERSION-$(uname -s | tr '[:upper:]' '[:lower:]')-$(bun -e 'console.log(process.arch)')-kernel$(uname -r | cut -d. -f1).tgz"
URL="https://github.com/versatica/mediasoup/releases/download/$VERSION/$TARBALL"
mkdir -p "$RELEASE_DIR"
if bun -e "
  const response = await fetch(process.argv[1], { signal: AbortSignal.timeout(60_000) }).catch(() => undefined)
  if (!response?.ok) process.exit(1)
  await Bun.write(process.argv[2], response)
" "$URL" "$RELEASE_DIR/prebuilt.tgz" 2>/dev/null && tar xzf "$RELEASE_DIR/prebuilt.tgz" -C "$RELEASE_DIR" && runs "$RELEASE_DIR/mediasoup-worker"; then
  rm -f "$RELEASE_DIR/prebuilt.tgz"
  echo "» mediasoup-worker $VERSION: prebuilt binary installed"
  exit 0
fi
rm -f "$RELEASE_DIR/prebuilt.tgz" "$RELEASE_DIR/mediasoup-worker"

echo "» mediasoup-worker $VERSION: no prebuilt binary reachable; building it from mediasoup's sources (a few minutes, once)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "building mediasoup-worker needs Debian packages: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi
mkdir -p "$CACHE_DIR"
BUILD_DIR=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
# The build script installs its Debian packages with apt-get.
if [ -n "$SUDO" ]; then apt-get() { sudo apt-get "$@"; }; export -f apt-get; fi
MS_VERSION="$VERSION" OUT="$BUILD_DIR" bash scripts/mediasoup-worker/build-from-source.sh > "$CACHE_DIR/build.log" 2>&1 || {
  echo "building mediasoup-worker failed; the log is $CACHE_DIR/build.log" >&2
  tail -20 "$CACHE_DIR/build.log" >&2
  exit 1
}
install -m 0755 "$BUILD_DIR/mediasoup-worker" "$CACHE_DIR/mediasoup-worker"
rm -rf "$BUILD_DIR"
runs "$CACHE_DIR/mediasoup-worker" || { echo "the mediasoup-worker just built does not run" >&2; exit 1; }
echo "» mediasoup-worker $VERSION: built into $CACHE_DIR"
