#!/usr/bin/env bash
# config/production.example.yaml is a configuration that works: its paths
# moved under a temporary root, the files it names made the way its comments
# and docs/operations say (openssl, `certme ledger init`, `certme ledger
# keygen`), `certme config check` accepts it and `certme idp` started from
# another directory answers /readyz. The reference file config/certme.yaml is
# refused by the check outside dev mode, with the reasons it names.
# Usage: production_example.sh PATH/TO/certme
set -euo pipefail
certme=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
root=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$root"
}
trap cleanup EXIT
fail() { echo "production_example: FAILED: $*" >&2; [[ -f "$root/idp.log" ]] && tail -n 20 "$root/idp.log" >&2; exit 1; }

etc="$root/etc/certme"
mkdir -p "$etc/keys" "$etc/ledger" "$root/var/lib/certme"
conf="$etc/certme.yaml"
sed -e "s#\"/etc/certme#\"$etc#g" -e "s#\"/var/lib/certme#\"$root/var/lib/certme#g" \
  "$src/config/production.example.yaml" >"$conf"
grep -q '"/etc/\|"/var/' "$conf" && fail "a path of the example was not moved under the test root"

# The files the example names.
umask 077
openssl rand -base64 48 >"$etc/pairwise-salt"
openssl ecparam -name prime256v1 -genkey -noout -out "$etc/keys/signing-2027-01.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$etc/keys/signing-2027-01-rsa.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$etc/keys/saml.pem" -out "$etc/keys/saml.crt" \
  -days 365 -subj /CN=login.example.md 2>/dev/null
openssl rand -hex 32 >"$etc/ledger/provider-kek"
"$certme" ledger init --config "$conf" --admin-key "$etc/ledger/admin.key" >/dev/null \
  || fail "certme ledger init refused the example"
"$certme" ledger keygen --out "$etc/ledger/validator.key" >/dev/null

out=$("$certme" config check "$conf" 2>&1) || fail "config check refused the example: $out"
[[ "$out" == "$conf: ok" ]] || fail "config check said: $out"

# Started from another directory: nothing may depend on the checkout.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$root" && CERTME_SERVER_PORT=$port exec "$certme" idp --config "$conf" >"$root/idp.log" 2>&1) &
pid=$!
ready=""
for _ in $(seq 1 100); do
  if ready=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null); then break; fi
  kill -0 "$pid" 2>/dev/null || fail "certme idp exited at start"
  sleep 0.1
done
[[ "$ready" == *'"ready"'* ]] || fail "/readyz did not answer ready: $ready"
disc=$(curl -fsS "http://127.0.0.1:$port/.well-known/openid-configuration")
[[ "$disc" == *'"issuer":"https://login.example.md"'* ]] || fail "discovery does not name the public URL: $disc"
curl -fsS "http://127.0.0.1:$port/saml/metadata" | grep -q "login.example.md" || fail "no SAML metadata"

# The reference file documents every default; it is not a production setup.
if ref=$("$certme" config check "$src/config/certme.yaml" 2>&1); then
  fail "config check accepted the reference file outside dev mode"
fi
[[ "$ref" == *"keys.signing"* && "$ref" == *"pairwise salt"* ]] || fail "unexpected refusal of the reference: $ref"
head -n 20 "$src/config/certme.yaml" | grep -q "production.example.yaml" \
  || fail "the reference file does not point to the production example"
echo "production_example: OK"
