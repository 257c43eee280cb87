#!/usr/bin/env python3
"""Draws resources/icons/smartbot.png (256x256): a blue rounded square with a white chat bubble whose two
eyes make a robot face. Pure Python (zlib + struct), so it needs nothing installed. Run it to regenerate."""
import struct
import zlib
from pathlib import Path

SIZE = 256
SS = 4  # supersampling per axis


def inside_round_rect(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def inside_triangle(x, y, a, b, c):
    def sign(p, q, r):
        return (p[0] - r[0]) * (q[1] - r[1]) - (q[0] - r[0]) * (p[1] - r[1])
    d1, d2, d3 = sign((x, y), a, b), sign((x, y), b, c), sign((x, y), c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def colour(x, y):
    """RGBA at a point in 0..256 coordinates."""
    if not inside_round_rect(x, y, 8, 8, 248, 248, 48):
        return (0, 0, 0, 0)
    bubble = inside_round_rect(x, y, 44, 56, 212, 176, 36) or inside_triangle(x, y, (76, 170), (120, 170), (66, 214))
    if bubble:
        for ex in (100, 156):
            if (x - ex) ** 2 + (y - 112) ** 2 <= 15 ** 2:
                return (33, 118, 210, 255)
        return (255, 255, 255, 255)
    t = y / 256  # vertical gradient, light to dark blue
    return (int(66 - 30 * t), int(150 - 40 * t), int(243 - 40 * t), 255)


def main():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    c = colour(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    acc[0] += c[0] * c[3]
                    acc[1] += c[1] * c[3]
                    acc[2] += c[2] * c[3]
                    acc[3] += c[3]
            a = acc[3]
            if a:
                row += bytes([acc[0] // a, acc[1] // a, acc[2] // a, a // (SS * SS)])
            else:
                row += bytes(4)
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
    Path(__file__).with_name("smartbot.png").write_bytes(png)


if __name__ == "__main__":
    main()
