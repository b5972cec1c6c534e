#!/usr/bin/env bash
# The metrics worth alerting on, read from a real bridge after real logins
# (docs/operations.md, "Metrics and alerts"): a fresh embedded ledger, the
# validator service, `certme idp` with login.wallet_login and /metrics on its
# own listener (server.metrics_address), an OpenID Connect journey answered
# by the reference wallet, then a refusal. Checks that the login counter by
# protocol, service and outcome, the validator's answer time, the wallet
# steps, the store and ledger call times and the HTTP counters moved by what
# the journeys did; that every metric the Grafana dashboard and the
# Prometheus rules in config/ name is exported; and that a scrape from an
# address outside server.metrics_allow gets 403 while the main listener has
# no /metrics at all.
# Usage: metrics_e2e.sh PATH/TO/certme
set -euo pipefail
CERTME=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/e2e.sh
source "$HERE/../lib/e2e.sh"
e2e_workdir metrics
export CERTME_WALLET_PASSPHRASE='correct horse battery staple'

certme ledger init >/dev/null
e2e_roles
e2e_enrolled_user --attr first_name=Ion --attr last_name=Popescu --attr birth_date=1985-04-12
"$CERTME" validator serve >serve.log 2>&1 &
PIDS+=($!)

PORT=$(e2e_free_port)
MPORT=$(e2e_free_port)
BASE="http://127.0.0.1:$PORT"
METRICS="http://127.0.0.1:$MPORT/metrics"
cat >clients.yaml <<EOF
clients:
  - client_id: metrics-rp
    client_secret: metrics-rp-secret-0123456789abcdef0123456789
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    redirect_uris: ["http://127.0.0.1:9/callback"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name, birth_date]
EOF
# The test client is its own trusted proxy, so X-Forwarded-For can play a
# scraper from elsewhere.
e2e_wallet_bridge CERTME_SERVER_METRICS_ADDRESS=127.0.0.1 CERTME_SERVER_METRICS_PORT="$MPORT" \
  CERTME_SERVER_METRICS_ALLOW=127.0.0.1 CERTME_SERVER_TRUSTED_PROXIES=127.0.0.1

# Where /metrics is and who may read it.
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/metrics")
[[ $code == 404 ]] || fail "the main listener answers /metrics with $code (expected 404: it has its own listener)"
code=$(curl -s -o refused.txt -w '%{http_code}' -H 'X-Forwarded-For: 192.0.2.7' "$METRICS")
[[ $code == 403 ]] || fail "a scrape for 192.0.2.7 got $code, expected 403"
grep -q certme_ refused.txt && fail "the 403 carries metrics"
curl -sf "$METRICS" >before.txt || fail "no /metrics on the metrics listener"
echo "metrics listener: 200 for 127.0.0.1, 403 for 192.0.2.7; main listener: 404"

# One browser journey: authorize → login page → the wallet answers the
# QR link (certme wallet approve ARGS… LINK) → continue → the client.
journey() {  # journey NAME WALLET-ARGS… ; sets LOCATION
  local name=$1; shift
  rm -f jar
  local auth="$BASE/authorize?response_type=code&client_id=metrics-rp&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid%20profile&state=s-$name&nonce=n-$name&ui_locales=en"
  curl -s -c jar -b jar -L -o page.html "$auth" || fail "$name: authorize"
  local link txn
  link=$(grep -o 'href="[^"]*/wallet/v1/l/[A-Za-z0-9_-]*"' page.html | sed -n 1p | sed 's/^href="//; s/"$//')
  txn=$(grep -o 'name="txn" value="[^"]*"' page.html | sed -n 1p | sed 's/.*value="//; s/"$//')
  [[ -n $link && -n $txn ]] || fail "$name: no deep link or txn on the login page: $(head -c 400 page.html)"
  certme wallet approve "$@" "$link" >wallet.log 2>&1 || fail "$name: the wallet's answer was refused: $(tail -5 wallet.log)"
  LOCATION=$(curl -s -c jar -b jar -o next.html -w '%{http_code} %{redirect_url}' "$BASE/login/wallet/continue?txn=$txn")
  while [[ $LOCATION == 30?\ $BASE* ]]; do
    LOCATION=$(curl -s -c jar -b jar -o next.html -w '%{http_code} %{redirect_url}' "${LOCATION#* }")
  done
}

