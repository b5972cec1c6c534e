#!/usr/bin/env python3
"""Checks the monitoring files in config/ against the metrics the bridge
exports (docs/operations.md, "Metrics and alerts"):

- config/grafana/certme-dashboard.json parses, its panels have unique ids and
  every target an expression;
- config/prometheus/certme-alerts.yml is a Prometheus rule file (groups of
  rules, each with a unique alert name, an expression and a severity);
- every certme_* metric either file names is a family the source registers
  (NewCounter, NewGauge, NewHistogram, NewCallbackGauge; a histogram's
  _bucket, _sum and _count), and every label in a selector or a `by (...)`
  clause is one of that expression's families' labels (or job, instance, le);
- every certme_* name the "Metrics and alerts" section of docs/operations.md
  mentions is exported, and every exported family is described there.

Usage: metrics_rules.py [ROOT]          checks the tree
       metrics_rules.py --self-test     shows it catches a wrong name and label
"""
import json
import os
import re
import sys

import yaml

REGISTER = re.compile(r'New(Counter|Gauge|Histogram|CallbackGauge)\(\s*"(certme_[A-Za-z0-9_]+)"')
LABEL_SET = re.compile(r'\{\s*"[A-Za-z_][A-Za-z0-9_]*"(?:\s*,\s*"[A-Za-z_][A-Za-z0-9_]*")*\s*\}')
NAME = re.compile(r'\bcertme_[A-Za-z0-9_]+')
SELECTOR = re.compile(r'\b(certme_[A-Za-z0-9_]+)\s*\{([^}]*)\}')
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)')
BY = re.compile(r'\b(?:by|without)\s*\(([^)]*)\)')
ALWAYS = {"job", "instance"}
SEVERITIES = {"warning", "critical"}


def call_text(src, start):
    """The text of a call from `start` (its name) to the matching ')'."""
    depth = 0
    for i in range(src.index("(", start), len(src)):
        if src[i] == "(":
            depth += 1
        elif src[i] == ")":
            depth -= 1
            if depth == 0:
                return src[start:i + 1]
    return src[start:]


def exported_families(root):
    """{name: (kind, labels)} for every family the C++ source registers."""
    families = {}
    for top in ("idp", "common", "store", "ledger-client", "protocols", "cmd"):
        for dirpath, _, filenames in os.walk(os.path.join(root, top)):
            for fn in filenames:
                if not fn.endswith((".cc", ".h")):
                    continue
                with open(os.path.join(dirpath, fn), encoding="utf-8") as f:
                    src = f.read()
                for m in REGISTER.finditer(src):
                    text = call_text(src, m.start())
                    sets = LABEL_SET.findall(text[m.end() - m.start():])
                    labels = set(re.findall(r'"([^"]+)"', sets[0])) if sets else set()
                    families[m.group(2)] = (m.group(1), labels)
    return families


def family_of(name, families):
    """(family name, extra labels) for an exposed series name, or None."""
    if name in families:
        return name, set()
    for suffix, extra in (("_bucket", {"le"}), ("_sum", set()), ("_count", set())):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and families.get(base, ("",))[0] == "Histogram":
            return base, extra
    return None


def check_expr(where, expr, families):
    problems = []
    allowed = set(ALWAYS)
    for name in NAME.findall(expr):
        fam = family_of(name, families)
        if not fam:
            problems.append(f"{where}: {name} is not a metric the bridge exports")
            continue
        allowed |= families[fam[0]][1] | fam[1]
    for name, body in SELECTOR.findall(expr):
        fam = family_of(name, families)
        if not fam:
            continue
        own = families[fam[0]][1] | fam[1] | ALWAYS
        for label in MATCHER.findall(body):
            if label not in own:
                problems.append(f"{where}: {name} has no label {label}")
    for group in BY.findall(expr):
        for label in (l.strip() for l in group.split(",")):
            if label and label not in allowed:
                problems.append(f"{where}: no metric of the expression has the label {label}")
    return problems


