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
      rm -f "$PIDFILE"
      # Redis daemonizes itself and writes its own pid: nothing of this script (whose stdout the caller may be
      # reading to its end) stays attached to the server.
      redis-server --daemonize yes --pidfile "$PIDFILE" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR/redis" \
        --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no </dev/null >/dev/null 2>&1
      for _ in $(seq 200); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
      redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || { echo "Redis did not start on 127.0.0.1:$REDIS_PORT: $(tail -n 5 "$SERVICES_DIR/redis.log")" >&2; exit 1; }
    fi
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    ;;
  stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
