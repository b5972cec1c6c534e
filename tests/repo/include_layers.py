#!/usr/bin/env python3
"""Fails on an #include that crosses the layers written down in REPO_LAYOUT.md.

Usage: include_layers.py [ROOT]   (ROOT: the repository, default: two levels up)

Reads the ```layers block of ROOT/REPO_LAYOUT.md ("folder: allowed folders…"),
then every .h/.cc file under ROOT (tests/, bench/, conformance/, examples/,
build*/ and node_modules/ excepted) and each of its #include "path" lines. A
file or an included path belongs to the longest listed folder that is a
prefix of its path; an include is allowed when its folder is in the
including folder's list ("folder/**" in a list allows the folder and every
folder below it). Prints every violation and exits 1, or exits 0.
"""
import os
import re
import sys

FREE = ("tests", "bench", "conformance", "examples")  # may include anything
SKIP_DIRS = {"node_modules", ".git"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_rules(root):
    text = open(os.path.join(root, "REPO_LAYOUT.md"), encoding="utf-8").read()
    m = re.search(r"```layers\n(.*?)```", text, re.S)
    if not m:
        sys.exit("include_layers: REPO_LAYOUT.md has no ```layers block")
    rules = {}
    for line in m.group(1).splitlines():
        if not line.strip():
            continue
        folder, _, allowed = line.partition(":")
        rules[folder.strip()] = set(allowed.split())
    return rules


def layer_of(path, rules):
    """The longest listed folder that contains `path`, or None."""
    best = None
    for folder in rules:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def allowed(dst, allowed_folders):
    """`dst` is listed, or lies under a listed "folder/**"."""
    for a in allowed_folders:
        if a == dst or (a.endswith("/**") and (dst == a[:-3] or dst.startswith(a[:-2]))):
            return True
    return False


def check(root):
    rules = read_rules(root)
    problems = []
    checked = 0
    for top in sorted(os.listdir(root)):
        if top.startswith("build") or top in SKIP_DIRS or top in FREE:
            continue
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                src = layer_of(path, rules)
                text = open(os.path.join(root, path), encoding="utf-8", errors="replace").read()
                for inc in INCLUDE.findall(text):
                    if "/" not in inc:
                        continue  # a generated header in the build folder
                    checked += 1
                    first = inc.split("/", 1)[0]
                    if first in FREE:
                        problems.append(f"{path}: includes {inc}: nothing outside {first}/ may include it")
                        continue
                    dst = layer_of(inc, rules)
                    if src is None:
                        problems.append(f"{path}: its folder is not listed in REPO_LAYOUT.md")
                        break
                    if dst is None:
                        problems.append(f"{path}: includes {inc}, whose folder is not listed in REPO_LAYOUT.md")
                    elif not allowed(dst, rules[src]):
                        problems.append(f"{path}: includes {inc}: {src}/ may not depend on {dst}/ (REPO_LAYOUT.md)")
    return problems, checked


def self_test():
    """The checker itself: a planted forbidden include must fail, its clean
    twin must pass (a check that cannot fail proves nothing)."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        def write(rel, text):
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            open(os.path.join(d, rel), "w").write(text)
        write("REPO_LAYOUT.md", "```layers\nlow: low\nhigh: high low\n```\n")
        write("low/a.h", '#include "low/b.h"\n')
        write("high/c.cc", '#include "low/a.h"\n#include "high/c.h"\n')
        write("tests/t.cc", '#include "high/c.h"\n')
        clean, _ = check(d)
        write("low/b.h", '#include "high/c.h"\n')
        planted, _ = check(d)
        write("high/d.cc", '#include "tests/t.h"\n')
        tests_inc, _ = check(d)
    ok = clean == [] and len(planted) == 1 and "low/ may not depend on high/" in planted[0] \
        and any("nothing outside tests/" in p for p in tests_inc)
    print("include_layers self-test:", "ok" if ok else f"FAILED clean={clean} planted={planted}")
    return 0 if ok else 1


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    problems, checked = check(os.path.abspath(root))
    for p in problems:
        print(p)
    if problems:
        print(f"include_layers: {len(problems)} forbidden include(s)")
        return 1
    print(f"include_layers: {checked} includes, all within the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
