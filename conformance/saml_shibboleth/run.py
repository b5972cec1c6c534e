"""SAML conformance with the Shibboleth SP 3 (Debian libapache2-mod-shib:
Apache mod_shib and the shibd daemon) as the service provider, against the
real `certme idp` logging in through the certME wallet login (embedded
ledger, validator service, `certme wallet approve` answering the login
page's QR link).

Apache runs in the foreground with its own configuration on a free
127.0.0.1 port (as root it serves as `nobody`), with mod_shib protecting
/secure, where a CGI prints the attributes Shibboleth exports to the
application's environment. shibd runs in the foreground
(`shibd -F -f -c CONFIG -p PIDFILE`, as `nobody` too so that Apache's
children may use its socket) with its own shibboleth2.xml, attribute map,
key, socket, logs and cache in the work folder; both read the same
shibboleth2.xml. Shibboleth is configured as an integrator configures it:
its own key and certificate, signing on, the bridge's metadata as a
remote source (fetched from /saml/metadata, kept in a backing file) with a
Signature and a RequireValidUntil filter, an attribute map for
the MPass attribute names. Its SP metadata (the MetadataGenerator handler's)
is registered with the bridge by metadata import, with encrypted
assertions. shibd and Apache are started once to publish the SP metadata
and again after the bridge is up, to read the bridge's metadata.

The script is the browser: a cookie-keeping HTTP client that follows
redirects and submits the auto-post forms (conformance/lib/wallet_world.py).

Cases: login and the MPass attributes in the application's environment;
the Response on the wire carries an AES-256-GCM EncryptedAssertion;
SP-initiated logout (/Shibboleth.sso/Logout) ends both sessions;
IdP-initiated logout from the bridge's page ends Shibboleth's session; the
bridge refused none of Shibboleth's messages.

Usage: run.py --certme <path to the certme binary> [--apache /usr/sbin/apache2] [--shibd /usr/sbin/shibd]
"""

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import wallet_world as ww  # noqa: E402
from wallet_world import Browser, check  # noqa: E402

MODULES = "/usr/lib/apache2/modules"
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
# The MPass attributes the service maps (config/claims.yaml's saml_name).
MAPPED = ["NameIdentifier", "FirstName", "LastName", "BirthDate", "Gender", "EmailAddress"]

SHIBBOLETH2 = """<SPConfig xmlns="urn:mace:shibboleth:3.0:native:sp:config"
    xmlns:conf="urn:mace:shibboleth:3.0:native:sp:config" clockSkew="180">
  <OutOfProcess logger="{d}/shibd.logger"/>
  <InProcess logger="{d}/native.logger"/>
  <UnixListener address="{d}/run/shibd.sock"/>
  <ApplicationDefaults entityID="{url}/shibboleth" REMOTE_USER="NameID"
      signing="true"
      signingAlg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
      digestAlg="http://www.w3.org/2001/04/xmlenc#sha256">
    <!-- Plain HTTP on 127.0.0.1 here: behind HTTPS keep handlerSSL="true" cookieProps="https". -->
    <Sessions lifetime="28800" timeout="3600" relayState="ss:mem" checkAddress="false"
        handlerSSL="false" cookieProps="http" redirectLimit="exact">
      <SSO entityID="{idp}">SAML2</SSO>
      <Logout>SAML2 Local</Logout>
      <Handler type="MetadataGenerator" Location="/Metadata" signing="false"/>
      <Handler type="Status" Location="/Status" acl="127.0.0.1 ::1"/>
    </Sessions>
    <Errors supportContact="admin@service.example" helpLocation="/about.html" styleSheet="/shibboleth-sp/main.css"/>
{metadata}
    <AttributeExtractor type="XML" validate="true" reloadChanges="false" path="{d}/attribute-map.xml"/>
    <CredentialResolver type="File" key="{d}/sp.key" certificate="{d}/sp.crt"/>
  </ApplicationDefaults>
  <SecurityPolicyProvider type="XML" validate="true" path="security-policy.xml"/>
  <ProtocolProvider type="XML" validate="true" reloadChanges="false" path="protocols.xml"/>
</SPConfig>
"""

