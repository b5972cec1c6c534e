#!/usr/bin/env python3
"""A Sentinel failover under load while the replica lags, on loopback only.

A Redis primary, one replica and three sentinels (quorum 2); one bridge that
finds the primary through the sentinels (store.redis.sentinels) with
store.redis.replicas_to_wait (1 unless --replicas-to-wait says otherwise).
Clients log in (development login double), redeem authorization codes and
rotate refresh tokens from several threads. For the last second before the
primary dies the replication link is cut (the replica replicates through a
loopback forwarder in this script, which then drops everything, as a
network partition would); then the primary is killed with SIGKILL and
Sentinel promotes the replica. The old primary comes back empty and
becomes the new primary's replica (with replicas_to_wait 1 the new primary
takes writes only once it has one).

Afterwards, against the promoted replica:
  - nothing acknowledged is lost: every refresh token the bridge last
    handed out still works, every access token it answered with still
    works at /userinfo, and every browser session it opened still logs in
    without a login page (prompt=none);
  - no spent credential comes back: every code the bridge redeemed is
    refused (invalid_grant), and so is every refresh token it rotated away.
These checks run in that order, since presenting a spent code or refresh
token revokes what it granted.

With replicas_to_wait 0 the same run loses what the primary acknowledged in
its last second: the script reports the figures and exits 1.

Usage: failover_check.py PATH/TO/certme [--replicas-to-wait N]
(one line per phase; exit 0 = pass, 1 = a guarantee broken, 2 = set-up).
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT_ID = "failover-rp"
SECRET = "failover-rp-secret-0123456789abcdef012345"
REDIRECT = "http://127.0.0.1:9/callback"
WORKERS = 4
LOAD_SECONDS = 3.0   # load before the link is cut
LAG_SECONDS = 1.0    # replication link cut before the primary dies
WAIT_TIMEOUT_MS = 300
TIMEOUT_MS = 1500


class SetupError(Exception):
    pass


def log(msg):
    print(f"failover_check: {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_cli(port, *args, timeout=5):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                       capture_output=True, text=True, timeout=timeout)
    return r.stdout.strip()


class RedisProc:
    def __init__(self, work, name, lines, sentinel=False):
        self.port = free_port()
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "redis.conf")
        with open(conf, "w") as f:
            f.write(f"bind 127.0.0.1\nport {self.port}\ndir {self.dir}\nsave \"\"\n"
                    f"logfile {self.dir}/redis.log\n" + "".join(line + "\n" for line in lines))
        self.name = name
        self.args = ["redis-server", conf] + (["--sentinel"] if sentinel else [])
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if redis_cli(self.port, "PING", timeout=2) == "PONG":
                return
            time.sleep(0.05)
        raise SetupError(f"{self.name} did not start")

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        self.proc.wait()


class LinkProxy:
    """The replication link, through this process: the replica's `replicaof`
    names this port, which forwards to the primary until `cut()`. After it,
    bytes in either direction are dropped and the connections are held open,
    as a network partition would: nothing the primary writes from then on
    reaches the replica, not even from kernel buffers."""

    def __init__(self, target_port):
        self.target = target_port
        self.cut_event = threading.Event()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.held = []
        threading.Thread(target=self.accept, daemon=True).start()

    def cut(self):
        self.cut_event.set()

    def accept(self):
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(a)
            if self.cut_event.is_set():
                continue
            try:
                b = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                b.settimeout(None)
            except OSError:
                a.close()
                continue
            self.held.append(b)
            threading.Thread(target=self.pump, args=(a, b), daemon=True).start()
            threading.Thread(target=self.pump, args=(b, a), daemon=True).start()

    def pump(self, src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                if not self.cut_event.is_set():
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                return
            if self.cut_event.is_set():
                continue  # dropped
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        self.listener.close()
        for x in self.held:
            x.close()


class Client:
    """One browser plus the relying party behind it: a cookie jar, no redirects followed."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def call(self, method, path, form=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            h = dict(headers or {})
            if self.cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = urllib.parse.urlencode(form) if form is not None else None
            if body is not None:
                h["Content-Type"] = "application/x-www-form-urlencoded"
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read().decode("utf-8", "replace")
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name.strip()] = rest.split(";")[0]
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def authorize(self, state, prompt=None):
        q = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
             "scope": "openid profile", "state": state, "nonce": "n-" + state}
        if prompt:
            q["prompt"] = prompt
        return self.follow("GET", "/authorize?" + urllib.parse.urlencode(q))

    def follow(self, method, path, form=None):
        """Follows redirects on the bridge; returns (status, headers, body, code-or-None)."""
        for _ in range(10):
            status, headers, body = self.call(method, path, form)
            loc = headers.get("location")
            if status in (302, 303) and loc:
                if loc.startswith(REDIRECT):
                    q = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)
                    return status, headers, body, (q.get("code") or [None])[0], q
                u = urllib.parse.urlparse(loc)
                method, path, form = "GET", u.path + ("?" + u.query if u.query else ""), None
                continue
            return status, headers, body, None, {}
        raise SetupError("redirect loop")

    def login(self, state):
        """A full login; the code, or None when the bridge refused (503…)."""
        status, _, body, code, _ = self.authorize(state)
        if code or status != 200 or 'name="identity"' not in body:
            return code
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        fields["identity"] = "ion"
        action = re.search(r'<form[^>]*action="([^"]+)"', body)
        path = urllib.parse.urlparse(action.group(1)).path if action else "/login/dev"
        _, _, _, code, _ = self.follow("POST", path, fields)
        return code

    def token(self, form):
        basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        status, headers, body = self.call("POST", "/token", form, {"Authorization": "Basic " + basic})
        try:
            return status, headers, json.loads(body)
        except ValueError:
            return status, headers, {"raw": body[:200]}


