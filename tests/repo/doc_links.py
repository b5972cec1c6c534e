#!/usr/bin/env python3
"""Fails when a relative link in README.md, REPO_LAYOUT.md, docs/ or a
folder README does not resolve to a file or folder of the repository (or a
heading anchor of a Markdown file, when the link names one).

Usage: doc_links.py [ROOT]
"""
import os
import re
import sys

LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SKIP_DIRS = {"node_modules", ".git"}


def anchors(md_path):
    """GitHub-style anchors of a Markdown file's headings."""
    out = set()
    in_code = False
    for line in open(md_path, encoding="utf-8"):
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        title = line.lstrip("#").strip().lower()
        title = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
        out.add(title)
    return out


def markdown_files(root):
    for top in sorted(os.listdir(root)):
        path = os.path.join(root, top)
        if top.endswith(".md") and os.path.isfile(path):
            yield path
        elif os.path.isdir(path) and not top.startswith("build") and top not in SKIP_DIRS:
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
                for name in filenames:
                    if name.endswith(".md"):
                        yield os.path.join(dirpath, name)


def check(root):
    problems, checked = [], 0
    for md in markdown_files(root):
        in_code = False
        for lineno, line in enumerate(open(md, encoding="utf-8"), 1):
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            for target in LINK.findall(line):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
                    continue  # absolute URL (http:, mailto:, …)
                checked += 1
                path, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
                rel = os.path.relpath(md, root)
                if not os.path.exists(dest):
                    problems.append(f"{rel}:{lineno}: {target}: no such file")
                elif not os.path.realpath(dest).startswith(os.path.realpath(root)):
                    problems.append(f"{rel}:{lineno}: {target}: points outside the repository")
                elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    problems.append(f"{rel}:{lineno}: {target}: no heading #{anchor}")
    return problems, checked


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
    problems, checked = check(root)
    for p in problems:
        print(p)
    print(f"doc_links: {checked} relative links, {len(problems)} broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
