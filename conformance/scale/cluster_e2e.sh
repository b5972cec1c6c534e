#!/usr/bin/env bash
# Two replicas of the bridge on one Redis behind nginx (scripts/cluster: TLS
# and mTLS with a CA made here, Redis with appendfsync always), the wallet
# login answered by `certme wallet approve`, and the failures a deployment
# meets:
#   1. a login whose steps alternate between the replicas (nginx round robin)
#      completes, and the tokens work on either;
#   2. tls_client_auth through nginx's client certificate; the certificate
#      and X-Forwarded-For are believed only from nginx's address;
#   3. the replica holding the wallet's answer is SIGKILLed while it waits for
#      the validator: the wallet resends, the other replica resumes it, the
#      login completes, earlier tokens keep working;
#   4. Redis stalled (SIGSTOP), then SIGKILLed and restarted: 503 and
#      readiness false meanwhile, never a hang; afterwards no client
#      registration, refresh token or browser session is lost;
#   5. both sessions are logged out while the client's receiver is down, and
#      a replica that queued one of the back-channel logouts is SIGKILLed:
#      the other replica delivers each of the two once the receiver is up
#      (the queue is in Redis, not in the replica).
# Usage: cluster_e2e.sh PATH/TO/certme
set -euo pipefail
CERTME=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
for tool in redis-server redis-cli nginx openssl curl python3; do
  command -v "$tool" >/dev/null || { echo "cluster_e2e: FAILED: $tool is not installed (scripts/deps)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-cluster-e2e-XXXXXX")
# shellcheck source=../../scripts/cluster
source "$ROOT/scripts/cluster"
SERVE_PID=""
WALLET_PID=""
cleanup() {
  local rc=$?
  set +e
  for p in $WALLET_PID $SERVE_PID; do
    [[ -n $p ]] && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
  done
  cluster_stop
  [[ -n ${KEEP_WORK:-} ]] && echo "kept $WORK" >&2 || rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
cd "$WORK"
for v in $(env | grep -o '^CERTME_[A-Z_]*' || true); do unset "$v"; done
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'
fail() {
  echo "cluster_e2e: FAILED: $*" >&2
  for f in cluster/replica-1.log cluster/replica-2.log cluster/nginx/error.log serve-a.log serve-b.log wallet.log; do
    [[ -f $f ]] && { echo "--- $f" >&2; grep -v '"route":"/readyz"' "$f" | tail -15 >&2; }
  done
  exit 1
}
step() { echo "cluster_e2e: $*"; }
certme() { "$CERTME" "$@"; }

# ---------------------------------------------------------------- set-up
certme ledger init >/dev/null
VALIDATOR=$(certme ledger keygen --out var/ledger/validator.key)
PROVIDER=$(certme ledger keygen --out var/ledger/provider.key)
certme admin authorize-validator "$VALIDATOR" >/dev/null
certme admin authorize-provider "$PROVIDER" >/dev/null
USER_ADDR=$(certme wallet create)
certme validator enroll --user "$USER_ADDR" --attr first_name=Ion --attr last_name=Popescu \
  --attr birth_date=1985-04-12 --loa substantial --out enrollment.json >/dev/null
certme wallet approve-enrolment enrollment.json --out enrolment.sig >/dev/null 2>&1
certme validator issue enrollment.json --consent enrolment.sig >/dev/null
certme wallet import enrollment.json >/dev/null
# A second user for login two: the first one's attributes are validated for
# this provider after login one, and a re-authentication needs no validator.
USER2=$(CERTME_WALLET=var/wallet2.json certme wallet create)
certme validator enroll --user "$USER2" --attr first_name=Maria --attr last_name=Rusu \
  --attr birth_date=1990-02-03 --loa substantial --out enrollment2.json >/dev/null
CERTME_WALLET=var/wallet2.json certme wallet approve-enrolment enrollment2.json --out enrolment2.sig >/dev/null 2>&1
certme validator issue enrollment2.json --consent enrolment2.sig >/dev/null
CERTME_WALLET=var/wallet2.json certme wallet import enrollment2.json >/dev/null
# The validator service runs twice (high availability, one key): every
# request must be answered exactly once and none missed.
start_validator() {
  "$CERTME" validator serve >>serve-a.log 2>&1 &
  SERVE_PID="$!"
  "$CERTME" validator serve >>serve-b.log 2>&1 &
  SERVE_PID+=" $!"
}
stop_validator() {
  local p
  for p in $SERVE_PID; do kill "$p"; wait "$p" 2>/dev/null || true; done
  SERVE_PID=""
}
start_validator

cluster_init "$WORK/cluster" "$CERTME" 2
SECRET=scale-rp-secret-0123456789abcdef0123456789
# The client's back-channel logout receiver (step 5): nothing listens there
# until the replica that queued the logout has been killed.
BC_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >clients.yaml <<EOF
clients:
  - client_id: scale-rp
    client_secret: $SECRET
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    redirect_uris: ["http://127.0.0.1:9/callback"]
    post_logout_redirect_uris: ["http://127.0.0.1:9/bye"]
    backchannel_logout_uri: "http://127.0.0.1:$BC_PORT/bc"
    grant_types: [authorization_code, refresh_token]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name, birth_date]
  - client_id: scale-mtls
    names: {ro: "Serviciu mTLS", ru: "Сервис mTLS", en: "mTLS service"}
    redirect_uris: ["http://127.0.0.1:9/callback"]
    grant_types: [client_credentials]
    token_endpoint_auth_method: tls_client_auth
    tls_client_auth_subject_dn: "$CL_CLIENT_DN"
    scopes: [profile]
