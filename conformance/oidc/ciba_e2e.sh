#!/usr/bin/env bash
# CIBA (poll and ping) against the real server with the certME wallet login
# and its wallet inbox: a fresh ledger (embedded, or the CertMeRegistry
# contract on anvil when its path is given), the validator service, two
# users (the reference wallet and the npm-only wallet), `certme idp` with
# login.wallet_login and two CIBA clients (poll, ping), then ciba_flow.mjs
# (openid-client 6) with `certme wallet inbox` and wallet/inbox.mjs answering.
# Usage: ciba_e2e.sh PATH/TO/certme PATH/TO/node [PATH/TO/anvil]
set -euo pipefail
CERTME=$(realpath "$1")
NODE=${2:-node}
ANVIL=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/e2e.sh
source "$HERE/../lib/e2e.sh"
e2e_workdir ciba
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'

e2e_ledger "$ANVIL"
e2e_roles
ATTRS=(--attr first_name=Ion --attr last_name=Popescu --attr birth_date=1985-04-12 --attr gender=1 --attr language=ro)
e2e_enrolled_user "${ATTRS[@]}"
e2e_npm_user "${ATTRS[@]}"
"$CERTME" validator serve >serve.log 2>&1 &
PIDS+=($!)

PING_PORT=$(e2e_free_port)
SECRET=ciba-rp-secret-0123456789abcdef0123456789
cat >clients.yaml <<EOF2
clients:
  - client_id: ciba-poll
    client_secret: $SECRET
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "urn:openid:params:grant-type:ciba"]
    backchannel_token_delivery_mode: poll
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name, birth_date, gender, language]
  - client_id: ciba-ping
    client_secret: $SECRET
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "urn:openid:params:grant-type:ciba"]
    backchannel_token_delivery_mode: ping
    backchannel_client_notification_endpoint: http://127.0.0.1:$PING_PORT/ciba
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name, birth_date, gender, language]
EOF2
e2e_wallet_bridge

"$NODE" "$HERE/ciba_flow.mjs" --base "$BASE" --certme "$CERTME" --secret "$SECRET" --npm-key "$NPM_KEY" \
  --npm-enrollment "$WORK/npm-enrollment.json" --ping-port "$PING_PORT" || fail "CIBA cases"
echo "ciba_e2e: OK"
