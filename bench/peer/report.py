#!/usr/bin/env python3
"""The tables of scripts/bench-peer, from the files one run wrote.

    report.py RESULTS.jsonl

RESULTS.jsonl holds, one JSON object a line:
  {"kind": "meta", ...}                      what ran where (printed as is)
  {"kind": "openssl", "round": N, "text": "<openssl speed output>"}
  {"kind": "loadavg", "round": N, "server": S, "when": "start"|"end", "load1": x}
  oidc_load --json result lines (label "SERVER:ROUND")
Anything else (blank lines, text) is skipped. Prints per server CPU-second
figures for each scenario and server, the ratios of the bridge against the
peer (best run against best run, median against median), the signatures one
operation needs, and the issue's targets with met / not met.
"""
import json
import re
import statistics
import sys

PEER = "node-oidc-provider"
BRIDGES = ("bridge-memory", "bridge-sqlite")

# The targets: (text, server, scenario, kind, threshold).
#   kind "peer": ops/CPU-s of server >= threshold x the peer's
#   kind "rsa":  ops/CPU-s of server >= threshold x RSA-2048 signs/s
TARGETS = (
    ("memory store, full ES256 flow >= 5x the peer per CPU-second",
     "bridge-memory", "flow ES256", "peer", 5.0),
    ("memory store, full RS256 flow >= 80 % of the RSA-2048 sign rate per CPU-second",
     "bridge-memory", "flow RS256", "rsa", 0.8),
    ("sqlite store, full ES256 flow >= 3x the peer per CPU-second",
     "bridge-sqlite", "flow ES256", "peer", 3.0),
)


def parse_openssl_speed(text):
    """(RSA-2048 signs/s, P-256 signs/s) from `openssl speed` output; None
    for a figure the text does not have."""
    rsa = ec = None
    for line in text.splitlines():
        f = line.split()
        if line.startswith("rsa 2048 bits") and len(f) >= 7:
            rsa = float(f[5])
        m = re.match(r"\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)", line)
        if m:
            ec = float(m.group(1))
    return rsa, ec


def scenario_of(r):
    mode = r.get("mode", "")
    if r.get("sso"):
        mode += "+sso"
    if mode.startswith("flow") or mode == "refresh":
        return f"{mode} {r.get('alg', '')}"
    return mode


def num(j, *keys):
    for k in keys:
        if not isinstance(j, dict) or k not in j:
            return None
        j = j[k]
    return j if isinstance(j, (int, float)) else None


def load(lines):
    meta, openssl, loadavg, runs = {}, {}, [], []
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if not isinstance(j, dict):
            continue
        kind = j.get("kind")
        if kind == "meta":
            meta.update({k: v for k, v in j.items() if k != "kind"})
        elif kind == "openssl":
            openssl[j.get("round", 0)] = parse_openssl_speed(j.get("text", ""))
        elif kind == "loadavg":
            loadavg.append(j)
        elif "mode" in j:
            server, _, rnd = j.get("label", "").rpartition(":")
            if not server:
                server, rnd = j.get("label", ""), "0"
            runs.append({
                "server": server,
                "round": int(rnd) if rnd.isdigit() else 0,
                "scenario": scenario_of(j),
                "unit": "flows" if j.get("mode") in ("flow", "wallet") else "requests",
                "rate": num(j, "rate_per_s") or 0.0,
                "per_cpu": num(j, "server", "per_cpu_s"),
                "cores": num(j, "server", "cores"),
                "p50": num(j, "latency_ms", "p50"),
                "p99": num(j, "latency_ms", "p99"),
                "rss_end_mib": (num(j, "server", "rss_end_kib") or 0) / 1024.0,
                "errors": int(num(j, "errors", "total") or 0),
                "completed": int(num(j, "completed") or 0),
                "sigs": num(j, "signatures_per_op"),
                "client_cores": num(j, "client", "cores"),
            })
    return meta, openssl, loadavg, runs


