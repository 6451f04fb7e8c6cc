"""`mockserver forward --to URL`: a running mock's webhooks, delivered to a receiver on this machine.

    mockserver forward --to http://localhost:3000/hooks --mock https://mock.ci.example:8080 \\
        --provider tuimprenta --events invoice.issued,batch.completed

It reads the mock's event stream (`GET /__admin/stream?kinds=webhook`), so the mock never needs to
reach this machine, and POSTs each delivery here with the body and the headers the mock sent (its
signature included), once per delivery: the mock's own retries of a delivery are not sent again. It
reconnects when the stream drops, or the mock restarts, with the id of the last event it saw, and
tells deliveries apart by their ids, which stay the same across a restart: nothing is lost while the
mock's ring holds it, and nothing is sent twice. One line per delivery says what the receiver
answered. The admin token comes from `--admin-token` or `MOCKSERVER_ADMIN_TOKEN`; a sandbox's own
credential from `--header` (`--header "X-Mock-Provider: bsale" --header "access_token: …"`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import urllib.parse
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from typing import Any, TextIO

import aiohttp

URL_ENV = "MOCKSERVER_URL"
TOKEN_ENV = "MOCKSERVER_ADMIN_TOKEN"
REMEMBERED = 100_000  # delivery ids kept to tell a repeat apart
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}
RECEIVER_TRIES = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver forward",
        description="Deliver a running mock's webhooks to a receiver on this machine.",
    )
    parser.add_argument("--to", required=True, help="the local receiver, e.g. http://localhost:3000/hooks")
    parser.add_argument(
        "--mock", default=os.environ.get(URL_ENV, "http://127.0.0.1:8080"), help=f"the mock (or {URL_ENV})"
    )
    parser.add_argument("--provider", help="only this provider's webhooks")
    parser.add_argument("--tenant", help="only this sandbox's (a credential or its label; with --provider)")
    parser.add_argument("--events", help="only these event types, comma-separated (e.g. invoice.issued)")
    parser.add_argument("--admin-token", default=os.environ.get(TOKEN_ENV), help=f"or {TOKEN_ENV}")
    parser.add_argument(
        "--header", action="append", default=[], metavar="NAME: VALUE", help="sent to the mock (a credential)"
    )
    parser.add_argument("--count", type=int, help="stop after forwarding this many deliveries")
    return parser


class Forwarder:
    def __init__(self, args: argparse.Namespace, out: TextIO = sys.stdout) -> None:
        self.args = args
        self.out = out
        self.events = {e.strip() for e in (args.events or "").split(",") if e.strip()}
        self.sent: OrderedDict[str, None] = OrderedDict()
        self.last_id: str | None = None
        self.headers = {"Accept": "text/event-stream"}
        if args.admin_token:
            self.headers["X-Mock-Admin-Token"] = args.admin_token
        for given in args.header:
            name, colon, value = given.partition(":")
            if not colon or not name.strip():
                raise SystemExit(f"mockserver forward: --header {given!r} is not 'Name: value'")
            self.headers[name.strip()] = value.strip()

    def stream_url(self) -> str:
        query = {"kinds": "webhook"} | {k: v for k in ("provider", "tenant") if (v := getattr(self.args, k))}
        return f"{self.args.mock.rstrip('/')}/__admin/stream?{urllib.parse.urlencode(query)}"

    async def run(self) -> int:
        pause = 0.5
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                headers = self.headers | ({"Last-Event-ID": self.last_id} if self.last_id else {})
                try:
                    # never followed: a redirect would carry the admin token to whatever it names
                    stream = session.get(self.stream_url(), headers=headers, allow_redirects=False)
                    async with stream as response:
                        if 300 <= response.status < 400:
                            where = response.headers.get("Location", "nowhere")
                            self.say(
                                f"the mock answered {response.status} to {where}: not followed, so the "
                                "token goes nowhere else; give --mock the address that serves the stream"
                            )
                            return 2
                        if response.status != 200:
                            self.say(
                                f"the mock refused the stream: {response.status} {await response.text()}"
                            )
                            return 2
                        self.say(f"forwarding {self.args.mock} → {self.args.to}")
                        pause = 0.5
                        async for event in _events(response):
                            if await self.handle(session, event):
                                return 0
                except (TimeoutError, aiohttp.ClientError, OSError) as error:
                    self.say(f"the stream dropped ({type(error).__name__}); reconnecting")
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)

    async def handle(self, session: aiohttp.ClientSession, event: dict[str, Any]) -> bool:
        """Forward a webhook event; True once `--count` deliveries are done."""
        self.last_id = event["id"]
        attempt = event["data"]
        if self.events and attempt["event"] not in self.events:
            return False
        if attempt["delivery"] in self.sent:  # the mock retried it: this receiver had it already
            return False
        self.sent[attempt["delivery"]] = None
        while len(self.sent) > REMEMBERED:
            self.sent.popitem(last=False)
        answer = await self.deliver(session, attempt)
        self.say(f"{attempt['event']} {attempt['delivery']} ({event['provider']}) → {answer}")
        return self.args.count is not None and len(self.sent) >= self.args.count

    async def deliver(self, session: aiohttp.ClientSession, attempt: dict[str, Any]) -> str:
        body = (
            attempt["body"].encode()
            if attempt["body_encoding"] == "utf-8"
            else base64.b64decode(attempt["body"])
        )
        headers = {k: v for k, v in attempt["headers"].items() if k.lower() not in HOP_BY_HOP}
        problem = ""
        for tries in range(RECEIVER_TRIES):
            try:
                sent = session.post(self.args.to, data=body, headers=headers, allow_redirects=False)
                async with sent as response:  # a receiver's redirect is its answer, as to the mock
                    return str(response.status)
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                problem = f"{type(error).__name__}: {error}"
                await asyncio.sleep(0.5 * 2**tries)
        return f"not delivered ({problem})"

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    data: list[str] = []
    async for raw in response.content:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data: "):
            data.append(line[6:])
        elif not line and data:
            yield json.loads("\n".join(data))
            data = []


def main(argv: Sequence[str]) -> None:
    args = build_parser().parse_args(argv)
    if args.tenant and not args.provider:
        raise SystemExit("mockserver forward: --tenant names a sandbox of one provider: give --provider too")
    try:
        code = asyncio.run(Forwarder(args).run())
    except KeyboardInterrupt:
        code = 0
    raise SystemExit(code)
