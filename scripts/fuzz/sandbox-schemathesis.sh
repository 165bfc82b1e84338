#!/usr/bin/env bash
# Fuzzes the Marketo sandbox's HTTP surface against Marketo's own Swagger files with schemathesis (PyPI):
# the User Management API (with an admin bearer token) and the identity endpoint. Fails when the sandbox
# answers any request with a 5xx, crashes, or when schemathesis reports a failure or an error.
#
#   bash scripts/fuzz/sandbox-schemathesis.sh
#
# Environment (all optional):
#   FUZZ_MAX_EXAMPLES   test cases per operation and phase (default 25)
#   FUZZ_SEED           schemathesis seed (default 1, so a run can be repeated)
#   FUZZ_TIMEOUT        hard limit in seconds for each schemathesis run (default 300)
#   FUZZ_PHASES         schemathesis phases (default examples,coverage,fuzzing,stateful)
#   MARKETO_SWAGGER_DIR where swagger-user.json and swagger-identity.json are (default ../shared/marketo-api
#                       beside the repo)
#   MARKETO_API_USERS_CACHE_DIR / XDG_CACHE_HOME   where the venv goes, as for the Temporal servers
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SWAGGER_DIR="${MARKETO_SWAGGER_DIR:-$REPO_ROOT/../shared/marketo-api}"
CACHE_BASE="${MARKETO_API_USERS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/marketo-api-users}"
VENV="$CACHE_BASE/v1/schemathesis-venv-$SCHEMATHESIS_VERSION"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-25}"
SEED="${FUZZ_SEED:-1}"
RUN_TIMEOUT="${FUZZ_TIMEOUT:-300}"
PHASES="${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}"

say() { printf 'schemathesis-fuzz: %s\n' "$*" >&2; }

for file in swagger-user.json swagger-identity.json; do
  if [[ ! -f "$SWAGGER_DIR/$file" ]]; then
    say "no $SWAGGER_DIR/$file (set MARKETO_SWAGGER_DIR)"
    exit 2
  fi
done

# ---- the pinned schemathesis, in a venv outside the repo ----
if [[ ! -x "$VENV/bin/schemathesis" ]] ||
  [[ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION"* ]]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
say "$("$VENV/bin/schemathesis" --version)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mau-schemathesis-XXXXXX")"
SANDBOX_PID=""
cleanup() {
  if [[ -n "$SANDBOX_PID" ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    kill -TERM "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- the sandbox, standalone on a free port ----
(cd "$REPO_ROOT" && exec node --import tsx scripts/fuzz/start-sandbox.ts) >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 1 300); do
  [[ -s "$WORK/sandbox.out" ]] && break
  if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    say "the sandbox exited at start:"
    cat "$WORK/sandbox.err" >&2
    exit 1
  fi
  sleep 0.1
done
read -r BASE_URL CLIENT_ID CLIENT_SECRET < <(
  python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["baseUrl"], d["adminClientId"], d["adminClientSecret"])' \
    <"$WORK/sandbox.out"
)
say "sandbox at $BASE_URL"

TOKEN="$(
  python3 - "$BASE_URL" "$CLIENT_ID" "$CLIENT_SECRET" <<'PY'
import json, sys, urllib.parse, urllib.request
base, client_id, secret = sys.argv[1:4]
query = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
with urllib.request.urlopen(f"{base}/identity/oauth/token?{query}", timeout=10) as answer:
    print(json.load(answer)["access_token"])
PY
)"

# ---- the runs ----
STATUS=0
run_schemathesis() {
  local name="$1" swagger="$2"
  shift 2
  say "fuzzing $name ($swagger, up to $MAX_EXAMPLES examples per operation and phase, seed $SEED)"
  local rc=0
  (cd "$WORK" && timeout --signal=INT --kill-after=15 "$RUN_TIMEOUT" "$VENV/bin/schemathesis" run "$SWAGGER_DIR/$swagger" \
    --url "$BASE_URL" \
    --checks not_a_server_error \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --phases "$PHASES" \
    --workers 1 \
    --request-timeout 10 \
    --generation-database none \
    --no-color \
    "$@") >"$WORK/$name.log" 2>&1 || rc=$?
  cat "$WORK/$name.log"
  local operations cases
  operations="$(grep -Eo 'Tested: [0-9]+' "$WORK/$name.log" | grep -Eo '[0-9]+' | tail -1 || true)"
  cases="$(grep -Eo '[0-9]+ generated.*' "$WORK/$name.log" | tail -1 || true)"
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    say "$name: did not finish within ${RUN_TIMEOUT}s"
  fi
  printf 'FUZZ-RESULT %s: exit %s, operations %s, test cases: %s\n' "$name" "$rc" "${operations:-?}" "${cases:-?}"
  if [[ $rc -ne 0 ]]; then STATUS=1; fi
}

run_schemathesis user-management swagger-user.json -H "Authorization: Bearer $TOKEN"
run_schemathesis identity swagger-identity.json

# ---- what the sandbox itself saw ----
kill -TERM "$SANDBOX_PID"
wait "$SANDBOX_PID" || {
  say "the sandbox did not stop cleanly"
  STATUS=1
}
SANDBOX_PID=""
SUMMARY="$(grep '"summary"' "$WORK/sandbox.out" || true)"
if [[ -z "$SUMMARY" ]]; then
  say "the sandbox printed no summary (did it crash?)"
  cat "$WORK/sandbox.err" >&2
  STATUS=1
else
  printf 'FUZZ-SANDBOX %s\n' "$SUMMARY"
  if ! python3 -c '
import json, sys
s = json.loads(sys.argv[1])["summary"]
bad = s["unexpectedFailures"] > 0 or any(k.startswith("5") for k in s["userManagementByStatus"])
sys.exit(1 if bad else 0)' "$SUMMARY"; then
    say "the sandbox answered with 5xx or failed unexpectedly:"
    cat "$WORK/sandbox.err" >&2
    STATUS=1
  fi
fi

if [[ $STATUS -eq 0 ]]; then
  say "no 5xx, no crash"
else
  say "FAILED: see the output above (each schemathesis failure comes with a curl line that reproduces it)"
fi
exit $STATUS
