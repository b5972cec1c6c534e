"""SAML conformance with Apache mod_auth_mellon (Debian
libapache2-mod-auth-mellon, Lasso underneath) as the service provider in
front of a protected page, against the real `certme idp`.

Apache runs in the foreground with its own configuration in a work
directory, on a free 127.0.0.1 port; the bridge runs in development mode
with the development login double. The SP is set up the way an integrator
sets up mellon: its key and certificate, its SP metadata (registered with
the bridge by metadata import, with encrypt_assertion and sign_assertion on)
and the bridge's metadata fetched from /saml/metadata. Mellon decrypts the
EncryptedAssertion with MellonSPPrivateKeyFile.

The script is the browser: a cookie-keeping client that follows every
redirect and submits the auto-post forms.

Cases: login through mellon (its signed HTTP-Redirect AuthnRequest, our
encrypted Response) and the MPass attributes read on the protected page; the
Response really carries an EncryptedAssertion; SP-initiated Single Logout
(mellon's /mellon/logout) ends both sessions; IdP-initiated logout from the
bridge's page ends mellon's session; OIDC RP-initiated logout of a mixed
session ends mellon's session too.

Usage: run.py --certme <path to the certme binary> [--apache /usr/sbin/apache2]
"""

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# The python3-saml suite's browser, bridge launcher and page parser.
sys.path.insert(0, os.path.join(HERE, "..", "saml"))
import run as common  # noqa: E402
from run import Browser, Failure, check, free_port, parse_page  # noqa: E402

MODULES = "/usr/lib/apache2/modules"
ION = common.ION


