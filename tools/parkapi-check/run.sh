#!/usr/bin/env bash
# The independent ParkAPI check (issue 34): the validators of `parkapi-sources` (PyPI, pinned: the
# ParkAPI project's own input models, StaticParkingSiteInput and RealtimeParkingSiteInput, checked
# with validataclass) validate every item of /api/parking/parkapi/v3/parking-sites of a small demo
# district whose car parks' feeds are simulated (check.py). Their lat/lon validators accept
# European coordinates only (lat 34–72, lon −27–43): exactly those range errors on `lat` and `lon`
# are expected for Fuyang's car parks (and the item is validated again with a European point in
# their place); any other error fails the check.
#
#   tools/parkapi-check/run.sh            # from anywhere; CI runs it from .ci/run
#
# Settings (environment): MINSHENG_PARKAPI_CHECK_BIN (a minsheng binary built from this tree;
# without it, `cargo build -p minsheng`; .ci/run passes the one the test suite has just built),
# MINSHENG_PARKAPI_CHECK_REPORT (where the server's log is kept, default target/parkapi-check),
# MINSHENG_PARKAPI_CHECK_RESIDENTS (the demo's residents, default 300).
#
# Exits non-zero when a check fails (or the demo does not start), and stops the server however it
# ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

REPORT=${MINSHENG_PARKAPI_CHECK_REPORT:-$ROOT/target/parkapi-check}
REQUIREMENTS=$ROOT/tools/parkapi-check/requirements.txt

log() { printf '\n== %s\n' "$*"; }

# --- parkapi-sources and requests, pinned, in a virtualenv under the cache (rebuilt when the pins change).
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/minsheng/parkapi-check"
VENV=$CACHE/venv
PINS=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ] || [ ! -x "$VENV/bin/python" ]; then
    log "installing parkapi-sources into $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$PINS" >"$VENV/.pins"
fi
"$VENV/bin/python" -c 'import importlib.metadata as m; print("parkapi-sources", m.version("parkapi-sources"), "validataclass", m.version("validataclass"))'

# --- the server's binary.
if [ -n "${MINSHENG_PARKAPI_CHECK_BIN:-}" ] && [ -x "$MINSHENG_PARKAPI_CHECK_BIN" ]; then
    BIN=$(realpath "$MINSHENG_PARKAPI_CHECK_BIN")
else
    log "building minsheng"
    cargo build --quiet -p minsheng
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/minsheng
fi
echo "server: $BIN"

log "ParkAPI check (tools/parkapi-check/check.py)"
exec "$VENV/bin/python" "$ROOT/tools/parkapi-check/check.py" --bin "$BIN" --report "$REPORT" --residents "${MINSHENG_PARKAPI_CHECK_RESIDENTS:-300}"
