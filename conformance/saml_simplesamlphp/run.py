"""SAML conformance with SimpleSAMLphp 1.19 (Debian simplesamlphp) as the
service provider, against the real `certme idp` logging in through the
certME wallet login (embedded ledger, validator service, `certme wallet
approve` answering the login page's QR link).

SimpleSAMLphp runs under php's built-in web server (`php -S`) on a free
127.0.0.1 port with its own configuration directory in the work folder
(SIMPLESAMLPHP_CONFIG_DIR): config.php, authsources.php with the `default-sp`
authentication source (its own key and certificate, signed AuthnRequests and
logout messages, encrypted assertions required), and the bridge's metadata
read from a file as an integrator downloads it from /saml/metadata. The SP's
metadata, as SimpleSAMLphp publishes it, is registered with the bridge by
metadata import. A tiny application page calls requireAuth() and prints
getAttributes() and the NameID.

The script is the browser: a cookie-keeping HTTP client that follows
redirects and submits the auto-post forms (conformance/lib/wallet_world.py).

Cases: login and the MPass attributes on the application page; the Response
on the wire carries an AES-256-GCM EncryptedAssertion; SP-initiated logout
(Simple::logout()); IdP-initiated logout from the bridge's logout page;
after each, the application asks for a new wallet login.

Usage: run.py --certme <path to the certme binary> [--php /usr/bin/php]
"""

import argparse
import base64
import os
import secrets
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import wallet_world as ww  # noqa: E402
from wallet_world import Browser, check  # noqa: E402

SSP = "/usr/share/simplesamlphp"

CONFIG = """<?php
// SimpleSAMLphp configuration of the service (conformance/saml_simplesamlphp).
$config = [
    'baseurlpath' => '{url}/simplesaml/',
    'certdir' => '{d}/cert/',
    'loggingdir' => '{d}/log/',
    'datadir' => '{d}/data/',
    'tempdir' => '{d}/tmp',
    'metadatadir' => '{d}/metadata/',
    'attributenamemapdir' => '{ssp}/config/attributemap/',
    'technicalcontact_name' => 'Service administrator',
    'technicalcontact_email' => 'admin@service.example',
    'timezone' => 'UTC',
    'secretsalt' => '{salt}',
    'auth.adminpassword' => '{admin}',
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'trusted.url.domains' => ['127.0.0.1:{port}'],
    'enable.saml20-idp' => false,
    'enable.shib13-idp' => false,
    'showerrors' => true,
    'errorreporting' => false,
    'logging.level' => SimpleSAML\\Logger::INFO,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => '{d}/sessions',
    // Plain HTTP on 127.0.0.1 in this test; behind HTTPS these stay true.
    'session.cookie.secure' => false,
    'language.cookie.secure' => false,
    'module.enable' => ['core' => true, 'saml' => true, 'admin' => true, 'exampleauth' => false],
    // The bridge's signed metadata, as downloaded from /saml/metadata.
    'metadata.sources' => [
        ['type' => 'flatfile'],
        ['type' => 'xml', 'file' => '{d}/metadata/certme-idp.xml'],
    ],
];
"""

AUTHSOURCES = """<?php
$config = [
    'admin' => ['core:AdminPassword'],
    'default-sp' => [
        'saml:SP',
        'entityID' => '{url}/simplesaml/module.php/saml/sp/metadata.php/default-sp',
        'idp' => '{idp}',
        'discoURL' => null,
        'privatekey' => 'sp.key',
        'certificate' => 'sp.crt',
        // MPass profile: every AuthnRequest and logout message signed, RSA-SHA256.
        'sign.authnrequest' => true,
        'sign.logout' => true,
        'redirect.sign' => true,
        'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        // The NameID is the IDNP (format unspecified), not a transient id.
        'NameIDPolicy' => ['Format' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', 'AllowCreate' => true],
        'assertion.encryption' => true,
        'validate.logout' => true,
        'name' => ['en' => 'SimpleSAMLphp service', 'ro' => 'Serviciu SimpleSAMLphp'],
    ],
];
"""

APP = """<?php
require_once('{ssp}/lib/_autoload.php');
$as = new \\SimpleSAML\\Auth\\Simple('default-sp');
header('Content-Type: text/plain; charset=utf-8');
header('Cache-Control: no-store');
if (isset($_GET['check'])) {{
    echo $as->isAuthenticated() ? "authenticated\\n" : "anonymous\\n";
    exit;
}}
if (isset($_GET['logout'])) {{
    $as->logout('{url}/app/bye.php');
}}
$as->requireAuth();
foreach ($as->getAttributes() as $name => $values) {{
    foreach ($values as $v) {{
        echo $name, '=', $v, "\\n";
    }}
}}
echo 'NameID=', $as->getAuthData('saml:sp:NameID')->getValue(), "\\n";
echo 'NameIDFormat=', $as->getAuthData('saml:sp:NameID')->getFormat(), "\\n";
"""


