#!/usr/bin/env bash
# The independent cross-region check (issue 36): a peer district written in Python with PyNaCl
# (libsodium's Ed25519, pinned) exchanges signed messages with a small demo district, both ways
# (check.py): it verifies the demo's signatures with the key the demo publishes and signs its own
# with a key the demo is configured with, from the canonical text in docs/areas/halls.md alone.
#
#   tools/crossregion-check/run.sh        # from anywhere; CI runs it from .ci/run
#
# Settings (environment): MINSHENG_CROSSREGION_CHECK_BIN (a minsheng binary built from this tree;
# without it, `cargo build -p minsheng`), MINSHENG_CROSSREGION_CHECK_REPORT (where the server's log
# is kept, default target/crossregion-check).
#
# Exits non-zero when a check fails (or the demo does not start), and stops the server however it
# ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REPORT=${MINSHENG_CROSSREGION_CHECK_REPORT:-$ROOT/target/crossregion-check}
REQUIREMENTS=$ROOT/tools/crossregion-check/requirements.txt

log() { printf '\n== %s\n' "$*"; }

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/minsheng/crossregion-check"
VENV=$CACHE/venv
PINS=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ] || [ ! -x "$VENV/bin/python" ]; then
    log "installing PyNaCl into $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$PINS" >"$VENV/.pins"
fi
"$VENV/bin/python" -c 'import nacl; print("PyNaCl", nacl.__version__)'

if [ -n "${MINSHENG_CROSSREGION_CHECK_BIN:-}" ] && [ -x "$MINSHENG_CROSSREGION_CHECK_BIN" ]; then
    BIN=$(realpath "$MINSHENG_CROSSREGION_CHECK_BIN")
else
    log "building minsheng"
    cargo build --quiet -p minsheng
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/minsheng
fi
echo "server: $BIN"

log "cross-region check (tools/crossregion-check/check.py)"
exec "$VENV/bin/python" "$ROOT/tools/crossregion-check/check.py" --bin "$BIN" --report "$REPORT"
