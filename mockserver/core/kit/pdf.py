"""A small PDF writer: pages of positioned text and lines in Helvetica, enough for real documents.

Text is encoded in WinAnsi (cp1252), which covers Spanish (á, ñ, ¿, €). The output is a valid
PDF 1.4 file with a correct cross-reference table; any viewer opens it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

A4 = (595.28, 841.89)


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


@dataclass
class Page:
    ops: list[bytes] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float = 10, bold: bool = False) -> None:
        font = b"/F2" if bold else b"/F1"
        self.ops.append(b"BT %s %g Tf %g %g Td (%s) Tj ET" % (font, size, x, y, _escape(text)))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5) -> None:
        self.ops.append(b"%g w %g %g m %g %g l S" % (width, x1, y1, x2, y2))

    def rect(self, x: float, y: float, w: float, h: float, width: float = 0.5) -> None:
        self.ops.append(b"%g w %g %g %g %g re S" % (width, x, y, w, h))

    def fill(self, x: float, y: float, w: float, h: float) -> None:
        self.ops.append(b"%.2f %.2f %.2f %.2f re f" % (x, y, w, h))


@dataclass
class Document:
    title: str = ""
    pages: list[Page] = field(default_factory=list)

    def page(self) -> Page:
        page = Page()
        self.pages.append(page)
        return page

    def render(self) -> bytes:
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        catalog = add(b"")  # filled once the pages object exists
        pages_id = add(b"")
        regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        kids = []
        for page in self.pages or [Page()]:
            stream = zlib.compress(b"\n".join(page.ops))  # a timbre's barcode is thousands of rectangles
            content = add(
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
            )
            kids.append(
                add(
                    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                    % (pages_id, A4[0], A4[1], content, regular, bold)
                )
            )
        objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % k for k in kids),
            len(kids),
        )
        objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
        info = add(b"<< /Title (%s) /Producer (mockserver) >>" % _escape(self.title))
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            catalog,
            info,
            xref,
        )
        return bytes(out)
