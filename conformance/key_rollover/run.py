"""Signing-key rollover under load: OpenID Connect (openid-client) and SAML
(python3-saml) logins keep running while the OIDC RS256 key and the SAML
key are rolled over with `certme keys` on the running bridge, and not one
login may fail.

- OIDC: oidc_logins.mjs runs two workers of code-flow logins with an
  openid-client Configuration kept for CACHE_SECONDS, so the ID token is
  verified against the JWKS the library fetched and caches; every token is verified again three
  seconds later against a freshly fetched JWKS (a token signed just before
  the promotion must still verify: the retired key stays published).
- SAML: two service providers on python3-saml log in in a loop; each
  re-reads the IdP metadata every CACHE_SECONDS (a cached copy, as
  services keep one) and validates every Response against the certificates
  it lists.
- Rollover: add (the OIDC key from a PKCS#12 file with its password in a
  file, the SAML key from PEM with its certificate) → the JWKS and the
  metadata list the next keys → promote after the pre-publication period →
  logins are signed with the new keys, the old OIDC key stays in the JWKS;
  a spare key is added and withdrawn (retire). Refused steps change
  nothing: a promotion before the period ends, retiring the only active key,
  a wrong PKCS#12 password, a missing key file.

Usage: run.py --certme <path to the certme binary>
"""

import argparse
import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("saml_conformance", os.path.join(HERE, "..", "saml", "run.py"))
saml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(saml)

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C  # noqa: E402
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser  # noqa: E402

PRE_PUBLICATION_SECONDS = 4
# How long the relying parties keep the JWKS and the metadata (shorter than
# the pre-publication period, as an operator sets it).
CACHE_SECONDS = 2
check = saml.check


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def jwks_kids(bridge):
    return [k.get("kid") for k in json.loads(fetch(bridge.url + "/jwks"))["keys"]]


def metadata_signing_certs(bridge):
    md = fetch(bridge.url + "/saml/metadata")
    blocks = re.findall(r'<md:KeyDescriptor use="signing">.*?</md:KeyDescriptor>', md, re.S)
    return [re.sub(r"\s", "", re.search(r"<ds:X509Certificate>(.*?)</ds:X509Certificate>", b, re.S).group(1))
            for b in blocks]


def wait_for(what, cond, timeout=10, state=lambda: ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise saml.Failure("timed out waiting for %s %s" % (what, state()))


class SamlLoad:
    """SAML logins in a loop on one thread per service provider."""

    def __init__(self, bridge, sps):
        self.bridge, self.sps = bridge, sps
        self.ok, self.failures, self.signed_by = 0, [], {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(sp,), daemon=True) for sp in sps]

    def configure(self, sp):
        metadata = fetch(self.bridge.url + "/saml/metadata")
        idp = OneLogin_Saml2_IdPMetadataParser.parse(metadata, required_sso_binding=C.BINDING_HTTP_POST,
                                                     required_slo_binding=C.BINDING_HTTP_POST)
        multi = idp["idp"].get("x509certMulti", {}).get("signing")
        if multi and "x509cert" not in idp["idp"]:
            # python3-saml verifies against x509certMulti when present; the
            # shared configure() step reads x509cert for its own checks.
            idp["idp"]["x509cert"] = multi[0]
        sp.configure(idp)
        sp.idp_settings = idp
        sp.configured_at = time.time()

    def run(self, sp):
        while not self.stop.is_set():
            try:
                if time.time() - getattr(sp, "configured_at", 0) > CACHE_SECONDS:
                    self.configure(sp)
                browser = saml.Browser(self.bridge.url)
                _, xml = saml.Suite.sso_via_dev_login(self._suite(sp), browser, sp)
                cert = re.sub(r"\s", "", re.search(r"<ds:X509Certificate>(.*?)</ds:X509Certificate>", xml, re.S).group(1))
                with self.lock:
                    self.ok += 1
                    self.signed_by[cert] = self.signed_by.get(cert, 0) + 1
            except Exception:  # every failure counts, whatever raised it
                with self.lock:
                    self.failures.append(traceback.format_exc())
            time.sleep(0.05)

    def _suite(self, sp):
        # Suite.sso_via_dev_login and finish_login need only idp_settings.
        s = saml.Suite.__new__(saml.Suite)
        s.idp_settings = sp.idp_settings
        return s

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


