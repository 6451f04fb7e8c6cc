"""The demo inboxes (`/__admin/inbox/<name>`): callback receivers anyone may post to, shared fairly.

Every message is held for its sender: the sandbox whose delivery it is when the mock itself sent it,
or "anyone" (None) for whatever else arrives. Inboxes hold `SPACE` units in all (a message costs one
per `UNIT` bytes of what it keeps, at least one) and `PER_INBOX` messages each; past either bound the
oldest message of the sender holding the most goes (`core/services/shares.py`), so a flood sent to
the receiver, to any names, pushes out its own messages, not a sandbox's deliveries. An inbox with no
message left is forgotten.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any

from mockserver.core.services.shares import Shares

PER_INBOX = 200  # messages an inbox keeps
UNIT = 1024  # bytes a unit of the space stands for
SPACE = 32 * 1024  # units all inboxes hold: 32 MB of messages

Sender = tuple[str, str] | None
Message = dict[str, Any]


def _sender(message: Message) -> Sender:
    sandbox = message.get("sandbox")
    return (sandbox[0], sandbox[1]) if sandbox else None


def _cost(message: Message) -> int:
    return 1 + (len(message.get("raw") or "") * 2) // UNIT  # the raw text, and the body parsed from it


class Inboxes:
    def __init__(self) -> None:
        self._boxes: dict[str, list[Message]] = {}
        self._by_sender: dict[Sender, deque[tuple[str, Message]]] = {}  # oldest first
        self._space: Shares[Sender] = Shares()

    def receive(self, name: str, message: Message) -> None:
        box = self._boxes.setdefault(name, [])
        box.append(message)
        sender = _sender(message)
        self._by_sender.setdefault(sender, deque()).append((name, message))
        self._space.add(sender, _cost(message))
        if len(box) > PER_INBOX:  # the box's biggest sender gives up its oldest message in it
            counts = Counter(_sender(m) for m in box)
            biggest = max(counts, key=counts.__getitem__)
            self._remove(name, next(m for m in box if _sender(m) == biggest))
        while self._space.total > SPACE:
            largest = self._space.largest()
            oldest_name, oldest = self._by_sender[largest][0]
            self._remove(oldest_name, oldest)

    def get(self, name: str) -> list[Message]:
        return list(self._boxes.get(name, ()))

    def items(self) -> Iterator[tuple[str, list[Message]]]:
        return iter(self._boxes.items())

    def discard(self, name: str, gone: Callable[[Message], bool]) -> None:
        """Remove the messages of inbox `name` that `gone` picks."""
        for message in [m for m in self._boxes.get(name, ()) if gone(m)]:
            self._remove(name, message)

    def clear(self) -> None:
        self._boxes.clear()
        self._by_sender.clear()
        self._space.clear()

    def saved(self) -> dict[str, list[Message]]:
        """What a snapshot keeps (see `core.snapshot`): every inbox's messages, oldest first."""
        return self._boxes

    def put_back(self, saved: dict[str, list[Message]]) -> None:
        self.clear()
        everything = sorted(
            ((m.get("at") or 0, name, m) for name, box in saved.items() for m in box), key=lambda t: t[0]
        )
        for _, name, message in everything:
            self.receive(name, message)

    def _remove(self, name: str, message: Message) -> None:
        """Remove that very message (found by identity: a flood of equal messages compares fast)."""
        box = self._boxes[name]
        del box[next(n for n, m in enumerate(box) if m is message)]
        if not box:
            del self._boxes[name]
        sender = _sender(message)
        held = self._by_sender[sender]
        del held[next(n for n, (_, m) in enumerate(held) if m is message)]
        if not held:
            del self._by_sender[sender]
        self._space.remove(sender, _cost(message))
