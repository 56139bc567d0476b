#!/usr/bin/env bash
# The independent MQTT client check (issue 30): paho-mqtt, from PyPI, speaks MQTT 3.1.1 to the
# embedded broker of a small demo district as one of its wearables would (check.py), and the
# answers are read back over the JSON API as the monitoring centre:
#
#   - an SOS published at QoS 1 with the device's own user name and password is acknowledged and
#     becomes an alarm in GET /api/guardian/alarms;
#   - a garbage payload is acknowledged and counted in GET /api/guardian/rejections;
#   - a wrong password is refused at CONNECT (no CONNACK with return code 0);
#   - a reading published on another device's topic raises nothing.
#
#   tools/mqtt-check/run.sh            # from anywhere; CI runs it from .ci/run
#
# Settings (environment): MINSHENG_MQTT_CHECK_BIN (a minsheng binary built from this tree; without
# it, `cargo build -p minsheng`; .ci/run passes the one the test suite has just built),
# MINSHENG_MQTT_CHECK_REPORT (where the server's log is kept, default target/mqtt-check).
#
# Exits non-zero when a check fails (or the demo does not start), and stops the server however it
# ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

REPORT=${MINSHENG_MQTT_CHECK_REPORT:-$ROOT/target/mqtt-check}
REQUIREMENTS=$ROOT/tools/mqtt-check/requirements.txt

log() { printf '\n== %s\n' "$*"; }

# --- paho-mqtt, pinned, in a virtualenv under the cache (rebuilt when the pins change).
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/minsheng/mqtt-check"
VENV=$CACHE/venv
PINS=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ] || [ ! -x "$VENV/bin/python" ]; then
    log "installing paho-mqtt into $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$PINS" >"$VENV/.pins"
fi
"$VENV/bin/python" -c 'import paho.mqtt; print("paho-mqtt", paho.mqtt.__version__)'

# --- the server's binary.
if [ -n "${MINSHENG_MQTT_CHECK_BIN:-}" ] && [ -x "$MINSHENG_MQTT_CHECK_BIN" ]; then
    BIN=$(realpath "$MINSHENG_MQTT_CHECK_BIN")
else
    log "building minsheng"
    cargo build --quiet -p minsheng
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/minsheng
fi
echo "server: $BIN"

log "MQTT check (tools/mqtt-check/check.py)"
exec "$VENV/bin/python" "$ROOT/tools/mqtt-check/check.py" --bin "$BIN" --report "$REPORT"