class Mellon:
    """Apache + mod_auth_mellon protecting /protected, attributes shown by a CGI."""

    def __init__(self, apache, workdir):
        self.apache, self.workdir = apache, workdir
        self.dir = os.path.join(workdir, "mellon")
        os.makedirs(os.path.join(self.dir, "cgi"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "htdocs"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.entity_id = self.url + "/mellon/metadata"
        self.key_file = os.path.join(self.dir, "sp.key")
        self.cert_file = os.path.join(self.dir, "sp.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                        "-subj", "/CN=mellon-sp", "-keyout", self.key_file, "-out", self.cert_file],
                       check=True, capture_output=True)
        self.proc = None

    def sp_metadata(self):
        cert = "".join(l for l in open(self.cert_file).read().splitlines() if "-----" not in l)
        kd = lambda use: ('<KeyDescriptor use="%s"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s'
                          '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>' % (use, cert))
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
                'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s">'
                '<SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
                'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s%s'
                '<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
                'Location="%s/mellon/logout"/>'
                '<NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</NameIDFormat>'
                '<AssertionConsumerService index="0" isDefault="true" '
                'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%s/mellon/postResponse"/>'
                '</SPSSODescriptor></EntityDescriptor>\n'
                % (self.entity_id, kd("signing"), kd("encryption"), self.url, self.url))

    def write_config(self, idp_metadata):
        d = self.dir
        with open(os.path.join(d, "sp-metadata.xml"), "w") as f:
            f.write(self.sp_metadata())
        with open(os.path.join(d, "idp-metadata.xml"), "w") as f:
            f.write(idp_metadata)
        cgi = os.path.join(d, "cgi", "attrs")
        with open(cgi, "w") as f:
            f.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nCache-Control: no-store\\r\\n\\r\\n'\n"
                    "env | grep '^MELLON_' | sort\n")
        os.chmod(cgi, 0o755)
        with open(os.path.join(d, "htdocs", "bye.html"), "w") as f:
            f.write("<!doctype html><title>bye</title><p>logged out</p>\n")
        conf = """
ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{d}/run/httpd.pid"
DefaultRuntimeDir "{d}/run"
ErrorLog "{d}/error.log"
LogLevel warn auth_mellon:info
LoadModule mpm_prefork_module {m}/mod_mpm_prefork.so
LoadModule authn_core_module {m}/mod_authn_core.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule authz_user_module {m}/mod_authz_user.so
LoadModule alias_module {m}/mod_alias.so
LoadModule cgi_module {m}/mod_cgi.so
LoadModule auth_mellon_module {m}/mod_auth_mellon.so
StartServers 1
MinSpareServers 1
MaxSpareServers 2
MaxRequestWorkers 4
Timeout 30
DocumentRoot "{d}/htdocs"
<Directory />
  Require all granted
</Directory>
MellonCacheSize 50
<Location />
  MellonEnable info
  MellonEndpointPath /mellon
  MellonSPPrivateKeyFile "{d}/sp.key"
  MellonSPCertFile "{d}/sp.crt"
  MellonSPMetadataFile "{d}/sp-metadata.xml"
  MellonIdPMetadataFile "{d}/idp-metadata.xml"
  MellonSecureCookie Off
  MellonSignatureMethod rsa-sha256
</Location>
ScriptAlias /protected/attrs "{d}/cgi/attrs"
<Location /protected>
  AuthType Mellon
  MellonEnable auth
  Require valid-user
</Location>
""".format(d=d, port=self.port, m=MODULES)
        if os.geteuid() == 0:
            # Apache refuses to serve as root; its children read the keys.
            conf += "User nobody\nGroup nogroup\n"
            for root, dirs, files in os.walk(self.workdir):
                for x in dirs:
                    os.chmod(os.path.join(root, x), 0o755)
                for x in files:
                    os.chmod(os.path.join(root, x), 0o755 if x == "attrs" else 0o644)
            os.chmod(self.workdir, 0o755)
        self.conf_file = os.path.join(d, "httpd.conf")
        with open(self.conf_file, "w") as f:
            f.write(conf)

    def start(self):
        check_conf = subprocess.run([self.apache, "-f", self.conf_file, "-t"], capture_output=True, text=True)
        check(check_conf.returncode == 0, "apache configuration refused:\n" + check_conf.stderr)
        # Its own session: at shutdown the prefork parent signals its whole
        # process group, which must not include this script.
        self.proc = subprocess.Popen([self.apache, "-f", self.conf_file, "-DFOREGROUND"], start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "stderr.log"), "w"))
        deadline = time.time() + 20
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/bye.html", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError("apache did not start; log:\n" + self.log_tail())

    def log_tail(self):
        out = ""
        for name in ("stderr.log", "error.log"):
            try:
                out += open(os.path.join(self.dir, name)).read()[-3000:]
            except OSError:
                pass
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Suite:
    def __init__(self, binary, apache, workdir):
        self.binary, self.workdir = binary, workdir
        self.mellon = Mellon(apache, workdir)
        self.oidc_client = {"id": "rp-mellon", "secret": base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="),
                            "redirect": "https://rp-mellon.example/cb", "post_logout": "https://rp-mellon.example/bye"}
        self.responses = []  # every SAMLResponse the browser carried to mellon

    def start(self):
        m = self.mellon
        with open(os.path.join(self.workdir, "mellon-sp.xml"), "w") as f:
            f.write(m.sp_metadata())
        services = os.path.join(self.workdir, "services.yaml")
        with open(services, "w") as f:
            # Registration by metadata import; the choices metadata cannot express on top.
            f.write("services:\n"
                    "  - metadata_file: mellon-sp.xml\n"
                    "    names: {ro: \"Serviciu Apache\", ru: \"Служба Apache\", en: \"Apache service\"}\n"
                    "    attributes: [idnp, first_name, last_name, birth_date, gender, email]\n"
                    "    encrypt_assertion: true\n"
                    "    sign_assertion: true\n")
        clients = os.path.join(self.workdir, "clients.yaml")
        c = self.oidc_client
        with open(clients, "w") as f:
            f.write("clients:\n"
                    "  - client_id: %s\n"
                    "    client_secret: %s\n"
                    "    names: {ro: \"RP\", ru: \"RP\", en: \"RP\"}\n"
                    "    redirect_uris: [\"%s\"]\n"
                    "    post_logout_redirect_uris: [\"%s\"]\n"
                    "    grant_types: [authorization_code]\n"
                    "    token_endpoint_auth_method: client_secret_basic\n"
                    "    scopes: [openid, profile]\n"
                    "    attributes: [first_name]\n" % (c["id"], c["secret"], c["redirect"], c["post_logout"]))
        self.bridge = common.Bridge(self.binary, self.workdir, {"CERTME_SAML_DEV_SERVICES_FILE": services,
                                                               "CERTME_OIDC_DEV_CLIENTS_FILE": clients})
        self.bridge.start()
        with urllib.request.urlopen(self.bridge.url + "/saml/metadata", timeout=10) as r:
            idp_metadata = r.read().decode()
        m.write_config(idp_metadata)
        m.start()

    def stop(self):
        self.mellon.stop()
        if hasattr(self, "bridge"):
            self.bridge.stop()

    def browse(self, b, method, url, form=None, login=True):
        """Follows every redirect, submits auto-post SAML forms and (when
        `login`) picks the development identity. Returns (status, url, body)."""
        for _ in range(30):
            status, headers, body = b.request(method, url, form)
            loc = headers.get("Location")
            if status in (301, 302, 303, 307) and loc:
                method, url, form = "GET", urllib.parse.urljoin(url, loc), None
                if not url.startswith("http://127.0.0.1:"):
                    return status, url, body  # left for an address outside the test (an RP's)
                continue
            page = parse_page(body) if status == 200 else None
            if page and len(page.forms) == 1 and page.forms[0]["method"] == "post":
                f = page.forms[0]
                if "SAMLResponse" in f["fields"] or "SAMLRequest" in f["fields"]:
                    if "SAMLResponse" in f["fields"] and f["action"].startswith(self.mellon.url):
                        self.responses.append(base64.b64decode(f["fields"]["SAMLResponse"]).decode())
                    method, url, form = "POST", urllib.parse.urljoin(url, f["action"]), f["fields"]
                    continue
                if login and "/login/dev" in url and ("identity", "ion") in f["radios"]:
                    method, url, form = "POST", urllib.parse.urljoin(url, f["action"]), dict(f["fields"], identity="ion")
                    continue
            return status, url, body
        raise Failure("too many steps from " + url)

    def attributes(self, b):
        """The protected page's MELLON_* variables, or None when it asked for a login."""
        status, url, body = self.browse(b, "GET", self.mellon.url + "/protected/attrs", login=False)
        if "/login/dev" in url:
            return None
        check(status == 200, "protected page: HTTP %d at %s\n%s" % (status, url, body[:300]))
        return dict(line.split("=", 1) for line in body.splitlines() if "=" in line)

    def login(self, b):
        status, url, body = self.browse(b, "GET", self.mellon.url + "/protected/attrs")
        check(status == 200 and url.startswith(self.mellon.url + "/protected/attrs"),
              "login did not end on the protected page: HTTP %d at %s\n%s\nmellon log:\n%s"
              % (status, url, body[:400], self.mellon.log_tail()))
        return dict(line.split("=", 1) for line in body.splitlines() if "=" in line)

    def run_logout_page(self, b, body, url):
        """Our SLO progress page: load each frame (mellon answers), wait, finish."""
        page = parse_page(body)
        check(page.iframes, "logout page without frames:\n" + body[:300])
        for src in page.iframes:
            st, u, _ = self.browse(b, "GET", urllib.parse.urljoin(url, src))
            check(st == 200 and "/saml/slo" in u, "logout frame ended at HTTP %d %s" % (st, u))
        finish = urllib.parse.urljoin(url, page.links["finish"])
        deadline = time.time() + 15
        while time.time() < deadline:
            _, _, s = b.request("GET", finish.replace("/finish", "/status"))
            if '"pending":0' in s:
                break
            time.sleep(0.2)
        check('"pending":0' in s, "mellon did not answer our LogoutRequest")
        return self.browse(b, "GET", finish)


