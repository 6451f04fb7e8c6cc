"""Seedable ids and fake data: the same seed gives the same ids, names and codes."""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker


class Ids:
    """Every random value in the mock comes from here, so `--seed` makes runs repeatable."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        # the root every reseed derives from: the seed, or a random one (kept with a state file)
        self.base = seed if seed is not None else random.SystemRandom().getrandbits(64)
        self._rng = random.Random(self.base)
        self._token: str | None = None
        self._faker: Faker | None = None

    def reseed(self, token: str) -> None:
        """Each request and each timer draws from its own stream, so replaying one repeats its ids
        whatever ran between (reads, other timers). Seeding waits for the first draw: most reads draw none."""
        self._token = token

    @property
    def _random(self) -> random.Random:
        if self._token is not None:
            self._rng.seed(f"{self.base}:{self._token}")
            self._token = None
        return self._rng

    @property
    def faker(self) -> Faker:
        # Faker costs ~100 ms to build; only providers that invent data pay for it.
        if self._faker is None:
            from faker import Faker  # imported on first use: ~45 ms of start-up otherwise

            self._faker = Faker("es")
            self._faker.seed_instance(self._random.getrandbits(64))
        return self._faker

    def random_fraction(self) -> float:
        """In [0, 1): probabilistic scenarios draw here, so a seed repeats them."""
        return self._random.random()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        return f"{self._random.getrandbits(4 * length):0{length}x}"

    def digits(self, length: int) -> str:
        return "".join(self._random.choice("0123456789") for _ in range(length))
