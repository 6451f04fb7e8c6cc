"""The mock's log: one readable line per request on a terminal, or JSON lines with timestamps
(`--log-format json`, the container's default) for machines to read."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("auto", "text", "json")


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLines(logging.Formatter):
    """`{"ts", "level", "logger", "msg", ...the record's fields}`, one object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class Text(logging.Formatter):
    """`16:30:00.123 201 POST /bsale/v1/documents.json  bsale createDocument 3.2 ms key-…` for requests,
    `16:30:00.123 message` for the rest."""

    def format(self, record: logging.LogRecord) -> str:
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.") + f"{int(record.msecs):03d}"
        fields = getattr(record, "fields", None)
        if fields and "status" in fields:
            parts = [
                clock,
                str(fields["status"]),
                fields["method"],
                fields["path"],
                f" {fields['provider']} {fields.get('op') or '-'}",
                f"{fields['ms']:.1f} ms",
            ]
            if fields.get("tenant"):
                parts.append(str(fields["tenant"]))
            if fields.get("scenario"):
                parts.append(f"[{fields['scenario']}]")
            if fields.get("replay"):
                parts.append("(replayed)")
            text = " ".join(parts)
        else:
            level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
            text = f"{clock} {level}{record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(level: str, fmt: str = "auto", stream: TextIO | None = None) -> None:
    """`auto`: readable text on a terminal, JSON lines otherwise (a file, a pipe, a container's log)."""
    out = stream or sys.stdout
    if fmt == "auto":
        fmt = "text" if out.isatty() else "json"
    handler = logging.StreamHandler(out)
    handler.setFormatter(Text() if fmt == "text" else JsonLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
