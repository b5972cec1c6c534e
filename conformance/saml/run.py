"""SAML conformance: python3-saml (OneLogin, the toolkit Moldovan services use
with MPass) as an MPass-style service provider against the real `certme idp`.

The script plays the browser (a cookie-keeping urllib client that follows
redirects and submits the auto-post forms itself) and two service providers
configured the way an MPass integrator configures python3-saml: IdP settings
read from our metadata URL, HTTP-POST binding, every AuthnRequest,
LogoutRequest and LogoutResponse signed (RSA-SHA256, exc-c14n) with the SP's
own key, the MPass attribute names expected. A third party, an OpenID Connect
client with a back-channel logout receiver, shares the browser session for the
mixed-session case.

Independent checks: every signed Response / LogoutRequest / LogoutResponse of
the bridge is also verified with the `xmlsec1` command-line tool against the
certificate in the metadata.

Usage: run.py --certme <path to the certme binary>
Prints one line per case and a final "N passed, M failed"; exits 1 on failure.
Set CERTME_CONFORMANCE_KEEP=1 to keep the work directory (logs, database).
"""

import argparse
import base64
import copy
import html.parser
import http.cookiejar
import http.server
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLAIMS_FILE = os.path.join(REPO, "config", "claims.yaml")

# The development login double's identity `ion` (idp/login/dev_authenticator.cc).
ION = {"idnp": "2001234567890", "FirstName": "Ion", "BirthDate": "1985-04-12", "Gender": "1"}
# MPass standard attribute names a service registers for (docs/ARCHITECTURE.md, the world it serves).
MPASS_ATTRIBUTES = ["idnp", "first_name", "last_name", "birth_date", "gender", "email"]
LOGOUT_TIMEOUT_SECONDS = 3


# ---------------------------------------------------------------- utilities

class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FormParser(html.parser.HTMLParser):
    """Forms (action, method, fields), iframes and links of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.iframes, self.links = [], [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                               "fields": {}, "radios": []})
        elif tag == "input" and self.forms:
            f = self.forms[-1]
            if a.get("type") == "radio":
                f["radios"].append((a.get("name"), a.get("value")))
            elif a.get("name"):
                f["fields"][a["name"]] = a.get("value", "")
        elif tag == "iframe":
            self.iframes.append(a.get("src", ""))
        elif tag == "a" and a.get("id"):
            self.links[a["id"]] = a.get("href", "")


def parse_page(body):
    p = FormParser()
    p.feed(body)
    return p


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping client; redirects are followed by `navigate` only
    while they stay on the bridge (SP URLs are handled by the script)."""

    def __init__(self, bridge_url):
        self.bridge = bridge_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method, url, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def navigate(self, method, url, form=None):
        """Follows redirects on the bridge; returns (status, final url, body, location-if-left)."""
        for _ in range(10):
            status, headers, body = self.request(method, url, form)
            loc = headers.get("Location")
            if status in (301, 302, 303, 307) and loc:
                loc = urllib.parse.urljoin(url, loc)
                if not loc.startswith(self.bridge):
                    return status, url, body, loc
                method, url, form = "GET", loc, None
                continue
            return status, url, body, None
        raise Failure("redirect loop at " + url)

    def dev_login(self, url, identity="ion"):
        """On the development login page: picks `identity`, follows to the end."""
        status, _, body, _ = self.navigate("GET", url)
        check(status == 200, "dev login page: HTTP %d" % status)
        form = parse_page(body).forms[0]
        check((("identity", identity) in form["radios"]), "dev login page lacks identity " + identity)
        fields = dict(form["fields"], identity=identity)
        return self.navigate("POST", urllib.parse.urljoin(url, form["action"]), fields)


def post_form(body):
    """The auto-post form of a page: (action, fields)."""
    forms = parse_page(body).forms
    check(len(forms) == 1 and forms[0]["method"] == "post", "expected one auto-post form, page:\n" + body[:400])
    return forms[0]["action"], forms[0]["fields"]


def b64xml(value):
    return base64.b64decode(value).decode("utf-8")


def status_of(xml):
    codes = re.findall(r'<samlp:StatusCode Value="([^"]+)"', xml)
    check(codes, "no StatusCode in\n" + xml[:400])
    return codes


def xmlsec1_verify(xml, cert_file, id_attr, workdir, name):
    """Independent signature check with the xmlsec1 CLI. True when valid."""
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(xml)
    r = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", cert_file, "--id-attr:ID", id_attr, path],
                       capture_output=True, text=True)
    return r.returncode == 0


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ------------------------------------------------------------ the parties