METADATA_PROVIDER = """    <MetadataProvider type="XML" validate="true" url="{idp}"
        backingFilePath="{d}/cache/certme-idp.xml" maxRefreshDelay="7200">
      <MetadataFilter type="RequireValidUntil" maxValidityInterval="691200"/>
      <MetadataFilter type="Signature" certificate="{d}/certme-idp-signing.pem" verifyBackup="false"/>
    </MetadataProvider>"""

LOGGER = """log4j.rootCategory={level}, f
log4j.appender.f=org.apache.log4j.FileAppender
log4j.appender.f.fileName={path}
log4j.appender.f.layout=org.apache.log4j.PatternLayout
log4j.appender.f.layout.ConversionPattern=%d{{%H:%M:%S}} %p %c %x: %m%n
"""

CGI = """#!/bin/sh
# The variables Shibboleth exported to the application (and the CGI ones).
printf 'Content-Type: text/plain\\r\\nCache-Control: no-store\\r\\n\\r\\n'
env | sort
"""


class Shibboleth:
    """Apache + mod_shib protecting /secure, and shibd."""

    def __init__(self, apache, shibd, world):
        self.apache, self.shibd, self.w = apache, shibd, world
        self.dir = world.path("shib")
        for sub in ("run", "log", "cache", "cgi", "htdocs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.port = ww.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.entity_id = self.url + "/shibboleth"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
                        "-subj", "/CN=shibboleth-sp", "-keyout", os.path.join(self.dir, "sp.key"),
                        "-out", os.path.join(self.dir, "sp.crt")], check=True, capture_output=True)
        self.httpd = self.daemon = None
        self.root = os.geteuid() == 0
        self.env = dict(os.environ, SHIBSP_RUNDIR=os.path.join(self.dir, "run"),
                        SHIBSP_CACHEDIR=os.path.join(self.dir, "cache"), SHIBSP_LOGDIR=os.path.join(self.dir, "log"))

    def write_config(self, idp_entity_id, with_idp):
        d = self.dir
        metadata = METADATA_PROVIDER.format(d=d, idp=idp_entity_id) if with_idp else ""
        with open(os.path.join(d, "shibboleth2.xml"), "w") as f:
            f.write(SHIBBOLETH2.format(d=d, url=self.url, idp=idp_entity_id, metadata=metadata))
        with open(os.path.join(d, "shibd.logger"), "w") as f:
            f.write(LOGGER.format(level="INFO", path=os.path.join(d, "log", "shibd.log")))
        with open(os.path.join(d, "native.logger"), "w") as f:
            f.write(LOGGER.format(level="INFO", path=os.path.join(d, "log", "native.log")))
        rows = ['  <Attribute name="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" id="NameID">\n'
                '    <AttributeDecoder xsi:type="NameIDAttributeDecoder" formatter="$Name"/>\n'
                '  </Attribute>\n']
        rows += ['  <Attribute name="%s" nameFormat="%s" id="%s"/>\n' % (n, UNSPECIFIED, n) for n in MAPPED]
        with open(os.path.join(d, "attribute-map.xml"), "w") as f:
            f.write('<Attributes xmlns="urn:mace:shibboleth:2.0:attribute-map"\n'
                    '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + "".join(rows) + "</Attributes>\n")
        cgi = os.path.join(d, "cgi", "attrs")
        with open(cgi, "w") as f:
            f.write(CGI)
        os.chmod(cgi, 0o755)
        with open(os.path.join(d, "htdocs", "bye.html"), "w") as f:
            f.write("<!doctype html><title>bye</title><p>logged out</p>\n")
        conf = """
ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{d}/run/httpd.pid"
DefaultRuntimeDir "{d}/run"
ErrorLog "{d}/log/error.log"
LogLevel warn
LoadModule mpm_prefork_module {m}/mod_mpm_prefork.so
LoadModule authn_core_module {m}/mod_authn_core.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule alias_module {m}/mod_alias.so
LoadModule cgi_module {m}/mod_cgi.so
LoadModule mod_shib {m}/mod_shib.so
StartServers 1
MinSpareServers 1
MaxSpareServers 2
MaxRequestWorkers 4
Timeout 30
DocumentRoot "{d}/htdocs"
<Directory />
  Require all granted
</Directory>
ShibConfig "{d}/shibboleth2.xml"
ShibCompatValidUser Off
<Location /Shibboleth.sso>
  SetHandler shib
</Location>
ScriptAlias /secure/attrs "{d}/cgi/attrs"
<Location /secure>
  AuthType shibboleth
  ShibRequestSetting requireSession 1
  Require shib-session
</Location>
""".format(d=d, port=self.port, m=MODULES)
        if self.root:
            # Apache refuses to serve as root; its children use shibd's socket.
            conf += "User nobody\nGroup nogroup\n"
        self.conf_file = os.path.join(d, "httpd.conf")
        with open(self.conf_file, "w") as f:
            f.write(conf)
        if self.root:
            os.chmod(self.w.workdir, 0o755)
            for root, dirs, files in os.walk(d):
                for x in dirs:
                    os.chmod(os.path.join(root, x), 0o777 if x in ("run", "log", "cache") else 0o755)
                for x in files:
                    os.chmod(os.path.join(root, x), 0o755 if x == "attrs" else 0o644)

    def start_shibd(self):
        args = [self.shibd, "-F", "-f", "-c", os.path.join(self.dir, "shibboleth2.xml"),
                "-p", os.path.join(self.dir, "run", "shibd.pid")]
        if self.root:
            args += ["-u", "nobody", "-g", "nogroup"]
        self.daemon = subprocess.Popen(args, cwd=self.dir, env=self.env, start_new_session=True,
                                       stdout=subprocess.DEVNULL,
                                       stderr=open(os.path.join(self.dir, "log", "shibd-stderr.log"), "a"))
        sock = os.path.join(self.dir, "run", "shibd.sock")
        deadline = time.time() + 30
        while time.time() < deadline and self.daemon.poll() is None and not os.path.exists(sock):
            time.sleep(0.1)
        check(os.path.exists(sock), "shibd did not open its socket:\n" + self.log_tail())

    def stop_shibd(self):
        ww.stop_process(self.daemon)
        self.daemon = None

    def start_apache(self):
        t = subprocess.run([self.apache, "-f", self.conf_file, "-t"], capture_output=True, text=True, env=self.env)
        check(t.returncode == 0, "apache configuration refused:\n" + t.stderr)
        # Its own session: at shutdown the prefork parent signals its process group.
        self.httpd = subprocess.Popen([self.apache, "-f", self.conf_file, "-DFOREGROUND"], env=self.env,
                                      start_new_session=True, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(self.dir, "log", "httpd-stderr.log"), "w"))
        check(ww.wait_http(self.url + "/bye.html", self.httpd), "apache did not start:\n" + self.log_tail())

    def sp_metadata(self):
        status, _, body = Browser(self.w).request("GET", self.url + "/Shibboleth.sso/Metadata")
        check(status == 200 and "<md:EntityDescriptor" in body, "SP metadata: HTTP %d\n%s" % (status, body[:400]))
        return body

    def log_tail(self):
        return "\n".join("--- %s\n%s" % (n, ww.tail(os.path.join(self.dir, "log", n), 2500))
                         for n in ("shibd.log", "shibd-stderr.log", "native.log", "error.log", "httpd-stderr.log"))

    def stop(self):
        ww.stop_process(self.httpd)
        self.stop_shibd()


