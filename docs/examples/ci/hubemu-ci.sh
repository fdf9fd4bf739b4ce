#!/bin/sh
# Runs a test command against hubemu started as a process, for a project in any language
# (docs/testing-with-hubemu.md). The test controls are plain curl calls.
#
#   HUBEMU_SEED=seed.yaml ./hubemu-ci.sh pytest tests/
#
# Environment (all optional): HUBEMU (how to run hubemu, default `npx hubemu`), HUBEMU_HTTPS_PORT (8443),
# HUBEMU_MQTT_PORT (8883), HUBEMU_DATA_DIR (.hubemu-ci), HUBEMU_SEED (none), HUBEMU_TRAFFIC (where the
# recorded traffic is written, hubemu-traffic.jsonl), HUBEMU_LOG (the hub's banner and log, hubemu.log).
set -eu

HUBEMU=${HUBEMU:-npx hubemu}
HTTPS_PORT=${HUBEMU_HTTPS_PORT:-8443}
MQTT_PORT=${HUBEMU_MQTT_PORT:-8883}
DATA_DIR=${HUBEMU_DATA_DIR:-.hubemu-ci}
TRAFFIC=${HUBEMU_TRAFFIC:-hubemu-traffic.jsonl}
LOG=${HUBEMU_LOG:-hubemu.log}

# A SAS token of the well-known iothubowner policy, for host `localhost` (any port) until 2100: like the
# policy's key, it is public and only good for a local hub.
OWNER_TOKEN='SharedAccessSignature sr=localhost&sig=Aj0mcuOJNElIFiLNebGa4J7BkwygcGJKFNjY%2FuUrzQ8%3D&skn=iothubowner&se=4102444800'

# shellcheck disable=SC2086 # HUBEMU may be a command with arguments
$HUBEMU start --in-memory --no-dashboard --data-dir "$DATA_DIR" --https-port "$HTTPS_PORT" --mqtt-port "$MQTT_PORT" \
  ${HUBEMU_SEED:+--seed "$HUBEMU_SEED"} --log-level warn >"$LOG" 2>&1 &
HUB_PID=$!
trap 'kill "$HUB_PID" 2>/dev/null || true' EXIT INT TERM

# /health answers 200 once every listener is up (the CA file exists by then; until then curl retries).
BASE="https://localhost:$HTTPS_PORT"
CA="$DATA_DIR/certs/ca.pem"
curl -fsS --retry 60 --retry-delay 1 --retry-all-errors --cacert "$CA" "$BASE/health" >/dev/null

control() { # control METHOD PATH [curl options]: one call to the test controls
  method=$1 path=$2
  shift 2
  curl -fsS -X "$method" -H "Authorization: $OWNER_TOKEN" --cacert "$CA" "$@" "$BASE/emulator/$path"
}

# What the tests need to reach the hub.
export HUBEMU_URL="$BASE" HUBEMU_CA="$CA" HUBEMU_OWNER_TOKEN="$OWNER_TOKEN"
export IOTHUB_CONNECTION_STRING="HostName=localhost:$HTTPS_PORT;SharedAccessKeyName=iothubowner;SharedAccessKey=aHViZW11LWlvdGh1Ym93bmVyLXByaW1hcnkta2V5LTE="

control POST reset >/dev/null                       # start from the seed
status=0
"$@" || status=$?                                   # your tests
control GET 'traffic?format=jsonl' >"$TRAFFIC"      # what crossed the hub, kept as a CI artifact
exit "$status"