class ServiceProvider:
    """One MPass-style service on python3-saml."""

    def __init__(self, name, workdir, encrypted=False):
        # encrypted: registers encrypt_assertion + sign_assertion and expects
        # both (python3-saml decrypts with the SP key).
        self.encrypted = encrypted
        self.host = name + ".mpass-test.example"
        self.entity_id = "https://%s/metadata" % self.host
        self.acs = "https://%s/acs" % self.host
        self.slo = "https://%s/slo" % self.host
        self.key_file = os.path.join(workdir, name + ".key")
        self.cert_file = os.path.join(workdir, name + ".crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                        "-subj", "/CN=" + self.host, "-keyout", self.key_file, "-out", self.cert_file],
                       check=True, capture_output=True)
        self.key_pem = open(self.key_file).read()
        self.cert_pem = open(self.cert_file).read()
        self.session = None  # {"name_id", "session_index", "attributes"}

    def configure(self, idp_settings):
        """The integrator's step after reading the IdP metadata."""
        settings = {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": self.entity_id,
                "assertionConsumerService": {"url": self.acs, "binding": C.BINDING_HTTP_POST},
                "singleLogoutService": {"url": self.slo, "binding": C.BINDING_HTTP_POST},
                "NameIDFormat": C.NAMEID_UNSPECIFIED,
                "x509cert": self.cert_pem,
                "privateKey": self.key_pem,
            },
            "security": {
                "authnRequestsSigned": True,
                "logoutRequestSigned": True,
                "logoutResponseSigned": True,
                # The whole Response must be signed (MPass signs it).
                "wantMessagesSigned": True,
                "wantAssertionsSigned": self.encrypted,
                "wantAssertionsEncrypted": self.encrypted,
                "wantNameId": True,
                "requestedAuthnContext": False,
                "signatureAlgorithm": C.RSA_SHA256,
                "digestAlgorithm": C.SHA256,
            },
        }
        merged = OneLogin_Saml2_IdPMetadataParser.merge_settings(settings, copy.deepcopy(idp_settings))
        self.settings = OneLogin_Saml2_Settings(merged)
        # python3-saml 1.12 checks logout-message signatures of the Redirect
        # binding only (a `Signature` query parameter); over HTTP-POST the
        # integrator verifies the enveloped signature itself (validate_sign
        # below), so the logout validation runs with wantMessagesSigned off.
        slo = copy.deepcopy(merged)
        slo["security"]["wantMessagesSigned"] = False
        self.slo_settings = OneLogin_Saml2_Settings(slo)
        self.idp_cert = merged["idp"]["x509cert"]

    def yaml(self, slo=True):
        lines = ["  - entity_id: " + self.entity_id,
                 "    names: {ro: \"Serviciu %s\", ru: \"Служба %s\", en: \"Service %s\"}" % ((self.host,) * 3),
                 "    acs_urls: [\"%s\"]" % self.acs,
                 "    certificate_file: " + os.path.basename(self.cert_file),
                 "    attributes: [%s]" % ", ".join(MPASS_ATTRIBUTES)]
        if slo:
            lines.append("    slo_url: " + self.slo)
        if self.encrypted:
            lines += ["    encrypt_assertion: true", "    sign_assertion: true"]
        return "\n".join(lines) + "\n"

    def request_data(self, url, post):
        u = urllib.parse.urlsplit(url)
        return {"https": "on", "http_host": u.hostname, "server_port": "443", "script_name": u.path,
                "get_data": {}, "post_data": post}

    def signed(self, xml):
        return OneLogin_Saml2_Utils.add_sign(xml, self.key_pem, self.cert_pem,
                                             sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256)

    def authn_request(self, force_authn=False, sign=True):
        req = OneLogin_Saml2_Authn_Request(self.settings, force_authn=force_authn)
        xml = req.get_xml()
        if isinstance(xml, bytes):
            xml = xml.decode()
        if sign:
            xml = self.signed(xml)
        if isinstance(xml, bytes):
            xml = xml.decode()
        return req.get_id(), base64.b64encode(xml.encode()).decode()

    def consume_response(self, fields, request_id):
        """python3-saml's ACS: validates the Response; returns the auth object."""
        auth = OneLogin_Saml2_Auth(self.request_data(self.acs, fields), self.settings)
        auth.process_response(request_id=request_id)
        return auth

    def logout_request(self):
        check(self.session, "no SAML session at " + self.entity_id)
        lr = OneLogin_Saml2_Logout_Request(self.settings, name_id=self.session["name_id"],
                                           session_index=self.session["session_index"],
                                           name_id_format=C.NAMEID_UNSPECIFIED)
        xml = lr.get_xml()
        if isinstance(xml, bytes):
            xml = xml.decode()
        xml = self.signed(xml)
        if isinstance(xml, bytes):
            xml = xml.decode()
        return lr.id, base64.b64encode(xml.encode()).decode()

    def verify_post_signature(self, xml, root):
        OneLogin_Saml2_Utils.validate_sign(xml, cert=self.idp_cert, xpath="/samlp:%s/ds:Signature" % root,
                                           raise_exceptions=True)

    def receive_logout_request(self, fields):
        """The SP's SLO endpoint given the bridge's LogoutRequest: validates it
        and answers with a signed LogoutResponse (base64)."""
        check(fields.get("SAMLRequest"), "no SAMLRequest")
        xml = b64xml(fields["SAMLRequest"])
        lr = OneLogin_Saml2_Logout_Request(self.slo_settings, fields["SAMLRequest"])
        check(lr.is_valid(self.request_data(self.slo, fields)),
              "python3-saml refused the LogoutRequest: %s" % lr.get_error())
        self.verify_post_signature(xml, "LogoutRequest")
        check(OneLogin_Saml2_Logout_Request.get_nameid(xml) == self.session["name_id"], "LogoutRequest NameID")
        check(self.session["session_index"] in OneLogin_Saml2_Logout_Request.get_session_indexes(xml),
              "LogoutRequest SessionIndex")
        self.session = None
        resp = OneLogin_Saml2_Logout_Response(self.slo_settings)
        resp.build(OneLogin_Saml2_Logout_Request.get_id(xml))
        out = resp.get_xml()
        if isinstance(out, bytes):
            out = out.decode()
        out = self.signed(out)
        if isinstance(out, bytes):
            out = out.decode()
        return xml, base64.b64encode(out.encode()).decode()

    def receive_logout_response(self, fields, request_id):
        xml = b64xml(fields["SAMLResponse"])
        resp = OneLogin_Saml2_Logout_Response(self.slo_settings, fields["SAMLResponse"])
        check(resp.is_valid(self.request_data(self.slo, fields), request_id=request_id),
              "python3-saml refused the LogoutResponse: %s" % resp.get_error())
        self.verify_post_signature(xml, "LogoutResponse")
        return xml, resp.get_status()


