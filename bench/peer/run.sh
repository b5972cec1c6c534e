#!/usr/bin/env bash
# The bridge and node-oidc-provider measured side by side, in one run on one
# machine (bench/README.md, "Against node-oidc-provider"). Run it as
# scripts/bench-peer.
#
# Installs the pinned oidc-provider (bench/peer/package-lock.json) into
# bench/peer/node_modules, builds `certme` and `oidc_load`, then, for each
# round, measures `openssl speed` on the server's core and runs, one after
# the other, each server pinned to SERVER_CORE with the load generator on
# LOAD_CORE:
#   bridge-memory       certme idp, memory store, development login
#   bridge-sqlite       certme idp, sqlite store (the default: every commit fsynced)
#   node-oidc-provider  bench/peer/provider.mjs (its memory adapter, same
#                       clients, a development login for the same user)
# with the same scenarios, concurrency and durations (oidc_load, the same
# binary for all): the full code flow with ES256 and RS256 ID tokens, a
# refresh, client_credentials, discovery, JWKS. The server's CPU time comes
# from /proc/PID/stat at both ends of each measured window. Rounds alternate
# the order of the servers. At the end bench/peer/report.py prints the
# tables; the raw results stay in OUT.
#
# Knobs (environment):
#   BUILD_DIR     build directory (default: build, under the repository)
#   SKIP_BUILD    1 = use the binaries already in BUILD_DIR
#   JOBS          parallel compile jobs (default: 2)
#   DURATION      measured seconds per scenario (default: 10, max 60)
#   WARMUP        unmeasured seconds before each (default: 2)
#   SERVER_WARMUP unmeasured seconds of ES256 and of RS256 flows after each
#                 server start (default: 5; node's JIT needs them: its first
#                 seconds cost twice the CPU per flow of later ones)
#   WORKERS       concurrent clients, one keep-alive connection each (default: 32)
#   ROUNDS        how many times every server runs every scenario (default: 1)
#   SERVERS       default "bridge-memory bridge-sqlite node-oidc-provider"
#   SCENARIOS     default "flow-ES256 flow-RS256 refresh client_credentials discovery jwks"
#   SERVER_CORE   CPU the servers are pinned to (default: 1)
#   LOAD_CORE     CPU the load generator is pinned to (default: 0)
#   THREADS_MEMORY  bridge server threads with the memory store (default: 1,
#                 its automatic value for one core)
#   THREADS_SQLITE  bridge server threads with sqlite (default: 8, its
#                 automatic value for one core with fsync)
#   OUT           directory for results.jsonl and the server logs
#                 (default: var/bench-peer/<UTC time>, under the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peer_dir="$root/bench/peer"
build="${BUILD_DIR:-$root/build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
duration="${DURATION:-10}"
warmup="${WARMUP:-2}"
server_warmup="${SERVER_WARMUP:-5}"
workers="${WORKERS:-32}"
rounds="${ROUNDS:-1}"
servers="${SERVERS:-bridge-memory bridge-sqlite node-oidc-provider}"
scenarios="${SCENARIOS:-flow-ES256 flow-RS256 refresh client_credentials discovery jwks}"
server_core="${SERVER_CORE:-1}"
load_core="${LOAD_CORE:-0}"
threads_memory="${THREADS_MEMORY:-1}"
threads_sqlite="${THREADS_SQLITE:-8}"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
out="${OUT:-$root/var/bench-peer/$(date -u +%Y%m%dT%H%M%SZ)}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

die() { echo "bench-peer: $*" >&2; exit 1; }
[[ "$rounds" =~ ^[1-9][0-9]?$ ]] || die "ROUNDS must be 1-99"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive number"
for tool in taskset node npm python3 curl openssl; do
  command -v "$tool" >/dev/null || die "needs $tool on PATH"
done
for core in "$server_core" "$load_core"; do
  [[ "$core" =~ ^[0-9]+$ ]] && taskset -c "$core" true 2>/dev/null ||
    die "cannot pin to CPU $core (SERVER_CORE / LOAD_CORE; this machine has $(nproc) CPUs)"
done
[[ "$server_core" != "$load_core" ]] ||
  echo "bench-peer: warning: server and load generator share CPU $server_core" >&2

