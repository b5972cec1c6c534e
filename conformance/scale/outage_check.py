#!/usr/bin/env python3
"""Redis down, then stalled, under one bridge: every front answers 503 with
Retry-After, never a 500 or a misleading 400, and never waits longer than
store.redis.timeout_ms (plus a small margin) for a stalled Redis.

Fronts: /token (authorization code and refresh token), /userinfo,
/authorize, the login page and its form (development login double), the
login resume, and SAML SSO. Before the outage a login is completed and a
second one left on its login page, so that each front meets the outage
with live state to look up.

Usage: outage_check.py PATH/TO/certme  (exit 0 = pass)
"""
import base64
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from failover_check import (CLIENT_ID, REDIRECT, ROOT, SECRET, Client, RedisProc,  # noqa: E402
                            SetupError, free_port, wait_for)

TIMEOUT_MS = 1000
MARGIN_S = 0.8  # scheduling on a shared machine, the 250 ms outage probe


def fail(msg):
    print(f"outage_check: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def authn_request(port):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    xml = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
           'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_outage1" Version="2.0" '
           f'IssueInstant="{now}" Destination="http://127.0.0.1:{port}/saml/sso">'
           '<saml:Issuer>https://sp.outage.example/</saml:Issuer></samlp:AuthnRequest>')
    return base64.b64encode(xml.encode()).decode()


def main():
    certme = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="certme-outage-")
    redis, bridge = None, None
    try:
        with open(os.path.join(work, "clients.yaml"), "w") as f:
            f.write(f"""clients:
  - client_id: {CLIENT_ID}
    client_secret: {SECRET}
    names: {{ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}}
    redirect_uris: ["{REDIRECT}"]
    grant_types: [authorization_code, refresh_token]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name]
""")
        redis = RedisProc(work, "redis", [])
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTME_")}
        env.update({
            "CERTME_SERVER_PORT": str(port),
            "CERTME_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "CERTME_STORE_BACKEND": "redis",
            "CERTME_STORE_REDIS_ADDRESS": f"127.0.0.1:{redis.port}",
            "CERTME_STORE_REDIS_TIMEOUT_MS": str(TIMEOUT_MS),
            "CERTME_LOGIN_DEV_LOGIN": "true",
            "CERTME_OIDC_DEV_CLIENTS_FILE": os.path.join(work, "clients.yaml"),
            "CERTME_OIDC_CLAIMS_FILE": os.path.join(ROOT, "config", "claims.yaml"),
            "CERTME_LOGGING_ACCESS_LOG": "false",
        })
        out = open(os.path.join(work, "idp.log"), "wb")
        bridge = subprocess.Popen([certme, "idp"], cwd=work, stdout=out, stderr=out, env=env)
        wait_for("the bridge did not become ready", lambda: Client(port).call("GET", "/readyz")[0] == 200, 30)

        # Live state: a redeemed login (tokens), an unredeemed code, and a
        # login waiting on its page.
        rp = Client(port)
        code = Client(port).login("a")
        spare = Client(port).login("b")
        if not code or not spare:
            raise SetupError("a login failed before the outage")
        status, _, tokens = rp.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
        if status != 200:
            raise SetupError(f"the first code was refused: {status} {tokens}")
        waiting = Client(port)
        st, hd, body = waiting.call("GET", "/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
            "scope": "openid", "state": "d", "nonce": "n-d"}))
        login_path = urllib.parse.urlparse(hd.get("location", "")).path
        login_query = urllib.parse.urlparse(hd.get("location", "")).query
        txn = urllib.parse.parse_qs(login_query).get("txn", [""])[0]
        if st != 302 or not txn:
            raise SetupError(f"no login page to wait on: {st} {hd.get('location')}")

        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic}
        fronts = [
            ("POST /token (code)", "POST", "/token",
             {"grant_type": "authorization_code", "code": spare, "redirect_uri": REDIRECT}, form),
            ("POST /token (refresh)", "POST", "/token",
             {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, form),
            ("GET /userinfo", "GET", "/userinfo", None, {"Authorization": "Bearer " + tokens["access_token"]}),
            ("GET /authorize", "GET", "/authorize?" + urllib.parse.urlencode({
                "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
                "scope": "openid", "state": "e", "nonce": "n-e"}), None, {}),
            ("GET login page", "GET", f"{login_path}?txn={urllib.parse.quote(txn)}", None, {}),
            ("POST login form", "POST", login_path, {"txn": txn, "identity": "ion"}, {}),
            ("GET /authorize/resume", "GET", f"/authorize/resume?txn={urllib.parse.quote(txn)}", None, {}),
            ("POST /saml/sso", "POST", "/saml/sso", {"SAMLRequest": authn_request(port)}, {}),
        ]

        def check_all(phase):
            worst = 0.0
            for name, method, path, data, headers in fronts:
                t0 = time.time()
                st, hd, body = waiting.call(method, path, data, headers)
                took = time.time() - t0
                worst = max(worst, took)
                if st != 503:
                    fail(f"{phase}: {name} answered {st}, not 503: {body[:200]}")
                if not hd.get("retry-after"):
                    fail(f"{phase}: {name} answered 503 without Retry-After")
                if "redis" in body.lower() or str(redis.port) in body:
                    fail(f"{phase}: {name} shows internals: {body[:200]}")
                if took > TIMEOUT_MS / 1000 + MARGIN_S:
                    fail(f"{phase}: {name} took {took:.2f} s with timeout_ms {TIMEOUT_MS}")
            print(f"outage_check: {phase}: {len(fronts)} fronts answered 503 with Retry-After, "
                  f"the slowest in {worst:.2f} s")

        redis.signal(signal.SIGKILL)
        redis.proc.wait()
        check_all("Redis down")
        redis.start()
        wait_for("the bridge did not see Redis back", lambda: Client(port).call("GET", "/readyz")[0] == 200, 30)
        redis.signal(signal.SIGSTOP)
        check_all("Redis stalled")
        redis.signal(signal.SIGCONT)
        print("outage_check: passed")
        return 0
    except SetupError as e:
        fail(str(e))
    finally:
        if bridge and bridge.poll() is None:
            bridge.terminate()
            try:
                bridge.wait(timeout=15)
            except subprocess.TimeoutExpired:
                bridge.kill()
        if redis:
            redis.stop()
        if os.environ.get("KEEP_WORK"):
            print(f"outage_check: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
