"""OpenID Connect with authlib (Debian python3-authlib, the requests
integration) as the relying party against the real `certme idp`, logging in
through the certME wallet login: a fresh embedded ledger, the validator
service, an enrolled user whose reference wallet (`certme wallet approve`)
answers the login page's QR link.

The client is configured the way an integrator configures authlib: the
discovery document, the client id and secret, the redirect URI, PKCE S256.
The ID token is verified with authlib.jose against the JWKS the discovery
document names and checked with authlib.oidc.core's CodeIDToken (iss, aud,
exp, nonce, at_hash). Then UserInfo, a refresh_token grant (rotated, the
refreshed ID token verified again), authlib's automatic refresh of an expired
access token, a public client (token_endpoint_auth_method none, PKCE alone),
RP-initiated logout to the end_session_endpoint and the back-channel
logout_token, verified with authlib.jose, that ends the other session.

The bridge serves plain HTTP on 127.0.0.1 here; authlib refuses a bearer
token over plain HTTP unless AUTHLIB_INSECURE_TRANSPORT is set, which this
script sets for itself (a production bridge is behind TLS).

Usage: run.py --certme <path to the certme binary>
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import queue
import sys
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import wallet_world as ww  # noqa: E402
from wallet_world import Browser, check  # noqa: E402

os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.jose.errors import JoseError  # noqa: E402
from authlib.oidc.core import CodeIDToken, IDToken  # noqa: E402
import requests  # noqa: E402

REDIRECT = "https://rp-authlib.example/callback"
POST_LOGOUT = "https://rp-authlib.example/bye"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class BackchannelReceiver:
    """The RP's back-channel logout endpoint: keeps each logout_token."""

    def __init__(self):
        self.tokens = queue.Queue()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                outer.tokens.put(form.get("logout_token", [""])[0])
                self.send_response(200)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/backchannel" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Journey:
    def __init__(self, world):
        self.w = world
        self.receiver = BackchannelReceiver()
        self.secret = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")

    def start(self):
        with open(self.w.path("clients.yaml"), "w") as f:
            f.write("clients:\n"
                    "  - client_id: authlib-rp\n"
                    "    client_secret: %s\n"
                    "    names: {ro: \"Serviciu authlib\", ru: \"Служба authlib\", en: \"authlib service\"}\n"
                    "    redirect_uris: [\"%s\"]\n"
                    "    post_logout_redirect_uris: [\"%s\"]\n"
                    "    grant_types: [authorization_code, refresh_token]\n"
                    "    token_endpoint_auth_method: client_secret_basic\n"
                    "    scopes: [openid, profile, email]\n"
                    "    attributes: [first_name, last_name, birth_date, gender, email]\n"
                    "    backchannel_logout_uri: %s\n"
                    "    backchannel_logout_session_required: true\n"
                    "  - client_id: authlib-public\n"
                    "    names: {ro: \"Aplicatie authlib\", ru: \"Приложение authlib\", en: \"authlib app\"}\n"
                    "    redirect_uris: [\"%s\"]\n"
                    "    grant_types: [authorization_code]\n"
                    "    token_endpoint_auth_method: none\n"
                    "    scopes: [openid, profile]\n"
                    "    attributes: [first_name]\n"
                    % (self.secret, REDIRECT, POST_LOGOUT, self.receiver.url, REDIRECT))
        self.w.start_bridge({"CERTME_OIDC_DEV_CLIENTS_FILE": self.w.path("clients.yaml")})
        self.meta = requests.get(self.w.bridge_url + "/.well-known/openid-configuration", timeout=10).json()
        self.jwks = JsonWebKey.import_key_set(requests.get(self.meta["jwks_uri"], timeout=10).json())

    def session(self, client_id="authlib-rp", secret=None, auth_method="client_secret_basic", **extra):
        return OAuth2Session(client_id, secret if secret is not None else self.secret,
                             scope="openid profile email" if client_id == "authlib-rp" else "openid profile",
                             redirect_uri=REDIRECT, code_challenge_method="S256",
                             token_endpoint_auth_method=auth_method,
                             token_endpoint=self.meta["token_endpoint"], **extra)

    def verify_id_token(self, id_token, claims_cls, params, client_id="authlib-rp"):
        claims = jwt.decode(id_token, self.jwks, claims_cls=claims_cls,
                            claims_options={"iss": {"essential": True, "value": self.meta["issuer"]}},
                            claims_params=dict(params, client_id=client_id))
        claims.validate(leeway=5)
        return claims

    def login(self, browser, client, nonce):
        """The code flow up to the token response; returns (token, callback URL)."""
        verifier = generate_token(48)
        uri, state = client.create_authorization_url(self.meta["authorization_endpoint"], code_verifier=verifier,
                                                     nonce=nonce, ui_locales="en")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        check(q.get("code_challenge_method") == ["S256"] and q.get("code_challenge") == [expected],
              "authlib did not send an S256 code challenge: %s" % uri)
        status, url, body = browser.browse("GET", uri, stop_at=(REDIRECT,))
        check(url.startswith(REDIRECT + "?"), "the login did not return to the redirect URI: HTTP %d at %s\n%s"
              % (status, url, body[:300]))
        back = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        check(back.get("iss") == [self.meta["issuer"]], "RFC 9207 iss %r" % back.get("iss"))
        token = client.fetch_token(authorization_response=url, code_verifier=verifier)
        return token, url

    # ---------------------------------------------------------------- cases

    def case_discovery(self):
        m = self.meta
        check("S256" in m.get("code_challenge_methods_supported", []), "S256 not advertised")
        check(m.get("end_session_endpoint") and m.get("backchannel_logout_supported") is True,
              "end_session_endpoint / backchannel_logout_supported")
        check(any(k.as_dict().get("kid") for k in self.jwks.keys), "JWKS without a kid")

    def case_code_flow(self):
        self.browser = Browser(self.w)
        self.client = self.session()
        self.nonce = generate_token(20)
        token, _ = self.login(self.browser, self.client, self.nonce)
        check(self.browser.logins == 1, "the wallet login page was not reached")
        check(token.get("token_type", "").lower() == "bearer" and token.get("refresh_token"), "token response %r"
              % {k: v for k, v in token.items() if k != "access_token"})
        self.claims = self.verify_id_token(token["id_token"], CodeIDToken,
                                           {"nonce": self.nonce, "access_token": token["access_token"]})
        check(self.claims.get("at_hash"), "no at_hash in the ID token")
        check(self.claims.get("sid"), "no sid in the ID token (needed for back-channel logout)")
        check(self.claims.get("acr") == "http://eidas.europa.eu/LoA/substantial", "acr %r" % self.claims.get("acr"))
        self.token = token

    def case_wrong_verifier(self):
        # In the same browser (the SSO session answers without a new login),
        # authlib redeems the code with another verifier than the challenge's.
        client = self.session()
        verifier = generate_token(48)
        uri, _ = client.create_authorization_url(self.meta["authorization_endpoint"], code_verifier=verifier,
                                                 nonce=generate_token(20))
        status, url, _ = self.browser.browse("GET", uri, stop_at=(REDIRECT,), login=False)
        check(url.startswith(REDIRECT + "?") and "code=" in url, "SSO did not answer: HTTP %d at %s" % (status, url))
        try:
            client.fetch_token(authorization_response=url, code_verifier=generate_token(48))
        except OAuthError as e:
            check(e.error == "invalid_grant", "error %r" % e.error)
            return
        raise ww.Failure("a code was exchanged with the wrong code_verifier")

    def case_userinfo(self):
        r = self.client.get(self.meta["userinfo_endpoint"], timeout=10)
        check(r.status_code == 200, "UserInfo: HTTP %d %s" % (r.status_code, r.text[:200]))
        info = r.json()
        check(info.get("sub") == self.claims["sub"], "UserInfo sub differs from the ID token's")
        want = {"given_name": "Ion", "family_name": "Popescu", "birthdate": "1985-04-12", "gender": "male",
                "email": "ion.popescu@example.md"}
        for k, v in want.items():
            check(info.get(k) == v, "UserInfo %s = %r" % (k, info.get(k)))
        check("idnp" not in info, "a claim outside the requested scopes")

    def case_refresh(self):
        old = self.token
        new = self.client.refresh_token(self.meta["token_endpoint"])
        check(new["access_token"] != old["access_token"], "the access token was not renewed")
        check(new.get("refresh_token") and new["refresh_token"] != old["refresh_token"], "refresh token not rotated")
        if new.get("id_token"):
            c = self.verify_id_token(new["id_token"], IDToken, {})
            check(c["sub"] == self.claims["sub"] and c.get("auth_time") == self.claims.get("auth_time"),
                  "refreshed ID token: another sub or auth_time")
        r = self.client.get(self.meta["userinfo_endpoint"], timeout=10)
        check(r.status_code == 200 and r.json().get("given_name") == "Ion", "UserInfo with the new access token")
        # The rotated-out refresh token is spent.
        stale = self.session()
        try:
            stale.refresh_token(self.meta["token_endpoint"], refresh_token=old["refresh_token"])
        except OAuthError as e:
            check(e.error == "invalid_grant", "reuse: %r" % e.error)
        else:
            raise ww.Failure("a rotated-out refresh token was accepted")
        # Reuse revokes the family (RFC 9700 §4.14.2): log in again for the rest.
        self.nonce = generate_token(20)
        self.token, _ = self.login(self.browser, self.client, self.nonce)
        self.claims = self.verify_id_token(self.token["id_token"], CodeIDToken,
                                           {"nonce": self.nonce, "access_token": self.token["access_token"]})

    def case_auto_refresh(self):
        updates = []
        client = self.session(update_token=lambda token, refresh_token=None, access_token=None:
                              updates.append((token, refresh_token)))
        token = dict(self.token)
        token["expires_at"] = 1  # long expired: authlib refreshes before the request
        client.token = token
        r = client.get(self.meta["userinfo_endpoint"], timeout=10)
        check(r.status_code == 200 and r.json().get("sub") == self.claims["sub"], "UserInfo after the auto-refresh")
        check(len(updates) == 1 and updates[0][1] == self.token["refresh_token"], "authlib did not refresh")
        check(client.token["refresh_token"] != self.token["refresh_token"], "rotated refresh token not kept")
        self.client = client

    def case_public_client(self):
        client = self.session("authlib-public", secret="", auth_method="none")
        nonce = generate_token(20)
        token, _ = self.login(Browser(self.w), client, nonce)
        c = self.verify_id_token(token["id_token"], CodeIDToken,
                                 {"nonce": nonce, "access_token": token["access_token"]}, client_id="authlib-public")
        # Pairwise subjects are per sector (the redirect URIs' host), which both clients share.
        check(c["sub"] == self.claims["sub"], "another sub in the same sector")
        r = client.get(self.meta["userinfo_endpoint"], timeout=10)
        check(r.status_code == 200 and r.json().get("given_name") == "Ion" and "family_name" not in r.json(),
              "public client's UserInfo: HTTP %d %s" % (r.status_code, r.text[:200]))
        try:
            client.fetch_token(authorization_response=REDIRECT + "?code=forged&state=st", state="st",
                               code_verifier=generate_token(48))
        except OAuthError as e:
            check(e.error == "invalid_grant", "forged code: %r" % e.error)
        else:
            raise ww.Failure("a forged code was accepted")

    def case_rp_logout(self):
        while not self.receiver.tokens.empty():
            self.receiver.tokens.get_nowait()
        state = generate_token(12)
        q = urllib.parse.urlencode({"id_token_hint": self.token["id_token"], "post_logout_redirect_uri": POST_LOGOUT,
                                    "state": state, "client_id": "authlib-rp"})
        status, url, body = self.browser.browse("GET", self.meta["end_session_endpoint"] + "?" + q,
                                                stop_at=(POST_LOGOUT,), login=False)
        check(url == POST_LOGOUT + "?state=" + state, "logout ended at HTTP %d %s\n%s" % (status, url, body[:300]))
        try:
            logout_token = self.receiver.tokens.get(timeout=15)
        except queue.Empty:
            raise ww.Failure("no back-channel logout_token arrived")
        header = json.loads(base64.urlsafe_b64decode(logout_token.split(".")[0] + "==").decode())
        check(header.get("typ") == "logout+jwt", "logout_token typ %r" % header.get("typ"))
        try:
            lt = jwt.decode(logout_token, self.jwks,
                            claims_options={"iss": {"essential": True, "value": self.meta["issuer"]},
                                            "aud": {"essential": True, "value": "authlib-rp"},
                                            "iat": {"essential": True}, "jti": {"essential": True}})
            lt.validate(leeway=5)
        except JoseError as e:
            raise ww.Failure("authlib.jose refused the logout_token: %s" % e)
        check(BACKCHANNEL_EVENT in (lt.get("events") or {}), "events %r" % lt.get("events"))
        check(lt.get("sid") == self.claims["sid"], "logout_token sid %r, ID token sid %r" %
              (lt.get("sid"), self.claims["sid"]))
        check("nonce" not in lt, "nonce in a logout_token")
        # The session's grants end with it.
        try:
            self.client.refresh_token(self.meta["token_endpoint"])
        except OAuthError as e:
            check(e.error == "invalid_grant", "refresh after logout: %r" % e.error)
        else:
            raise ww.Failure("the refresh token survived the logout")
        # A new authorization request needs a new wallet login.
        before = self.browser.logins
        self.login(self.browser, self.session(), generate_token(20))
        check(self.browser.logins == before + 1, "the SSO session survived the logout")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    args = ap.parse_args()
    world = ww.World(args.certme, "certme-authlib-")
    j = Journey(world)
    failed = 1
    try:
        world.enrol()
        j.start()
        failed = ww.run_cases([
            ("discovery and JWKS read by authlib", j.case_discovery),
            ("code flow with PKCE S256 through the wallet login; ID token verified (authlib.jose, CodeIDToken)",
             j.case_code_flow),
            ("a code with the wrong code_verifier is refused (invalid_grant)", j.case_wrong_verifier),
            ("UserInfo through authlib's session: the released claims", j.case_userinfo),
            ("refresh_token grant: rotated, refreshed ID token verified, the old token spent", j.case_refresh),
            ("authlib refreshes an expired access token by itself", j.case_auto_refresh),
            ("public client (token_endpoint_auth_method none, PKCE only)", j.case_public_client),
            ("RP-initiated logout; back-channel logout_token verified; grants ended", j.case_rp_logout),
        ], world)
    except Exception as e:
        import traceback
        print("FAIL setup: " + (str(e) if isinstance(e, ww.Failure) else traceback.format_exc()), flush=True)
        print(world.logs())
    finally:
        world.stop()
        j.receiver.close()
        world.cleanup(failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
