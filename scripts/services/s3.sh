#!/usr/bin/env bash
# A throwaway S3 server for the tests and benchmarks: OpenStack Swift from Debian with its S3 API (s3api, tempauth,
# memcached), one replica on one device under $SERVICES_DIR/swift, the proxy on 127.0.0.1:$S3_PORT. MinIO is not
# in Debian; Swift's S3 layer is the real S3 server available there. `start` installs the packages the first time
# and prints the S3_* variables to use; `stop` ends every process it started and removes the data.
set -euo pipefail
SERVICES_DIR="${SERVICES_DIR:-/tmp/partyroom-services}"
BASE="$SERVICES_DIR/swift"
ETC=$BASE/etc RUN=$BASE/run LOG=$BASE/log NODE=$BASE/node
S3_PORT="${S3_PORT:-58080}"
ACC_PORT=56012 CONT_PORT=56011 OBJ_PORT=56010 MC_PORT=56211
# tempauth's S3 key ids look like "account:user"; Bun's presign() does not encode the ':', so a small filter maps a
# colon-free key id onto the tempauth user.
ACCESS_KEY=PARTYROOMTESTKEY SECRET=partyroom-test-secret BUCKET=partyroom
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

alive() { [ -f "$RUN/$1.pid" ] && local p && p=$(cat "$RUN/$1.pid") && [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; }

stop() {
  for name in proxy object container account memcached; do
    [ -f "$RUN/$name.pid" ] || continue
    pid=$(cat "$RUN/$name.pid")
    # Each server runs under setsid and forks workers into its session: end the whole session.
    members=$(ps -o pid= --sid "$pid" 2>/dev/null | tr -d ' ' || true)
    kill -TERM $members "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || break; sleep 0.1; done
    kill -KILL $members "$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
  done
  $SUDO rm -rf "$BASE"
}

start() {
  local pkgs="swift swift-proxy swift-account swift-container swift-object memcached" missing=""
  for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "» installing OpenStack Swift (S3 API) from Debian:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  fi
  mkdir -p "$SERVICES_DIR" && chmod a+rx "$SERVICES_DIR"
  if alive proxy && curl -sf "http://127.0.0.1:$S3_PORT/healthcheck" >/dev/null; then print; return; fi
  stop
  mkdir -p "$ETC" "$RUN" "$LOG" "$BASE/cache" "$NODE/d1"
  cat >"$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = partyroom-test
swift_hash_path_prefix = partyroom-test
[storage-policy:0]
name = Policy-0
default = yes
[swift-constraints]
EOF
  server_conf() { # name port workers extra
    printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = %s\nuser = swift\nswift_dir = %s\ndevices = %s\nmount_check = false\nlog_level = WARNING\nrecon_cache_path = %s\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n%s' \
      "$2" "$3" "$ETC" "$NODE" "$BASE/cache" "$1" "$1" "$1" "${4:-}" >"$ETC/$1-server.conf"
  }
  server_conf account $ACC_PORT 1
  server_conf container $CONT_PORT 1
  server_conf object $OBJ_PORT 2 $'network_chunk_size = 1048576\ndisk_chunk_size = 1048576\n'
  cat >"$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $S3_PORT
workers = 2
user = swift
swift_dir = $ETC
log_level = WARNING
[pipeline:main]
# s3api before tempauth; slo is what S3 multipart uploads are made of.
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api s3keymap tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
object_chunk_size = 1048576
client_chunk_size = 1048576
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
max_upload_part_num = 10000
[filter:s3keymap]
paste.filter_factory = s3keymap:filter_factory
$ACCESS_KEY = partyroom:admin
[filter:tempauth]
use = egg:swift#tempauth
user_partyroom_admin = $SECRET .admin
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC_PORT
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:dlo]
use = egg:swift#dlo
EOF
  # Swift reads /etc/swift/swift.conf unless told otherwise; this launcher points it at ours.
  cat >"$ETC/launch.py" <<'EOF'
import os, sys
from swift.common import utils
utils.SWIFT_CONF_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "swift.conf")
from swift.common.storage_policy import reload_storage_policies
reload_storage_policies()
from swift.common.wsgi import run_wsgi
app = sys.argv.pop(1)
conf_file, options = utils.parse_options()
kw = {}
if app == "object-server":
    from swift.obj import server
    kw["global_conf_callback"] = server.global_conf_callback
sys.exit(run_wsgi(conf_file, app, **kw, **options))
EOF
  cat >"$ETC/s3keymap.py" <<'EOF'
"""Maps colon-free S3 access key ids onto tempauth "account:user" names (between s3api and tempauth)."""
class S3KeyMap(object):
    def __init__(self, app, conf):
        self.app = app
        self.map = {k: v for k, v in conf.items() if ":" in v and not k.startswith(("use", "paste", "set ", "__"))}
    def __call__(self, env, start_response):
        details = env.get("s3api.auth_details")
        if details and details.get("access_key") in self.map:
            key = details["access_key"]
            details["access_key"] = self.map[key]
            env["PATH_INFO"] = env["PATH_INFO"].replace("/v1/%s" % key, "/v1/%s" % self.map[key], 1)
        return self.app(env, start_response)
def filter_factory(global_conf, **local_conf):
    conf = dict(local_conf)
    return lambda app: S3KeyMap(app, conf)
EOF
  for ring in "account $ACC_PORT" "container $CONT_PORT" "object $OBJ_PORT"; do
    set -- $ring
    (cd "$ETC" && swift-ring-builder "$1.builder" create 8 1 1 >/dev/null && swift-ring-builder "$1.builder" add "r1z1-127.0.0.1:$2/d1" 100 >/dev/null && swift-ring-builder "$1.builder" rebalance >/dev/null)
  done
  chown -R swift:swift "$NODE" "$BASE/cache"
  launch() { # name cmd...
    local name=$1; shift
    setsid nohup "$@" >"$LOG/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
  }
  launch memcached memcached -l 127.0.0.1 -p $MC_PORT -U 0 -m 64 -u nobody
  for s in account container object proxy; do launch $s /usr/bin/python3 "$ETC/launch.py" $s-server "$ETC/$s-server.conf"; done
  for port in $MC_PORT $ACC_PORT $CONT_PORT $OBJ_PORT $S3_PORT; do
    for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  done
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$S3_PORT/healthcheck" >/dev/null && break; sleep 0.1; done
  # The bucket (SigV4 by curl; s3api wants x-amz-content-sha256, which curl does not send by itself).
  local code
  code=$(curl -s -o "$LOG/bucket.xml" -w '%{http_code}' -X PUT -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET" "http://127.0.0.1:$S3_PORT/$BUCKET")
  case $code in 200|409) ;; *) echo "creating the bucket failed: HTTP $code $(cat "$LOG/bucket.xml")" >&2; exit 1 ;; esac
  print
}

print() {
  echo "S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
  echo "S3_BUCKET=$BUCKET"
  echo "S3_REGION=us-east-1"
  echo "S3_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "S3_SECRET_ACCESS_KEY=$SECRET"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