class BackchannelReceiver:
    """A tiny RP back-channel logout endpoint: collects logout_token posts."""

    def __init__(self):
        self.tokens = queue.Queue()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                outer.tokens.put((self.path, form.get("logout_token", [""])[0]))
                self.send_response(200)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Bridge:
    def __init__(self, binary, workdir, extra_env):
        self.binary, self.workdir, self.extra_env = binary, workdir, extra_env
        self.proc = None

    def start(self):
        for _ in range(3):
            self.port = free_port()
            self.url = "http://127.0.0.1:%d" % self.port
            env = {k: v for k, v in os.environ.items() if not k.startswith("CERTME_")}
            env.update({
                "CERTME_SERVER_PORT": str(self.port),
                "CERTME_SERVER_PUBLIC_URL": self.url,
                "CERTME_STORE_SQLITE_PATH": os.path.join(self.workdir, "bridge.db"),
                "CERTME_LOGIN_DEV_LOGIN": "true",
                "CERTME_OIDC_CLAIMS_FILE": CLAIMS_FILE,
                "CERTME_KEYS_DEV_KEY_DIR": os.path.join(self.workdir, "dev-keys"),
                "CERTME_SAML_LOGOUT_TIMEOUT_SECONDS": str(LOGOUT_TIMEOUT_SECONDS),
            })
            env.update(self.extra_env)
            self.log_path = os.path.join(self.workdir, "bridge.log")
            log = open(self.log_path, "w")
            self.proc = subprocess.Popen([self.binary, "idp"], cwd=self.workdir, env=env, stdout=log, stderr=log)
            log.close()
            deadline = time.time() + 20
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                        if r.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, socket.timeout):
                    time.sleep(0.1)
            self.stop()
            if "address already in use" not in self.log_tail().lower():
                break
        raise RuntimeError("bridge did not become healthy; log:\n" + self.log_tail())

    def log_tail(self):
        try:
            return open(self.log_path).read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ------------------------------------------------------------------ flows

