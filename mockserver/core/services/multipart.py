"""multipart/form-data from the raw body (the pipeline has read it already), in memory linear in its size.

The standard library's email parser splits a body into lines first: a 7 MB CSV of short rows took
300 MB. Here parts are found by searching for the boundary, and each part's content is one slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True)
class Upload:
    """A file part; validated as a string (`type: string, format: binary`: see `pipeline.validate`)."""

    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict[str, object]:
        """How the journal shows it: never the content."""
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.data)}


class MultipartError(ValueError):
    pass


def _headers(block: bytes) -> Message:
    """A part's headers, read with the email package (quoting and RFC 2231 parameters included)."""
    message = Message()
    for line in block.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            message[name.strip()] = value.strip()
    return message


def parse(content_type_header: str, raw: bytes) -> dict[str, str | Upload]:
    envelope = _headers(b"Content-Type: " + content_type_header.encode("latin-1"))
    boundary = envelope.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("multipart/form-data without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    position = raw.find(delimiter)
    if position < 0:
        raise MultipartError("the body is not multipart/form-data")
    fields: dict[str, str | Upload] = {}
    position += len(delimiter)
    while not raw.startswith(b"--", position):  # "--boundary--" closes the body
        line_end = raw.find(b"\r\n", position)
        end = raw.find(b"\r\n" + delimiter, line_end)
        if line_end < 0 or end < 0:
            raise MultipartError("a part of the multipart body is cut short")
        head_end = raw.find(b"\r\n\r\n", line_end, end + 2)
        if head_end < 0:
            raise MultipartError("a part of the multipart body has no headers")
        headers = _headers(raw[line_end + 2 : head_end])
        content = raw[head_end + 4 : end]
        position = end + 2 + len(delimiter)
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = headers.get_filename()
        if filename is not None:
            fields[name] = Upload(filename, headers.get_content_type(), content)
        else:
            fields[name] = content.decode(headers.get_content_charset() or "utf-8", "replace")
    return fields