# ------------------------------------------------------------------ cases

def case_login_attributes(s):
    b = Browser(s.bridge.url)
    s.browser = b
    env = s.login(b)
    check(env.get("MELLON_NAME_ID") == ION["idnp"], "NameID %r" % env.get("MELLON_NAME_ID"))
    for name in ("FirstName", "BirthDate", "Gender"):
        check(env.get("MELLON_" + name) == ION[name], "MELLON_%s = %r" % (name, env.get("MELLON_" + name)))
    check(env.get("MELLON_LastName") and env.get("MELLON_EmailAddress"), "LastName/EmailAddress released")
    check("MELLON_IsResident" not in env, "unregistered attribute released")
    check(env.get("MELLON_NameIdentifier") == ION["idnp"], "NameIdentifier %r" % env.get("MELLON_NameIdentifier"))


def case_response_encrypted(s):
    check(s.responses, "no Response carried to mellon")
    xml = s.responses[-1]
    check("<saml:EncryptedAssertion" in xml and "<saml:Assertion" not in xml, "the Assertion is not encrypted")
    check("http://www.w3.org/2009/xmlenc11#aes256-gcm" in xml, "AES-256-GCM")
    check(ION["idnp"] not in xml and ">Ion<" not in xml, "personal data in clear")
    check(common.xmlsec1_verify(xml, os.path.join(s.workdir, "dev-keys", "saml-idp-cert.pem"),
                                "urn:oasis:names:tc:SAML:2.0:protocol:Response", s.workdir, "enc.xml"),
          "xmlsec1 refused the Response signature")


