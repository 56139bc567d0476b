#!/usr/bin/env bash
# The independent fuzzer on the published contract (issue 27): schemathesis, from PyPI, generates
# requests from /api/openapi.json of a small demo district and checks every answer against the
# document, once per signed-in role (a resident, a department clerk, the administrator, the
# insurance bureau's clerk and a hospital's doctor).
#
#   tools/schemathesis/run.sh            # from anywhere; CI runs it from .ci/run
#
# Settings (environment): MINSHENG_ST_EXAMPLES (examples per operation and phase, default 25),
# MINSHENG_ST_ROLE_SECONDS (time limit of one role's run, default 110: three roles stay within
# about six minutes), MINSHENG_ST_REPORT (where the reports go, default target/schemathesis),
# MINSHENG_ST_BIN (a minsheng binary built from this tree; without it, `cargo build -p minsheng`.
# .ci/run passes the one the test suite has just built, so that CI does not compile the
# dependencies a second time with another set of features).
#
# Checks: not_a_server_error (any 5xx is a bug), status_code_conformance (every status is
# documented for its operation), content_type_conformance, response_schema_conformance (every
# body matches its documented schema) and negative_data_rejection (a request the document says is
# invalid — a wrong type, a missing required field, a value outside an enum or pattern — is refused
# with a 4xx). negative_data_rejection holds because request bodies deny unknown fields, top-level
# bodies must be JSON objects (serde would also take an array), and enums and ID-number patterns
# are declared only where the server enforces them. Left out: positive_data_acceptance (a
# well-formed request may still be refused by the district's data: an unknown bundle, a real-name
# mismatch, an ID number with a bad check digit), use_after_free and ensure_resource_availability
# (the API deletes nothing), ignored_auth (the policy walk in crates/web/tests/it/policy.rs covers
# every route as every role and anonymous), missing_required_header and unsupported_method.
#
# Excluded operations: POST /api/auth/logout, which would end the very session the run is signed in
# with (every later request would be a 401), and GET /api/guardian/alarms/live and
# GET /api/halls/{id}/board/live, event streams that do not end (the policy walk checks who may
# open them; crates/server/tests/it/halls.rs reads the board's). Everything else is fuzzed, writes included: the
# district is a throwaway one. Path ids, codes and a few fields take the ids of real applications,
# cases, records, riders and people half of the time (known_ids.py), so that the answers of real
# resources are checked too, not only 404s. One worker: schemathesis's threads trip a CPython 3.11
# bug in `ast` ("AST constructor recursion depth mismatch").
#
# Exits non-zero when schemathesis reports a failure (or the time limit is hit), and stops the
# server however it ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

EXAMPLES=${MINSHENG_ST_EXAMPLES:-25}
ROLE_SECONDS=${MINSHENG_ST_ROLE_SECONDS:-110}
REPORT=${MINSHENG_ST_REPORT:-$ROOT/target/schemathesis}
REQUIREMENTS=$ROOT/tools/schemathesis/requirements.txt

log() { printf '\n== %s\n' "$*"; }

# --- schemathesis, pinned, in a virtualenv under the cache (rebuilt when the pins change).
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/minsheng/schemathesis"
VENV=$CACHE/venv
PINS=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$VENV/.pins" 2>/dev/null)" != "$PINS" ] || [ ! -x "$VENV/bin/st" ]; then
    log "installing schemathesis into $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$PINS" >"$VENV/.pins"
fi
"$VENV/bin/st" --version

# --- the server: the binary, a small demo district on SQLite in a temporary directory.
if [ -n "${MINSHENG_ST_BIN:-}" ] && [ -x "$MINSHENG_ST_BIN" ]; then
    BIN=$(realpath "$MINSHENG_ST_BIN")
else
    log "building minsheng"
    cargo build --quiet -p minsheng
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/minsheng
fi
echo "server: $BIN"

WORK=$(mktemp -d)
SERVER=
cleanup() {
    if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

log "demo district in $WORK"
"$BIN" demo --fresh --no-serve --residents 300 --enterprises 30 --history 40 --data-dir "$WORK/data" >"$WORK/seed.log" 2>&1 \
    || { cat "$WORK/seed.log"; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE=http://127.0.0.1:$PORT
# The server's log stays quiet but for warnings and errors (a 5xx is logged as an error).
NO_COLOR=1 RUST_LOG=${RUST_LOG:-warn,rumqttd=off} "$BIN" demo --no-peer --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; echo "the server stopped" >&2; exit 1; }
    sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null

# --- sign in every role first (the fuzzing of POST /api/auth/login later must not lock them out).
# The resident is the demo's citizen log-in the server prints ("居民 … resident").
RESIDENT=$(awk '/居民/ && /resident/ { print $1; exit }' "$WORK/server.log")
[ -n "$RESIDENT" ] || { cat "$WORK/server.log"; echo "no resident log-in in the demo's output" >&2; exit 1; }
token() {
    curl -fsS "$BASE/api/auth/login" -H 'content-type: application/json' \
        -d "{\"login\":\"$1\",\"password\":\"demo1234\"}" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
declare -A TOKENS=([resident]=$(token "$RESIDENT") [clerk]=$(token ga_clerk) [admin]=$(token admin) [insurance]=$(token ybj_clerk) [hospital]=$(token fy-1h_doctor))

# --- the configuration: schemathesis.toml, and the ids and codes of the district that path ids,
# codes and some query and body fields take half of the time (known_ids.py), so that the runs reach
# real applications, records and riders and check their answers too, not only 404s.
rm -rf "$REPORT"
mkdir -p "$REPORT"
python3 tools/schemathesis/known_ids.py "$WORK/data/minsheng.db" "$RESIDENT" tools/schemathesis/schemathesis.toml "$REPORT/schemathesis.toml"

# --- one run per role.
STATUS=0
for role in resident clerk admin insurance hospital; do
    log "schemathesis as $role (at most $EXAMPLES examples per operation, ${ROLE_SECONDS}s)"
    start=$(date +%s)
    set +e
    MINSHENG_ST_CACHE="$REPORT/$role/cache" timeout --kill-after=10 "$ROLE_SECONDS" \
        "$VENV/bin/st" --config-file "$REPORT/schemathesis.toml" run "$BASE/api/openapi.json" \
        --header "Authorization: Bearer ${TOKENS[$role]}" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection \
        --exclude-path /api/auth/logout \
        --exclude-path /api/guardian/alarms/live \
        --exclude-path '/api/halls/{id}/board/live' \
        --max-examples "$EXAMPLES" \
        --request-timeout 20 \
        --workers 1 \
        --generation-database none \
        --suppress-health-check all \
        --no-color \
        --report junit,ndjson \
        --report-dir "$REPORT/$role"
    rc=$?
    set -e
    echo "$role: exit $rc after $(($(date +%s) - start)) s"
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -eq 124 ] && echo "$role: stopped at the time limit (${ROLE_SECONDS}s)" >&2
        STATUS=1
    fi
done

if grep -q "ERROR" "$WORK/server.log"; then
    log "errors in the server's log"
    grep "ERROR" "$WORK/server.log" | head -20
    STATUS=1
fi
cp "$WORK/server.log" "$REPORT/server.log"
log "schemathesis reports (JUnit XML and NDJSON events per role) and the server's log are in $REPORT"
exit "$STATUS"
