#!/usr/bin/env python3
"""Fails when a shell script that sets `pipefail` ends a pipeline with a
reader that stops early (`grep -q`, `head`): the writer then dies of SIGPIPE
(curl says "Failed writing body"), pipefail turns that into a failure, and
the check fails or passes depending on timing. Capture the output first,
or let the reader consume everything (`grep PATTERN >/dev/null`,
`sed -n 1p`). A `$(... | head -n1)` whose result is only a value is allowed
when it is followed by `|| true` or used where a non-zero status is ignored;
mark such a line with `# pipe-ok` to say so.

Usage: shell_pipes.py [ROOT]      (exit 1 and one line per finding)
       shell_pipes.py --self-test
"""
import os
import re
import subprocess
import sys
import tempfile

EARLY_READER = re.compile(r"\|\s*(grep\s+(-\w*q\w*|--quiet)\b|head\b)")
PIPEFAIL = re.compile(r"^\s*set\s+-[a-z]*o\s*pipefail|^\s*set\s+-o\s+pipefail|^\s*set\s+-\w+\s+-o\s+pipefail", re.M)


def shell_files(root):
    listed = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=False)
    names = listed.stdout.decode().split("\0") if listed.returncode == 0 else []
    if not names or names == [""]:
        names = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in {"node_modules", ".git"} and not d.startswith("build")]
            names += [os.path.relpath(os.path.join(dirpath, n), root) for n in filenames]
    for name in names:
        if not name or "node_modules/" in name:
            continue
        path = os.path.join(root, name)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if name.endswith(".sh") or text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash"):
            yield name, text


def findings(root):
    out = []
    for name, text in shell_files(root):
        if not PIPEFAIL.search(text):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
            if "pipe-ok" in line or "|| true" in line:
                continue
            if EARLY_READER.search(code):
                out.append(f"{name}:{number}: a pipeline under pipefail ends in a reader that stops early: {line.strip()}")
    return out


def self_test():
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "bad.sh"), "w") as f:
            f.write("#!/usr/bin/env bash\nset -euo pipefail\ncurl -fsS http://x | grep -q ok\n")
        with open(os.path.join(root, "good.sh"), "w") as f:
            f.write("#!/usr/bin/env bash\nset -euo pipefail\ncurl -fsS http://x | grep ok >/dev/null\n")
        found = findings(root)
        if len(found) != 1 or not found[0].startswith("bad.sh:3:"):
            print("self-test: expected exactly bad.sh:3, got", found)
            return 1
    print("self-test: the planted early reader was found, the safe one was not")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    found = findings(root)
    for line in found:
        print(line)
    if found:
        return 1
    print("shell_pipes: no early readers under pipefail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