class SimpleSamlPhp:
    def __init__(self, php, world):
        self.php, self.w = php, world
        self.dir = world.path("ssp")
        for sub in ("config", "cert", "log", "data", "tmp", "metadata", "sessions", "htdocs/app"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.port = ww.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.entity_id = self.url + "/simplesaml/module.php/saml/sp/metadata.php/default-sp"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                        "-subj", "/CN=simplesamlphp-sp", "-keyout", os.path.join(self.dir, "cert", "sp.key"),
                        "-out", os.path.join(self.dir, "cert", "sp.crt")], check=True, capture_output=True)
        self.proc = None

    def write_config(self, idp_entity_id):
        d = self.dir
        fill = dict(url=self.url, port=self.port, d=d, ssp=SSP, idp=idp_entity_id,
                    salt=secrets.token_hex(16), admin=secrets.token_hex(12))
        with open(os.path.join(d, "config", "config.php"), "w") as f:
            f.write(CONFIG.format(**fill))
        with open(os.path.join(d, "config", "authsources.php"), "w") as f:
            f.write(AUTHSOURCES.format(**fill))
        with open(os.path.join(d, "htdocs", "app", "index.php"), "w") as f:
            f.write(APP.format(**fill))
        with open(os.path.join(d, "htdocs", "app", "bye.php"), "w") as f:
            f.write("<?php header('Content-Type: text/plain'); echo \"logged out\\n\";\n")
        os.symlink(os.path.join(SSP, "www"), os.path.join(d, "htdocs", "simplesaml"))

    def start(self):
        env = dict(os.environ, SIMPLESAMLPHP_CONFIG_DIR=os.path.join(self.dir, "config"),
                   PHP_CLI_SERVER_WORKERS="4")
        self.proc = subprocess.Popen([self.php, "-S", "127.0.0.1:%d" % self.port, "-t",
                                      os.path.join(self.dir, "htdocs")], cwd=self.dir, env=env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "php-server.log"), "w"),
                                     start_new_session=True)
        check(ww.wait_http(self.url + "/app/bye.php", self.proc), "php -S did not start:\n" + self.log_tail())

    def sp_metadata(self):
        status, _, body = Browser(self.w).request("GET", self.entity_id)
        check(status == 200 and "EntityDescriptor" in body, "SP metadata: HTTP %d\n%s" % (status, body[:400]))
        return body

    def log_tail(self):
        return (ww.tail(os.path.join(self.dir, "log", "simplesamlphp.log")) + "\n" +
                ww.tail(os.path.join(self.dir, "php-server.log")))

    def stop(self):
        # php -S with workers: the workers are the leader's children and stay
        # behind when only the leader is signalled.
        ww.stop_process(self.proc, group=True)