class Journey:
    def __init__(self, world, apache, shibd):
        self.w = world
        self.shib = Shibboleth(apache, shibd, world)

    def start(self):
        s = self.shib
        bridge_port = ww.free_port()
        idp = "http://127.0.0.1:%d/saml/metadata" % bridge_port
        # First start: Shibboleth publishes its SP metadata.
        s.write_config(idp, with_idp=False)
        s.start_shibd()
        s.start_apache()
        with open(self.w.path("shibboleth-sp.xml"), "w") as f:
            f.write(s.sp_metadata())
        with open(self.w.path("services.yaml"), "w") as f:
            f.write("services:\n"
                    "  - metadata_file: shibboleth-sp.xml\n"
                    "    names: {ro: \"Serviciu Shibboleth\", ru: \"Служба Shibboleth\", en: \"Shibboleth service\"}\n"
                    "    attributes: [idnp, first_name, last_name, birth_date, gender, email]\n"
                    "    require_signed_requests: true\n"
                    "    encrypt_assertion: true\n"
                    "    sign_assertion: true\n")
        self.w.start_bridge({"CERTME_SAML_DEV_SERVICES_FILE": self.w.path("services.yaml")}, port=bridge_port)
        status, _, metadata = Browser(self.w).request("GET", idp)
        check(status == 200, "bridge metadata: HTTP %d" % status)
        # The certificate that signs the bridge's metadata, as its operator hands it out.
        cert = re.search(r"<ds:X509Certificate>([^<]+)</ds:X509Certificate>", metadata)
        check(cert, "no certificate in the bridge's metadata")
        b64 = re.sub(r"\s", "", cert.group(1))
        with open(os.path.join(s.dir, "certme-idp-signing.pem"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\n" +
                    "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END CERTIFICATE-----\n")
        # Second start: shibd reads the bridge's metadata (Apache too, whose
        # children held connections to the first shibd).
        s.stop()
        s.write_config(idp, with_idp=True)
        s.start_shibd()
        s.start_apache()

    def attributes(self, browser, login=True):
        """The protected page's exported attributes, or None when Shibboleth
        sent the browser to the bridge instead."""
        before = browser.logins
        status, url, body = browser.browse("GET", self.shib.url + "/secure/attrs", login=login)
        if not login and url.startswith(self.w.bridge_url):
            return None
        check(status == 200 and url.startswith(self.shib.url + "/secure/attrs"),
              "protected page: HTTP %d at %s\n%s\n%s" % (status, url, body[:600], self.shib.log_tail()))
        seen = dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
        seen["_wallet_logins"] = browser.logins - before
        return seen

    # ---------------------------------------------------------------- cases

    def case_login(self):
        self.browser = Browser(self.w)
        seen = self.attributes(self.browser)
        check(seen["_wallet_logins"] == 1, "no wallet login on the way to the protected page")
        for name, value in ww.MPASS.items():
            check(seen.get(name) == value, "%s = %r (page: %r)" % (name, seen.get(name), seen))
        check(seen.get("NameIdentifier") == ww.ATTRS["idnp"], "NameIdentifier %r" % seen.get("NameIdentifier"))
        check(seen.get("NameID") == ww.ATTRS["idnp"] and seen.get("REMOTE_USER") == ww.ATTRS["idnp"],
              "NameID %r, REMOTE_USER %r" % (seen.get("NameID"), seen.get("REMOTE_USER")))
        check(seen.get("Shib_Identity_Provider") == self.w.bridge_url + "/saml/metadata",
              "Shib_Identity_Provider %r" % seen.get("Shib_Identity_Provider"))
        check(seen.get("Shib_AuthnContext_Class") == "http://eidas.europa.eu/LoA/substantial",
              "Shib_AuthnContext_Class %r" % seen.get("Shib_AuthnContext_Class"))

    def case_encrypted(self):
        responses = [v for (target, kind, v) in self.browser.saml_messages
                     if kind == "SAMLResponse" and target.startswith(self.shib.url)]
        check(responses, "no Response carried to Shibboleth")
        xml = base64.b64decode(responses[-1]).decode()
        check("<saml:EncryptedAssertion" in xml and "<saml:Assertion" not in xml, "the Assertion is not encrypted")
        check("http://www.w3.org/2009/xmlenc11#aes256-gcm" in xml, "not AES-256-GCM")
        check(ww.ATTRS["idnp"] not in xml and ">Ion<" not in xml, "personal data in clear")

    def case_sp_logout(self):
        bye = self.shib.url + "/bye.html"
        status, url, body = self.browser.browse("GET", self.shib.url + "/Shibboleth.sso/Logout?return=" +
                                                bye.replace(":", "%3A").replace("/", "%2F"), login=False)
        check(status == 200 and url == bye, "logout ended at HTTP %d %s\n%s\n%s"
              % (status, url, body[:400], self.shib.log_tail()))
        check(self.attributes(self.browser, login=False) is None, "Shibboleth session survived its logout")
        seen = self.attributes(self.browser)
        check(seen["_wallet_logins"] == 1, "the bridge's SSO session survived Shibboleth's logout")

    def case_idp_logout(self):
        check(self.attributes(self.browser, login=False), "not logged in before the IdP-initiated logout")
        status, url, body = ww.idp_initiated_logout(self.browser)
        check(status == 200 and "/saml/slo/finish" in url, "logout ended at HTTP %d %s" % (status, url))
        check(self.attributes(self.browser, login=False) is None,
              "Shibboleth session survived the IdP-initiated logout\n" + self.shib.log_tail())
        seen = self.attributes(self.browser)
        check(seen["_wallet_logins"] == 1 and seen.get("FirstName") == "Ion", "login after the logout")
        refused = self.w.refused_messages()
        check(not refused, "the bridge refused messages of Shibboleth:\n" + "\n".join(refused))


    def case_suspension(self):
        # The ledger suspends the eID: the bridge ends its SAML sessions and
        # sends its LogoutRequest over SOAP to the slo_soap_url the import
        # took from Shibboleth's metadata (/Shibboleth.sso/SLO/SOAP).
        check(self.attributes(self.browser, login=False), "not logged in before the suspension")
        self.w.certme("admin", "suspend-eid", self.w.user)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.attributes(self.browser, login=False) is None:
                break
            time.sleep(0.25)
        else:
            raise ww.Failure("Shibboleth's session survived the suspension for 20 s\n" + self.shib.log_tail() +
                             "\n" + ww.tail(self.w.path("bridge.log")))
        self.w.certme("admin", "reactivate-eid", self.w.user)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certme", required=True)
    ap.add_argument("--apache", default=shutil.which("apache2") or "/usr/sbin/apache2")
    ap.add_argument("--shibd", default=shutil.which("shibd") or "/usr/sbin/shibd")
    args = ap.parse_args()
    for need in (args.apache, args.shibd, os.path.join(MODULES, "mod_shib.so")):
        if not os.path.exists(need):
            print("missing %s (Debian packages apache2, libapache2-mod-shib)" % need)
            return 1
    world = ww.World(args.certme, "certme-shib-")
    j = Journey(world, args.apache, args.shibd)
    failed = 1
    try:
        world.enrol()
        j.start()
        failed = ww.run_cases([
            ("login through Shibboleth SP 3: MPass attributes, NameID and LoA in the application's environment",
             j.case_login),
            ("the Response carries an AES-256-GCM EncryptedAssertion", j.case_encrypted),
            ("SP-initiated logout (/Shibboleth.sso/Logout) ends both sessions", j.case_sp_logout),
            ("IdP-initiated logout from the bridge's page ends Shibboleth's session", j.case_idp_logout),
            ("a suspended eID ends Shibboleth's session (SOAP LogoutRequest to /Shibboleth.sso/SLO/SOAP)",
             j.case_suspension),
        ], world, lambda: "Shibboleth logs:\n" + j.shib.log_tail())
    except Exception as e:
        import traceback
        print("FAIL setup: " + (str(e) if isinstance(e, ww.Failure) else traceback.format_exc()), flush=True)
        print(world.logs())
        print("Shibboleth logs:\n" + j.shib.log_tail())
    finally:
        j.shib.stop()
        world.stop()
        world.cleanup(failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