# The peer, pinned by package-lock.json, in the git-ignored node_modules.
want="$(node -p "require('$peer_dir/package.json').dependencies['oidc-provider']")"
have="$(node -p "require('$peer_dir/node_modules/oidc-provider/package.json').version" 2>/dev/null || true)"
if [[ "$have" != "$want" ]]; then
  echo "== installing oidc-provider $want into bench/peer/node_modules" >&2
  (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci failed"
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  echo "== building certme and oidc_load in $build" >&2
  # A configured build directory keeps its build type; a new one is Release.
  [[ -f "$build/CMakeCache.txt" ]] ||
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" -j"${JOBS:-2}" certme oidc_load >&2
fi
certme="$build/certme"
load="$build/bench/oidc_load/oidc_load"
for bin in "$certme" "$load"; do
  [[ -x "$bin" ]] || die "missing binary $bin (build failed? SKIP_BUILD=1 needs a built BUILD_DIR)"
done
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)"

mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
tmp="$(mktemp -d -t bench-peer.XXXXXX)"
server_pid=""
stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "bench-peer: server did not stop on SIGTERM within 10 s; killing it" >&2
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bridge's two benchmark clients, as scripts/bench-oidc registers them;
# provider.mjs registers the same two at the peer.
redirect="http://127.0.0.1/bench/callback"
cat >"$tmp/clients.yaml" <<EOF
clients:
  - client_id: bench-rs256
    client_secret: bench-rs256-secret
    redirect_uris: [$redirect]
    grant_types: [authorization_code, refresh_token, client_credentials]
    token_endpoint_auth_method: client_secret_basic
    id_token_signed_response_alg: RS256
    subject_type: public
    scopes: [openid, profile, email, phone]
  - client_id: bench-es256
    client_secret: bench-es256-secret
    redirect_uris: [$redirect]
    grant_types: [authorization_code, refresh_token, client_credentials]
    token_endpoint_auth_method: client_secret_basic
    id_token_signed_response_alg: ES256
    subject_type: public
    scopes: [openid, profile, email, phone]
EOF

json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
loadavg() {  # $1 round, $2 server, $3 start|end
  printf '{"kind":"loadavg","round":%d,"server":"%s","when":"%s","load1":%s}\n' \
    "$1" "$2" "$3" "$(cut -d' ' -f1 /proc/loadavg)" >>"$results"
}

start_server() {  # $1 = server name; sets server_pid and url
  local name="$1" port log="$out/server-$1.log"
  port="$("$load" --free-port)"
  url="http://127.0.0.1:$port"
  case "$name" in
    bridge-memory|bridge-sqlite)
      local store="${name#bridge-}" threads="$threads_memory"
      [[ "$store" == sqlite ]] && threads="$threads_sqlite"
      rm -f "$tmp/bench-$store.db"*
      (
        cd "$tmp"
        export CERTME_SERVER_PORT="$port" CERTME_SERVER_PUBLIC_URL="$url"
        export CERTME_SERVER_THREADS="$threads"
        export CERTME_STORE_BACKEND="$store" CERTME_STORE_SQLITE_PATH="$tmp/bench-$store.db"
        export CERTME_STORE_SQLITE_SYNC_FULL=true
        export CERTME_OIDC_CLAIMS_FILE="$root/config/claims.yaml"
        export CERTME_KEYS_DEV_KEY_DIR="$tmp/dev-keys"
        export CERTME_LOGIN_DEV_LOGIN=true
        export CERTME_OIDC_DEV_CLIENTS_FILE="$tmp/clients.yaml"
        export CERTME_LOGGING_ACCESS_LOG=false
        exec taskset -c "$server_core" "$certme" idp
      ) >>"$log" 2>&1 &
      ;;
    node-oidc-provider)
      (
        cd "$peer_dir"
        export NODE_ENV=production
        exec taskset -c "$server_core" node provider.mjs "$port"
      ) >>"$log" 2>&1 &
      ;;
    *) die "unknown server $name (SERVERS)" ;;
  esac
  server_pid=$!
  # Up to 60 s: node on a busy pinned core has taken longer than 15 s to load
  # its modules and make its RSA key.
  for _ in $(seq 600); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      server_pid=""
      die "$name exited during start-up"
    fi
    if curl -fsS -o /dev/null --max-time 1 "$url/.well-known/openid-configuration" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$log" >&2
  die "$name not answering discovery after 60 s"
}

