#!/usr/bin/env bash
# The device authorization grant (RFC 8628) against the real server with
# the certME wallet login: a fresh embedded ledger, the validator service,
# an enrolled user in the reference wallet, `certme idp` with
# login.wallet_login and a device client, then device_flow.mjs
# (openid-client 6) with `certme wallet approve` answering: approve,
# refuse, slow_down, expire (device codes live 30 s here).
# Usage: device_e2e.sh PATH/TO/certme PATH/TO/node
set -euo pipefail
CERTME=$(realpath "$1")
NODE=${2:-node}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/e2e.sh
source "$HERE/../lib/e2e.sh"
e2e_workdir device
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'

certme ledger init >/dev/null
e2e_roles
e2e_enrolled_user --attr first_name=Ion --attr last_name=Popescu --attr birth_date=1985-04-12 \
  --attr gender=1 --attr language=ro
"$CERTME" validator serve >serve.log 2>&1 &
PIDS+=($!)

SECRET=device-rp-secret-0123456789abcdef0123456789
cat >clients.yaml <<EOF
clients:
  - client_id: device-rp
    client_secret: $SECRET
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code", refresh_token]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name, birth_date, gender, language]
EOF
e2e_wallet_bridge CERTME_OIDC_DEVICE_CODE_TTL_SECONDS=30

"$NODE" "$HERE/device_flow.mjs" --base "$BASE" --certme "$CERTME" --client device-rp --secret "$SECRET" ||
  fail "device flow cases"
echo "device_e2e: OK"
