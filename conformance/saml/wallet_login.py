"""SAML login through the certME wallet login (not the development double):
a fresh embedded ledger with a validator, an authorized provider key for the
bridge and an enrolled user; the validator service; `certme idp` with
login.wallet_login; python3-saml as the MPass-style service.

The script is the browser: the signed AuthnRequest to /saml/sso lands on the
wallet login page, whose QR link the reference wallet (`certme wallet approve
LINK --yes`) answers — the first login runs the consent-gated validation on
the ledger, answered by the validator service — then the page's continue link
leads to the signed Response, which python3-saml validates. The attributes
must arrive with their MPass names and formats. A second login of the same
service (ForceAuthn) with the validator stopped shows that re-authentication
needs no validator. Then two logins that end without an authentication, with
the validator still stopped: a second user whose attributes were never
validated waits out ledger.answer_timeout_seconds (6 s here), and the first
user's eID, revoked by `certme admin revoke-eid`, is refused; in both the
outcome page's "back to the service" link delivers a signed error Response
(Responder alone; Responder/RequestDenied) that python3-saml reports as not
Success.

Usage: wallet_login.py --certme <path to the certme binary>
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

import run as common
from run import Browser, Failure, check

ATTRS = {"first_name": "Ion", "last_name": "Popescu", "birth_date": "1985-04-12", "gender": "1",
         "email": "ion.popescu@example.md", "idnp": "2001234567890"}
EXPECTED = {"FirstName": "Ion", "LastName": "Popescu", "BirthDate": "1985-04-12", "Gender": "1",
            "EmailAddress": "ion.popescu@example.md"}


def certme(binary, workdir, *args):
    r = subprocess.run([binary, *args], cwd=workdir, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "certme %s: %s" % (" ".join(args), (r.stderr or r.stdout)[-400:]))
    return r.stdout.strip()


def wallet_login(suite, sp, force_authn=False):
    b = Browser(suite.bridge.url)
    request_id, saml_request = sp.authn_request(force_authn=force_authn)
    status, url, body, _ = b.navigate("POST", suite.bridge.url + "/saml/sso",
                                      {"SAMLRequest": saml_request, "RelayState": "rs-" + sp.host})
    check(status == 200 and "/login/wallet" in url, "not on the wallet login page: HTTP %d at %s" % (status, url))
    link = re.search(r'href="([^"]*/wallet/v1/l/[A-Za-z0-9_-]+)"', body)
    txn = re.search(r'name="txn" value="([^"]+)"', body)
    check(link and txn, "no QR link or txn on the wallet login page")
    check("<svg" in body, "no QR code on the page")
    certme(suite.binary, suite.workdir, "wallet", "approve", link.group(1).replace("&amp;", "&"), "--yes")
    status, url, body, left = b.navigate("GET", suite.bridge.url + "/login/wallet/continue?txn=" +
                                         urllib.parse.quote(txn.group(1), safe=""))
    check(status == 200 and left is None, "continue did not end on the Response page: HTTP %d at %s" % (status, url))
    return suite.finish_login(b, sp, request_id, body)


def failed_login(suite, sp, wallet_args, expected_page_status, expected_status, expected_sub):
    """A wallet login that ends without an authentication: the reference
    wallet's answer is refused, the page links back to the service, and that
    link delivers a signed error Response which python3-saml reports."""
    b = Browser(suite.bridge.url)
    request_id, saml_request = sp.authn_request(force_authn=True)
    status, url, body, _ = b.navigate("POST", suite.bridge.url + "/saml/sso",
                                      {"SAMLRequest": saml_request, "RelayState": "rs-" + sp.host})
    check(status == 200 and "/login/wallet" in url, "not on the wallet login page: HTTP %d at %s" % (status, url))
    link = re.search(r'href="([^"]*/wallet/v1/l/[A-Za-z0-9_-]+)"', body)
    txn = re.search(r'name="txn" value="([^"]+)"', body)
    check(link and txn, "no QR link or txn on the wallet login page")
    r = subprocess.run([suite.binary, "wallet", "approve", link.group(1).replace("&amp;", "&"), "--yes",
                        *wallet_args], cwd=suite.workdir, capture_output=True, text=True, timeout=60)
    check(r.returncode != 0, "the wallet was told the login succeeded")
    status, url, body, left = b.navigate("GET", suite.bridge.url + "/login/wallet/continue?txn=" +
                                         urllib.parse.quote(txn.group(1), safe=""))
    check(status == expected_page_status, "outcome page: HTTP %d at %s" % (status, url))
    back = re.search(r'href="([^"]*/saml/resume\?[^"]*)"', body)
    check(back, "no link back to the service on the outcome page")
    status, url, body, left = b.navigate("GET", urllib.parse.urljoin(suite.bridge.url,
                                                                     back.group(1).replace("&amp;", "&")))
    check(status == 200 and left is None, "back to the service: HTTP %d at %s" % (status, url))
    action, fields = common.post_form(body)
    check(action == sp.acs, "Response posted to %s, not the ACS" % action)
    check(fields.get("RelayState") == "rs-" + sp.host, "RelayState not returned")
    auth = sp.consume_response(fields, request_id)
    check(not auth.is_authenticated(), "python3-saml authenticated a failed login")
    reason = auth.get_last_error_reason() or ""
    # python3-saml names the top-level code: "... was not Success, was Responder -> message".
    check(auth.get_errors() and ("was " + expected_status.split(":")[-1]) in reason,
          "python3-saml did not report %s: %s (%s)" % (expected_status, auth.get_errors(), reason))
    xml = common.b64xml(fields["SAMLResponse"])
    check(('InResponseTo="%s"' % request_id) in xml, "InResponseTo missing")
    if expected_sub:
        check(expected_sub in xml, "second-level status %s missing" % expected_sub)
    else:
        check(xml.count("<samlp:StatusCode") == 1, "second-level status where none was expected")
    check("<saml:Assertion" not in xml, "an Assertion in an error Response")
    return xml


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    args = ap.parse_args()
    binary = os.path.abspath(args.certme)
    workdir = tempfile.mkdtemp(prefix="certme-saml-wallet-")
    keep = os.environ.get("CERTME_CONFORMANCE_KEEP") == "1"
    os.environ["CERTME_WALLET_PASSPHRASE"] = "correct horse battery staple"
    for k in [k for k in os.environ if k.startswith("CERTME_") and k != "CERTME_WALLET_PASSPHRASE"]:
        del os.environ[k]
    suite = common.Suite(binary, workdir)
    validator = None
    passed = failed = 0
    try:
        # Ledger, roles, the user (README walk-through, conformance/wallet/login_e2e.sh).
        certme(binary, workdir, "ledger", "init")
        v = certme(binary, workdir, "ledger", "keygen", "--out", "var/ledger/validator.key")
        p = certme(binary, workdir, "ledger", "keygen", "--out", "var/ledger/provider.key")
        certme(binary, workdir, "admin", "authorize-validator", v)
        certme(binary, workdir, "admin", "authorize-provider", p)
        user = certme(binary, workdir, "wallet", "create")
        enroll = ["validator", "enroll", "--user", user, "--loa", "substantial", "--out", "enrollment.json"]
        for k, val in ATTRS.items():
            enroll += ["--attr", "%s=%s" % (k, val)]
        certme(binary, workdir, *enroll)
        # The user signs the enrolment before the validator may issue the eID.
        certme(binary, workdir, "wallet", "approve-enrolment", "enrollment.json", "--out", "enrolment.sig")
        certme(binary, workdir, "validator", "issue", "enrollment.json", "--consent", "enrolment.sig")
        certme(binary, workdir, "wallet", "import", "enrollment.json")
        # A second user, never validated for the service: the validator-timeout case.
        other = certme(binary, workdir, "wallet", "create", "--wallet", "vasile.json")
        enroll = ["validator", "enroll", "--user", other, "--loa", "substantial", "--out", "enrollment2.json"]
        for k, val in ATTRS.items():
            enroll += ["--attr", "%s=%s" % (k, "2001234567891" if k == "idnp" else val)]
        certme(binary, workdir, *enroll)
        certme(binary, workdir, "wallet", "approve-enrolment", "enrollment2.json", "--wallet", "vasile.json",
               "--out", "enrolment2.sig")
        certme(binary, workdir, "validator", "issue", "enrollment2.json", "--consent", "enrolment2.sig")
        certme(binary, workdir, "wallet", "import", "enrollment2.json", "--wallet", "vasile.json")
        validator = subprocess.Popen([binary, "validator", "serve"], cwd=workdir,
                                     stdout=open(os.path.join(workdir, "serve.log"), "w"), stderr=subprocess.STDOUT)

        sp = common.ServiceProvider("spw", workdir)
        suite.sps["spw"] = sp
        services = os.path.join(workdir, "services.yaml")
        with open(services, "w") as f:
            f.write("services:\n" + sp.yaml())
        suite.bridge = common.Bridge(binary, workdir, {
            "CERTME_SAML_DEV_SERVICES_FILE": services, "CERTME_LOGIN_DEV_LOGIN": "false",
            "CERTME_LOGIN_WALLET_LOGIN": "true", "CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS": "6"})
        suite.bridge.start()
        from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
        import urllib.request
        with urllib.request.urlopen(suite.bridge.url + "/saml/metadata", timeout=10) as r:
            suite.idp_settings = OneLogin_Saml2_IdPMetadataParser.parse(
                r.read().decode(), required_sso_binding=C.BINDING_HTTP_POST, required_slo_binding=C.BINDING_HTTP_POST)
        sp.configure(suite.idp_settings)

        cases = []

        def first_login():
            auth, xml = wallet_login(suite, sp)
            check(auth.get_nameid() == ATTRS["idnp"], "NameID %r" % auth.get_nameid())
            attrs = auth.get_attributes()
            for name, value in EXPECTED.items():
                check(attrs.get(name) == [value], "%s = %r" % (name, attrs.get(name)))
            check("http://eidas.europa.eu/LoA/substantial" in xml, "eIDAS LoA substantial")
            log = open(os.path.join(workdir, "serve.log")).read()
            check("validation answered" in log, "the validator answered no validation")
        cases.append(("wallet login (reference wallet, validator on the ledger): MPass attributes", first_login))

        def again_without_validator():
            validator.terminate()
            validator.wait(10)
            auth, _ = wallet_login(suite, sp, force_authn=True)
            check(auth.get_attributes().get("FirstName") == ["Ion"], "attributes on re-authentication")
        cases.append(("re-authentication (ForceAuthn) needs no validator", again_without_validator))

        # The validator is stopped now: a user whose attributes were never
        # validated waits out ledger.answer_timeout_seconds.
        def validator_timeout():
            failed_login(suite, sp, ["--wallet", "vasile.json"], 504,
                         "urn:oasis:names:tc:SAML:2.0:status:Responder", None)
        cases.append(("validator timeout: Responder error Response, reported by python3-saml", validator_timeout))

        def revoked():
            certme(binary, workdir, "admin", "revoke-eid", user)
            xml = failed_login(suite, sp, [], 403, "urn:oasis:names:tc:SAML:2.0:status:Responder",
                               "urn:oasis:names:tc:SAML:2.0:status:RequestDenied")
            check("the user&apos;s eID is revoked" in xml or "the user's eID is revoked" in xml,
                  "StatusMessage of the revoked eID")
        cases.append(("revoked eID: Responder/RequestDenied error Response, reported by python3-saml", revoked))

        for title, fn in cases:
            try:
                fn()
                passed += 1
                print("ok   " + title, flush=True)
            except Exception as e:
                failed += 1
                print("FAIL " + title + ": " + (str(e) if isinstance(e, Failure) else traceback.format_exc()), flush=True)
                break  # each case needs the ones before
    except Exception as e:
        failed += 1
        print("FAIL setup: " + (str(e) if isinstance(e, Failure) else traceback.format_exc()), flush=True)
    finally:
        if validator and validator.poll() is None:
            validator.terminate()
            validator.wait(10)
        if hasattr(suite, "bridge"):
            suite.bridge.stop()
        suite.receiver.close()
        if failed:
            print("bridge log tail:\n" + (suite.bridge.log_tail() if hasattr(suite, "bridge") else ""))
            print("work directory kept: " + workdir)
        elif keep:
            print("work directory kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
