"""Settings: everything the CLI and environment can set, in one typed place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALL_PROVIDERS = ("hacienda", "avenio", "bsale", "tupana", "tuimprenta")
LOOPS = ("auto", "uvloop", "asyncio")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    providers: tuple[str, ...] = ALL_PROVIDERS
    seed: int | None = None
    log_level: str = "info"
    log_format: str = "auto"  # text on a terminal, JSON lines otherwise (see mockserver.logs)
    # provider → scale of its documented limits (1.0 = the sandbox's), None = off; "*" for all
    rate_limits: dict[str, float | None] = field(default_factory=dict)
    lifecycle: str = "timed"
    journal_size: int = 1000
    signing_key: Path | None = None
    # what the control plane asks for; None: nothing on loopback, a random one (shown at start) beyond it;
    # "off": nothing anywhere
    admin_token: str | None = None
    public_url: str | None = None
    provider_ports: dict[str, int] = field(default_factory=dict)
    provider_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_body_bytes: int = 10 * 1024 * 1024
    # seconds a connection may take to send a request's head, and stay idle between requests (slowloris)
    header_timeout: float = 15.0
    # check every response against the spec; mismatches are logged and recorded (the test suite fails on them)
    strict: bool = False
    # serve https with a self-signed certificate written to tls_dir (made at start)
    tls: bool = False
    tls_dir: Path | None = None
    # callback URLs the mock may call (hosts, *.suffix, IPs, CIDRs); empty: any but link-local and metadata
    callback_allowlist: tuple[str, ...] = ()
    # the names (or *.suffix) the control plane answers to, beyond loopback names, IP literals, single-label
    # names, the real provider hosts and --public-url's host: another name is refused (DNS rebinding)
    allowed_hosts: tuple[str, ...] = ()
    # SQLite file holding every write (None: in memory); fixtures: a directory of requests to seed with
    state_file: Path | None = None
    fixtures: Path | None = None
    # a worker of a cluster: every worker's name → host:port (itself included), for the control plane's
    # calls that act on the whole cluster; empty: a mock on its own
    cluster: dict[str, str] = field(default_factory=dict)
    # the event loop: uvloop where it is installed (auto), or asyncio's own
    loop: str = "auto"
    clock_start: float | None = None
    clock_frozen: bool = False
