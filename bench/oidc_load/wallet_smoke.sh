#!/usr/bin/env bash
# Smoke test of the load generator's wallet mode (not a benchmark: nothing
# here is timed). A throw-away ledger with a few enrolled benchmark users,
# the validator service, `certme idp` with the wallet login; then
#   1. first logins (--fresh-users): flows complete with no error, and each
#      added its validation to the ledger (2 entries: request + answer);
#   2. re-logins of the same users: flows complete with no error and the
#      ledger does not grow (no validator involved);
#   3. a user who was never enrolled is refused (the run reports errors).
# Usage: wallet_smoke.sh PATH/TO/certme PATH/TO/oidc_load
set -euo pipefail
CERTME=$(realpath "$1")
LOAD=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../conformance/lib/e2e.sh
source "$HERE/../../conformance/lib/e2e.sh"
e2e_workdir wallet-smoke
E2E_LOGS=(idp.log validator.log)
entries() { "$CERTME" ledger info | sed -n 's/^entries: *\([0-9]*\).*/\1/p'; }
# How many events of one kind the ledger holds (`certme ledger events`).
events() { "$CERTME" ledger events | grep -c " $1\b" || true; }
# Waits up to 30 s for at least $2 AccessRecorded events (the bridge submits
# them in the background); prints how many there are.
records_at_least() {
  local n
  for _ in $(seq 1 300); do n=$(events AccessRecorded); [[ $n -ge $1 ]] && break; sleep 0.1; done
  echo "$n"
}
field() {  # field JSON-LINE KEY… → the value (python3 is in every Debian install)
  python3 -c 'import json,sys; v=json.loads(sys.argv[1])
for k in sys.argv[2:]: v=v[k]
print(v)' "$@"
}

"$CERTME" ledger init >/dev/null
VALIDATOR=$("$CERTME" ledger keygen --out var/ledger/validator.key)
PROVIDER=$("$CERTME" ledger keygen --out var/ledger/provider.key)
"$CERTME" admin authorize-validator "$VALIDATOR" >/dev/null
"$CERTME" admin authorize-provider "$PROVIDER" >/dev/null
"$LOAD" --enroll --ledger var/ledger.db --validator-key var/ledger/validator.key --users 0:40 --no-sync \
  || fail "enrolment"
# Enrolling again skips the users that already hold an eID.
before=$(entries)
"$LOAD" --enroll --ledger var/ledger.db --validator-key var/ledger/validator.key --users 0:40 --no-sync 2>enroll2.log
grep -q "0 eIDs issued" enroll2.log || fail "second enrolment issued eIDs: $(cat enroll2.log)"
[[ $(entries) == "$before" ]] || fail "second enrolment changed the ledger"

"$CERTME" validator serve >validator.log 2>&1 &
PIDS+=($!)
VPID=$!

PORT=$("$LOAD" --free-port)
BASE="http://127.0.0.1:$PORT"
cat >clients.yaml <<EOF
clients:
  - client_id: bench-es256
    client_secret: bench-es256-secret
    names: {ro: "Banc de încercare", ru: "Стенд", en: "Benchmark"}
    redirect_uris: ["http://127.0.0.1/bench/callback"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    id_token_signed_response_alg: ES256
    scopes: [openid, profile, email]
    attributes: [first_name, last_name, birth_date, gender, language, email]
EOF
e2e_wallet_bridge CERTME_LOGGING_ACCESS_LOG=false
IDP=$BRIDGE_PID

run() { timeout 120 "$LOAD" --url "$BASE" --mode wallet --workers 2 --warmup 0 --timeout-ms 20000 \
          --server-pid "$IDP" --validator-pid "$VPID" --json "$@" 2>>load.log; }

# 1. First logins: a fresh user per flow, each validated on the ledger.
requests_before=$(events ValidationRequested)
answers_before=$(events ValidationAnswered)
out=$(run --fresh-users --users 0:12 --duration 20) || fail "first logins: $(tail -5 load.log)"
ok=$(field "$out" completed)
handed=$(field "$out" users handed_out)
errors=$(field "$out" errors by_kind)
echo "first logins: $ok completed, $handed users, errors $errors"
[[ $ok -ge 5 ]] || fail "first logins: only $ok completed ($errors)"
# Running out of fresh users is how the run ends early; nothing else may fail.
others=$(python3 -c 'import json,sys; print(sum(n for k, n in json.loads(sys.argv[1])["errors"]["by_kind"].items()
                                              if k != "wallet:users_exhausted"))' "$out")
[[ $others == 0 ]] || fail "first logins: errors $errors"
requests=$(( $(events ValidationRequested) - requests_before ))
answers=$(( $(events ValidationAnswered) - answers_before ))
[[ $requests -eq $handed && $answers -eq $handed ]] ||
  fail "first logins: $requests validation requests and $answers answers for $handed users (expected one each)"
grep -q "validation answered" validator.log || fail "the validator answered nothing"
# Every login leaves an access record, submitted in the background.
records=$(records_at_least "$ok")
[[ $records -ge $ok ]] || fail "first logins: $records access records for $ok logins"

# 2. Re-logins of the same users: no validator (no validation request on
#    the ledger), one access record each.
requests_before=$(events ValidationRequested)
out=$(run --users "0:$handed" --duration 3) || fail "re-logins: $(tail -5 load.log)"
ok=$(field "$out" completed)
echo "re-logins: $ok completed, errors $(field "$out" errors total)"
[[ $ok -ge 5 ]] || fail "re-logins: only $ok completed"
[[ $(field "$out" errors total) == 0 ]] || fail "re-logins: errors $(field "$out" errors by_kind)"
[[ $(events ValidationRequested) == "$requests_before" ]] || fail "re-logins asked the validator"
[[ $(records_at_least $((records + ok))) -ge $((records + ok)) ]] || fail "re-logins left no access records"

# 3. Users nobody enrolled: the bridge refuses them (eid_not_active), and
#    the load generator counts that as an error, not as a completed flow.
out=$(run --fresh-users --users 1000:1003 --duration 3 || true)
[[ -n $out ]] || fail "unenrolled users: no result"
[[ $(field "$out" completed) == 0 ]] || fail "unenrolled users logged in"
field "$out" errors by_kind | grep "wallet_post:http_403:eid_not_active" >/dev/null ||
  fail "unenrolled users: $(field "$out" errors by_kind)"
echo "wallet_smoke: OK"
