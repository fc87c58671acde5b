#!/usr/bin/env bash
# A throwaway Redis 7 from Debian on 127.0.0.1:$REDIS_PORT, no persistence. `start` installs it the first time and
# prints REDIS_URL; `stop` ends it.
set -euo pipefail
SERVICES_DIR="${SERVICES_DIR:-/tmp/partyroom-services}"
REDIS_PORT="${REDIS_PORT:-56379}"
PIDFILE="$SERVICES_DIR/redis.pid"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
case "${1:-start}" in
  start)
    if ! command -v redis-server >/dev/null 2>&1; then
      echo "» installing Redis from Debian" >&2
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    fi
    mkdir -p "$SERVICES_DIR/redis"
    if ! { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }; then
      (cd "$SERVICES_DIR/redis" && setsid nohup redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$SERVICES_DIR/redis.log" 2>&1 </dev/null & echo $! >"$PIDFILE")
      until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.05; done
    fi
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    ;;
  stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
