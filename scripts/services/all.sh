#!/usr/bin/env bash
# Starts (or stops) every engine cluster mode uses, from Debian's packages, on loopback: PostgreSQL, Redis and an
# S3 server. `start` writes the variables to reach them (TEST_POSTGRES_URL, TEST_REDIS_URL, TEST_S3_*) into
# $SERVICES_DIR/env, which scripts/test.sh reads.
set -euo pipefail
cd "$(dirname "$0")"
SERVICES_DIR="${SERVICES_DIR:-/tmp/partyroom-services}"
export SERVICES_DIR
case "${1:-start}" in
  start)
    mkdir -p "$SERVICES_DIR"
    # Prefixed with TEST_: a server started by a test takes these only when the test hands them over.
    # One at a time, each checked: an engine that fails to start stops here with its reason.
    pg=$(bash postgres.sh start)
    redis=$(bash redis.sh start)
    s3=$(bash s3.sh start)
    {
      echo "TEST_POSTGRES_URL=$pg"
      printf '%s\n' "$redis" "$s3" | sed 's/^/TEST_/'
    } >"$SERVICES_DIR/env.new"
    mv "$SERVICES_DIR/env.new" "$SERVICES_DIR/env"
    cat "$SERVICES_DIR/env"
    ;;
  stop)
    bash s3.sh stop || true
    bash redis.sh stop || true
    bash postgres.sh stop || true
    rm -f "$SERVICES_DIR/env"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
