#!/usr/bin/env python3
"""A flood on one bridge, bounded and on loopback only: while 64 anonymous
clients hammer the console sign-in with wrong passwords and 1,100 slow
connections (each sent half a request line and stopped) are held against a
bridge whose descriptor limit is 1,024, /healthz must keep answering in
under 100 ms: 95 % of the probes under 100 ms and none over 1 s. (Before the
caps it took 0.8-20 s. On a shared two-core machine that also runs this
load generator a single probe can wait ~100 ms for a core whatever the
bridge does, so one probe's time is not the bridge's answer time; the
percentile is, and the hard bound still catches a bridge that stalls.)

The slow connections come from 127.0.0.2-127.0.0.12 (100 each), so the
per-address cap does not turn them away and the global connection cap
(descriptor limit minus 128) is what keeps the bridge serving: at the cap a
new connection closes the one waiting longest for a request. The sign-in
flood meets the per-address sign-in budget and the bound on concurrent
password checks (429 without an Argon2 check).

Usage: flood_check.py PATH/TO/certme  (prints one line per phase; exit 0 = pass)
"""
import http.client
import multiprocessing
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FD_LIMIT = 1024
SLOW_SOURCES = [f"127.0.0.{i}" for i in range(2, 13)]
SLOW_PER_SOURCE = 100
HAMMERERS = 64
PROBE_SECONDS = 8
LIMIT_MS = 100
LIMIT_SHARE = 0.95   # of the probes must answer under LIMIT_MS
STALL_MS = 1000      # no probe may take longer than this


def fail(msg):
    print(f"flood_check: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def hammer(port, stop_at, counts):
    """One anonymous client: sign-in form, then a wrong password, again and again."""
    local = {}
    while time.time() < stop_at:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/admin/login")
            r = c.getresponse()
            page = r.read().decode("utf-8", "replace")
            cookie = r.getheader("Set-Cookie", "").split(";")[0]
            m = re.search(r'name="csrf" value="([^"]+)"', page)
            if not m or not cookie:
                local["noform"] = local.get("noform", 0) + 1
                c.close()
                continue
            body = f"user=ana&password=wrong-{time.time()}&csrf={m.group(1)}"
            c.request("POST", "/admin/login", body=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            r = c.getresponse()
            r.read()
            local[r.status] = local.get(r.status, 0) + 1
            c.close()
        except OSError:
            local["error"] = local.get("error", 0) + 1
    for k, v in local.items():
        counts[str(k)] = counts.get(str(k), 0) + v


def hammer_process(port, stop_at, counts):
    # The load generator runs on the bridge's machine: lower its priority so
    # that it does not take the cores the probe needs (the bridge keeps its own).
    os.nice(5)
    threads = [threading.Thread(target=hammer, args=(port, stop_at, counts)) for _ in range(HAMMERERS // 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    certme = os.path.abspath(sys.argv[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096
    if hard != resource.RLIM_INFINITY and hard < want:
        fail(f"this process may open only {hard} descriptors; the check needs {want}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    work = tempfile.mkdtemp(prefix="certme-flood-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTME_")}
    env.update({
        "CERTME_SERVER_PORT": str(port),
        "CERTME_ADMIN_ENABLED": "true",
        "CERTME_LOGIN_DEV_LOGIN": "true",
        "CERTME_OIDC_CLAIMS_FILE": os.path.join(ROOT, "config", "claims.yaml"),
        "CERTME_LOGGING_ACCESS_LOG": "false",
    })
    server = None
    slow = []
    try:
        subprocess.run([certme, "admin", "create-user", "ana"], cwd=work, check=True, capture_output=True,
                       env={**env, "CERTME_ADMIN_PASSWORD": "correct horse battery staple"})

        def limit_fds():
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))

        log = open(os.path.join(work, "idp.log"), "wb")
        server = subprocess.Popen([certme, "idp"], cwd=work, env=env, stdout=log, stderr=log,
                                  preexec_fn=limit_fds)
        for _ in range(200):
            try:
                if get(port, "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            fail("the bridge did not start: " + open(os.path.join(work, "idp.log")).read()[-500:])

        # The sign-in flood, in other processes so that this one measures
        # /healthz without waiting for their interpreter.
        stop_at = time.time() + PROBE_SECONDS + 6
        manager = multiprocessing.Manager()
        counts = manager.dict()
        hammers = [multiprocessing.Process(target=hammer_process, args=(port, stop_at, counts)) for _ in range(4)]
        for p in hammers:
            p.start()

        # The slow connections.
        held = 0
        for src in SLOW_SOURCES:
            for _ in range(SLOW_PER_SOURCE):
                s = socket.socket()
                s.settimeout(2)
                try:
                    s.bind((src, 0))
                    s.connect(("127.0.0.1", port))
                    s.sendall(b"GET /admin/login HTTP/1.1\r\nHo")
                    held += 1
                except OSError:
                    pass
                slow.append(s)
        print(f"flood_check: {held} slow connections opened against a descriptor limit of {FD_LIMIT}; "
              f"{HAMMERERS} clients hammering the console sign-in")
        # connect() returns once the kernel queued a connection; give the
        # bridge a moment to accept (and evict through) that backlog, so the
        # probes below measure the held state, not the opening burst.
        time.sleep(1)

        worst, probes, failures, times = 0.0, 0, [], []
        end = time.time() + PROBE_SECONDS
        while time.time() < end:
            t0 = time.perf_counter()
            try:
                status, body = get(port, "/healthz", timeout=2)
                ms = (time.perf_counter() - t0) * 1000
                if status != 200:
                    failures.append(f"status {status}")
                worst = max(worst, ms)
                times.append(round(ms, 1))
            except OSError as e:
                failures.append(str(e))
            probes += 1
            time.sleep(0.05)
        for p in hammers:
            p.join(timeout=30)
        sign_ins = dict(counts)
        ordered = sorted(times)
        median = ordered[len(ordered) // 2] if ordered else 0
        print(f"flood_check: {probes} /healthz probes, median {median} ms, slowest {worst:.1f} ms "
              f"(the five slowest: {ordered[-5:]}); sign-in answers {sign_ins}")
        if os.environ.get("FLOOD_TRACE"):
            print(times)
        if failures:
            fail(f"{len(failures)} of {probes} /healthz probes failed: {failures[:3]}")
        if not ordered:
            fail("no /healthz probe answered")
        share = sum(1 for t in ordered if t < LIMIT_MS) / len(ordered)
        if share < LIMIT_SHARE:
            fail(f"only {share:.0%} of the /healthz probes answered under {LIMIT_MS} ms "
                 f"(at least {LIMIT_SHARE:.0%} must)")
        if worst >= STALL_MS:
            fail(f"/healthz took {worst:.1f} ms (no probe may take {STALL_MS} ms)")
        if sign_ins.get("429", 0) == 0:
            fail("no sign-in was refused with 429: the flood reached the password checks")
        if server.poll() is not None:
            fail("the bridge exited during the flood")
        print("flood_check: OK")
    finally:
        for s in slow:
            s.close()
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
