"""The SII's timbre as it is printed: a PDF417 barcode of the TED (security level 5, ISO-8859-1), drawn
as module runs into a PDF or written as a PNG."""

from __future__ import annotations

import struct
import zlib

from mockserver.core.kit.pdf import Page

SECURITY_LEVEL = 5  # what the SII asks of the timbre
ROW_HEIGHT = 3  # a PDF417 row is three modules high, as the standard's usual aspect


def pdf417(data: str) -> list[list[bool]]:
    """The barcode's modules, row by row (True is dark), in the fewest columns that hold the data."""
    from pdf417gen import encode  # type: ignore[import-untyped]  # on first use: it brings Pillow along

    for columns in range(12, 31):
        try:
            codes = encode(
                data.encode("iso-8859-1", "replace"), columns=columns, security_level=SECURITY_LEVEL
            )
        except ValueError:  # more than 90 rows: a wider barcode
            continue
        return [[bit == "1" for word in row for bit in format(word, "b")] for row in codes]
    raise ValueError("too much data for a PDF417 barcode")


def draw(page: Page, modules: list[list[bool]], x: float, y: float, width: float, height: float) -> None:
    """The barcode into the box at (x, y): one filled rectangle per run of dark modules."""
    module_w, row_h = width / len(modules[0]), height / len(modules)
    for r, row in enumerate(modules):
        top = y + height - (r + 1) * row_h
        start = None
        for c, dark in enumerate([*row, False]):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                page.fill(x + start * module_w, top, (c - start) * module_w, row_h)
                start = None


def png(modules: list[list[bool]], scale: int = 2, quiet: int = 10) -> bytes:
    """A black-and-white PNG of the barcode, `scale` pixels a module and three rows a code row."""
    width = (len(modules[0]) + 2 * quiet) * scale
    blank = b"\x00" + b"\xff" * width
    rows = [blank] * (quiet * scale)
    for row in modules:
        pixels = b"\xff" * (quiet * scale)
        pixels += b"".join(b"\x00" * scale if dark else b"\xff" * scale for dark in row)
        pixels += b"\xff" * (quiet * scale)
        rows += [b"\x00" + pixels] * (scale * ROW_HEIGHT)
    rows += [blank] * (quiet * scale)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
