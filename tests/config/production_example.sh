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
source "$src/tests/config/production_files.sh"
fail() { echo "production_example: FAILED: $*" >&2; [[ -f "$root/idp.log" ]] && tail -n 20 "$root/idp.log" >&2; exit 1; }

etc="$root/etc/certme"
mkdir -p "$etc" "$root/var/lib/certme"
conf="$etc/certme.yaml"
move_under_root "$src/config/production.example.yaml" "$root" "$conf"
grep -q '"/etc/\|"/var/' "$conf" && fail "a path of the example was not moved under the test root"

# The files the example names.
make_production_files "$certme" "$etc" "$conf" || fail "certme ledger init refused the example"

out=$("$certme" config check "$conf" 2>&1) || fail "config check refused the example: $out"
[[ "$out" == "$conf: ok" ]] || fail "config check said: $out"

# Started from another directory: nothing may depend on the checkout.
port=$(free_port)
(cd "$root" && CERTME_SERVER_PORT=$port exec "$certme" idp --config "$conf" >"$root/idp.log" 2>&1) &
pid=$!
ready=$(wait_ready "$port" "$pid") || fail "certme idp exited at start"
[[ "$ready" == *'"ready"'* ]] || fail "/readyz did not answer ready: $ready"
disc=$(curl -fsS "http://127.0.0.1:$port/.well-known/openid-configuration")
[[ "$disc" == *'"issuer":"https://login.example.md"'* ]] || fail "discovery does not name the public URL: $disc"
curl -fsS "http://127.0.0.1:$port/saml/metadata" | grep "login.example.md" >/dev/null || fail "no SAML metadata"

# The reference file documents every default; it is not a production setup.
if ref=$("$certme" config check "$src/config/certme.yaml" 2>&1); then
  fail "config check accepted the reference file outside dev mode"
fi
[[ "$ref" == *"keys.signing"* && "$ref" == *"pairwise salt"* ]] || fail "unexpected refusal of the reference: $ref"
head -n 20 "$src/config/certme.yaml" | grep "production.example.yaml" >/dev/null \
  || fail "the reference file does not point to the production example"
echo "production_example: OK"
