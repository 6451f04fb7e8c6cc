"""Seedable ids: the same seed gives the same ids, codes and draws."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from contextvars import ContextVar


class _Stream:
    """One request's or one timer's own random stream, seeded on its first draw (most reads draw none)."""

    __slots__ = ("rng", "seed")

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.rng: random.Random | None = None


class Ids:
    """Every random value in the mock comes from here, so `--seed` makes runs repeatable."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        # the root every reseed derives from: the seed, or a random one (kept with a state file)
        self.base = seed if seed is not None else random.SystemRandom().getrandbits(64)
        self._rng = random.Random(self.base)  # outside any request or timer
        # per asyncio task: requests that interleave at their awaits never draw from each other's stream
        self._stream: ContextVar[_Stream | None] = ContextVar("ids_stream", default=None)

    def reseed(self, token: str) -> None:
        """From here on, this task draws from the stream named `token`, so replaying the request repeats
        its ids whatever ran meanwhile (reads, timers, other requests)."""
        self._stream.set(_Stream(f"{self.base}:{token}"))

    @contextlib.contextmanager
    def stream(self, token: str) -> Iterator[None]:
        """A timer's own stream for the duration of the job, then the caller's again."""
        reset = self._stream.set(_Stream(f"{self.base}:{token}"))
        try:
            yield
        finally:
            self._stream.reset(reset)

    @property
    def _random(self) -> random.Random:
        stream = self._stream.get()
        if stream is None:
            return self._rng
        if stream.rng is None:
            stream.rng = random.Random(stream.seed)
        return stream.rng

    def random_fraction(self) -> float:
        """In [0, 1): probabilistic scenarios draw here, so a seed repeats them."""
        return self._random.random()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        return f"{self._random.getrandbits(4 * length):0{length}x}"

    def digits(self, length: int) -> str:
        return "".join(self._random.choice("0123456789") for _ in range(length))
