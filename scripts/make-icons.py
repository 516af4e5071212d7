#!/usr/bin/env python3
"""Draw Linker's app icons as 8-bit RGBA PNGs (tauri-codegen rejects anything else).

Standard library only, so it runs on any machine with Python 3. The mark is two interlocking
rounded links (a chain link: Linker links a merchant's POS to the wallet) in white on a
blue-to-teal rounded square.

    python3 scripts/make-icons.py        # rewrites icons/*.png
"""
import math
import struct
import zlib
from pathlib import Path

SIZES = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
TOP = (22, 93, 255)      # #165DFF
BOTTOM = (0, 168, 150)   # #00A896


def rounded_rect_coverage(x, y, size, radius):
    """Coverage (0..1) of pixel centre (x, y) by a rounded square of side `size`."""
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    d = math.hypot(x - cx, y - cy)
    return max(0.0, min(1.0, radius - d + 0.5))


def capsule_distance(x, y, ax, ay, bx, by):
    """Distance from (x, y) to the segment a-b."""
    vx, vy = bx - ax, by - ay
    t = ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)
    t = max(0.0, min(1.0, t))
    return math.hypot(x - (ax + t * vx), y - (ay + t * vy))


def link_coverage(x, y, s):
    """Coverage of the white chain mark: two stadium outlines at 45 degrees."""
    width = 0.075 * s  # stroke
    half_len = 0.085 * s
    radius = 0.115 * s
    best = 0.0
    for (cx, cy) in ((0.375 * s, 0.625 * s), (0.625 * s, 0.375 * s)):
        d = math.sqrt(0.5)
        ax, ay = cx - half_len * d, cy + half_len * d
        bx, by = cx + half_len * d, cy - half_len * d
        dist = abs(capsule_distance(x, y, ax, ay, bx, by) - radius)
        best = max(best, max(0.0, min(1.0, width / 2 - dist + 0.5)))
    return best


def draw(size):
    rows = []
    for j in range(size):
        row = bytearray([0])  # filter: none
        for i in range(size):
            x, y = i + 0.5, j + 0.5
            bg = rounded_rect_coverage(x, y, size, 0.22 * size)
            t = (x + y) / (2 * size)
            base = [round(TOP[k] * (1 - t) + BOTTOM[k] * t) for k in range(3)]
            mark = link_coverage(x, y, size)
            rgb = [round(base[k] * (1 - mark) + 255 * mark) for k in range(3)]
            row += bytes(rgb + [round(255 * bg)])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main():
    out = Path(__file__).resolve().parent.parent / "icons"
    out.mkdir(exist_ok=True)
    for name, size in SIZES.items():
        (out / name).write_bytes(draw(size))
        print(f"wrote icons/{name} ({size}x{size} RGBA)")


if __name__ == "__main__":
    main()
