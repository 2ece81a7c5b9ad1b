"""Draw the extension's icon (images/icon.png, 128 × 128): a clock face on a rounded blue square.

Plain Python (zlib + struct), so that regenerating it needs nothing installed: `python3 scripts/make-icon.py`.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZE = 128
BLUE, NAVY, WHITE = (33, 113, 181), (8, 48, 107), (255, 255, 255)


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    c = SIZE / 2
    # rounded square (radius 24) with a 4 px darker rim
    r, inset = 24, 4
    qx, qy = max(abs(x - c) - (c - r), 0), max(abs(y - c) - (c - r), 0)
    corner = math.hypot(qx, qy)
    if corner > r:
        return (0, 0, 0, 0)
    base = NAVY if corner > r - inset or max(abs(x - c), abs(y - c)) > c - inset else BLUE
    d = math.hypot(x - c, y - c)
    if 38 <= d <= 46:  # the clock's ring
        return (*WHITE, 255)
    for hand_angle, length, width in ((-math.pi / 2, 30, 4.0), (0.0, 22, 4.0)):  # 12 and 3 o'clock hands
        ux, uy = math.cos(hand_angle), math.sin(hand_angle)
        along = (x - c) * ux + (y - c) * uy
        across = abs(-(x - c) * uy + (y - c) * ux)
        if -3 <= along <= length and across <= width / 2:
            return (*WHITE, 255)
    if d <= 5:
        return (*WHITE, 255)
    return (*base, 255)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    rows = []
    for y in range(SIZE):
        row = bytearray()
        for x in range(SIZE):
            # 2 × 2 supersampling for smooth edges
            samples = [pixel(x + dx, y + dy) for dx in (0.25, 0.75) for dy in (0.25, 0.75)]
            row.extend(round(sum(s[i] for s in samples) / 4) for i in range(4))
        rows.append(bytes(row))
    out = Path(__file__).resolve().parent.parent / "images" / "icon.png"
    out.write_bytes(png(SIZE, SIZE, rows))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
