"""One SAML login through a service registered by the administration
console, with python3-saml as the service provider (the setup of
conformance/saml/run.py, whose classes this reuses) and the development
login as the user.

Usage: saml_login.py --bridge URL --entity-id ID --acs URL --key FILE --cert FILE
Prints the attributes python3-saml accepted as one JSON line; exits 1 with
the reason when the login fails.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "saml"))

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C  # noqa: E402
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser  # noqa: E402

import run as saml_conformance  # noqa: E402  (conformance/saml/run.py)


def main():
    ap = argparse.ArgumentParser()
    for name in ("bridge", "entity-id", "acs", "key", "cert"):
        ap.add_argument("--" + name, required=True)
    a = ap.parse_args()

    # The ServiceProvider of run.py (built the ordinary way, so that fields
    # it gains later are set), then given the key and certificate the
    # console was given instead of its freshly generated ones.
    scratch = tempfile.mkdtemp(prefix="certme-admin-sp-")
    try:
        sp = saml_conformance.ServiceProvider("admin", scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sp.entity_id = a.entity_id
    sp.acs = a.acs
    sp.host = urllib.parse.urlsplit(a.acs).hostname
    sp.slo = "https://%s/slo" % sp.host
    sp.key_file, sp.cert_file = a.key, a.cert
    sp.key_pem, sp.cert_pem = open(a.key).read(), open(a.cert).read()
    with urllib.request.urlopen(a.bridge + "/saml/metadata", timeout=15) as r:
        metadata = r.read().decode()
    idp = OneLogin_Saml2_IdPMetadataParser.parse(metadata, required_sso_binding=C.BINDING_HTTP_POST,
                                                 required_slo_binding=C.BINDING_HTTP_POST)
    sp.configure(idp)

    browser = saml_conformance.Browser(a.bridge)
    request_id, saml_request = sp.authn_request()
    sso = idp["idp"]["singleSignOnService"]["url"]
    status, url, body, left = browser.navigate("POST", sso, {"SAMLRequest": saml_request, "RelayState": "rs"})
    if "/login/dev" in url:
        status, url, body, left = browser.dev_login(url, "ion")
    if status != 200 or left is not None:
        print("login did not end on a Response page: HTTP %d at %s\n%s" % (status, url, body[:300]))
        return 1
    action, fields = saml_conformance.post_form(body)
    if action != sp.acs:
        print("Response posted to %s, not the ACS" % action)
        return 1
    auth = sp.consume_response(fields, request_id)
    if auth.get_errors() or not auth.is_authenticated():
        print("python3-saml refused the Response: %s (%s)" % (auth.get_errors(), auth.get_last_error_reason()))
        return 1
    print(json.dumps({"name_id": auth.get_nameid(), "attributes": auth.get_attributes()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