class Suite:
    def __init__(self, binary, workdir):
        self.workdir = workdir
        self.receiver = BackchannelReceiver()
        self.sps = {}
        self.binary = binary
        self.oidc_client = {"id": "rp-mixed", "secret": base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="),
                            "redirect": "https://rp-mixed.example/cb",
                            "post_logout": "https://rp-mixed.example/bye"}

    def start(self):
        # SP keys and certificates are made per run (an integrator's own key;
        # only the certificate is registered), before the bridge reads them.
        for name in ("sp1", "sp2", "sp3"):
            self.sps[name] = ServiceProvider(name, self.workdir, encrypted=(name == "sp2"))
        services_yaml = os.path.join(self.workdir, "services.yaml")
        clients_yaml = os.path.join(self.workdir, "clients.yaml")
        with open(services_yaml, "w") as f:
            f.write("services:\n")
            for sp in self.sps.values():
                f.write(sp.yaml())
        c = self.oidc_client
        with open(clients_yaml, "w") as f:
            f.write("clients:\n"
                    "  - client_id: %s\n"
                    "    client_secret: %s\n"
                    "    names: {ro: \"RP mixt\", ru: \"RP\", en: \"Mixed RP\"}\n"
                    "    redirect_uris: [\"%s\"]\n"
                    "    post_logout_redirect_uris: [\"%s\"]\n"
                    "    grant_types: [authorization_code, refresh_token]\n"
                    "    token_endpoint_auth_method: client_secret_basic\n"
                    "    scopes: [openid, profile]\n"
                    "    attributes: [first_name, last_name]\n"
                    "    backchannel_logout_uri: %s/backchannel\n"
                    "    backchannel_logout_session_required: true\n"
                    % (c["id"], c["secret"], c["redirect"], c["post_logout"], self.receiver.url))
        self.bridge = Bridge(self.binary, self.workdir, {"CERTME_SAML_DEV_SERVICES_FILE": services_yaml,
                                                         "CERTME_OIDC_DEV_CLIENTS_FILE": clients_yaml})
        self.bridge.start()
        # The integrator's step: read our metadata.
        with urllib.request.urlopen(self.bridge.url + "/saml/metadata", timeout=10) as r:
            self.metadata = r.read().decode()
        self.idp_settings = OneLogin_Saml2_IdPMetadataParser.parse(
            self.metadata, required_sso_binding=C.BINDING_HTTP_POST, required_slo_binding=C.BINDING_HTTP_POST)
        self.idp_cert_file = os.path.join(self.workdir, "idp.crt")
        with open(self.idp_cert_file, "w") as f:
            f.write(OneLogin_Saml2_Utils.format_cert(self.idp_settings["idp"]["x509cert"]))
        for sp in self.sps.values():
            sp.configure(self.idp_settings)

    def stop(self):
        if hasattr(self, "bridge"):
            self.bridge.stop()
        self.receiver.close()

    def finish_login(self, browser, sp, request_id, body):
        action, fields = post_form(body)
        check(action == sp.acs, "Response posted to %s, not the ACS" % action)
        check(fields.get("RelayState") == "rs-" + sp.host, "RelayState not returned")
        auth = sp.consume_response(fields, request_id)
        check(not auth.get_errors(), "python3-saml refused the Response: %s (%s)"
              % (auth.get_errors(), auth.get_last_error_reason()))
        check(auth.is_authenticated(), "not authenticated")
        sp.session = {"name_id": auth.get_nameid(), "session_index": auth.get_session_index(),
                      "attributes": auth.get_attributes()}
        sp.last_response_xml = b64xml(fields["SAMLResponse"])
        return auth, sp.last_response_xml

    def sso_via_dev_login(self, browser, sp, identity="ion"):
        request_id, saml_request = sp.authn_request()
        sso = self.idp_settings["idp"]["singleSignOnService"]["url"]
        status, url, body, left = browser.navigate("POST", sso, {"SAMLRequest": saml_request,
                                                                 "RelayState": "rs-" + sp.host})
        if "/login/dev" in url:
            status, url, body, left = browser.dev_login(url, identity)
        check(status == 200 and left is None, "login did not end on a Response page: HTTP %d at %s" % (status, url))
        return self.finish_login(browser, sp, request_id, body)

    # SLO with the bridge's frames driven by the script: each frame's
    # LogoutRequest goes to its SP (which answers, unless in `silent`).
    def run_logout_frames(self, browser, page_body, silent=()):
        page = parse_page(page_body)
        check(page.iframes, "logout page without frames")
        seen = []
        for src in page.iframes:
            status, _, body, _ = browser.navigate("GET", urllib.parse.urljoin(self.bridge.url, src))
            check(status == 200, "frame: HTTP %d" % status)
            action, fields = post_form(body)
            sp = next((s for s in self.sps.values() if s.slo == action), None)
            check(sp is not None, "LogoutRequest sent to an unknown URL " + action)
            xml = b64xml(fields["SAMLRequest"])
            check(xmlsec1_verify(xml, self.idp_cert_file, "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
                                 self.workdir, "logout-request.xml"), "xmlsec1 refused the LogoutRequest")
            if sp in silent:
                seen.append((sp, xml))
                continue
            _, answer = sp.receive_logout_request(fields)
            status, _, body, _ = browser.navigate("POST", self.idp_settings["idp"]["singleLogoutService"]["url"],
                                                  {"SAMLResponse": answer})
            check(status == 200, "LogoutResponse to the bridge: HTTP %d" % status)
            seen.append((sp, xml))
        finish = page.links.get("finish")
        check(finish, "logout page without the finish link")
        status_url = urllib.parse.urljoin(self.bridge.url, finish.replace("/finish", "/status"))
        deadline = time.time() + LOGOUT_TIMEOUT_SECONDS + 5
        while time.time() < deadline:
            _, _, body = browser.request("GET", status_url)
            if json.loads(body)["pending"] == 0:
                break
            time.sleep(0.2)
        status, url, body, left = browser.navigate("GET", urllib.parse.urljoin(self.bridge.url, finish))
        self.logout_left = left  # where the finish step sent the browser off the bridge, if it did
        return seen, status, body

    def oidc_login(self, browser):
        c = self.oidc_client
        q = urllib.parse.urlencode({"response_type": "code", "client_id": c["id"], "redirect_uri": c["redirect"],
                                    "scope": "openid profile", "state": "st-1", "nonce": "n-1"})
        status, url, body, left = browser.navigate("GET", self.bridge.url + "/authorize?" + q)
        if "/login/dev" in url:
            status, url, body, left = browser.dev_login(url)
        check(left and left.startswith(c["redirect"]), "authorize did not return to the RP: %s %s" % (status, url))
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(left).query)["code"][0]
        basic = base64.b64encode(("%s:%s" % (urllib.parse.quote(c["id"], safe=""),
                                             urllib.parse.quote(c["secret"], safe=""))).encode()).decode()
        status, _, body = Browser(self.bridge.url).request(
            "POST", self.bridge.url + "/token", {"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": c["redirect"]},
            {"Authorization": "Basic " + basic})
        check(status == 200, "token endpoint: HTTP %d %s" % (status, body))
        return json.loads(body)

    def userinfo_status(self, access_token):
        status, _, _ = Browser(self.bridge.url).request("GET", self.bridge.url + "/userinfo",
                                                       headers={"Authorization": "Bearer " + access_token})
        return status


