#!/usr/bin/env bash
# Journeys through the `certme` commands for the registry's trust rules
# (docs/ledger.md §2): the administrator's key handed over in two steps;
# a validator removed, its user moved to another validator and re-attested,
# logins working again with the consent signed before; and, on the EVM
# backend, a version 1 registry migrated with `certme ledger migrate` and a
# login on the new one. Usage: ledger_journeys.sh PATH/TO/certme [PATH/TO/anvil]
set -euo pipefail

CERTME=$(realpath "$1")
ANVIL=${2:-}
HERE=$(dirname "$(realpath "$0")")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-journeys-XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
unset CERTME_CONFIG
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'

fail() {
  echo "journeys: FAILED: $*" >&2
  for f in serve*.log; do [[ -f $f ]] && { echo "--- $f:" >&2; cat "$f" >&2; }; done
  exit 1
}
expect() {  # expect "what" "pattern" "text"
  grep -qE -- "$2" <<<"$3" || fail "$1: expected /$2/ in:"$'\n'"$3"
}
refused() {  # refused "what" "ErrorName" command…: the command fails naming the error
  local what=$1 name=$2 out
  shift 2
  if out=$("$@" 2>&1); then fail "$what: succeeded"; fi
  expect "$what" "$name" "$out"
}
certme() { "$CERTME" "$@"; }

if [[ -n "$ANVIL" ]]; then
  [[ -x "$ANVIL" ]] || fail "anvil not found at $ANVIL (scripts/deps installs it)"
  "$ANVIL" --host 127.0.0.1 --port 0 --base-fee 0 --gas-price 0 --accounts 1 >anvil.log 2>&1 &
  PIDS+=($!)
  for _ in $(seq 600); do grep -q 'Listening on' anvil.log && break; sleep 0.1; done
  PORT=$(grep -oE 'Listening on 127\.0\.0\.1:[0-9]+' anvil.log | grep -oE '[0-9]+$') || fail "anvil did not start"
  export CERTME_LEDGER_BACKEND=evm CERTME_LEDGER_EVM_RPC_URL="http://127.0.0.1:$PORT"
  export CERTME_LEDGER_EVM_PRIORITY_FEE_WEI=0 CERTME_LEDGER_EVM_POLL_INTERVAL_MS=50
  REGISTRY=$(certme ledger deploy 2>deploy.log) || fail "deploy: $(cat deploy.log)"
  export CERTME_LEDGER_REGISTRY_ADDRESS=$REGISTRY
else
  certme ledger init >/dev/null
fi
ADMIN=$(certme ledger info | sed -n 's/^admin: *//p')
V1=$(certme ledger keygen --out var/ledger/validator.key)
V2=$(certme ledger keygen --out var/ledger/validator2.key)
PROVIDER=$(certme ledger keygen --out var/ledger/provider.key)
certme admin authorize-validator "$V1" >/dev/null
certme admin authorize-validator "$V2" >/dev/null
certme admin authorize-provider "$PROVIDER" >/dev/null

echo "== 1. the administrator's key is handed over in two steps"
NEXT=$(certme ledger keygen --out admin-next.key)
OUTSIDER=$(certme ledger keygen --out outsider.key)
refused "accept with nothing proposed" 'NotAuthorized' certme admin accept-admin --admin-key admin-next.key
out=$(certme admin propose-admin "$NEXT"); echo "$out"
expect "propose" "^proposed $NEXT as the next administrator" "$out"
out=$(certme ledger info); echo "$out"
expect "info" "^admin: +$ADMIN" "$out"
expect "info" "^proposed: +$NEXT \(not yet accepted\)" "$out"
refused "an outsider accepts" 'NotAuthorized' certme admin accept-admin --admin-key outsider.key
refused "an outsider proposes" 'NotAuthorized' certme admin propose-admin "$OUTSIDER" --admin-key outsider.key
out=$(certme admin accept-admin --admin-key admin-next.key); echo "$out"
expect "accept" "^$NEXT is now the administrator" "$out"
expect "info" "^admin: +$NEXT" "$(certme ledger info)"
refused "the previous administrator" 'NotAuthorized' certme admin authorize-provider "$OUTSIDER"
out=$(certme ledger events); echo "$out" | grep -E 'Admin' || true
expect "events" "AdminTransferProposed .*proposed=$NEXT by=$ADMIN" "$out"
expect "events" "AdminTransferred .*admin=$NEXT" "$out"
# ...and hands it back, cancelling a proposal on the way.
certme admin propose-admin "$OUTSIDER" --admin-key admin-next.key >/dev/null
out=$(certme admin cancel-admin-proposal --admin-key admin-next.key); echo "$out"
expect "cancel" '^cancelled the administrator proposal' "$out"
refused "a cancelled proposal" 'NotAuthorized' certme admin accept-admin --admin-key outsider.key
certme admin propose-admin "$ADMIN" --admin-key admin-next.key >/dev/null
certme admin accept-admin >/dev/null
expect "info" "^admin: +$ADMIN" "$(certme ledger info)"

