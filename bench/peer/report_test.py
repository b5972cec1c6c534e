#!/usr/bin/env python3
"""Checks bench/peer/report.py on a made-up run: no server, well under a
second (ctest bench.peer_report). The benchmark itself never runs in tests."""
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

OPENSSL_TEXT = """version: 3.0.19
                  sign    verify    sign/s verify/s
rsa 2048 bits 0.000250s 0.000022s   4000.0  44681.6
                              sign    verify    sign/s verify/s
 256 bits ecdsa (nistp256)   0.0000s   0.0001s  50000.0  18551.9
"""


def result(server, rnd, mode, per_cpu, alg="ES256", errors=0, completed=1000, sigs=1.0):
    return json.dumps({
        "mode": mode, "alg": alg, "label": f"{server}:{rnd}", "sso": False,
        "completed": completed, "rate_per_s": per_cpu / 2, "signatures_per_op": sigs,
        "latency_ms": {"p50": 3.0, "p99": 9.5},
        "errors": {"total": errors, "by_kind": {}},
        "client": {"cores": 0.4},
        "server": {"per_cpu_s": per_cpu, "cores": 0.5, "rss_end_kib": 51200},
    })


def lines():
    out = [json.dumps({"kind": "meta", "date": "2026-12-07T07:00:00Z"}),
           json.dumps({"kind": "openssl", "round": 1, "text": OPENSSL_TEXT}),
           json.dumps({"kind": "openssl", "round": 2, "text": OPENSSL_TEXT.replace("4000.0", "3000.0")}),
           json.dumps({"kind": "loadavg", "round": 1, "server": "x", "when": "start", "load1": 3.5}),
           "not json", ""]
    for rnd, (mem, sql, peer) in ((1, (2000, 700, 300)), (2, (1800, 650, 400))):
        out.append(result("bridge-memory", rnd, "flow", mem))
        out.append(result("bridge-sqlite", rnd, "flow", sql))
        out.append(result("node-oidc-provider", rnd, "flow", peer))
        out.append(result("bridge-memory", rnd, "flow", 3000, alg="RS256"))
        out.append(result("node-oidc-provider", rnd, "client_credentials", 3000, sigs=0))
    # A run with errors never enters the comparison.
    out.append(result("bridge-memory", 3, "flow", 99999, errors=2))
    return out


class ReportTest(unittest.TestCase):
    def test_openssl_speed_parsing(self):
        self.assertEqual(report.parse_openssl_speed(OPENSSL_TEXT), (4000.0, 50000.0))
        self.assertEqual(report.parse_openssl_speed("nothing"), (None, None))

    def test_best_and_median_ignore_runs_with_errors(self):
        _, openssl, _, runs = report.load(lines())
        self.assertEqual(len(runs), 11)
        s = report.summarize(runs)
        mem = s[("flow ES256", "bridge-memory")]
        self.assertEqual((mem["best"], mem["median"]), (2000, 1900))
        self.assertEqual(len(mem["runs"]), 3)
        self.assertEqual(s[("flow ES256", "node-oidc-provider")]["median"], 350)
        self.assertEqual(report.median_speed(openssl), (3500.0, 50000.0))

    def test_targets(self):
        _, openssl, _, runs = report.load(lines())
        rows = {r[0]: r for r in report.evaluate_targets(report.summarize(runs), openssl)}
        es = rows[report.TARGETS[0][0]]
        self.assertAlmostEqual(es[1], 2000 / 400)  # best against best
        self.assertAlmostEqual(es[2], 1900 / 350)  # median against median
        self.assertTrue(es[5] and es[6])
        rsa = rows[report.TARGETS[1][0]]
        self.assertAlmostEqual(rsa[2], 3000 / 3500)
        self.assertTrue(rsa[6])
        sql = rows[report.TARGETS[2][0]]
        self.assertAlmostEqual(sql[1], 700 / 400)
        self.assertFalse(sql[5] or sql[6])

    def test_printed_tables(self):
        out = io.StringIO()
        self.assertEqual(report.report(lines(), out), 0)
        text = out.getvalue()
        self.assertIn("5.00x / 5.43x", text)  # memory/peer, flow ES256
        self.assertIn("runs left out of the comparison", text)
        self.assertIn("sqlite store, full ES256 flow >= 3x the peer per CPU-second", text)
        self.assertIn("NOT MET", text)
        self.assertIn("RSA-2048 sign 3,000.0/s", text)

    def test_no_results(self):
        out = io.StringIO()
        self.assertEqual(report.report(["{}", "x"], out), 1)


if __name__ == "__main__":
    unittest.main()