def usable(run):
    """A run counts for the comparison only if it completed operations
    without errors and the server's CPU was measured."""
    return run["completed"] > 0 and run["errors"] == 0 and (run["per_cpu"] or 0) > 0


def summarize(runs):
    """{(scenario, server): {"best", "median", "runs": [...]}} of usable runs."""
    out = {}
    for r in runs:
        out.setdefault((r["scenario"], r["server"]), []).append(r)
    summary = {}
    for key, rs in out.items():
        good = [r["per_cpu"] for r in rs if usable(r)]
        summary[key] = {
            "best": max(good) if good else None,
            "median": statistics.median(good) if good else None,
            "runs": sorted(rs, key=lambda r: r["round"]),
        }
    return summary


def ratio(a, b):
    return a / b if a and b else None


def fmt(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def median_speed(openssl):
    rsa = [v[0] for v in openssl.values() if v[0]]
    ec = [v[1] for v in openssl.values() if v[1]]
    return (statistics.median(rsa) if rsa else None, statistics.median(ec) if ec else None)


def evaluate_targets(summary, openssl):
    """[(text, best value, median value, threshold, unit, met on best, met on median)]."""
    rsa, _ = median_speed(openssl)
    rows = []
    for text, server, scenario, kind, threshold in TARGETS:
        mine = summary.get((scenario, server))
        if kind == "peer":
            peer = summary.get((scenario, PEER))
            best = ratio(mine and mine["best"], peer and peer["best"])
            med = ratio(mine and mine["median"], peer and peer["median"])
        else:
            best = ratio(mine and mine["best"], rsa)
            med = ratio(mine and mine["median"], rsa)
        rows.append((text, best, med, threshold, kind,
                     best is not None and best >= threshold,
                     med is not None and med >= threshold))
    return rows


def order(values, preferred):
    known = [v for v in preferred if v in values]
    return known + sorted(v for v in values if v not in preferred)


def report(lines, out=sys.stdout):
    meta, openssl, loadavg, runs = load(lines)
    if not runs:
        print("bench-peer: no oidc_load results found", file=out)
        return 1
    summary = summarize(runs)
    servers = order({r["server"] for r in runs}, BRIDGES + (PEER,))
    scenarios = order({r["scenario"] for r in runs},
                      ("flow ES256", "flow RS256", "refresh ES256", "refresh RS256",
                       "client_credentials", "discovery", "jwks"))
    rounds = sorted({r["round"] for r in runs})
    p = lambda *a: print(*a, file=out)  # noqa: E731

    p("== side-by-side OpenID Connect benchmark (scripts/bench-peer)")
    for k in sorted(meta):
        p(f"   {k}: {meta[k]}")
    for rnd in sorted(openssl):
        rsa, ec = openssl[rnd]
        p(f"   openssl speed, round {rnd}, server core: RSA-2048 sign {fmt(rsa, 1)}/s, "
          f"P-256 sign {fmt(ec, 1)}/s")
    if loadavg:
        l1 = [x.get("load1") for x in loadavg if isinstance(x.get("load1"), (int, float))]
        if l1:
            p(f"   load average (1 min) at the start and end of each server's runs: "
              f"{min(l1):.2f}-{max(l1):.2f}")
    p(f"   rounds: {len(rounds)}; best = the best round, median = the median of the rounds")
    p("")

    p("per server CPU-second (flows or requests; best / median of the rounds), "
      "and the bridge / peer ratios")
    head = f"{'scenario':<20}" + "".join(f"{s:>26}" for s in servers)
    bridges = [s for s in servers if s != PEER]
    if PEER in servers:
        head += "".join(f"{s.replace('bridge-', '') + '/peer':>20}" for s in bridges)
    p(head)
    for sc in scenarios:
        row = f"{sc:<20}"
        for s in servers:
            v = summary.get((sc, s))
            row += f"{(fmt(v['best']) + ' / ' + fmt(v['median'])) if v else '-':>26}"
        if PEER in servers:
            peer = summary.get((sc, PEER))
            for s in bridges:
                v = summary.get((sc, s))
                b = ratio(v and v["best"], peer and peer["best"])
                m = ratio(v and v["median"], peer and peer["median"])
                row += f"{fmt(b, 2) + 'x / ' + fmt(m, 2) + 'x' if b or m else '-':>20}"
        p(row)
    p("")

    p("every run: ops/s, server cores used, ops per server CPU-second, latency of one")
    p("operation (ms), server RSS at the end (MiB), errors, JWS signed per operation,")
    p("load generator cores")
    p(f"{'scenario':<20}{'server':<20}{'rnd':>4}{'ops/s':>10}{'cores':>7}{'ops/CPU-s':>11}"
      f"{'p50':>9}{'p99':>9}{'RSS':>8}{'errors':>8}{'sig/op':>8}{'client':>8}")
    for sc in scenarios:
        for s in servers:
            v = summary.get((sc, s))
            for r in (v["runs"] if v else []):
                p(f"{sc:<20}{s:<20}{r['round']:>4}{fmt(r['rate'], 1):>10}{fmt(r['cores'], 2):>7}"
                  f"{fmt(r['per_cpu'], 1):>11}{fmt(r['p50'], 2):>9}{fmt(r['p99'], 2):>9}"
                  f"{fmt(r['rss_end_mib'], 1):>8}{r['errors']:>8}{fmt(r['sigs'], 2):>8}"
                  f"{fmt(r['client_cores'], 2):>8}")
    bad = [r for r in runs if not usable(r)]
    if bad:
        p("")
        p("runs left out of the comparison (errors, nothing completed, or no server CPU):")
        for r in bad:
            p(f"   {r['scenario']} {r['server']} round {r['round']}: {r['completed']} completed, "
              f"{r['errors']} errors")
    p("")

    rsa, ec = median_speed(openssl)
    p("signing: JWS per operation seen in the token responses, and the share of a server")
    p("CPU-second that many signatures take at this machine's openssl speed (median)")
    for sc in scenarios:
        for s in servers:
            v = summary.get((sc, s))
            sigs = [r["sigs"] for r in (v["runs"] if v else []) if usable(r) and r["sigs"] is not None]
            if not sigs or not v["median"]:
                continue
            per_op = statistics.median(sigs)
            speed = rsa if "RS256" in sc else ec if "ES256" in sc else None
            share = f"{100.0 * v['median'] * per_op / speed:.1f} % of its CPU" if speed and per_op else "-"
            p(f"   {sc:<20}{s:<20}{per_op:.2f} signatures/op   {share}")
    p("")

    p("targets (issue): met when the figure reaches the threshold")
    for text, best, med, threshold, kind, met_best, met_med in evaluate_targets(summary, openssl):
        unit = "x" if kind == "peer" else " of the RSA-2048 sign rate"
        fb = fmt(best, 2) if kind == "peer" else (fmt(100 * best, 1) + " %" if best else "-")
        fm = fmt(med, 2) if kind == "peer" else (fmt(100 * med, 1) + " %" if med else "-")
        th = f"{threshold:g}x" if kind == "peer" else f"{100 * threshold:g} %"
        verdict = ("not measured in this run" if best is None and med is None
                   else "MET" if met_best and met_med else "met by the best runs only" if met_best
                   else "met by the medians only" if met_med else "NOT MET")
        p(f"   {text}")
        p(f"      best {fb}{unit if kind == 'peer' else ''}, median {fm}{unit if kind == 'peer' else ''}"
          f" (threshold {th}): {verdict}")
    return 0


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as e:
        print(f"report.py: cannot read {argv[1]}: {e.strerror}", file=sys.stderr)
        return 1
    return report(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
