"""The values the command line and environment accept, each checked with one clear reason when not."""

from __future__ import annotations

import argparse
import ipaddress
import math
import re
import urllib.parse
from pathlib import Path
from typing import Any

from mockserver.cluster.workers import parse_workers
from mockserver.core.listings import PROVIDERS
from mockserver.core.plugin import Option
from mockserver.paths import DEFAULT_SIGNING_KEY


def pairs(text: str, what: str) -> dict[str, str]:
    """`a=1,b=2` → {"a": "1", "b": "2"}; a bare value applies to every provider ("*")."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep:
            name, value = "*", name
        out[name.strip()] = value.strip()
    if not out:
        raise argparse.ArgumentTypeError(f"empty {what}")
    return out


def parse_rate_limits(text: str) -> dict[str, float | None]:
    """`sandbox` (default), `off`, or a factor like `10x`; per provider as `hacienda=off,*=10x`."""
    out: dict[str, float | None] = {}
    for name, value in pairs(text, "rate limit spec").items():
        if name != "*" and name not in PROVIDERS:
            raise argparse.ArgumentTypeError(f"unknown provider {name!r}; known: {', '.join(PROVIDERS)}")
        if value in ("off", "none", "0"):
            out[name] = None
        elif value in ("sandbox", "default", "on", "1x", "1"):
            out[name] = 1.0
        else:
            try:
                out[name] = float(value.rstrip("x"))
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"bad rate limit {value!r}: use sandbox, off or Nx"
                ) from None
            if not math.isfinite(out[name] or 0) or (out[name] or 0) <= 0:
                raise argparse.ArgumentTypeError(f"bad rate limit {value!r}: a factor must be above 0")
    return out


def port_number(text: str) -> int:
    value = whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1 to 65535)")
    return value


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be zero or more seconds")
    return value


HOSTNAME = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def host_name(text: str) -> str:
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not HOSTNAME.fullmatch(text) or re.fullmatch(r"[\d.]+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is neither an IP address nor a host name")
    return text


def base_url(text: str) -> str:
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) base URL like https://mock.example.com")
    return text


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return path


def signing_key_path(text: str) -> Path:
    """A PEM file, or `test`: the committed public test key (reproducible, and unsafe on a shared mock)."""
    return DEFAULT_SIGNING_KEY if text == "test" else existing_file(text)


def existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such directory")
    return path


def state_file_path(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; name a file in it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: the directory {path.parent} does not exist")
    return path


def provider_list(text: str) -> tuple[str, ...]:
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"name at least one of {', '.join(PROVIDERS)}")
    unknown = [n for n in names if n not in PROVIDERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown provider(s) {', '.join(unknown)}; known: {', '.join(PROVIDERS)}"
        )
    return names


def option_type(option: Option) -> Any:
    if option.type is float:
        return seconds
    if option.type is int:
        return positive_int
    return option.type


def provider_port_map(text: str) -> dict[str, int]:
    ports = {k: port_number(v) for k, v in pairs(text, "ports").items()}
    unknown = [k for k in ports if k not in PROVIDERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown provider(s) {', '.join(unknown)}; known: {', '.join(PROVIDERS)}"
        )
    return ports


def cluster_workers(text: str) -> dict[str, str]:
    try:
        return {w.name: w.address for w in parse_workers(text)}
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def allowlist(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())