# ------------------------------------------------------------------ cases

def case_metadata(s):
    check(":Signature" in s.metadata, "metadata is not signed")
    check(xmlsec1_verify(s.metadata, s.idp_cert_file, "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
                         s.workdir, "metadata.xml"), "xmlsec1 refused the metadata signature")
    idp = s.idp_settings["idp"]
    check(idp["entityId"] == s.bridge.url + "/saml/metadata", "entity ID is the metadata URL")
    check(idp["singleSignOnService"]["url"] == s.bridge.url + "/saml/sso", "POST SSO endpoint")
    check(idp["singleLogoutService"]["url"] == s.bridge.url + "/saml/slo", "POST SLO endpoint")


def case_login_attributes(s):
    b = Browser(s.bridge.url)
    s.browser = b
    auth, xml = s.sso_via_dev_login(b, s.sps["sp1"])
    attrs = auth.get_attributes()
    check(auth.get_nameid() == ION["idnp"], "NameID is the IDNP, got %r" % auth.get_nameid())
    for name in ("FirstName", "BirthDate", "Gender"):
        check(attrs.get(name) == [ION[name]], "%s = %r" % (name, attrs.get(name)))
    check(re.fullmatch(r"\d{4}-\d{2}-\d{2}", attrs["BirthDate"][0]), "BirthDate yyyy-MM-dd")
    check(attrs["Gender"][0] in ("0", "1", "2"), "Gender 0/1/2")
    check("LastName" in attrs and "EmailAddress" in attrs, "registered LastName/EmailAddress released")
    check("IsResident" not in attrs and "MobilePhone" not in attrs, "unregistered attributes withheld")
    check('Consent="urn:oasis:names:tc:SAML:2.0:consent:prior"' in xml, "Consent=prior")
    check("http://eidas.europa.eu/LoA/substantial" in xml, "eIDAS LoA substantial")
    check(auth.get_session_index(), "SessionIndex")
    s.last_response_xml = xml


def case_xmlsec1_independent(s):
    xml = s.last_response_xml
    rid = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
    check(xmlsec1_verify(xml, s.idp_cert_file, rid, s.workdir, "response.xml"), "xmlsec1 refused our Response")
    tampered = xml.replace(">Ion<", ">Ivan<", 1)
    check(tampered != xml, "tamper target not found")
    check(not xmlsec1_verify(tampered, s.idp_cert_file, rid, s.workdir, "tampered.xml"),
          "xmlsec1 accepted a tampered Response")
    # Another key's certificate must not verify it either.
    check(not xmlsec1_verify(xml, s.sps["sp1"].cert_file, rid, s.workdir, "wrongcert.xml"),
          "xmlsec1 verified with an unrelated certificate")


def case_tampered_response_rejected(s):
    sp = s.sps["sp1"]
    # A fresh login (ForceAuthn), whose Response is tampered before the ACS.
    b = s.browser
    request_id, saml_request = sp.authn_request(force_authn=True)
    status, url, body, _ = b.navigate("POST", s.bridge.url + "/saml/sso",
                                      {"SAMLRequest": saml_request, "RelayState": "rs-" + sp.host})
    check("/login/dev" in url, "ForceAuthn must ask for a login again")
    status, url, body, _ = b.dev_login(url)
    action, fields = post_form(body)
    xml = b64xml(fields["SAMLResponse"])
    forged = xml.replace(">%s<" % ION["idnp"], ">2000000000001<")
    check(forged != xml, "NameID not found to tamper")
    auth = sp.consume_response(dict(fields, SAMLResponse=base64.b64encode(forged.encode()).decode()), request_id)
    check(auth.get_errors() and not auth.is_authenticated(), "python3-saml accepted a tampered Response")
    # Answering another request (InResponseTo) is refused too.
    auth = sp.consume_response(fields, "_some_other_request")
    check(auth.get_errors() and not auth.is_authenticated(), "python3-saml accepted a foreign InResponseTo")
    # The untampered one still passes (the refusal is the tampering's doing).
    auth = sp.consume_response(fields, request_id)
    check(not auth.get_errors(), "genuine Response refused: %s" % auth.get_last_error_reason())
    sp.session = {"name_id": auth.get_nameid(), "session_index": auth.get_session_index(),
                  "attributes": auth.get_attributes()}


