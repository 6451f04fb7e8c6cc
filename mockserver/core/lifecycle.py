"""Entity lifecycles: a status advances on the clock, at once, or only when told to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from mockserver.core.scheduler import Job, Scheduler


class Mode(StrEnum):
    IMMEDIATE = "immediate"
    TIMED = "timed"
    MANUAL = "manual"


@dataclass(frozen=True)
class Step:
    """Enter `state` `delay` seconds (mock time) after the previous step."""

    state: str
    delay: float


@dataclass
class Track:
    provider: str
    kind: str
    key: str
    tenant: str
    steps: Sequence[Step]
    on_enter: Callable[[str], None]
    index: int = 0
    job: Job | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.index >= len(self.steps)


class Lifecycles:
    """One engine for every provider's asynchronous work; the mode is set per provider and kind."""

    def __init__(self, scheduler: Scheduler, default: Mode = Mode.TIMED) -> None:
        self.scheduler = scheduler
        self.default = default
        self.modes: dict[tuple[str, str], Mode] = {}
        self._tracks: dict[tuple[str, str, str], Track] = {}

    def mode(self, provider: str, kind: str) -> Mode:
        return self.modes.get((provider, kind), self.modes.get((provider, "*"), self.default))

    def set_mode(self, provider: str, kind: str, mode: Mode) -> None:
        self.modes[(provider, kind)] = mode

    def start(
        self,
        provider: str,
        kind: str,
        key: str,
        steps: Sequence[Step],
        on_enter: Callable[[str], None],
        *,
        tenant: str = "",
    ) -> Track:
        track = Track(provider, kind, key, tenant, steps, on_enter)
        mode = self.mode(provider, kind)
        if mode is Mode.IMMEDIATE:
            while not track.done:
                self._step(track)
            return track
        self._tracks[(provider, kind, key)] = track
        if mode is Mode.TIMED:
            self._schedule(track, self.scheduler.clock.now())
        return track

    def advance(self, provider: str, kind: str | None = None, key: str | None = None) -> int:
        """Move every matching unfinished track one step now; answers how many moved."""
        moved = 0
        for track in list(self._tracks.values()):
            if track.provider != provider or (kind and track.kind != kind) or (key and track.key != key):
                continue
            if track.job:
                track.job.cancel()
            self._step(track)
            if not track.done and self.mode(track.provider, track.kind) is Mode.TIMED:
                self._schedule(track, self.scheduler.clock.now())
            moved += 1
        return moved

    def pending(self, provider: str | None = None) -> list[Track]:
        return [t for t in self._tracks.values() if provider is None or t.provider == provider]

    def forget(self, provider: str | None = None, tenant: str | None = None) -> None:
        for ident, track in list(self._tracks.items()):
            if (provider is None or track.provider == provider) and (
                tenant is None or track.tenant == tenant
            ):
                if track.job:
                    track.job.cancel()
                del self._tracks[ident]

    def forget_key(self, provider: str, kind: str, key: str) -> None:
        track = self._tracks.pop((provider, kind, key), None)
        if track and track.job:
            track.job.cancel()

    def _schedule(self, track: Track, base: float) -> None:
        # each step is due `delay` after the previous one was due, however far the clock jumped
        when = base + track.steps[track.index].delay
        track.job = self.scheduler.at(when, lambda: self._fire(track, when))

    def _fire(self, track: Track, due: float) -> None:
        self._step(track)
        if not track.done:
            self._schedule(track, due)

    def _step(self, track: Track) -> None:
        step = track.steps[track.index]
        track.index += 1
        if track.done:
            self._tracks.pop((track.provider, track.kind, track.key), None)
        track.on_enter(step.state)