class Journey:
    def __init__(self, world, php):
        self.w = world
        self.ssp = SimpleSamlPhp(php, world)

    def start(self):
        s = self.ssp
        bridge_port = ww.free_port()
        idp_entity_id = "http://127.0.0.1:%d/saml/metadata" % bridge_port
        s.write_config(idp_entity_id)
        s.start()
        with open(self.w.path("ssp-sp.xml"), "w") as f:
            f.write(s.sp_metadata())
        with open(self.w.path("services.yaml"), "w") as f:
            f.write("services:\n"
                    "  - metadata_file: ssp-sp.xml\n"
                    "    names: {ro: \"Serviciu SimpleSAMLphp\", ru: \"Служба SimpleSAMLphp\","
                    " en: \"SimpleSAMLphp service\"}\n"
                    "    attributes: [idnp, first_name, last_name, birth_date, gender, email]\n"
                    "    encrypt_assertion: true\n"
                    "    sign_assertion: true\n")
        self.w.start_bridge({"CERTME_SAML_DEV_SERVICES_FILE": self.w.path("services.yaml")}, port=bridge_port)
        status, _, metadata = Browser(self.w).request("GET", idp_entity_id)
        check(status == 200, "bridge metadata: HTTP %d" % status)
        with open(os.path.join(s.dir, "metadata", "certme-idp.xml"), "w") as f:
            f.write(metadata)

    def app(self, browser, query="", login=True):
        return browser.browse("GET", self.ssp.url + "/app/index.php" + query, login=login)

    def authenticated(self, browser):
        status, _, body = self.app(browser, "?check=1", login=False)
        check(status == 200, "check page: HTTP %d %s" % (status, body[:200]))
        return body.strip() == "authenticated"

    def login(self, browser):
        before = browser.logins
        status, url, body = self.app(browser)
        check(status == 200 and url.startswith(self.ssp.url + "/app/index.php") and browser.logins == before + 1,
              "login did not end on the application page after a wallet login: HTTP %d at %s\n%s\n%s"
              % (status, url, body[:600], self.ssp.log_tail()))
        return dict(line.split("=", 1) for line in body.splitlines() if "=" in line)

    # ---------------------------------------------------------------- cases

    def case_login(self):
        self.browser = Browser(self.w)
        seen = self.login(self.browser)
        for name, value in ww.MPASS.items():
            check(seen.get(name) == value, "%s = %r (page: %r)" % (name, seen.get(name), seen))
        check(seen.get("NameIdentifier") == ww.ATTRS["idnp"], "NameIdentifier %r" % seen.get("NameIdentifier"))
        check(seen.get("NameID") == ww.ATTRS["idnp"], "NameID %r" % seen.get("NameID"))
        check("IsResident" not in seen, "an attribute the service did not register")

    def case_encrypted(self):
        responses = [v for (target, kind, v) in self.browser.saml_messages
                     if kind == "SAMLResponse" and target.startswith(self.ssp.url)]
        check(responses, "no Response carried to SimpleSAMLphp")
        xml = base64.b64decode(responses[-1]).decode()
        check("<saml:EncryptedAssertion" in xml and "<saml:Assertion" not in xml, "the Assertion is not encrypted")
        check("http://www.w3.org/2009/xmlenc11#aes256-gcm" in xml, "not AES-256-GCM")
        check(ww.ATTRS["idnp"] not in xml and ">Ion<" not in xml, "personal data in clear")
        requests = [v for (target, kind, v) in self.browser.saml_messages if kind == "SAMLRequest"]
        check(not requests, "SimpleSAMLphp sent its AuthnRequest by POST; expected HTTP-Redirect")

    def case_sp_logout(self):
        status, url, body = self.app(self.browser, "?logout=1", login=False)
        check(status == 200 and url == self.ssp.url + "/app/bye.php",
              "logout ended at HTTP %d %s\n%s\n%s" % (status, url, body[:400], self.ssp.log_tail()))
        check(not self.authenticated(self.browser), "SimpleSAMLphp session survived its logout")
        # The bridge's SSO session ended too: the next login asks the wallet again.
        self.login(self.browser)

    def case_idp_logout(self):
        check(self.authenticated(self.browser), "not logged in before the IdP-initiated logout")
        status, url, body = ww.idp_initiated_logout(self.browser)
        check(status == 200 and "/saml/slo/finish" in url, "logout ended at HTTP %d %s" % (status, url))
        check(not self.authenticated(self.browser),
              "SimpleSAMLphp session survived the IdP-initiated logout\n" + self.ssp.log_tail())
        self.login(self.browser)
        refused = self.w.refused_messages()
        check(not refused, "the bridge refused messages of SimpleSAMLphp:\n" + "\n".join(refused))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    ap.add_argument("--php", default=shutil.which("php") or "/usr/bin/php")
    args = ap.parse_args()
    for need in (args.php, os.path.join(SSP, "www", "module.php")):
        if not os.path.exists(need):
            print("missing %s (Debian packages php-cli, simplesamlphp)" % need)
            return 1
    world = ww.World(args.certme, "certme-ssp-")
    j = Journey(world, args.php)
    failed = 1
    try:
        world.enrol()
        j.start()
        failed = ww.run_cases([
            ("login through SimpleSAMLphp's default-sp: MPass attributes and NameID on the application page",
             j.case_login),
            ("the Response carries an AES-256-GCM EncryptedAssertion", j.case_encrypted),
            ("SP-initiated logout (Simple::logout) ends both sessions", j.case_sp_logout),
            ("IdP-initiated logout from the bridge's page ends SimpleSAMLphp's session", j.case_idp_logout),
        ], world, lambda: "SimpleSAMLphp log tail:\n" + j.ssp.log_tail())
    except Exception as e:
        import traceback
        print("FAIL setup: " + (str(e) if isinstance(e, ww.Failure) else traceback.format_exc()), flush=True)
        print(world.logs())
        print("SimpleSAMLphp log tail:\n" + j.ssp.log_tail())
    finally:
        j.ssp.stop()
        world.stop()
        world.cleanup(failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