def case_unsigned_authn_request_denied(s):
    sp = s.sps["sp1"]
    request_id, saml_request = sp.authn_request(sign=False)
    b = Browser(s.bridge.url)
    status, url, body, left = b.navigate("POST", s.bridge.url + "/saml/sso",
                                         {"SAMLRequest": saml_request, "RelayState": "rs-" + sp.host})
    check("/login/dev" not in url, "an unsigned request reached the login")
    action, fields = post_form(body)
    check(action == sp.acs, "error Response goes to the registered ACS")
    xml = b64xml(fields["SAMLResponse"])
    codes = status_of(xml)
    check(codes[:2] == [C.STATUS_REQUESTER, "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"],
          "status %r" % codes)
    check(xmlsec1_verify(xml, s.idp_cert_file, "urn:oasis:names:tc:SAML:2.0:protocol:Response", s.workdir,
                         "denied.xml"), "error Response is signed")
    auth = sp.consume_response(fields, request_id)
    check(not auth.is_authenticated(), "python3-saml must not authenticate a RequestDenied")


def case_sso_second_service_no_login(s):
    # The same browser session serves sp2 without a second login.
    b = s.browser
    sp = s.sps["sp2"]
    request_id, saml_request = sp.authn_request()
    status, url, body, _ = b.navigate("POST", s.bridge.url + "/saml/sso",
                                      {"SAMLRequest": saml_request, "RelayState": "rs-" + sp.host})
    check("/login/dev" not in url, "SSO asked for a second login")
    auth, _ = s.finish_login(b, sp, request_id, body)
    check(auth.get_session_index() == s.sps["sp1"].session["session_index"], "one SSO session, one SessionIndex")
    check(auth.get_attributes().get("FirstName") == [ION["FirstName"]], "attributes of the encrypted assertion")


def case_encrypted_assertion(s):
    # sp2 registered encrypt_assertion: python3-saml (wantAssertionsEncrypted,
    # wantAssertionsSigned) decrypted and checked it above; here the wire form.
    xml = s.sps["sp2"].last_response_xml
    check("<saml:EncryptedAssertion" in xml and "<saml:Assertion" not in xml, "the Assertion travels in clear")
    check("http://www.w3.org/2009/xmlenc11#aes256-gcm" in xml and "xmlenc#rsa-oaep-mgf1p" in xml,
          "AES-256-GCM content, RSA-OAEP key")
    check(ION["idnp"] not in xml and ">Ion<" not in xml, "personal data in clear")
    check(xmlsec1_verify(xml, s.idp_cert_file, "urn:oasis:names:tc:SAML:2.0:protocol:Response", s.workdir,
                         "encrypted.xml"), "xmlsec1 refused the signature over the EncryptedAssertion")
    # The xmlsec1 CLI decrypts it with sp2's key into a signed Assertion.
    path = os.path.join(s.workdir, "encrypted.xml")
    r = subprocess.run(["xmlsec1", "--decrypt", "--privkey-pem", s.sps["sp2"].key_file, path],
                       capture_output=True, text=True)
    check(r.returncode == 0 and ("<saml:Assertion" in r.stdout or ":Assertion " in r.stdout),
          "xmlsec1 --decrypt failed: " + r.stderr[-300:])
    check(">%s<" % ION["idnp"] in r.stdout, "decrypted Assertion lacks the NameID")


def case_sp_initiated_slo(s):
    b = s.browser
    sp1, sp2 = s.sps["sp1"], s.sps["sp2"]
    check(sp1.session and sp2.session, "both services logged in")
    lr_id, lr = sp1.logout_request()
    status, url, body, _ = b.navigate("POST", s.bridge.url + "/saml/slo", {"SAMLRequest": lr, "RelayState": "slo-1"})
    check(status == 200, "SLO start: HTTP %d" % status)
    seen, status, body = s.run_logout_frames(b, body)
    check([x[0] for x in seen] == [sp2], "LogoutRequest to sp2 only, got %r" % [x[0].host for x in seen])
    check(sp2.session is None, "sp2 ended its session")
    action, fields = post_form(body)
    check(action == sp1.slo, "final LogoutResponse to sp1's SLO URL")
    check(fields.get("RelayState") == "slo-1", "RelayState returned")
    xml, st = sp1.receive_logout_response(fields, lr_id)
    check(st == C.STATUS_SUCCESS, "status %s" % st)
    check(xmlsec1_verify(xml, s.idp_cert_file, "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse", s.workdir,
                         "logout-response.xml"), "xmlsec1 refused the LogoutResponse")
    sp1.session = None
    # The SSO session is gone: a new AuthnRequest needs a login.
    request_id, saml_request = sp1.authn_request()
    status, url, _, _ = b.navigate("POST", s.bridge.url + "/saml/sso", {"SAMLRequest": saml_request})
    check("/login/dev" in url, "session survived the logout")


