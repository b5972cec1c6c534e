#!/usr/bin/env python3
"""Fails when a hand-written C++ source file is longer than the limit in
REPO_LAYOUT.md (720 lines): a file that long holds more than one job.

Usage: file_size.py [ROOT] [--limit N]
"""
import os
import sys

LIMIT = 720
SKIP_DIRS = {"node_modules", ".git"}


def long_files(root, limit):
    out = []
    for top in sorted(os.listdir(root)):
        if top.startswith("build") or top in SKIP_DIRS:
            continue
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                if name.endswith((".h", ".cc")):
                    path = os.path.join(dirpath, name)
                    with open(path, encoding="utf-8", errors="replace") as f:
                        n = sum(1 for _ in f)
                    if n > limit:
                        out.append((os.path.relpath(path, root), n))
    return out


def main():
    args = sys.argv[1:]
    limit = LIMIT
    if "--limit" in args:
        i = args.index("--limit")
        limit = int(args[i + 1])
        del args[i:i + 2]
    root = os.path.abspath(args[0] if args else os.path.join(os.path.dirname(__file__), "..", ".."))
    found = long_files(root, limit)
    for path, n in found:
        print(f"{path}: {n} lines (limit {limit}): split it by job")
    print(f"file_size: {len(found)} file(s) over {limit} lines")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
