#!/usr/bin/env bash
# Wallet login against the real server: a fresh ledger, the validator
# service, `certme idp` with login.wallet_login, an OpenID Connect
# authorization request followed like a browser (curl with a cookie jar),
# and two wallets answering the QR link: `certme wallet approve` (the
# reference wallet) and login.mjs (npm ethers + eciesjs only). Checks the
# browser reaches the client's redirect_uri with a code, acr_values above the
# eID's enrolled level ends in unmet_authentication_requirements, a refusal
# ends in access_denied, and no attribute value is left in the bridge's store.
# Usage: login_e2e.sh PATH/TO/certme PATH/TO/node [PATH/TO/anvil]
# With anvil, the registry is the CertMeRegistry contract on a local chain
# (free port, no fees) deployed with `certme ledger deploy`.
set -euo pipefail
CERTME=$(realpath "$1")
NODE=${2:-node}
ANVIL=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/e2e.sh
source "$HERE/../lib/e2e.sh"
e2e_workdir wallet-login
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'

# Ledger, roles, two users (reference wallet and npm wallet), enrolled.
e2e_ledger "$ANVIL"
e2e_roles
ATTRS=(--attr first_name=Ion --attr last_name=Popescu --attr birth_date=1985-04-12 --attr gender=1
       --attr language=ro --attr email=ion.popescu@example.md --attr idnp=2001234567890)
e2e_enrolled_user "${ATTRS[@]}"
e2e_npm_user "${ATTRS[@]}"
"$CERTME" validator serve >serve.log 2>&1 &
SERVE_PID=$!
PIDS+=($SERVE_PID)

cat >clients.yaml <<EOF
clients:
  - client_id: wallet-rp
    client_secret: wallet-rp-secret-0123456789abcdef0123456789
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    redirect_uris: ["http://127.0.0.1:9/callback"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name, birth_date, gender, language]
EOF
e2e_wallet_bridge

# One browser journey: authorize → login page; $1 answers the QR link.
journey() {  # journey NAME WALLET-COMMAND… ; sets LOCATION
  local name=$1; shift
  rm -f jar
  local auth="$BASE/authorize?response_type=code&client_id=wallet-rp&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid%20profile&state=s-$name&nonce=n-$name&ui_locales=en${EXTRA:-}"
  curl -s -c jar -b jar -L -o page.html "$auth" || fail "$name: authorize"
  grep -q 'Sign in with certME' page.html || fail "$name: no login page: $(head -c 400 page.html)"
  grep -q 'aria-label="QR code"' page.html || fail "$name: no QR code"
  local link txn
  link=$(grep -o 'href="[^"]*/wallet/v1/l/[A-Za-z0-9_-]*"' page.html | sed -n 1p | sed 's/^href="//; s/"$//')
  txn=$(grep -o 'name="txn" value="[^"]*"' page.html | sed -n 1p | sed 's/.*value="//; s/"$//')
  [[ -n $link && -n $txn ]] || fail "$name: no deep link or txn on the page"
  "$@" "$link" || fail "$name: the wallet's answer was refused"
  LOCATION=$(curl -s -c jar -b jar -o next.html -w '%{http_code} %{redirect_url}' "$BASE/login/wallet/continue?txn=$txn")
  # Follow the bridge's own redirects (resume) until it leaves the bridge.
  while [[ $LOCATION == 30?\ $BASE* ]]; do
    LOCATION=$(curl -s -c jar -b jar -o next.html -w '%{http_code} %{redirect_url}' "${LOCATION#* }")
  done
}

# The reference wallet reads the QR code from a PNG of the page (zbarimg).
approve_from_png() {  # the link argument is ignored: the QR code is the input
  python3 "$HERE/qr_png.py" page.html qr.png && "$CERTME" wallet approve qr.png --yes
}
journey reference approve_from_png
[[ $LOCATION == 30?\ http://127.0.0.1:9/callback\?code=*state=s-reference* ]] || fail "reference wallet: ended at $LOCATION"
echo "reference wallet (certme wallet approve): logged in → ${LOCATION#* }"
grep -q 'validation answered' serve.log || fail "the validator answered nothing"

journey npm "$NODE" "$HERE/login.mjs" --key "$NPM_KEY" --enrollment npm-enrollment.json --link
[[ $LOCATION == 30?\ http://127.0.0.1:9/callback\?code=*state=s-npm* ]] || fail "npm wallet: ended at $LOCATION"
echo "npm wallet (ethers + eciesjs): logged in → ${LOCATION#* }"

# Re-authentication with the same attributes needs no validator.
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
journey again "$NODE" "$HERE/login.mjs" --key "$NPM_KEY" --enrollment npm-enrollment.json --link
[[ $LOCATION == 30?\ http://127.0.0.1:9/callback\?code=* ]] || fail "re-authentication: ended at $LOCATION"
echo "re-authentication without the validator: → ${LOCATION#* }"

# A level the eID cannot meet (OIDC Core §3.1.2.1): acr_values high for an
# eID enrolled at substantial ends at the client with
# unmet_authentication_requirements after the wallet's answer, never a code.
EXTRA="&acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Fhigh" \
  journey high "$NODE" "$HERE/login.mjs" --key "$NPM_KEY" --enrollment npm-enrollment.json --link
[[ $LOCATION == 30?\ http://127.0.0.1:9/callback\?*error=unmet_authentication_requirements*state=s-high* ||
   $LOCATION == 30?\ http://127.0.0.1:9/callback\?*state=s-high*error=unmet_authentication_requirements* ]] ||
  fail "acr_values high for a substantial eID: ended at $LOCATION"
[[ $LOCATION != *code=* ]] || fail "acr_values high for a substantial eID: a code was issued: $LOCATION"
echo "acr_values above the eID's level: → ${LOCATION#* }"

# A revoked eID: the wallet's answer is refused and the page says why.
certme admin revoke-eid "$NPM_ADDR" >/dev/null
refused_wallet() { ! "$NODE" "$HERE/login.mjs" --key "$NPM_KEY" --enrollment npm-enrollment.json --link "$1"; }
journey revoked refused_wallet
grep -q 'Your eID is revoked.' next.html || fail "revoked eID page: $(head -c 400 next.html)"
echo "revoked eID: page says so"

# Refusal: the page says so and its link ends the flow with access_denied.
journey refuse "$CERTME" wallet approve --refuse
grep -q 'You refused to sign in.' next.html || fail "refusal page: $(head -c 400 next.html)"
back=$(grep -o 'id="back" href="[^"]*"' next.html | sed 's/.*href="//; s/"$//; s/&amp;/\&/g')
LOCATION=$(curl -s -c jar -b jar -o /dev/null -w '%{http_code} %{redirect_url}' "$back")
[[ $LOCATION == *error=access_denied* ]] || fail "refusal: ended at $LOCATION"
echo "refusal: → ${LOCATION#* }"

# No attribute value in the login's records (wallet_*, login_*). The OIDC
# provider's session and unredeemed codes carry the released claims for
# their own lifetime; that is the session, not the login.
left=$(python3 - <<'PY'
import sqlite3
db = sqlite3.connect("idp.db")
rows = db.execute("select cast(ns as text), value from kv").fetchall()
print(sum(1 for ns, v in rows if (ns.startswith("wallet_") or ns.startswith("login_"))
          and any(x in bytes(v) for x in (b"Popescu", b"1985-04-12"))))
PY
)
[[ $left == 0 ]] || fail "attribute values left in $left login records"
echo "login_e2e: OK"
