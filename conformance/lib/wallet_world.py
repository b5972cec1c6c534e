"""Shared parts of the Python journeys that log in through the certME wallet
login against the real server (conformance/authlib, conformance/saml_simplesamlphp,
conformance/saml_shibboleth): a fresh embedded ledger with a validator, an
authorized provider key and an enrolled user in the reference wallet; the
validator service; `certme idp` with login.wallet_login; and a browser (a
cookie-keeping HTTP client) that follows redirects, submits the auto-post
forms of the SAML bindings and, on the bridge's wallet login page, lets
`certme wallet approve` answer the page's QR link before it continues.

Standard library only, so each journey runs with the interpreter that has
its own client library.
"""

import html.parser
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLAIMS_FILE = os.path.join(REPO, "config", "claims.yaml")
PASSPHRASE = "correct horse battery staple"

# The enrolled user's attributes (the validator's `--attr` names) and the
# MPass names the SAML side releases them under (config/claims.yaml).
ATTRS = {"first_name": "Ion", "last_name": "Popescu", "birth_date": "1985-04-12", "gender": "1",
         "email": "ion.popescu@example.md", "idnp": "2001234567890"}
MPASS = {"FirstName": "Ion", "LastName": "Popescu", "BirthDate": "1985-04-12", "Gender": "1",
         "EmailAddress": "ion.popescu@example.md"}


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, seconds=20, ok=(200,)):
    """Polls `url` until it answers one of `ok` or `proc` exits. True when up."""
    deadline = time.time() + seconds
    while time.time() < deadline and (proc is None or proc.poll() is None):
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status in ok:
                    return True
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return True
            time.sleep(0.1)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    return False


def stop_process(proc, seconds=15, group=False):
    """SIGTERM, then SIGKILL after `seconds`. With `group`, the signals go to
    the process group `proc` leads (started with start_new_session), for a
    server whose workers do not leave with their parent (php -S)."""
    if not proc:
        return
    def signal_it(sig):
        try:
            if group:
                os.killpg(proc.pid, sig)
            elif proc.poll() is None:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass
    signal_it(signal.SIGTERM)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        signal_it(signal.SIGKILL)
        proc.wait()
    if group:
        # Workers still alive after the leader left.
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        signal_it(signal.SIGKILL)


def tail(path, chars=3000):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-chars:]
    except OSError:
        return ""