def check_dashboard(path, families):
    problems = []
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    for key in ("title", "uid", "panels", "schemaVersion"):
        if key not in dash:
            problems.append(f"{path}: no {key}")
    ids = set()
    for p in dash.get("panels", []):
        if p.get("id") in ids:
            problems.append(f"{path}: panel id {p.get('id')} twice")
        ids.add(p.get("id"))
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{path}: panel {p.get('title')!r} has no target")
        for t in targets:
            if not t.get("expr"):
                problems.append(f"{path}: panel {p.get('title')!r} has a target without an expression")
            problems += check_expr(f"{path}: panel {p.get('title')!r}", t.get("expr", ""), families)
    return problems


def check_rules(path, families):
    problems = []
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups:
        return [f"{path}: no groups"]
    alerts = set()
    for g in groups:
        if not g.get("name") or not isinstance(g.get("rules"), list):
            problems.append(f"{path}: a group without a name or rules")
            continue
        for r in g["rules"]:
            name = r.get("alert")
            if not name or not isinstance(r.get("expr"), str):
                problems.append(f"{path}: group {g['name']}: a rule without alert or expr")
                continue
            if name in alerts:
                problems.append(f"{path}: alert {name} twice")
            alerts.add(name)
            extra = set(r) - {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
            if extra:
                problems.append(f"{path}: {name}: unknown keys {sorted(extra)}")
            if (r.get("labels") or {}).get("severity") not in SEVERITIES:
                problems.append(f"{path}: {name}: severity must be one of {sorted(SEVERITIES)}")
            if "for" in r and not re.fullmatch(r"\d+[smhd]", str(r["for"])):
                problems.append(f"{path}: {name}: `for` is not a duration: {r['for']}")
            if r["expr"].count("(") != r["expr"].count(")"):
                problems.append(f"{path}: {name}: unbalanced parentheses")
            problems += check_expr(f"{path}: {name}", r["expr"], families)
    return problems


def check_doc(path, families):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.find("\n## Metrics and alerts\n")
    if start < 0:
        return [f"{path}: no section \"Metrics and alerts\""]
    end = text.find("\n## ", start + 1)
    named = set(NAME.findall(text[start:end if end > 0 else len(text)]))
    problems = [f"{path}: {n} is not a metric the bridge exports" for n in sorted(named) if not family_of(n, families)]
    problems += [f"{path}: {n} is exported but not described" for n in sorted(families) if n not in named]
    return problems


def self_test():
    families = {"certme_x_total": ("Counter", {"outcome"}), "certme_y_seconds": ("Histogram", {"op"})}
    good = 'sum by (op, le) (rate(certme_y_seconds_bucket{job="certme",op="get"}[5m])) + certme_x_total{outcome="ok"}'
    assert check_expr("good", good, families) == [], check_expr("good", good, families)
    assert len(check_expr("name", "rate(certme_z_total[5m])", families)) == 1
    assert len(check_expr("label", 'certme_x_total{result="ok"}', families)) == 1
    assert len(check_expr("by", "sum by (service) (certme_x_total)", families)) == 1
    assert len(check_expr("suffix", "certme_x_total_count", families)) == 1  # a counter has no _count
    print("self-test passed")
    return 0


def main():
    if "--self-test" in sys.argv[1:]:
        return self_test()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), "..", ".."))
    families = exported_families(root)
    if "certme_logins_total" not in families:
        print("metrics_rules: found no registered families; is ROOT the source tree?")
        return 1
    problems = check_dashboard(os.path.join(root, "config/grafana/certme-dashboard.json"), families)
    problems += check_rules(os.path.join(root, "config/prometheus/certme-alerts.yml"), families)
    problems += check_doc(os.path.join(root, "docs/operations.md"), families)
    for p in problems:
        print(p)
    print(f"{len(families)} families exported; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
