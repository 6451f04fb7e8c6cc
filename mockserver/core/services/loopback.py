"""The replay's HTTP client: one keep-alive connection to the mock's own private server, a request at a
time, the answer's status and nothing else kept.

aiohttp's client spent as long on each replayed write as the server did (its request and response
objects, cookie jar, connector and timeouts), for a status the replay only counts. This sends the
recorded request as it was recorded, with no header of its own but `Host` and the body's length, and
reads the answer as HTTP/1.1 frames it: past any 1xx, then by its length, its chunks, or to the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

CLIENT_FRAMED = frozenset({"host", "content-length", "transfer-encoding", "connection", "expect"})
WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class Loopback:
    """A connection to `host:port`, made again whenever the server closed it (or dropped it: an answer
    that never came is status 0, as a dropped-connection scenario's is)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes) -> int:
        reader, writer = self._streams or await self._connect()
        try:
            writer.write(_frame(method, target, f"{self.host}:{self.port}", headers, body))
            status, keep = await _answer(reader, method)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status, keep = 0, False
        if not keep:
            self.close()
        return status

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self._streams = await asyncio.open_connection(self.host, self.port)
        return self._streams

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _frame(method: str, target: str, host: str, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    given_host = None
    for name, value in headers:
        lower = name.lower()
        if lower == "host":
            given_host = value  # a fixture's own Host: sent as it gave it
        elif lower not in CLIENT_FRAMED:
            lines.append(f"{name}: {value}")
    lines.insert(1, f"Host: {given_host or host}")
    if body or method not in WITHOUT_BODY:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("utf-8", "surrogateescape") + body


async def _answer(reader: asyncio.StreamReader, method: str) -> tuple[int, bool]:
    """The final answer's status, its body read past; and whether the connection can take another."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        if not 100 <= status < 200:
            break
    fields: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name:
            fields[name.strip().lower()] = value.strip().lower()
    keep = fields.get(b"connection") != b"close"
    if method == "HEAD" or status in (204, 304):
        return status, keep
    if b"chunked" in fields.get(b"transfer-encoding", b""):
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, up to the blank line
            pass
    elif b"content-length" in fields:
        await reader.readexactly(int(fields[b"content-length"]))
    else:
        await reader.read()  # framed by the end of the connection
        keep = False
    return status, keep