warm_server() {  # $1 server, $2 round: unmeasured flows, output kept in the log only
  [[ "$server_warmup" != 0 ]] || return 0
  echo "== round $2, $1: warm-up, ${server_warmup} s of ES256 and of RS256 flows" >&2
  for alg in ES256 RS256; do
    timeout $((server_warmup + 40)) taskset -c "$load_core" "$load" --url "$url" --workers "$workers" \
      --mode flow --alg "$alg" --duration "$server_warmup" --warmup 0 >>"$out/oidc_load.log" 2>&1 ||
      echo "bench-peer: warm-up failed ($1 $alg; see $out/oidc_load.log)" >&2
  done
}

run_scenario() {  # $1 server, $2 round, $3 scenario
  local args=(--url "$url" --server-pid "$server_pid" --duration "$duration" --warmup "$warmup"
              --workers "$workers" --label "$1:$2" --json)
  case "$3" in
    flow-ES256|flow-RS256) args+=(--mode flow --alg "${3#flow-}") ;;
    refresh) args+=(--mode refresh --alg ES256) ;;
    client_credentials|discovery|jwks) args+=(--mode "$3") ;;
    *) die "unknown scenario $3 (SCENARIOS)" ;;
  esac
  echo "== round $2, $1: $3" >&2
  # oidc_load bounds itself; the outer timeout is a second fence.
  if ! timeout $((duration + warmup + 40)) taskset -c "$load_core" "$load" "${args[@]}" \
         >>"$results" 2>>"$out/oidc_load.log"; then
    echo "bench-peer: run failed ($1 $3, round $2; see $out/oidc_load.log)" >&2
  fi
}

git_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$root" diff --quiet HEAD 2>/dev/null || git_rev="$git_rev (with uncommitted changes)"
{
  printf '{"kind":"meta","date":%s' "$(json_str "$started")"
  printf ',"machine":%s' "$(json_str "$(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | sed -n 1p)")"
  printf ',"bridge":%s' "$(json_str "certme $git_rev, $build_type build, threads: memory $threads_memory, sqlite $threads_sqlite (sync_full)")"
  printf ',"peer":%s' "$(json_str "oidc-provider $want on Node $(node --version), its OpenSSL $(node -p process.versions.openssl), NODE_ENV=production")"
  printf ',"openssl":%s' "$(json_str "$(openssl version)")"
  printf ',"pinning":%s' "$(json_str "server on CPU $server_core, load generator (oidc_load, $workers workers) on CPU $load_core")"
  printf ',"timing":%s' "$(json_str "${server_warmup} s of ES256 and RS256 flows unmeasured after each server start; ${duration} s measured after ${warmup} s warm-up per scenario; $rounds round(s), servers alternating")"
  printf ',"command":%s}\n' "$(json_str "DURATION=$duration WARMUP=$warmup SERVER_WARMUP=$server_warmup WORKERS=$workers ROUNDS=$rounds scripts/bench-peer")"
} >>"$results"

read -r -a server_list <<<"$servers"
for ((round = 1; round <= rounds; round++)); do
  text="$(taskset -c "$server_core" openssl speed -seconds 1 ecdsap256 rsa2048 2>/dev/null || true)"
  printf '{"kind":"openssl","round":%d,"text":%s}\n' "$round" "$(json_str "$text")" >>"$results"
  order=("${server_list[@]}")
  if ((round % 2 == 0)); then  # every other round in reverse, so no server always goes first
    order=()
    for ((i = ${#server_list[@]} - 1; i >= 0; i--)); do order+=("${server_list[i]}"); done
  fi
  for name in "${order[@]}"; do
    start_server "$name"
    warm_server "$name" "$round"
    loadavg "$round" "$name" start
    for scenario in $scenarios; do run_scenario "$name" "$round" "$scenario"; done
    loadavg "$round" "$name" end
    stop_server
  done
done

echo
python3 "$peer_dir/report.py" "$results" | tee "$out/report.txt"
echo
echo "raw results: $results"