EOF
export CERTME_LOGIN_DEV_LOGIN=false CERTME_LOGIN_WALLET_LOGIN=true \
  CERTME_OIDC_DEV_CLIENTS_FILE=$WORK/clients.yaml CERTME_OIDC_CLAIMS_FILE=$ROOT/config/claims.yaml \
  CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS=40 CERTME_LOGGING_ACCESS_LOG=true CERTME_STORE_REDIS_TIMEOUT_MS=1000
cluster_start || fail "the cluster did not start"
step "redis :$CL_REDIS_PORT, replicas :${CL_REPLICA_PORT[1]} :${CL_REPLICA_PORT[2]}, nginx $CL_URL"

C() { curl -s -m 60 --cacert "$CL_CA" "$@"; }
REDIRECT=http%3A%2F%2F127.0.0.1%3A9%2Fcallback
# Replica i's access-log lines for wallet-login and OIDC routes.
flow_lines() { grep -cE '"route":"/(authorize|resume|token|login/wallet[a-z/]*|wallet/v1/[a-z/:]*)"' "cluster/replica-$1.log" || true; }

# begin NAME: authorization request through nginx up to the login page; sets LINK, TXN.
begin() {
  local name=$1
  rm -f "jar-$name"
  C -c "jar-$name" -b "jar-$name" -L -o page.html \
    "$CL_URL/authorize?response_type=code&client_id=scale-rp&redirect_uri=$REDIRECT&scope=openid%20profile&state=s-$name&nonce=n-$name&ui_locales=en" ||
    fail "$name: authorize"
  grep -q 'Sign in with certME' page.html || fail "$name: no login page: $(head -c 300 page.html)"
  LINK=$(grep -o 'href="[^"]*/wallet/v1/l/[A-Za-z0-9_-]*"' page.html | sed -n 1p | sed 's/^href="//; s/"$//')
  TXN=$(grep -o 'name="txn" value="[^"]*"' page.html | sed -n 1p | sed 's/.*value="//; s/"$//')
  [[ -n $LINK && -n $TXN ]] || fail "$name: no deep link or txn on the page"
}
# finish NAME: the browser continues until it leaves the bridge; sets CODE.
finish() {
  local name=$1 loc
  loc=$(C -c "jar-$name" -b "jar-$name" -o next.html -w '%{http_code} %{redirect_url}' "$CL_URL/login/wallet/continue?txn=$TXN")
  while [[ $loc == 30?\ $CL_URL* ]]; do
    loc=$(C -c "jar-$name" -b "jar-$name" -o next.html -w '%{http_code} %{redirect_url}' "${loc#* }")
  done
  [[ $loc == 30?\ http://127.0.0.1:9/callback\?code=*state=s-$name* ]] || fail "$name: ended at $loc $(head -c 300 next.html)"
  CODE=$(sed 's/.*[?&]code=\([^&]*\).*/\1/' <<<"$loc")
}
# json FIELD < JSON
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get(sys.argv[1], ""))' "$1"; }
# tokens GRANT-FORM… : token endpoint as scale-rp; prints the JSON, fails on non-200.
tokens() {
  local out status
  out=$(C -u "scale-rp:$SECRET" -w '\n%{http_code}' "$@" "$CL_URL/token")
  status=${out##*$'\n'}
  [[ $status == 200 ]] || fail "token endpoint answered $status: ${out%$'\n'*}"
  echo "${out%$'\n'*}"
}

# ------------------------------------------ 1. one login across both replicas
before1=$(flow_lines 1) before2=$(flow_lines 2)
begin one
certme wallet approve "$LINK" --yes --cacert "$CL_CA" >wallet.log 2>&1 || fail "one: the wallet's answer was refused"
finish one
T1=$(tokens -d grant_type=authorization_code -d "code=$CODE" -d redirect_uri=http://127.0.0.1:9/callback)
ID1=$(json id_token <<<"$T1")
[[ -n $ID1 ]] || fail "one: no id_token"
AT1=$(json access_token <<<"$T1")
RT1=$(json refresh_token <<<"$T1")
[[ -n $RT1 ]] || fail "one: no refresh token"
after1=$(flow_lines 1) after2=$(flow_lines 2)
((after1 > before1 && after2 > before2)) ||
  fail "one: the login did not span both replicas ($((after1 - before1)) and $((after2 - before2)) requests)"
for i in 1 2; do  # nginx alternates: each replica serves one of these
  s=$(C -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AT1" "$CL_URL/userinfo")
  [[ $s == 200 ]] || fail "one: userinfo answered $s"
done
step "1. login over both replicas ($((after1 - before1)) + $((after2 - before2)) requests), tokens valid on both"

# ------------------------------------------------ 2. mTLS and forwarded headers
cc() { C -o cc.json -w '%{http_code}' -d grant_type=client_credentials -d client_id=scale-mtls "$@"; }
s=$(cc --cert "$CL_CLIENT_CERT" --key "$CL_CLIENT_KEY" "$CL_URL/token")
[[ $s == 200 && -n $(json access_token <cc.json) ]] || fail "mTLS: client_credentials answered $s: $(cat cc.json)"
s=$(cc "$CL_URL/token")
[[ $s == 401 ]] || fail "mTLS: without a certificate answered $s"
FORGED=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(open(sys.argv[1]).read(), safe=""))' "$CL_CLIENT_CERT")
s=$(cc -H "X-SSL-Client-Cert: $FORGED" "$CL_URL/token")
[[ $s == 401 ]] || fail "mTLS: a client-supplied certificate header passed nginx ($s)"
s=$(curl -s -m 30 -o cc.json -w '%{http_code}' -d grant_type=client_credentials -d client_id=scale-mtls \
  -H "X-SSL-Client-Cert: $FORGED" "http://127.0.0.1:${CL_REPLICA_PORT[1]}/token")
[[ $s == 401 ]] || fail "mTLS: a replica believed a certificate header from a non-proxy ($s)"
C -o /dev/null -H 'X-Forwarded-For: 203.0.113.9' "$CL_URL/xff-probe-nginx"
curl -s -m 30 -o /dev/null -H 'X-Forwarded-For: 203.0.113.9' "http://127.0.0.1:${CL_REPLICA_PORT[2]}/xff-probe-direct"
for probe in xff-probe-nginx xff-probe-direct; do
  line=$(grep -h "/$probe" cluster/replica-*.log | tail -1)
  [[ $line == *'"client_ip":"127.0.0.1"'* ]] || fail "X-Forwarded-For: $probe logged as: $line"
done
step "2. tls_client_auth through nginx; forged certificate and X-Forwarded-For ignored"

# ---------------------------------------- 3. a replica SIGKILLed mid-flow
stop_validator
waits() { grep -c 'validation requested; waiting for the validator' "cluster/replica-$1.log" || true; }
waits1=$(waits 1) waits2=$(waits 2)
begin two
CERTME_WALLET=var/wallet2.json "$CERTME" wallet approve "$LINK" --yes --cacert "$CL_CA" >wallet.log 2>&1 &
WALLET_PID=$!
holder=""
for _ in $(seq 1 300); do
  (($(waits 1) > waits1)) && holder=1
  (($(waits 2) > waits2)) && holder=2
  [[ -n $holder ]] && break
  kill -0 "$WALLET_PID" 2>/dev/null || break
  sleep 0.1
done
[[ -n $holder ]] || fail "two: no replica took the wallet's answer: $(cat wallet.log)"
cluster_kill_replica "$holder"
start_validator
wait "$WALLET_PID" || { WALLET_PID=""; fail "two: the wallet's resent answer was refused: $(cat wallet.log)"; }
WALLET_PID=""
grep -q 'sending the answer again' wallet.log || fail "two: the wallet never had to resend: $(cat wallet.log)"
other=$((3 - holder))
grep -q 'wallet answer resent; resuming it' "cluster/replica-$other.log" || fail "two: replica $other did not resume"
finish two
T2=$(tokens -d grant_type=authorization_code -d "code=$CODE" -d redirect_uri=http://127.0.0.1:9/callback)
ID2=$(json id_token <<<"$T2")
[[ -n $ID2 ]] || fail "two: no id_token"
RT2=$(json refresh_token <<<"$T2")
# What replica $holder had acknowledged before it died still holds.
T1=$(tokens -d grant_type=refresh_token -d "refresh_token=$RT1")
RT1=$(json refresh_token <<<"$T1")
cluster_start_replica "$holder" || fail "replica $holder did not restart"
# Two logins needed a validation: two answers in all, whichever validator
# instance won each (the registry refuses a second answer to a request).
answered=$(cat serve-a.log serve-b.log | grep -c '"msg":"validation answered"' || true)
[[ $answered == 2 ]] || fail "validators: $answered answers for 2 requests"
step "3. replica $holder killed while holding the answer; replica $other resumed it, the login completed; 2 validator instances answered each request once"

# ------------------------------------------------- 4. Redis stalled, killed and restarted
# Stalled (SIGSTOP: connections accepted, nothing answered): bounded by
# store.redis.timeout_ms, never a hang.
kill -STOP "$CL_REDIS_PID"
start=$SECONDS
s=$(C -o /dev/null -w '%{http_code}' "$CL_URL/readyz")
kill -CONT "$CL_REDIS_PID"
[[ $s == 503 ]] || fail "redis stalled: /readyz answered $s"
((SECONDS - start < 15)) || fail "redis stalled: /readyz took $((SECONDS - start)) s"
cl_wait 30 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CL_CA' '$CL_URL/readyz') == 200 ]]" ||
  fail "not ready again after the stall"
cluster_kill_redis
start=$SECONDS
s=$(C -o /dev/null -w '%{http_code}' "$CL_URL/readyz")
[[ $s == 503 ]] || fail "redis down: /readyz answered $s"
s=$(C -o down.json -w '%{http_code}' -u "scale-rp:$SECRET" -d grant_type=refresh_token -d "refresh_token=$RT2" "$CL_URL/token")
[[ $s == 503 ]] || fail "redis down: the token endpoint answered $s: $(cat down.json)"
grep -q '6379\|redis\|Connection refused' down.json && fail "redis down: the answer leaks detail: $(cat down.json)"
s=$(C -o /dev/null -w '%{http_code}' -b jar-one "$CL_URL/authorize?response_type=code&client_id=scale-rp&redirect_uri=$REDIRECT&scope=openid&prompt=none&state=s-down")
[[ $s == 503 ]] || fail "redis down: authorize answered $s"
((SECONDS - start < 30)) || fail "redis down: answers took $((SECONDS - start)) s"
cluster_start_redis || fail "redis did not restart"
cl_wait 30 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' --cacert '$CL_CA' '$CL_URL/readyz') == 200 ]]" ||
  fail "not ready again after the redis restart"
# The clients (registered once, at the replicas' start), both refresh-token
# families and the browser session of login one are all still there.
T2=$(tokens -d grant_type=refresh_token -d "refresh_token=$RT2")
T1=$(tokens -d grant_type=refresh_token -d "refresh_token=$RT1")
s=$(cc --cert "$CL_CLIENT_CERT" --key "$CL_CLIENT_KEY" "$CL_URL/token")
[[ $s == 200 ]] || fail "after restart: mTLS client answered $s"
loc=$(C -o /dev/null -b jar-one -w '%{redirect_url}' "$CL_URL/authorize?response_type=code&client_id=scale-rp&redirect_uri=$REDIRECT&scope=openid&prompt=none&state=s-again&nonce=n-again")
[[ $loc == http://127.0.0.1:9/callback\?code=*state=s-again* ]] || fail "after restart: the session is gone: $loc"
step "4. redis stalled then killed: 503 meanwhile; after its restart clients, refresh tokens and the browser session survived"

# ------------------------------- 5. queued back-channel logouts outlive their replica
# Both sessions (logins one and two) are logged out while the client's
# receiver is down: two deliveries wait in Redis. A replica that ended one
# of them is killed; the receiver then gets each logout token once.
ended() { grep -c '"msg":"oidc session ended"' "cluster/replica-$1.log" || true; }
ended1=$(ended 1) ended2=$(ended 2)
C -o logout.html -b jar-one "$CL_URL/logout?id_token_hint=$ID1&post_logout_redirect_uri=http://127.0.0.1:9/bye&state=bye" ||
  fail "logout one: request"
queued_by=""
(($(ended 1) > ended1)) && queued_by=1
(($(ended 2) > ended2)) && queued_by=2
[[ -n $queued_by ]] || fail "logout one: no replica ended the session: $(head -c 300 logout.html)"
C -o logout.html -b jar-two "$CL_URL/logout?id_token_hint=$ID2&post_logout_redirect_uri=http://127.0.0.1:9/bye&state=bye" ||
  fail "logout two: request"
(($(ended 1) + $(ended 2) == ended1 + ended2 + 2)) ||
  fail "logout two: the session did not end: $(head -c 300 logout.html)"
cluster_kill_replica "$queued_by"
python3 - "$BC_PORT" bc.log <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
BC_PID=$!
received() { grep -c '^logout_token=ey' bc.log 2>/dev/null || true; }
for _ in $(seq 1 900); do (($(received) >= 2)) && break; sleep 0.1; done
sleep 2  # a duplicate would arrive meanwhile
kill "$BC_PID" 2>/dev/null; wait "$BC_PID" 2>/dev/null || true
[[ -s bc.log ]] || fail "logout: both back-channel logouts were lost with replica $queued_by"
# One token per session: two lines, two different sids.
sids=$(python3 - bc.log <<'PY'
import base64, json, sys, urllib.parse
for line in open(sys.argv[1], encoding="ascii"):
    token = urllib.parse.parse_qs(line.strip())["logout_token"][0]
    payload = token.split(".")[1]
    print(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"])
PY
) || fail "logout: the receiver got $(head -c 300 bc.log)"
[[ $(wc -l <<<"$sids") == 2 && $(sort -u <<<"$sids" | wc -l) == 2 ]] ||
  fail "logout: expected one token for each of the two sessions, got sids:"$'\n'"$sids"
cluster_start_replica "$queued_by" || fail "replica $queued_by did not restart"
step "5. two back-channel logouts queued while the receiver was down; replica $queued_by was killed; each was delivered once"
echo "cluster_e2e: OK"
