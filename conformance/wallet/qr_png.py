#!/usr/bin/env python3
"""Turns the login page's inline QR SVG into a PNG, like a screenshot of the
page would hold it: parses the run-length path the bridge draws
(idp/login/qr_svg.h: "M{x} {y}h{run}v1h-{run}z") and writes a grayscale PNG
with the standard library only. Usage: qr_png.py PAGE.html OUT.png"""
import re
import struct
import sys
import zlib

page = open(sys.argv[1], encoding="utf-8").read()
# The QR symbol's SVG (the page also draws the certME logo as SVG).
svg = re.search(r"<svg[^>]*aria-label=\"QR code\"[^>]*viewBox=\"0 0 (\d+) (\d+)\".*?</svg>", page, re.S)
if not svg:
    sys.exit("no QR SVG on the page")
n = int(svg.group(1))
scale = 6
dark = set()
for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg.group(0)):
    for i in range(int(run)):
        dark.add((int(x) + i, int(y)))
rows = []
for py in range(n * scale):
    row = bytearray([0])  # filter: none
    for px in range(n * scale):
        row.append(0 if (px // scale, py // scale) in dark else 255)
    rows.append(bytes(row))


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n * scale, n * scale, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
