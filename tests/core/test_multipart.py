"""The multipart/form-data reader: fields and files as browsers, curl and aiohttp send them."""

from __future__ import annotations

import asyncio
import io

import pytest
from aiohttp import FormData

from mockserver.core.services.multipart import MultipartError, Upload, parse


def _encoded(form: FormData) -> tuple[str, bytes]:
    payload = form()
    out = io.BytesIO()

    class Sink:
        async def write(self, data: bytes) -> None:
            out.write(data)

    asyncio.run(payload.write(Sink()))  # type: ignore[arg-type]  # the writer protocol, in short
    return str(payload.headers["Content-Type"]), out.getvalue()


def test_fields_and_files_come_back_as_sent() -> None:
    form = FormData()
    form.add_field("type", "invoice.create")
    form.add_field("file", io.BytesIO(b"a,b\r\n1,2\r\n"), filename="lote.csv", content_type="text/csv")
    header, body = _encoded(form)
    fields = parse(header, body)
    assert fields["type"] == "invoice.create"
    assert fields["file"] == Upload("lote.csv", "text/csv", b"a,b\r\n1,2\r\n")


def test_a_hand_written_body_with_a_quoted_boundary_and_an_epilogue() -> None:
    body = (
        b'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhola\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="x.json"\r\n'
        b"Content-Type: application/json\r\n\r\n[1]\r\n--XyZ--\r\nepilogue"
    )
    fields = parse('multipart/form-data; boundary="XyZ"', body)
    assert fields == {"note": "hola", "f": Upload("x.json", "application/json", b"[1]")}


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("multipart/form-data", b"--a\r\n\r\nx\r\n--a--"),
        ("multipart/form-data; boundary=a", b"no delimiter at all"),
        (
            "multipart/form-data; boundary=a",
            b"--a\r\nContent-Disposition: form-data; name=x\r\n\r\ncut short",
        ),
    ],
    ids=["no-boundary", "no-delimiter", "cut-short"],
)
def test_broken_bodies_are_refused(header: str, body: bytes) -> None:
    with pytest.raises(MultipartError):
        parse(header, body)
