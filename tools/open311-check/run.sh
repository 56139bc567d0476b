#!/usr/bin/env bash
# The independent Open311 client check (issue 33): georeport (a GeoReport v2 client library from
# PyPI, pinned) and plain `requests` talk to /api/open311/v2 of a small demo district as an
# existing Open311 application would (check.py):
#
#   - the service list and a service's definition (its required datetime attribute);
#   - a request posted form-encoded with the client's api_key and attribute[code], as the
#     specification has it, read back by its id and among the service's open requests;
#   - an unknown service_code answers 404, a bad api_key 403, a place outside the district 400,
#     each with Open311's error list [{"code", "description"}].
#
#   tools/open311-check/run.sh            # from anywhere; CI runs it from .ci/run
#
# Settings (environment): MINSHENG_OPEN311_CHECK_BIN (a minsheng binary built from this tree;
# without it, `cargo build -p minsheng`; .ci/run passes the one the test suite has just built),
# MINSHENG_OPEN311_CHECK_REPORT (where the server's log is kept, default target/open311-check),
# MINSHENG_OPEN311_CHECK_RESIDENTS (the demo's residents, default 300).
#
# Exits non-zero when a check fails (or the demo does not start), and stops the server however it
# ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

REPORT=${MINSHENG_OPEN311_CHECK_REPORT:-$ROOT/target/open311-check}
REQUIREMENTS=$ROOT/tools/open311-check/requirements.txt

log() { printf '\n== %s\n' "$*"; }

# --- georeport and requests, pinned, in a virtualenv under the cache (rebuilt when the pins change).
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/minsheng/open311-check"
VENV=$CACHE/venv
PINS=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ] || [ ! -x "$VENV/bin/python" ]; then
    log "installing georeport into $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$PINS" >"$VENV/.pins"
fi
"$VENV/bin/python" -c 'import georeport, requests; print("georeport", georeport.__version__, "requests", requests.__version__)'

# --- the server's binary.
if [ -n "${MINSHENG_OPEN311_CHECK_BIN:-}" ] && [ -x "$MINSHENG_OPEN311_CHECK_BIN" ]; then
    BIN=$(realpath "$MINSHENG_OPEN311_CHECK_BIN")
else
    log "building minsheng"
    cargo build --quiet -p minsheng
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/minsheng
fi
echo "server: $BIN"

log "Open311 check (tools/open311-check/check.py)"
exec "$VENV/bin/python" "$ROOT/tools/open311-check/check.py" --bin "$BIN" --report "$REPORT" --residents "${MINSHENG_OPEN311_CHECK_RESIDENTS:-300}"
