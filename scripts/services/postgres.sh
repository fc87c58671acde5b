#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the tests and benchmarks: Debian's package, a cluster of its own under
# $SERVICES_DIR/pg, TCP on 127.0.0.1:$PG_PORT only. `start` installs the package the first time; `stop` ends it.
# Prints the URL to use. The role may create databases: every test server gets a fresh one.
set -euo pipefail
SERVICES_DIR="${SERVICES_DIR:-/tmp/partyroom-services}"
PG_PORT="${PG_PORT:-55432}"
BIN=/usr/lib/postgresql/15/bin
D="$SERVICES_DIR/pg"
URL="postgres://party:partypw@127.0.0.1:$PG_PORT/partyroom"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

case "${1:-start}" in
  start)
    if [ ! -x "$BIN/initdb" ]; then
      echo "» installing PostgreSQL 15 from Debian" >&2
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 >/dev/null
    fi
    mkdir -p "$SERVICES_DIR"
    # initdb refuses root, so the cluster belongs to the postgres user, which must reach (and put its socket in)
    # this folder.
    $SUDO chgrp postgres "$SERVICES_DIR" && $SUDO chmod g+rwx,a+rx "$SERVICES_DIR"
    if [ -f "$D/postmaster.pid" ] && $SUDO runuser -u postgres -- "$BIN/pg_ctl" -D "$D" status >/dev/null 2>&1; then
      echo "$URL"; exit 0
    fi
    $SUDO rm -rf "$D"
    $SUDO runuser -u postgres -- "$BIN/initdb" -D "$D" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$SERVICES_DIR/pg-initdb.log" 2>&1
    # Up to 200 connections: every test server keeps a small pool, and several run side by side.
    $SUDO runuser -u postgres -- "$BIN/pg_ctl" -D "$D" -l "$SERVICES_DIR/pg.log" -w \
      -o "-k $SERVICES_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    for _ in $(seq 200); do "$BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q && break; sleep 0.05; done
    "$BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q || { echo "PostgreSQL does not answer on 127.0.0.1:$PG_PORT: $(tail -n 5 "$SERVICES_DIR/pg.log")" >&2; exit 1; }
    $SUDO runuser -u postgres -- "$BIN/psql" -h "$SERVICES_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
CREATE ROLE party LOGIN CREATEDB PASSWORD 'partypw';
CREATE DATABASE partyroom OWNER party;
-- DROP DATABASE ... WITH (FORCE) (each test's database, afterwards) ends the backends still attached to it, and an
-- autovacuum worker may be one of them: that takes pg_signal_backend.
GRANT pg_signal_backend TO party;
SQL
    echo "$URL"
    ;;
  stop)
    [ -f "$D/postmaster.pid" ] || exit 0
    $SUDO runuser -u postgres -- "$BIN/pg_ctl" -D "$D" -m fast -w stop >/dev/null 2>&1 || true
    $SUDO rm -rf "$D"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