def case_partial_logout(s):
    b = Browser(s.bridge.url)
    sp1, sp3 = s.sps["sp1"], s.sps["sp3"]
    s.sso_via_dev_login(b, sp1)
    request_id, saml_request = sp3.authn_request()
    _, _, body, _ = b.navigate("POST", s.bridge.url + "/saml/sso", {"SAMLRequest": saml_request,
                                                                    "RelayState": "rs-" + sp3.host})
    s.finish_login(b, sp3, request_id, body)
    lr_id, lr = sp1.logout_request()
    t0 = time.time()
    _, _, body, _ = b.navigate("POST", s.bridge.url + "/saml/slo", {"SAMLRequest": lr})
    seen, status, body = s.run_logout_frames(b, body, silent=(sp3,))
    # The bridge keeps whole seconds: the deadline falls within the last second.
    check(time.time() - t0 >= LOGOUT_TIMEOUT_SECONDS - 1, "finished before the timeout")
    action, fields = post_form(body)
    _, st = sp1.receive_logout_response(fields, lr_id)
    check(st == "urn:oasis:names:tc:SAML:2.0:status:PartialLogout", "status %s" % st)
    sp1.session = sp3.session = None


def case_idp_initiated_logout(s):
    b = Browser(s.bridge.url)
    sp1, sp2 = s.sps["sp1"], s.sps["sp2"]
    s.sso_via_dev_login(b, sp1)
    request_id, saml_request = sp2.authn_request()
    _, _, body, _ = b.navigate("POST", s.bridge.url + "/saml/sso", {"SAMLRequest": saml_request,
                                                                    "RelayState": "rs-" + sp2.host})
    s.finish_login(b, sp2, request_id, body)
    status, url, body, _ = b.navigate("GET", s.bridge.url + "/saml/logout?lang=en")
    check(status == 200, "logout page: HTTP %d" % status)
    form = parse_page(body).forms[0]
    # Without the page's token the logout is refused (another site cannot log the user out).
    st, _, _, _ = b.navigate("POST", s.bridge.url + "/saml/logout", dict(form["fields"], csrf="forged"))
    check(st == 400, "forged logout form accepted: HTTP %d" % st)
    status, url, body, _ = b.navigate("POST", urllib.parse.urljoin(url, form["action"]), form["fields"])
    seen, status, body = s.run_logout_frames(b, body)
    check(sorted(x[0].host for x in seen) == sorted([sp1.host, sp2.host]), "both services got a LogoutRequest")
    check(sp1.session is None and sp2.session is None, "both services ended their sessions")
    check(status == 200 and "SAMLResponse" not in body, "IdP-initiated logout ends on our page")


def case_mixed_session_logout(s):
    b = Browser(s.bridge.url)
    tokens = s.oidc_login(b)
    sid = jwt_payload(tokens["id_token"]).get("sid")
    check(sid, "ID token carries sid")
    check(s.userinfo_status(tokens["access_token"]) == 200, "userinfo before logout")
    sp1 = s.sps["sp1"]
    s.sso_via_dev_login(b, sp1)
    lr_id, lr = sp1.logout_request()
    # The SP's LogoutRequest is a cross-site POST: a browser sends no
    # SameSite=Lax cookie with it, so it goes without cookies here too.
    nocookie = Browser(s.bridge.url)
    # sp1 is the session's only SAML service: the bridge goes straight to the answer.
    status, url, body, _ = nocookie.navigate("POST", s.bridge.url + "/saml/slo", {"SAMLRequest": lr})
    check(status == 200 and not parse_page(body).iframes, "expected the final answer, HTTP %d at %s" % (status, url))
    action, fields = post_form(body)
    check(action == sp1.slo, "LogoutResponse to sp1")
    _, st = sp1.receive_logout_response(fields, lr_id)
    check(st == C.STATUS_SUCCESS, "status %s" % st)
    sp1.session = None
    try:
        path, token = s.receiver.tokens.get(timeout=10)
    except queue.Empty:
        raise Failure("no back-channel logout token reached the OIDC client")
    payload = jwt_payload(token)
    check(path == "/backchannel", "posted to %s" % path)
    check(payload.get("sid") == sid, "logout token sid %r, ID token sid %r" % (payload.get("sid"), sid))
    check(payload.get("aud") in (s.oidc_client["id"], [s.oidc_client["id"]]), "logout token aud")
    check("http://schemas.openid.net/event/backchannel-logout" in payload.get("events", {}), "logout event")
    check(s.userinfo_status(tokens["access_token"]) == 401, "access token still valid after the SAML logout")