journey login --yes
[[ $LOCATION == 30?\ http://127.0.0.1:9/callback\?code=* ]] || fail "login: ended at $LOCATION"
curl -sf "$METRICS" >after-login.txt || fail "scrape after the login"
journey refusal --refuse
curl -sf "$METRICS" >after-refusal.txt || fail "scrape after the refusal"
echo "journeys: a login and a refusal"

python3 - "$ROOT" <<'PY' || fail "metrics did not move as the journeys should have moved them"
import re, sys, time
sys.path.insert(0, sys.argv[1] + "/tests/repo")
import metrics_rules

def samples(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out

before, login, refusal = samples("before.txt"), samples("after-login.txt"), samples("after-refusal.txt")
problems = []
def expect(what, ok):
    print(("ok    " if ok else "WRONG ") + what)
    if not ok:
        problems.append(what)
def moved(snap, base, series, by):
    got = snap.get(series, 0) - base.get(series, 0)
    expect(f"{series} +{by} (got +{got:g})", got == by)
def grew(snap, base, series):
    got = snap.get(series, 0) - base.get(series, 0)
    expect(f"{series} grew (got +{got:g})", got > 0)

L = 'certme_logins_total{protocol="oidc",service="metrics-rp",outcome="%s"}'
moved(login, before, L % "ok", 1)
moved(login, before, L % "refused", 0)
moved(refusal, login, L % "refused", 1)
moved(refusal, login, L % "ok", 0)
moved(login, before, 'certme_validator_answer_seconds_count{outcome="answered"}', 1)
moved(login, before, 'certme_validator_answer_seconds_count{outcome="timeout"}', 0)
v = login.get('certme_validator_answer_seconds_sum{outcome="answered"}', -1)
expect(f"validator answer time recorded ({v:g} s)", 0 < v < 20)
for step in ("scan", "approve", "checks"):
    grew(login, before, 'certme_wallet_login_step_seconds_count{step="%s"}' % step)
moved(login, before, 'certme_wallet_login_step_seconds_count{step="complete"}', 1)
moved(login, before, 'certme_http_requests_total{route="/wallet/v1/requests/:code",method="POST",status="200"}', 1)
for op in ("get", "put", "consume"):
    grew(login, before, 'certme_store_operation_duration_seconds_count{op="%s"}' % op)
grew(login, before, 'certme_ledger_call_duration_seconds_count{op="transact"}')  # the validation request
grew(login, before, 'certme_ledger_call_duration_seconds_count{op="get_eid_status"}')
grew(login, before, 'certme_ledger_call_duration_seconds_count{op="is_provider"}')
errors = {k: v for k, v in refusal.items() if k.startswith(("certme_store_errors_total", "certme_ledger_errors_total"))
          and re.search(r'code="(Unavailable|Internal)"', k)}
expect(f"no store or ledger backend errors {errors}", not errors)
expect("the logout queue is empty", refusal.get("certme_outbound_queue_depth") == 0)
na = refusal.get('certme_certificate_not_after_timestamp_seconds{use="saml_signing"}', 0)
expect("the SAML signing certificate's expiry is in the future", na > time.time())

# Every metric the dashboard and the rules name is in this scrape.
exposed = set()
for line in open("after-refusal.txt"):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        exposed.add(m.group(1))
        if m.group(2) == "histogram":
            exposed |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
named = set()
import json, yaml
dash = json.load(open(sys.argv[1] + "/config/grafana/certme-dashboard.json"))
for p in dash["panels"]:
    for t in p.get("targets", []):
        named |= set(metrics_rules.NAME.findall(t["expr"]))
for g in yaml.safe_load(open(sys.argv[1] + "/config/prometheus/certme-alerts.yml"))["groups"]:
    for r in g["rules"]:
        named |= set(metrics_rules.NAME.findall(r["expr"]))
missing = sorted(named - exposed)
expect(f"every metric of the dashboard and the rules is exported ({len(named)} names; missing {missing})", not missing)
sys.exit(1 if problems else 0)
PY
echo "metrics_e2e: OK"
