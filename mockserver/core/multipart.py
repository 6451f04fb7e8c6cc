"""multipart/form-data from the raw body (the pipeline has read it already), with the standard library."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP


@dataclass(frozen=True)
class Upload:
    """A file part; validated as an object by the specs (`{}` in a schema accepts it)."""

    filename: str
    content_type: str
    data: bytes


class MultipartError(ValueError):
    pass


def parse(content_type_header: str, raw: bytes) -> dict[str, str | Upload]:
    if "boundary=" not in content_type_header:
        raise MultipartError("multipart/form-data without a boundary")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type_header.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise MultipartError("the body is not multipart/form-data")
    fields: dict[str, str | Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            fields[name] = Upload(filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return fields
