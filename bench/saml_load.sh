#!/usr/bin/env bash
# The SAML IdP end to end (bench/README.md, docs/PERFORMANCE.md "SAML"):
# starts `certme idp` (development mode, development login, access log off)
# on a free 127.0.0.1 port for each store configuration, registers two
# services — `plain` (the Response signed, MPass default) and `encrypted`
# (the Assertion signed, then encrypted: AES-256-GCM + RSA-OAEP, then the
# Response signed) — runs saml_load against each, stops the server, and
# prints this machine's RSA-2048 signing limit for one core measured in the
# same run (`openssl speed`): a plain flow costs the IdP one RSA-2048
# signature, an encrypted one two.
#
# Knobs (environment): DURATION (8), WARMUP (2), WORKERS, THREADS (server
# threads, default nproc), BACKENDS ("memory sqlite"), BUILD_DIR (build),
# SKIP_BUILD=1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
duration="${DURATION:-8}"
warmup="${WARMUP:-2}"
backends="${BACKENDS:-memory sqlite}"
threads="${THREADS:-$(nproc)}"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
  ninja -C "$build" -j"${JOBS:-2}" certme saml_load >&2
fi
certme="$build/certme"
load="$build/bench/saml_load"
for bin in "$certme" "$load"; do
  [[ -x "$bin" ]] || { echo "saml_load.sh: missing $bin (build failed?)" >&2; exit 1; }
done

tmp="$(mktemp -d -t bench-saml.XXXXXX)"
server_pid=""
stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj /CN=bench-sp \
  -keyout "$tmp/sp.key" -out "$tmp/sp.crt" 2>/dev/null
cat >"$tmp/services.yaml" <<YAML
services:
  - entity_id: https://plain.bench.example/metadata
    names: {ro: plain, ru: plain, en: plain}
    acs_urls: [https://plain.bench.example/acs]
    certificate_file: sp.crt
    attributes: [idnp, first_name, last_name, birth_date, gender, email]
  - entity_id: https://encrypted.bench.example/metadata
    names: {ro: encrypted, ru: encrypted, en: encrypted}
    acs_urls: [https://encrypted.bench.example/acs]
    certificate_file: sp.crt
    attributes: [idnp, first_name, last_name, birth_date, gender, email]
    sign_assertion: true
    encrypt_assertion: true
YAML

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for backend in $backends; do
  case "$backend" in
    memory) store=memory ;;
    sqlite) store=sqlite ;;
    *) echo "saml_load.sh: unknown backend $backend" >&2; exit 1 ;;
  esac
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  (
    cd "$tmp"
    export CERTME_SERVER_PORT="$port" CERTME_SERVER_PUBLIC_URL="$url" CERTME_SERVER_THREADS="$threads"
    export CERTME_STORE_BACKEND="$store" CERTME_STORE_SQLITE_PATH="$tmp/bench-$backend.db"
    export CERTME_OIDC_CLAIMS_FILE="$root/config/claims.yaml" CERTME_KEYS_DEV_KEY_DIR="$tmp/dev-keys"
    export CERTME_LOGIN_DEV_LOGIN=true CERTME_SAML_DEV_SERVICES_FILE="$tmp/services.yaml"
    export CERTME_LOGGING_ACCESS_LOG=false CERTME_LOGGING_LEVEL=warn
    exec "$certme" idp
  ) >"$tmp/server-$backend.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 150); do
    curl -fsS -o /dev/null --max-time 1 "$url/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$tmp/server-$backend.log" >&2; exit 1; }
    sleep 0.1
  done
  for svc in plain encrypted; do
    args=(--url "$url" --key "$tmp/sp.key" --idp-cert "$tmp/dev-keys/saml-idp-cert.pem"
          --entity-id "https://$svc.bench.example/metadata" --acs "https://$svc.bench.example/acs"
          --server-pid "$server_pid" --duration "$duration" --warmup "$warmup" --label "$backend/$svc")
    [[ -n "${WORKERS:-}" ]] && args+=(--workers "$WORKERS")
    "$load" "${args[@]}" || echo "saml_load.sh: $backend/$svc had errors" >&2
  done
  stop_server
done

echo "RSA-2048 signing limit, one core (openssl speed, same run):"
openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048/ {printf "  %s signs/s, %s verifies/s\n", $(NF-1), $NF}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