def case_sp_initiated_slo(s):
    b = s.browser
    bye = s.mellon.url + "/bye.html"
    status, url, body = s.browse(b, "GET", s.mellon.url + "/mellon/logout?ReturnTo=" + urllib.parse.quote(bye, safe=""))
    check(status == 200 and url == bye, "logout ended at HTTP %d %s\n%s\n%s" % (status, url, body[:300], s.mellon.log_tail()))
    check(s.attributes(b) is None, "mellon session survived its logout")


def case_idp_initiated_slo(s):
    b = Browser(s.bridge.url)
    s.login(b)
    status, url, body = s.browse(b, "GET", s.bridge.url + "/saml/logout?lang=en")
    form = parse_page(body).forms[0]
    status, url, body = s.browse(b, "POST", urllib.parse.urljoin(url, form["action"]), form["fields"])
    status, url, body = s.run_logout_page(b, body, url)
    check(status == 200 and "/saml/slo/finish" in url, "logout ended at HTTP %d %s" % (status, url))
    check(s.attributes(b) is None, "mellon session survived the IdP-initiated logout\n" + s.mellon.log_tail())


def case_oidc_logout_ends_mellon_session(s):
    b = Browser(s.bridge.url)
    tokens = common.Suite.oidc_login(s, b)
    s.login(b)
    check(s.attributes(b), "logged in at mellon")
    q = urllib.parse.urlencode({"id_token_hint": tokens["id_token"], "state": "st",
                                "post_logout_redirect_uri": s.oidc_client["post_logout"]})
    status, url, body = s.browse(b, "GET", s.bridge.url + "/logout?" + q)
    check("/saml/slo/progress" in url, "OIDC logout did not continue on the SAML logout page: %s" % url)
    status, url, body = s.run_logout_page(b, body, url)
    check(url == s.oidc_client["post_logout"] + "?state=st", "ended at %s" % url)
    check(s.attributes(b) is None, "mellon session survived the OIDC logout\n" + s.mellon.log_tail())


CASES = [
    ("login through mellon: encrypted Response, MPass attributes on the protected page", case_login_attributes),
    ("the Response carries an AES-256-GCM EncryptedAssertion and a valid signature", case_response_encrypted),
    ("SP-initiated SLO from mellon's /mellon/logout", case_sp_initiated_slo),
    ("IdP-initiated logout ends mellon's session", case_idp_initiated_slo),
    ("OIDC logout of a mixed session ends mellon's session", case_oidc_logout_ends_mellon_session),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    ap.add_argument("--apache", default=shutil.which("apache2") or "/usr/sbin/apache2")
    args = ap.parse_args()
    for need in (args.apache, os.path.join(MODULES, "mod_auth_mellon.so")):
        if not os.path.exists(need):
            print("missing %s (Debian packages apache2, libapache2-mod-auth-mellon)" % need)
            return 1
    workdir = tempfile.mkdtemp(prefix="certme-mellon-conf-")
    suite = Suite(os.path.abspath(args.certme), args.apache, workdir)
    passed = failed = 0
    try:
        suite.start()
        for title, fn in CASES:
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
            print("mellon log tail:\n" + suite.mellon.log_tail())
        if os.environ.get("CERTME_CONFORMANCE_KEEP") == "1" or failed:
            print("work directory kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
