#!/usr/bin/env bash
# The README's "Ledger walk-through", run exactly as a newcomer would type it
# (in a fresh directory, with the default paths), checking each step's
# output: init → authorize validator and provider → enroll a user → serve →
# request answered → wallet history shows it. Also checks that refusals say
# why, and (embedded) that a copy of the log with its newest entry cut fails
# `certme ledger verify` and stops `certme idp` from starting (anchor kept or
# deleted), and that the ledger refuses to verify without its signed anchor
# until re-anchored. Usage: walkthrough.sh PATH/TO/certme [PATH/TO/anvil]
# With anvil, the same steps run on the EVM backend: a local chain on a free
# port, the registry deployed with `certme ledger deploy`, every command
# pointed at it through CERTME_LEDGER_* variables.
set -euo pipefail

CERTME=$(realpath "$1")
ANVIL=${2:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-walkthrough-XXXXXX")
SERVE_PID=
ANVIL_PID=
cleanup() {
  if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  if [[ -n "$ANVIL_PID" ]]; then kill "$ANVIL_PID" 2>/dev/null || true; wait "$ANVIL_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
# No configuration file: the built-in defaults (var/ledger.db, var/ledger/*.key).
unset CERTME_CONFIG
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'

fail() {
  echo "walkthrough: FAILED: $*" >&2
  [[ -f serve.log ]] && { echo "--- validator serve log:" >&2; cat serve.log >&2; }
  exit 1
}
expect() {  # expect "what" "pattern" "text"
  grep -qE -- "$2" <<<"$3" || fail "$1: expected /$2/ in:"$'\n'"$3"
}
certme() { "$CERTME" "$@"; }

if [[ -n "$ANVIL" ]]; then
  echo "== 0. a local chain (anvil, no fees) on a free port"
  [[ -x "$ANVIL" ]] || fail "anvil not found at $ANVIL (scripts/deps installs it)"
  "$ANVIL" --host 127.0.0.1 --port 0 --base-fee 0 --gas-price 0 --accounts 1 >anvil.log 2>&1 &
  ANVIL_PID=$!
  for _ in $(seq 600); do grep -q 'Listening on' anvil.log && break; sleep 0.1; done
  PORT=$(grep -oE 'Listening on 127\.0\.0\.1:[0-9]+' anvil.log | grep -oE '[0-9]+$') || fail "anvil did not start"
  export CERTME_LEDGER_BACKEND=evm CERTME_LEDGER_EVM_RPC_URL="http://127.0.0.1:$PORT"
  export CERTME_LEDGER_EVM_PRIORITY_FEE_WEI=0 CERTME_LEDGER_EVM_POLL_INTERVAL_MS=50

  # A node that is not there: a clear error, no hang.
  if out=$(CERTME_LEDGER_EVM_RPC_URL=http://127.0.0.1:9 CERTME_LEDGER_EVM_RPC_RETRIES=1 certme ledger deploy 2>&1); then
    fail "deploy without a node succeeded"
  fi
  expect "node down" 'the ledger node at http://127.0.0.1:9 does not answer' "$out"

  echo "== 1. the scheme administrator deploys the registry"
  REGISTRY=$(certme ledger deploy 2>deploy.log) || fail "deploy: $(cat deploy.log)"
  cat deploy.log
  expect "deploy" '^0x[0-9a-fA-F]{40}$' "$REGISTRY"
  expect "deploy" 'set ledger.registry_address' "$(cat deploy.log)"
  export CERTME_LEDGER_REGISTRY_ADDRESS=$REGISTRY
  out=$(certme ledger info); echo "$out"
  expect "info" "^registry: +$REGISTRY" "$out"
else
  echo "== 1. the scheme administrator creates the registry"
  out=$(certme ledger init)
  echo "$out"
  expect "init" '^registry: +0x[0-9a-fA-F]{40}$' "$out"
  # No EVM chain uses the embedded ledger's own chain id (docs/ledger.md §4).
  expect "init" '^chain id: +4503599627370495$' "$out"
  [[ -f var/ledger.db ]] || fail "init made no ledger"
fi
[[ -f var/ledger/admin.key ]] || fail "no admin key"
[[ $(stat -c %a var/ledger/admin.key) == 600 ]] || fail "admin key is not private"

echo "== 2. keys for a validator and a provider; the administrator authorizes them"
VALIDATOR=$(certme ledger keygen --out var/ledger/validator.key)
PROVIDER=$(certme ledger keygen --out var/ledger/provider.key)
out=$(certme admin authorize-validator "$VALIDATOR"); echo "$out"
expect "authorize validator" "^authorized validator $VALIDATOR" "$out"
out=$(certme admin authorize-provider "$PROVIDER"); echo "$out"
expect "authorize provider" "^authorized service provider $PROVIDER" "$out"
# Only the administrator may do that, and the refusal says why.
if out=$(certme admin authorize-provider "$VALIDATOR" --admin-key var/ledger/validator.key 2>&1); then
  fail "a validator authorized a provider"
fi
expect "refusal" 'NotAuthorized' "$out"

echo "== 3. the user creates a wallet; the validator prepares the enrolment, the user signs it, the eID is issued"
USER_ADDR=$(certme wallet create)
expect "wallet address" '^0x[0-9a-fA-F]{40}$' "$USER_ADDR"
out=$(certme validator enroll --user "$USER_ADDR" --attr first_name=Ion --attr last_name=Popescu \
        --attr idnp=2001234567890 --loa substantial --out enrollment.json)
echo "$out"
expect "enroll" "prepared the enrolment of $USER_ADDR \(level of assurance substantial, 3 attributes" "$out"
# No eID without the user's signature: one made by another wallet is refused.
OTHER_ADDR=$(CERTME_WALLET=var/other-wallet.json certme wallet create)
certme validator enroll --user "$OTHER_ADDR" --attr first_name=Eve --out other-enrollment.json >/dev/null
if out=$(CERTME_WALLET=var/other-wallet.json certme wallet approve-enrolment enrollment.json --out x.sig 2>&1); then
  fail "a wallet signed another user's enrolment"
fi
expect "approve" "this enrolment is for $USER_ADDR, not this wallet" "$out"
CERTME_WALLET=var/other-wallet.json certme wallet approve-enrolment other-enrollment.json --out other.sig >/dev/null 2>&1
if out=$(certme validator issue enrollment.json --consent other.sig 2>&1); then fail "an eID issued without its user's signature"; fi
expect "squat" 'BadSignature' "$out"
out=$(certme wallet approve-enrolment enrollment.json --out enrolment.sig); echo "$out"
expect "approve" "^approved the enrolment by validator $VALIDATOR \(level of assurance substantial\): first_name, last_name, idnp" "$out"
out=$(certme validator issue enrollment.json --consent enrolment.sig); echo "$out"
expect "issue" "issued an eID to $USER_ADDR \(level of assurance substantial, 3 attributes" "$out"
if out=$(certme validator issue enrollment.json --consent enrolment.sig 2>&1); then fail "an enrolment used twice"; fi
expect "issue twice" 'EidExists' "$out"
out=$(certme wallet import enrollment.json 2>&1); echo "$out"
expect "import" 'imported 3 attributes, each matching its commitment on the ledger' "$out"
out=$(certme wallet show); echo "$out"
expect "show" "^eID: +active, level of assurance substantial, validator $VALIDATOR" "$out"
expect "show" '^attribute: idnp = 2001234567890$' "$out"
# The ledger itself holds no personal data, only salted hashes.
if [[ -z "$ANVIL" ]]; then
  if grep -qa -e 2001234567890 -e Popescu var/ledger.db*; then fail "personal data on the ledger"; fi
fi

echo "== 4. the validator service runs"
"$CERTME" validator serve >serve.log 2>&1 &
SERVE_PID=$!

echo "== 5. the user consents; the provider requests validation and checks the answer"
out=$(certme wallet consent --provider "$PROVIDER" --attrs first_name,idnp --out consent.json); echo "$out"
expect "consent" "^consent for $PROVIDER to validate first_name,idnp" "$out"
out=$(certme provider request consent.json --wait 30); echo "$out"
expect "request" '^request 1 opened: validate first_name, idnp' "$out"
expect "answer" "^request 1 answered by validator $VALIDATOR \(level of assurance substantial\)" "$out"
expect "verified" '^verified: idnp = 2001234567890$' "$out"
for _ in $(seq 50); do grep -q '"validation answered"' serve.log && break; sleep 0.1; done
expect "serve log" '"msg":"validation answered".*"request":1' "$(cat serve.log)"
# The same consent cannot be used twice.
if out=$(certme provider request consent.json --wait 5 2>&1); then fail "a consent was used twice"; fi
expect "replay" 'NonceUsed' "$out"
# Data that does not match the commitments is refused.
out=$(certme wallet consent --provider "$PROVIDER" --attrs idnp --out forged.json)
sed -i 's/"2001234567890"/"2009999999999"/' forged.json
if out=$(certme provider request forged.json --wait 30 2>&1); then fail "forged data accepted"; fi
expect "forged" 'CommitmentMismatch' "$out"

echo "== 6. the wallet's history shows who asked for what, and the outcome"
out=$(certme wallet history); echo "$out"
expect "history" "^request 1 .* $PROVIDER asked for first_name, idnp: answered by validator $VALIDATOR" "$out"
expect "history" "^request 2 .* asked for idnp: answered" "$out"

echo "== 6b. the wallet file records its ledger: its commands find it from any directory, with no settings"
nosettings() { (cd / && env $(compgen -e | grep '^CERTME_LEDGER_' | sed 's/^/-u /') "$CERTME" "$@"); }
out=$(nosettings wallet history --wallet "$PWD/var/wallet.json" 2>&1) || fail "history from / without settings: $out"
expect "history from /" "^request 1 .* asked for first_name, idnp: answered" "$out"
# A ledger named on the command line wins over the wallet's record.
if out=$(nosettings wallet history --wallet "$PWD/var/wallet.json" --ledger /nonexistent/ledger.db 2>&1); then
  fail "history used the wallet's record although --ledger named another ledger"
fi
# A wallet that never imported has no record: the error says what to pass.
out=$(nosettings wallet show --wallet "$PWD/var/other-wallet.json" 2>&1)
expect "no record" 'this wallet does not record its ledger.*--config FILE.*--ledger PATH' "$out"

echo "== 7. a request made while the validator service is down is answered when it comes back"
kill "$SERVE_PID"; wait "$SERVE_PID" || fail "validator serve did not stop cleanly on SIGTERM"
SERVE_PID=
out=$(certme wallet consent --provider "$PROVIDER" --attrs last_name --out late.json)
if out=$(certme provider request late.json --wait 1 2>&1); then fail "answered with no validator running"; fi
expect "no validator" 'no answer to validation request 3 in time' "$out"
certme validator serve --once 2>serve-once.log
expect "catch-up" '"msg":"validation answered".*"request":3' "$(cat serve-once.log)"
out=$(certme wallet history); echo "$out"
expect "history" "^request 3 .* asked for last_name: answered" "$out"
"$CERTME" validator serve >>serve.log 2>&1 &
SERVE_PID=$!

echo "== 8. the administrator suspends the eID; requests are refused with the reason"
out=$(certme admin suspend-eid "$USER_ADDR"); echo "$out"
out=$(certme wallet consent --provider "$PROVIDER" --attrs idnp --out consent2.json)
if out=$(certme provider request consent2.json --wait 5 2>&1); then fail "request for a suspended eID"; fi
expect "suspended" 'EidNotActive: the eID is suspended' "$out"

echo "== 9. the whole log verifies"
out=$(certme ledger verify); echo "$out"
if [[ -n "$ANVIL" ]]; then
  expect "verify" "^ok: registry $REGISTRY on chain 31337 answers" "$out"
  out=$(certme ledger events --user "$USER_ADDR"); echo "$out"
  expect "events" "ValidationAnswered request=1 user=$USER_ADDR provider=$PROVIDER validator=$VALIDATOR" "$out"
  expect "events" "EidStatusChanged user=$USER_ADDR .*status=suspended" "$out"
else
  expect "verify" '^ok: [0-9]+ entries verified' "$out"
fi

kill "$SERVE_PID"; wait "$SERVE_PID" || fail "validator serve did not stop cleanly on SIGTERM"
SERVE_PID=

if [[ -z "$ANVIL" ]]; then
  echo "== 10. the ledger's files are private; without its signed anchor the log does not verify until re-anchored"
  for f in var/ledger.db var/ledger.db.head var/ledger.db.head.lock var/ledger/sequencer.key; do
    [[ $(stat -c %a "$f") == 600 ]] || fail "$f is mode $(stat -c %a "$f"), not 600"
  done
  echo "== 10a. a rollback — the newest entry cut from a copy of the log — fails verify and stops the bridge, anchor kept or deleted"
  mkdir attack && cp -a var attack/var
  python3 - attack/var/ledger.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(
    "DROP TRIGGER ledger_entries_no_delete;"
    "DELETE FROM entry_sigs WHERE seq = (SELECT max(seq) FROM ledger_entries);"
    "DELETE FROM ledger_entries WHERE seq = (SELECT max(seq) FROM ledger_entries);")
db.close()
PY
  refused_everywhere() {  # refused_everywhere "what" "pattern": verify fails in one line, `certme idp` does not start
    local out rc=0
    if out=$(cd attack && "$CERTME" ledger verify 2>&1); then fail "$1: verify passed"; fi
    [[ $(wc -l <<<"$out") == 1 ]] || fail "$1: verify: expected one line, got:"$'\n'"$out"
    expect "$1: verify" "$2" "$out"
    out=$(cd attack && CERTME_LOGIN_DEV_LOGIN=false CERTME_LOGIN_WALLET_LOGIN=true CERTME_SERVER_PORT=0 \
            timeout 30 "$CERTME" idp 2>&1) || rc=$?
    ((rc != 0 && rc != 124)) || fail "$1: the bridge started (exit $rc):"$'\n'"$out"
    expect "$1: serve" "$2" "$out"
  }
  refused_everywhere "cut, anchor kept" 'LedgerTruncated'
  rm attack/var/ledger.db.head
  refused_everywhere "cut, anchor deleted" "LedgerUnanchored: the ledger's anchor var/ledger.db.head is missing"
  mv var/ledger.db.head anchor.saved
  if out=$(certme ledger verify 2>&1); then fail "verify passed without the anchor"; fi
  [[ $(wc -l <<<"$out") == 1 ]] || fail "verify without the anchor: expected one line, got:"$'\n'"$out"
  expect "verify without the anchor" "^certme ledger: LedgerUnanchored: the ledger's anchor var/ledger.db.head is missing" "$out"
  if out=$(certme ledger reanchor 2>&1); then fail "reanchor without --yes succeeded"; fi
  expect "reanchor (dry run)" 'reanchor --yes` accepts every entry var/ledger.db holds now' "$out"
  [[ ! -f var/ledger.db.head ]] || fail "reanchor without --yes wrote an anchor"
  chmod 644 var/ledger.db   # as an earlier version left it
  out=$(certme ledger reanchor --yes); echo "$out"
  expect "reanchor" '^accepted: [0-9]+ entries, newest ' "$out"
  expect "reanchor" '^private:  var/ledger.db was mode 644, now 600' "$out"
  [[ $(stat -c %a var/ledger.db) == 600 ]] || fail "reanchor left var/ledger.db readable by others"
  expect "reanchor" 'replaced: the previous anchor, none \(missing\)' "$out"
  out=$(certme ledger verify); echo "$out"
  expect "verify after reanchor" '^ok: [0-9]+ entries verified' "$out"
fi
echo "walkthrough: all steps passed"