class Ledger:
    """What the bridge acknowledged (answered 200 with), per kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.spent_codes = []       # codes the bridge redeemed
        self.rotated = []           # (family, refresh token it rotated away)
        self.current = {}           # family -> the refresh token it last handed out
        self.access = {}            # family -> the access token it last handed out
        self.sessions = []          # clients whose login completed
        self.answers = {}           # status -> count, during the load


def bridge_env(port, sentinels, replicas_to_wait, work):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTME_")}
    env.update({
        "CERTME_SERVER_PORT": str(port),
        "CERTME_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CERTME_STORE_BACKEND": "redis",
        "CERTME_STORE_REDIS_SENTINELS": ",".join(f"127.0.0.1:{s.port}" for s in sentinels),
        "CERTME_STORE_REDIS_SENTINEL_MASTER": "certme",
        "CERTME_STORE_REDIS_REPLICAS_TO_WAIT": str(replicas_to_wait),
        "CERTME_STORE_REDIS_WAIT_TIMEOUT_MS": str(WAIT_TIMEOUT_MS),
        "CERTME_STORE_REDIS_TIMEOUT_MS": str(TIMEOUT_MS),
        "CERTME_LOGIN_DEV_LOGIN": "true",
        "CERTME_OIDC_DEV_CLIENTS_FILE": os.path.join(work, "clients.yaml"),
        "CERTME_OIDC_CLAIMS_FILE": os.path.join(ROOT, "config", "claims.yaml"),
        "CERTME_LOGGING_ACCESS_LOG": "false",
    })
    return env


def wait_for(what, predicate, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if predicate():
                return
        except (OSError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.1)
    raise SetupError(f"{what} within {seconds} s")


def worker(port, ledger, stop, cut, codes, late_codes):
    """Redeems its codes, rotates its families, and logs in anew, until
    stopped. Once the link is cut it spends what was issued before: its late
    codes, then one rotation of each family, so that a failover that loses
    these writes brings back credentials the replica has."""
    c = Client(port)
    families = []
    rotated_in_cut = set()
    n = 0
    while not stop.is_set():
        n += 1
        try:
            late = cut.is_set() and (late_codes or len(rotated_in_cut) < len(families))
            if late and late_codes:
                code = late_codes.pop()
                status, _, body = c.token({"grant_type": "authorization_code", "code": code,
                                            "redirect_uri": REDIRECT})
                if status == 200:
                    with ledger.lock:
                        ledger.spent_codes.append(code)
            elif late:
                fam = next(f for f in families if f not in rotated_in_cut)
                rotated_in_cut.add(fam)
                with ledger.lock:
                    old = ledger.current[fam]
                status, _, body = c.token({"grant_type": "refresh_token", "refresh_token": old})
                if status == 200:
                    with ledger.lock:
                        ledger.rotated.append((fam, old))
                        ledger.current[fam] = body["refresh_token"]
                        ledger.access[fam] = body["access_token"]
            elif codes:
                code = codes.pop()
                status, _, body = c.token({"grant_type": "authorization_code", "code": code,
                                            "redirect_uri": REDIRECT})
                if status == 200:
                    fam = f"{threading.get_ident()}-{len(families)}"
                    families.append(fam)
                    with ledger.lock:
                        ledger.spent_codes.append(code)
                        ledger.current[fam] = body["refresh_token"]
                        ledger.access[fam] = body["access_token"]
            elif families and n % 4:
                fam = families[n % len(families)]
                with ledger.lock:
                    old = ledger.current[fam]
                status, _, body = c.token({"grant_type": "refresh_token", "refresh_token": old})
                if status == 200:
                    with ledger.lock:
                        ledger.rotated.append((fam, old))
                        ledger.current[fam] = body["refresh_token"]
                        ledger.access[fam] = body["access_token"]
            else:
                b = Client(port)
                code = b.login(f"w{n}")
                status = 200 if code else 503
                if code:
                    codes.append(code)
                    with ledger.lock:
                        ledger.sessions.append(b)
            with ledger.lock:
                ledger.answers[status] = ledger.answers.get(status, 0) + 1
        except (OSError, http.client.HTTPException, KeyError):
            with ledger.lock:
                ledger.answers["error"] = ledger.answers.get("error", 0) + 1


def run(certme, replicas_to_wait):
    work = tempfile.mkdtemp(prefix="certme-failover-")
    procs, bridge, link = [], None, None
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
        primary = RedisProc(work, "primary", [])
        procs.append(primary)
        link = LinkProxy(primary.port)
        replica = RedisProc(work, "replica", [f"replicaof 127.0.0.1 {link.port}"])
        procs.append(replica)
        sentinels = []
        for i in range(3):
            s = RedisProc(work, f"sentinel{i}", [
                f"sentinel monitor certme 127.0.0.1 {primary.port} 2",
                "sentinel down-after-milliseconds certme 1000",
                "sentinel failover-timeout certme 10000",
            ], sentinel=True)
            procs.append(s)
            sentinels.append(s)
        wait_for("the replica did not sync",
                 lambda: "master_link_status:up" in redis_cli(replica.port, "INFO", "replication"), 30)
        wait_for("the sentinels did not find each other and the replica",
                 lambda: all(re.search(r"num-other-sentinels\n2\b",
                                       redis_cli(s.port, "SENTINEL", "master", "certme")) and
                             re.search(r"num-slaves\n1\b", redis_cli(s.port, "SENTINEL", "master", "certme"))
                             for s in sentinels), 30)
        log(f"redis primary :{primary.port}, replica :{replica.port}, sentinels "
            f"{[s.port for s in sentinels]}; replicas_to_wait {replicas_to_wait}")

        port = free_port()
        out = open(os.path.join(work, "idp.log"), "wb")
        bridge = subprocess.Popen([certme, "idp"], cwd=work, stdout=out, stderr=out,
                                  env=bridge_env(port, sentinels, replicas_to_wait, work))
        wait_for("the bridge did not become ready",
                 lambda: Client(port).call("GET", "/readyz")[0] == 200, 30)

        # Codes to redeem under load: logins made beforehand.
        ledger = Ledger()
        pools = [[] for _ in range(WORKERS)]
        late = [[] for _ in range(WORKERS)]
        for i in range(WORKERS * 25):
            b = Client(port)
            code = b.login(f"pre{i}")
            if not code:
                raise SetupError("a login before the load failed")
            (pools if i < WORKERS * 15 else late)[i % WORKERS].append(code)
            ledger.sessions.append(b)

        stop, cut = threading.Event(), threading.Event()
        threads = [threading.Thread(target=worker, args=(port, ledger, stop, cut, pools[i], late[i]))
                   for i in range(WORKERS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        link.cut()
        cut.set()
        time.sleep(LAG_SECONDS)
        primary.signal(signal.SIGKILL)
        killed = time.time()
        stop.set()
        for t in threads:
            t.join()
        with ledger.lock:
            log(f"under load: answers {dict(sorted(ledger.answers.items(), key=str))}; "
                f"{len(ledger.spent_codes)} codes redeemed, {len(ledger.rotated)} refresh tokens "
                f"rotated, {len(ledger.sessions)} sessions opened")

        def promoted():
            a = redis_cli(sentinels[0].port, "SENTINEL", "get-master-addr-by-name", "certme").split()
            return len(a) == 2 and a[1] == str(replica.port) and \
                redis_cli(replica.port, "ROLE").startswith("master")
        wait_for("Sentinel did not promote the replica", promoted, 60)
        # With replicas_to_wait 1 the promoted primary takes no write until
        # it has a replica again: the old primary comes back (empty, as a
        # machine that lost its disk would) and Sentinel makes it one.
        primary.start()
        try:
            wait_for("the old primary did not become a replica of the new one",
                     lambda: re.search(r"slave0:.*state=online",
                                       redis_cli(replica.port, "INFO", "replication")), 90)
        except SetupError as e:
            # What Sentinel and the two servers did meanwhile, for the reader
            # of a failed run (the work folder is removed).
            def tail(p, n=12):
                try:
                    with open(os.path.join(p.dir, "redis.log"), errors="replace") as f:
                        return "".join(f.readlines()[-n:])
                except OSError as err:
                    return f"(no log: {err})\n"
            detail = "".join(f"--- {p.name}\n{tail(p)}" for p in [primary, replica] + sentinels)
            try:
                detail += "--- new primary's INFO replication\n" + redis_cli(replica.port, "INFO", "replication")
            except (OSError, subprocess.TimeoutExpired) as err:
                detail += f"--- new primary's INFO replication: {err}"
            raise SetupError(f"{e}\n{detail}") from None
        wait_for("the bridge did not follow the failover",
                 lambda: Client(port).call("GET", "/readyz")[0] == 200, 30)
        log(f"promoted after {time.time() - killed:.1f} s")

        # Presenting a rotated refresh token revokes its family, and a token
        # the new primary never saw may count as one: the families are split,
        # half to check that their current token works, half to check that
        # their rotated ones do not. Access tokens and sessions first, spent
        # codes last (a reused code revokes its grant).
        c = Client(port)
        fams = sorted(ledger.current)
        keep, probe = set(fams[0::2]), set(fams[1::2])
        lost_at = [f for f, at in ledger.access.items()
                   if c.call("GET", "/userinfo", headers={"Authorization": "Bearer " + at})[0] != 200]
        lost_sessions = sum(1 for i, b in enumerate(ledger.sessions) if not b.authorize(f"again{i}", "none")[3])
        lost_rt = []
        for f in keep:
            status, _, body = c.token({"grant_type": "refresh_token", "refresh_token": ledger.current[f]})
            if status != 200:
                lost_rt.append(f"{status} {body.get('error', body)}")
        # Newest first: an older one would revoke the family before the
        # newest, the one a lost rotation makes current again, is tried.
        probed = [rt for f, rt in reversed(ledger.rotated) if f in probe]
        reused_rts = sum(1 for rt in probed
                         if c.token({"grant_type": "refresh_token", "refresh_token": rt})[0] == 200)
        reused_codes = sum(1 for code in ledger.spent_codes
                           if c.token({"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": REDIRECT})[0] == 200)
        log(f"after the failover: {reused_codes} of {len(ledger.spent_codes)} spent codes and "
            f"{reused_rts} of {len(probed)} rotated refresh tokens accepted again; "
            f"lost: {len(lost_rt)} of {len(keep)} current refresh tokens, "
            f"{len(lost_at)} of {len(ledger.access)} access tokens, "
            f"{lost_sessions} of {len(ledger.sessions)} sessions" +
            (f" (refresh answers: {sorted(set(lost_rt))})" if lost_rt else ""))
        if not ledger.spent_codes or not ledger.rotated:
            raise SetupError("the load redeemed or rotated nothing")
        broken = reused_codes + reused_rts + len(lost_rt) + len(lost_at) + lost_sessions
        return 0 if broken == 0 else 1
    finally:
        if bridge and bridge.poll() is None:
            bridge.terminate()
            try:
                bridge.wait(timeout=15)
            except subprocess.TimeoutExpired:
                bridge.kill()
                bridge.wait()
        for p in procs:
            p.stop()
        if link:
            link.close()
        if os.environ.get("KEEP_WORK"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    replicas_to_wait = 1
    if len(args) == 3 and args[1] == "--replicas-to-wait":
        replicas_to_wait = int(args[2])
    for tool in ("redis-server", "redis-cli"):
        if not shutil.which(tool):
            print(f"failover_check: FAILED: {tool} is not installed (scripts/deps)", file=sys.stderr)
            return 2
    try:
        rc = run(os.path.abspath(args[0]), replicas_to_wait)
    except SetupError as e:
        print(f"failover_check: FAILED: {e}", file=sys.stderr)
        return 2
    log("passed" if rc == 0 else "FAILED: a failover brought back a spent credential or lost an acknowledged one")
    return rc


if __name__ == "__main__":
    sys.exit(main())