def case_mixed_session_oidc_logout(s):
    # Both ways: the OIDC RP's logout (end_session) logs out the SAML services too.
    b = Browser(s.bridge.url)
    tokens = s.oidc_login(b)
    sid = jwt_payload(tokens["id_token"]).get("sid")
    sp1, sp2 = s.sps["sp1"], s.sps["sp2"]
    s.sso_via_dev_login(b, sp1)
    request_id, saml_request = sp2.authn_request()
    _, url, body, _ = b.navigate("POST", s.bridge.url + "/saml/sso", {"SAMLRequest": saml_request,
                                                                      "RelayState": "rs-" + sp2.host})
    check("/login/dev" not in url, "SSO asked for a second login")
    s.finish_login(b, sp2, request_id, body)
    while not s.receiver.tokens.empty():  # tokens of earlier cases
        s.receiver.tokens.get_nowait()
    q = urllib.parse.urlencode({"id_token_hint": tokens["id_token"], "state": "bye-1",
                                "post_logout_redirect_uri": s.oidc_client["post_logout"]})
    status, url, body, left = b.navigate("GET", s.bridge.url + "/logout?" + q)
    check(left is None and "/saml/slo/progress" in url,
          "OIDC logout did not continue on the SAML logout page: HTTP %d at %s, left to %s" % (status, url, left))
    seen, status, body = s.run_logout_frames(b, body)
    check(sorted(x[0].host for x in seen) == sorted([sp1.host, sp2.host]), "both services got a LogoutRequest")
    check(sp1.session is None and sp2.session is None, "both services ended their sessions")
    check(s.logout_left == s.oidc_client["post_logout"] + "?state=bye-1",
          "the browser ends at the RP's post-logout URI, got HTTP %d %r" % (status, s.logout_left))
    try:
        _, token = s.receiver.tokens.get(timeout=10)
    except queue.Empty:
        raise Failure("no back-channel logout token reached the OIDC client")
    check(jwt_payload(token).get("sid") == sid, "logout token for the ended OIDC session")
    check(s.userinfo_status(tokens["access_token"]) == 401, "access token still valid after the OIDC logout")
    # The SAML SSO session is gone too.
    request_id, saml_request = sp1.authn_request()
    _, url, _, _ = b.navigate("POST", s.bridge.url + "/saml/sso", {"SAMLRequest": saml_request})
    check("/login/dev" in url, "SAML session survived the OIDC logout")


CASES = [
    ("metadata: signed (xmlsec1), endpoints read by python3-saml", case_metadata),
    ("SP-initiated login: python3-saml validates, MPass attributes", case_login_attributes),
    ("xmlsec1 CLI verifies the Response; refuses tampered / wrong cert", case_xmlsec1_independent),
    ("tampered Response rejected by python3-saml", case_tampered_response_rejected),
    ("unsigned AuthnRequest refused with RequestDenied", case_unsigned_authn_request_denied),
    ("SSO: second service served from the session", case_sso_second_service_no_login),
    ("EncryptedAssertion (sp2): AES-256-GCM + RSA-OAEP, xmlsec1 verifies and decrypts", case_encrypted_assertion),
    ("SP-initiated SLO: other service logged out, Success", case_sp_initiated_slo),
    ("SP-initiated SLO: silent service → PartialLogout after timeout", case_partial_logout),
    ("IdP-initiated logout from the bridge's page", case_idp_initiated_logout),
    ("mixed session: SAML logout sends the OIDC back-channel logout", case_mixed_session_logout),
    ("mixed session: OIDC logout sends LogoutRequests to the SAML services", case_mixed_session_oidc_logout),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    ap.add_argument("--only", help="run the cases whose title contains this text (and the first login)")
    args = ap.parse_args()
    if not shutil.which("xmlsec1"):
        print("xmlsec1 is not installed (Debian package xmlsec1)")
        return 1
    workdir = tempfile.mkdtemp(prefix="certme-saml-conf-")
    suite = Suite(os.path.abspath(args.certme), workdir)
    passed = failed = 0
    try:
        suite.start()
        for title, fn in CASES:
            # The login case sets up the browser session later cases use.
            if args.only and args.only not in title and fn is not case_login_attributes:
                continue
            try:
                fn(suite)
                passed += 1
                print("ok   " + title, flush=True)
            except Exception as e:  # a case's failure never stops the others
                failed += 1
                detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                print("FAIL " + title + ": " + detail, flush=True)
    except Exception:
        failed += 1
        print("FAIL setup: " + traceback.format_exc(), flush=True)
    finally:
        suite.stop()
        if failed:
            print("bridge log tail:\n" + (suite.bridge.log_tail() if hasattr(suite, "bridge") else ""))
        if os.environ.get("CERTME_CONFORMANCE_KEEP") == "1" or failed:
            print("work directory kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
