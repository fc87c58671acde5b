#!/usr/bin/env bash
# Installs everything (Bun, dependencies, Debian's Chromium, PostgreSQL, Redis and an S3 server) and runs the whole
# test suite with real servers, real databases and a real browser, in two passes:
#   embedded: every test, on SQLite and the vault on local disk (the defaults);
#   cluster:  the API, chat, vault, database and reliability tests again on PostgreSQL and S3, plus the multi-node
#             tests (tests/cluster).
# Ends with the line "N passed, N failed" over both passes. PARTYROOM_TEST_BACKEND=embedded|cluster runs one pass;
# file arguments narrow it (`npm test -- tests/chat.test.ts`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

# Debian's Chromium for the browser tests, coturn for the calls through TURN (tests/browser/turn.test.ts),
# Info-ZIP's unzip, which checks the vault's folder zips as any person's unzip would (tests/folders.test.ts), and
# an emoji font, so the screenshots show reactions and emoji as a person's browser would (not empty boxes), and
# ffmpeg, which encodes the camera and microphone of the scripted participants in large rooms (tests/support/scripted).
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
[ -x /usr/bin/turnserver ] || need+=(coturn)
[ -x /usr/bin/unzip ] || need+=(unzip)
[ -x /usr/bin/ffmpeg ] || need+=(ffmpeg)
# HAProxy: the load balancer in front of the three-node cluster of tests/cluster (as production runs one).
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  echo "» installing ${need[*]} from Debian"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  # Where systemd runs, the package starts coturn as a service on port 3478; the tests start their own, on ports of
  # their own, so the packaged one is stopped and left disabled.
  if [[ " ${need[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now coturn >/dev/null 2>&1 || true
  fi
fi

EMBEDDED_TESTS=(tests/*.test.ts tests/browser tests/reliability tests/rooms tests/db)
CLUSTER_TESTS=(tests/auth.test.ts tests/admin.test.ts tests/moderation.test.ts tests/shares.test.ts tests/folders.test.ts tests/drops.test.ts tests/chat.test.ts tests/chat-features.test.ts tests/vault.test.ts tests/server.test.ts tests/socket.test.ts tests/ops.test.ts
  tests/rooms/room-actor.test.ts tests/rooms/retention.test.ts tests/reliability tests/db tests/cluster)
passes=(embedded cluster)
[ -n "${PARTYROOM_TEST_BACKEND:-}" ] && passes=("$PARTYROOM_TEST_BACKEND")

export SERVICES_DIR="${SERVICES_DIR:-/tmp/partyroom-services}"
# The engines start only for the cluster pass, so the embedded pass (browsers included) has the machine to itself.
start_services() {
  echo "» starting PostgreSQL, Redis and the S3 server (Debian packages, loopback only)"
  trap 'bash scripts/services/all.sh stop >/dev/null 2>&1 || true' EXIT
  # Bounded: installing the three from Debian takes a few minutes; an engine that hangs fails the run instead.
  if ! timeout 1200 bash scripts/services/all.sh start >/dev/null; then
    echo "» the engines did not start (see above and $SERVICES_DIR/*.log); the cluster pass cannot run" >&2
    exit 1
  fi
  set -a
  source "$SERVICES_DIR/env"
  set +a
}

mkdir -p .test-output
rm -f .test-output/junit*.xml
status=0
reports=()
for pass in "${passes[@]}"; do
  [ "$pass" = cluster ] && start_services
  if [ $# -gt 0 ]; then files=("$@"); elif [ "$pass" = cluster ]; then files=("${CLUSTER_TESTS[@]}"); else files=("${EMBEDDED_TESTS[@]}"); fi
  echo "» $pass pass: ${files[*]}"
  PARTYROOM_TEST_BACKEND=$pass bun test --timeout 60000 --reporter=junit --reporter-outfile=".test-output/junit-$pass.xml" "${files[@]}" || status=$?
  reports+=(".test-output/junit-$pass.xml")
done
bun scripts/test-summary.ts "${reports[@]}" || status=1
exit $status