echo "== 2. a user enrolled (with their signature) by validator 1"
USER_ADDR=$(certme wallet create 2>/dev/null)
certme validator enroll --user "$USER_ADDR" --attr first_name=Ion --attr idnp=2001234567890 --out enrollment.json >/dev/null
certme wallet approve-enrolment enrollment.json --out enrolment.sig >/dev/null 2>&1
certme validator issue enrollment.json --consent enrolment.sig >/dev/null
certme wallet import enrollment.json >/dev/null 2>&1

echo "== 3. validator 1 is removed: requests are refused before they use the consent"
certme admin deauthorize-validator "$V1" >/dev/null
certme wallet consent --provider "$PROVIDER" --attrs first_name,idnp --out consent.json >/dev/null
refused "request for a stranded user" 'ValidatorNotAuthorized' certme provider request consent.json --wait 1

echo "== 4. the administrator moves the eID to validator 2; it waits for re-attestation"
refused "move by a validator" 'NotAuthorized' certme admin move-eid "$USER_ADDR" "$V2" --admin-key var/ledger/validator2.key
refused "move to a removed validator" 'ValidatorNotAuthorized' certme admin move-eid "$USER_ADDR" "$V1"
out=$(certme admin move-eid "$USER_ADDR" "$V2"); echo "$out"
expect "move" "^moved the eID of $USER_ADDR to validator $V2" "$out"
expect "show" '^eID: +moved' "$(certme wallet show)"
refused "request for a moved eID" 'EidNotActive: the eID is moved' certme provider request consent.json --wait 1
refused "re-attest by the old validator" 'NotAuthorized' \
  certme validator reattest "$USER_ADDR" --attr first_name=Ion --out x.json
out=$(certme validator reattest "$USER_ADDR" --attr first_name=Ion --attr idnp=2001234567890 --loa high \
        --key var/ledger/validator2.key --out reattest.json); echo "$out"
expect "reattest" "^re-attested the eID of $USER_ADDR \(level of assurance high, 2 attributes" "$out"
out=$(certme wallet import reattest.json 2>&1); echo "$out"
expect "import" 'imported 2 attributes, each matching its commitment on the ledger' "$out"
expect "show" "^eID: +active, level of assurance high, validator $V2" "$(certme wallet show)"

echo "== 5. logins work again, answered by validator 2"
"$CERTME" validator serve --key var/ledger/validator2.key >serve2.log 2>&1 &
PIDS+=($!)
# The old presentation carries the old salts: the provider's check refuses
# its values against the re-attested commitments (the ledger accepted it).
refused "old salts" 'CommitmentMismatch' certme provider request consent.json --wait 30
certme wallet consent --provider "$PROVIDER" --attrs first_name,idnp --out consent-new.json >/dev/null
out=$(certme provider request consent-new.json --wait 30); echo "$out"
expect "answer" "answered by validator $V2 \(level of assurance high\)" "$out"
expect "verified" '^verified: idnp = 2001234567890$' "$out"

if [[ -n "$ANVIL" ]]; then
  echo "== 6. a version 1 registry is migrated with certme ledger migrate; logins work on the new one"
  [[ -d "$HERE/../../conformance/wallet/node_modules/ethers" ]] || fail "ethers not installed (scripts/deps)"
  USER3=$(CERTME_WALLET=var/wallet3.json certme wallet create 2>/dev/null)
  read -r OLD OLD_BLOCK < <(node "$HERE/v1_registry.mjs" "$CERTME_LEDGER_EVM_RPC_URL" var/ledger/admin.key \
                              var/ledger/validator2.key "$PROVIDER" "$USER3" v1-enrollment.json)
  expect "v1" '^0x[0-9a-fA-F]{40}$' "$OLD"
  refused "the current client on v1" 'certme ledger migrate' \
    env CERTME_LEDGER_REGISTRY_ADDRESS="$OLD" "$CERTME" ledger info
  refused "migrate with another key" 'administrator' \
    certme ledger migrate --from "$OLD" --from-block "$OLD_BLOCK" --admin-key outsider.key
  NEW=$(certme ledger migrate --from "$OLD" --from-block "$OLD_BLOCK" 2>migrate.log) || fail "migrate: $(cat migrate.log)"
  cat migrate.log
  expect "migrate" "roles of 2 accounts and 1 eIDs imported, migration window closed" "$(cat migrate.log)"
  export CERTME_LEDGER_REGISTRY_ADDRESS=$NEW
  python3 - "$NEW" <<'PY'
import json, sys
f = 'v1-enrollment.json'
d = json.load(open(f)); d['registry'] = sys.argv[1]
json.dump(d, open(f, 'w'), indent=2)
PY
  out=$(CERTME_WALLET=var/wallet3.json certme wallet import v1-enrollment.json 2>&1); echo "$out"
  expect "import" 'imported 2 attributes, each matching its commitment on the ledger' "$out"
  out=$(certme ledger events --user "$USER3"); echo "$out"
  expect "events" "EidImported user=$USER3 validator=$V2 status=active loa=substantial" "$out"
  "$CERTME" validator serve --key var/ledger/validator2.key >serve3.log 2>&1 &
  PIDS+=($!)
  CERTME_WALLET=var/wallet3.json certme wallet consent --provider "$PROVIDER" --attrs idnp --out consent3.json >/dev/null
  out=$(certme provider request consent3.json --wait 30); echo "$out"
  expect "answer on v2" "answered by validator $V2 \(level of assurance substantial\)" "$out"
fi
echo "journeys: all steps passed"