class OidcLoad:
    """oidc_logins.mjs as a child process; its JSON lines counted here."""

    def __init__(self, bridge, client, node):
        self.ok, self.failures, self.kids, self.reverified = 0, [], {}, []
        self.done = False
        self.proc = subprocess.Popen(
            [node, os.path.join(HERE, "oidc_logins.mjs"), bridge.url, client["id"], client["secret"],
             client["redirect"], "2", str(CACHE_SECONDS)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.proc.stdout:
            try:
                o = json.loads(line)
            except ValueError:
                self.failures.append("oidc_logins.mjs: " + line.strip())
                continue
            if o.get("done"):
                self.done = True
            elif o.get("reverified"):
                self.reverified.append((o["kid"], o["at"]))
            elif o.get("ok"):
                self.ok += 1
                self.kids[o["kid"]] = self.kids.get(o["kid"], 0) + 1
            else:
                self.failures.append(o.get("error", line))

    def finish(self):
        self.proc.terminate()  # SIGTERM: the workers finish their logins and re-verify the rest
        try:
            self.proc.wait(40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)


class Rollover:
    def __init__(self, binary, workdir, node):
        self.binary, self.workdir, self.node = binary, workdir, node
        self.client = {"id": "rp-rollover", "secret": base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="),
                       "redirect": "https://rp-rollover.example/cb"}

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTME_")}
        env.update({"CERTME_STORE_SQLITE_PATH": os.path.join(self.workdir, "bridge.db"),
                    "CERTME_KEYS_DEV_KEY_DIR": os.path.join(self.workdir, "dev-keys"),
                    "CERTME_OIDC_CLAIMS_FILE": saml.CLAIMS_FILE,
                    "CERTME_KEYS_PRE_PUBLICATION_SECONDS": str(PRE_PUBLICATION_SECONDS),
                    "CERTME_KEYS_REFRESH_SECONDS": "1"})
        return env

    def keys(self, *args, expect=0, mentions=None):
        r = subprocess.run([self.binary, "keys", *args], cwd=self.workdir, env=self.env(), capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == expect, "certme keys %s: exit %d (want %d)\n%s%s"
              % (" ".join(args), r.returncode, expect, r.stdout, r.stderr))
        if mentions:
            check(mentions in r.stderr, "certme keys %s: %r not in %r" % (" ".join(args), mentions, r.stderr))
        return r.stdout

    def openssl(self, *args):
        subprocess.run(["openssl", *args], cwd=self.workdir, check=True, capture_output=True)

    def start(self):
        self.sps = [saml.ServiceProvider(n, self.workdir) for n in ("sp1", "sp2")]
        services = os.path.join(self.workdir, "services.yaml")
        with open(services, "w") as f:
            f.write("services:\n" + "".join(sp.yaml(slo=False) for sp in self.sps))
        clients = os.path.join(self.workdir, "clients.yaml")
        c = self.client
        with open(clients, "w") as f:
            f.write("clients:\n  - client_id: %s\n    client_secret: %s\n"
                    "    names: {ro: \"RP\", ru: \"RP\", en: \"RP\"}\n    redirect_uris: [\"%s\"]\n"
                    "    grant_types: [authorization_code]\n    token_endpoint_auth_method: client_secret_basic\n"
                    "    id_token_signed_response_alg: RS256\n    scopes: [openid]\n    attributes: [first_name]\n"
                    % (c["id"], c["secret"], c["redirect"]))
        extra = {k: v for k, v in self.env().items() if k.startswith("CERTME_KEYS_")}
        extra.update({"CERTME_SAML_DEV_SERVICES_FILE": services, "CERTME_OIDC_DEV_CLIENTS_FILE": clients})
        self.bridge = saml.Bridge(self.binary, self.workdir, extra)
        self.bridge.start()
        # The new keys: OIDC RSA in a PKCS#12 bundle (password in a file),
        # SAML RSA as PEM with a self-signed certificate, a spare EC key.
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=oidc-2", "-days", "30",
                     "-keyout", "oidc-2.key", "-out", "oidc-2.crt")
        with open(os.path.join(self.workdir, "p12-password"), "w") as f:
            f.write("correct horse\n")
        self.openssl("pkcs12", "-export", "-inkey", "oidc-2.key", "-in", "oidc-2.crt", "-out", "oidc-2.p12",
                     "-passout", "pass:correct horse")
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=saml-2", "-days", "30",
                     "-keyout", "saml-2.key", "-out", "saml-2.crt")
        self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "spare.key")
        with open(os.path.join(self.workdir, "saml-2.crt")) as f:
            self.saml2_cert = "".join(l.strip() for l in f if "CERTIFICATE" not in l)
        with open(os.path.join(self.workdir, "wrong-password"), "w") as f:
            f.write("wrong\n")

    def run(self):
        old_kid = "dev-rsa-1"
        old_saml = metadata_signing_certs(self.bridge)
        check(len(old_saml) == 1, "metadata before the rollover: %d signing certificates" % len(old_saml))
        oidc = OidcLoad(self.bridge, self.client, self.node)
        load = SamlLoad(self.bridge, self.sps)
        load.start()

        def state():
            first = (oidc.failures + load.failures + [""])[0]
            return "(OIDC %d ok, kids %s, %d failed; SAML %d ok, %d with the new key, %d failed)\n%s" % (
                oidc.ok, oidc.kids, len(oidc.failures), load.ok, load.signed_by.get(self.saml2_cert, 0),
                len(load.failures), first[-1500:])
        try:
            wait_for("logins before the rollover", lambda: oidc.ok >= 3 and load.ok >= 3, 60, state)

            # Bad input first: each refused with its cause, nothing changes.
            before = self.keys("list")
            self.keys("add", "--use", "oidc", "--kid", "x", "--pkcs12", "oidc-2.p12", "--password-file",
                      "wrong-password", expect=1, mentions="wrong PKCS#12 password")
            self.keys("add", "--use", "oidc", "--kid", "x", "--pem", "missing.pem", expect=1,
                      mentions="missing or unreadable")
            self.keys("add", "--use", "saml", "--kid", "x", "--pkcs12", "saml-2.crt", expect=1,
                      mentions="not a PKCS#12 file")
            self.keys("retire", old_kid, expect=1, mentions="without an active RSA key")
            check(self.keys("list") == before, "a refused command changed the key set")

            self.keys("add", "--use", "oidc", "--kid", "oidc-2", "--pkcs12", "oidc-2.p12", "--password-file",
                      "p12-password")
            self.keys("add", "--use", "saml", "--kid", "saml-2", "--pem", "saml-2.key", "--certificate", "saml-2.crt")
            self.keys("add", "--use", "oidc", "--kid", "spare", "--pem", "spare.key")
            added_at = time.time()
            self.keys("promote", "oidc-2", expect=1, mentions="pre-publication")
            wait_for("the next keys in the JWKS and the metadata",
                     lambda: {"oidc-2", "spare"} <= set(jwks_kids(self.bridge)) and
                     metadata_signing_certs(self.bridge) == old_saml + [self.saml2_cert])
            self.keys("retire", "spare")
            wait_for("the withdrawn key to leave the JWKS", lambda: "spare" not in jwks_kids(self.bridge))
            check(oidc.kids.get("oidc-2", 0) == 0 and load.signed_by.get(self.saml2_cert, 0) == 0,
                  "a next key signed before its promotion")

            time.sleep(max(0.0, added_at + PRE_PUBLICATION_SECONDS + 0.5 - time.time()))
            self.keys("promote", "oidc-2")
            self.keys("promote", "saml-2")
            promoted_ms = time.time() * 1000
            wait_for("logins signed with the new keys",
                     lambda: oidc.kids.get("oidc-2", 0) >= 3 and load.signed_by.get(self.saml2_cert, 0) >= 3, 30, state)
            kids = jwks_kids(self.bridge)
            check(old_kid in kids and "oidc-2" in kids, "JWKS after the promotion: %s" % kids)
            check(metadata_signing_certs(self.bridge) == [self.saml2_cert], "metadata after the promotion")
            self.keys("retire", "oidc-2", expect=1, mentions="without an active RSA key")
            time.sleep(4)  # tokens signed by dev-rsa-1 just before the promotion get re-verified
        finally:
            oidc.finish()
            load.finish()
        failures = oidc.failures + load.failures
        check(not failures, "%d failed logins; first:\n%s" % (len(failures), failures[0] if failures else ""))
        check(oidc.done, "oidc_logins.mjs did not finish")
        late_old = [at for kid, at in oidc.reverified if kid == old_kid and at > promoted_ms]
        check(late_old, "no token of the retired key was re-verified after the promotion")
        return "OIDC %d logins (%s), %d re-verified; SAML %d logins (%d with the new key)" % (
            oidc.ok, ", ".join("%s: %d" % kv for kv in sorted(oidc.kids.items())), len(oidc.reverified),
            load.ok, load.signed_by.get(self.saml2_cert, 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    ap.add_argument("--node", default=shutil.which("node") or "node")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="certme-rollover-")
    r = Rollover(os.path.abspath(args.certme), workdir, args.node)
    failed = False
    try:
        r.start()
        print("PASS rollover under load: " + r.run(), flush=True)
    except Exception:
        failed = True
        print("FAIL rollover under load: " + traceback.format_exc(), flush=True)
    finally:
        if hasattr(r, "bridge"):
            if failed:
                print("bridge log tail:\n" + r.bridge.log_tail())
            r.bridge.stop()
        if os.environ.get("CERTME_CONFORMANCE_KEEP") == "1" or failed:
            print("work directory kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