class PageParser(html.parser.HTMLParser):
    """Forms (action, method, fields) and iframes of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.iframes, self.links = [], [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": {}})
        elif tag == "input" and self.forms and a.get("name") and a.get("type") not in ("submit", "radio"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "iframe":
            self.iframes.append(a.get("src") or "")
        elif tag == "a" and a.get("id"):
            self.links[a["id"]] = a.get("href") or ""


def parse_page(body):
    p = PageParser()
    p.feed(body)
    return p


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One browser profile: a cookie jar, redirects followed by `browse`."""

    def __init__(self, world):
        self.world = world
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.saml_messages = []  # (url posted to, field name, base64 value) of every auto-posted SAML form
        self.logins = 0  # wallet logins answered

    def request(self, method, url, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def browse(self, method, url, form=None, stop_at=(), login=True):
        """Follows redirects and auto-post SAML forms; on the bridge's wallet
        login page (when `login`) the reference wallet approves and the page's
        continue step is taken. Stops on a page that is neither, or before a
        redirect to a URL starting with one of `stop_at` (an address nobody
        serves, such as an OIDC redirect URI). Returns (status, url, body)."""
        for _ in range(40):
            status, headers, body = self.request(method, url, form)
            loc = headers.get("Location")
            if status in (301, 302, 303, 307) and loc:
                nxt = urllib.parse.urljoin(url, loc)
                if any(nxt.startswith(p) for p in stop_at):
                    return status, nxt, body
                method, url, form = "GET", nxt, None
                continue
            if (status == 200 and login and url.startswith(self.world.bridge_url)
                    and urllib.parse.urlsplit(url).path == "/login/wallet"):
                method, url, form = "GET", self.world.approve(body), None
                self.logins += 1
                continue
            if status == 200:
                page = parse_page(body)
                if len(page.forms) == 1 and page.forms[0]["method"] == "post":
                    f = page.forms[0]
                    kind = next((k for k in ("SAMLRequest", "SAMLResponse") if k in f["fields"]), None)
                    if kind:
                        target = urllib.parse.urljoin(url, f["action"])
                        self.saml_messages.append((target, kind, f["fields"][kind]))
                        method, url, form = "POST", target, f["fields"]
                        continue
            return status, url, body
        raise Failure("too many steps from " + url)


class World:
    """Ledger, roles, the enrolled user, the validator service and the bridge."""

    def __init__(self, binary, prefix):
        self.binary = os.path.abspath(binary)
        self.workdir = tempfile.mkdtemp(prefix=prefix)
        self.validator = self.bridge = None
        self.bridge_url = None
        self.keep = os.environ.get("CERTME_CONFORMANCE_KEEP") == "1"
        os.environ["CERTME_WALLET_PASSPHRASE"] = PASSPHRASE
        for k in [k for k in os.environ if k.startswith("CERTME_") and k != "CERTME_WALLET_PASSPHRASE"]:
            del os.environ[k]

    def certme(self, *args):
        """Runs a `certme` command in the work folder; its stdout, stripped."""
        r = subprocess.run([self.binary, *args], cwd=self.workdir, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "certme %s: %s" % (" ".join(args), (r.stderr or r.stdout)[-400:]))
        return r.stdout.strip()

    def enrol(self):
        """The README walk-through: ledger, validator and provider roles, one
        user enrolled with ATTRS (substantial) and imported into the wallet."""
        self.certme("ledger", "init")
        v = self.certme("ledger", "keygen", "--out", "var/ledger/validator.key")
        p = self.certme("ledger", "keygen", "--out", "var/ledger/provider.key")
        self.certme("admin", "authorize-validator", v)
        self.certme("admin", "authorize-provider", p)
        self.user = self.certme("wallet", "create")
        enroll = ["validator", "enroll", "--user", self.user, "--loa", "substantial", "--out", "enrollment.json"]
        for k, val in ATTRS.items():
            enroll += ["--attr", "%s=%s" % (k, val)]
        self.certme(*enroll)
        self.certme("wallet", "approve-enrolment", "enrollment.json", "--out", "enrolment.sig")
        self.certme("validator", "issue", "enrollment.json", "--consent", "enrolment.sig")
        self.certme("wallet", "import", "enrollment.json")
        self.validator = subprocess.Popen([self.binary, "validator", "serve"], cwd=self.workdir,
                                          stdout=open(self.path("serve.log"), "w"), stderr=subprocess.STDOUT)

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def start_bridge(self, extra_env, port=None):
        """`certme idp` with the wallet login (no development double) on
        `port`, else on a free port (tried again when taken meanwhile)."""
        for _ in range(1 if port else 3):
            port = port or free_port()
            self.bridge_url = "http://127.0.0.1:%d" % port
            env = {k: v for k, v in os.environ.items() if not k.startswith("CERTME_")}
            env.update({
                "CERTME_SERVER_PORT": str(port),
                "CERTME_SERVER_PUBLIC_URL": self.bridge_url,
                "CERTME_STORE_SQLITE_PATH": self.path("bridge.db"),
                "CERTME_LOGIN_DEV_LOGIN": "false",
                "CERTME_LOGIN_WALLET_LOGIN": "true",
                "CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS": "20",
                "CERTME_OIDC_CLAIMS_FILE": CLAIMS_FILE,
                "CERTME_KEYS_DEV_KEY_DIR": self.path("dev-keys"),
                "CERTME_SAML_LOGOUT_TIMEOUT_SECONDS": "5",
            })
            env.update(extra_env)
            with open(self.path("bridge.log"), "w") as log:
                self.bridge = subprocess.Popen([self.binary, "idp"], cwd=self.workdir, env=env,
                                               stdout=log, stderr=log)
            if wait_http(self.bridge_url + "/healthz", self.bridge):
                return
            stop_process(self.bridge)
            if "address already in use" not in tail(self.path("bridge.log")).lower():
                break
        raise Failure("bridge did not become healthy; log:\n" + tail(self.path("bridge.log")))

    def approve(self, page):
        """The reference wallet answers the login page's QR link; returns the
        page's continue URL."""
        link = re.search(r'href="([^"]*/wallet/v1/l/[A-Za-z0-9_-]+)"', page)
        txn = re.search(r'name="txn" value="([^"]+)"', page)
        check(link and txn, "no QR link or txn on the wallet login page")
        self.certme("wallet", "approve", link.group(1).replace("&amp;", "&"), "--yes")
        return self.bridge_url + "/login/wallet/continue?txn=" + urllib.parse.quote(txn.group(1), safe="")

    def stop(self):
        stop_process(self.bridge, 10)
        stop_process(self.validator, 10)

    def refused_messages(self):
        """The bridge's `saml request refused` log lines (none expected)."""
        return [l for l in tail(self.path("bridge.log"), 10 ** 7).splitlines() if "saml request refused" in l]

    def logs(self):
        return "bridge log tail:\n" + tail(self.path("bridge.log"))

    def cleanup(self, failed):
        if failed or self.keep:
            print("work directory kept: " + self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def idp_initiated_logout(browser):
    """The bridge's logout page (/saml/logout): confirm, load each hidden
    frame (our LogoutRequest, the service's answer), wait until none is
    pending, finish. Returns browse()'s (status, url, body) of the finish."""
    bridge = browser.world.bridge_url
    status, url, body = browser.browse("GET", bridge + "/saml/logout?lang=en", login=False)
    forms = parse_page(body).forms
    check(status == 200 and len(forms) == 1, "logout page: HTTP %d\n%s" % (status, body[:300]))
    status, url, body = browser.browse("POST", urllib.parse.urljoin(url, forms[0]["action"]), forms[0]["fields"],
                                       login=False)
    page = parse_page(body)
    check(page.iframes, "logout progress page without frames: HTTP %d at %s\n%s" % (status, url, body[:300]))
    for src in page.iframes:
        st, u, b = browser.browse("GET", urllib.parse.urljoin(url, src), login=False)
        check(st == 200 and u.startswith(bridge + "/saml/slo"), "logout frame ended at HTTP %d %s\n%s"
              % (st, u, b[:300]))
    finish = urllib.parse.urljoin(url, page.links.get("finish", ""))
    check("/finish" in finish, "logout page without the finish link")
    deadline = time.time() + 15
    s = ""
    while time.time() < deadline:
        _, _, s = browser.request("GET", finish.replace("/finish", "/status"))
        if '"pending":0' in s:
            break
        time.sleep(0.2)
    check('"pending":0' in s, "the service did not answer the bridge's LogoutRequest: " + s)
    return browser.browse("GET", finish, login=False)


def run_cases(cases, world, extra_logs=lambda: ""):
    """Runs (title, fn) in order, one line each; a failure stops the rest
    (each case needs the ones before). Returns the exit code."""
    import traceback
    passed = failed = 0
    for title, fn in cases:
        try:
            fn()
            passed += 1
            print("ok   " + title, flush=True)
        except Exception as e:
            failed += 1
            print("FAIL " + title + ": " + (str(e) if isinstance(e, Failure) else traceback.format_exc()), flush=True)
            break
    if failed:
        print(world.logs())
        print(extra_logs())
    print("%d passed, %d failed" % (passed, failed))
    return failed
