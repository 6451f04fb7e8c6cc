"""Entity lifecycles: a status advances on the clock, at once, or only when told to."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockserver.core.services.scheduler import Job, Scheduler

# any credential opens a sandbox: what the mock keeps for sandboxes one by one is bounded
MAX_SANDBOX_CONTROLS = 10_000


class Mode(StrEnum):
    IMMEDIATE = "immediate"
    TIMED = "timed"
    MANUAL = "manual"
    POLLS = "polls"  # one step every N reads of the entity (moto's state manager does this)


@dataclass(frozen=True)
class Control:
    """How one provider's kind of entity advances; `seconds` replaces every step's delay when timed."""

    mode: Mode
    seconds: float | None = None
    polls: int | None = None

    def as_json(self) -> dict[str, object]:
        return {"mode": self.mode.value, "seconds": self.seconds, "polls": self.polls}


@dataclass(frozen=True)
class Step:
    """Enter `state` `delay` seconds (mock time) after the previous step."""

    state: str
    delay: float


@dataclass(slots=True)
class Track:
    provider: str
    kind: str
    key: str
    tenant: str
    steps: Sequence[Step]
    on_enter: Callable[[str], None]
    index: int = 0
    polls: int = 0
    job: Job | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.index >= len(self.steps)


class Lifecycles:
    """One engine for every provider's asynchronous work; the mode is set per provider and kind."""

    def __init__(self, scheduler: Scheduler, default: Mode = Mode.TIMED) -> None:
        self.scheduler = scheduler
        self.default = default
        self.modes: dict[tuple[str, str], Control] = {}  # (provider, kind): for every sandbox
        # (provider, sandbox, kind): one sandbox's own, which its work follows before the provider's
        self.sandbox_modes: dict[tuple[str, str, str], Control] = {}
        self._tracks: dict[tuple[str, str, str], Track] = {}
        # told of every track's last state (provider, tenant, kind, state): the coverage report's
        self.ended: Callable[[str, str, str, str], None] = lambda provider, tenant, kind, state: None
        # told of every state an entity enters (the event stream's)
        self.entered: Callable[[Track, str], None] = lambda track, state: None
        self.polls = 0  # reads counted so far: a read that counted is a write to persist

    def control(self, provider: str, kind: str, tenant: str = "") -> Control:
        if tenant and self.sandbox_modes:
            own = self.sandbox_modes.get((provider, tenant, kind)) or self.sandbox_modes.get(
                (provider, tenant, "*")
            )
            if own is not None:
                return own
        return self.modes.get((provider, kind), self.modes.get((provider, "*"), Control(self.default)))

    def mode(self, provider: str, kind: str, tenant: str = "") -> Mode:
        return self.control(provider, kind, tenant).mode

    def set_mode(
        self,
        provider: str,
        kind: str,
        mode: Mode,
        *,
        seconds: float | None = None,
        polls: int | None = None,
        tenant: str | None = None,
    ) -> None:
        """How the provider's work of `kind` ("*": every kind) advances; for one sandbox's work only
        when `tenant` names it."""
        if mode is Mode.POLLS and (polls is None or polls < 1):
            raise ValueError("the polls mode needs polls: a positive number of reads per step")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds cannot be negative")
        if tenant:
            key = (provider, tenant, kind)
            if key not in self.sandbox_modes and len(self.sandbox_modes) >= MAX_SANDBOX_CONTROLS:
                raise ValueError(
                    f"modes are set for {MAX_SANDBOX_CONTROLS} sandboxes already: reset some first"
                )
            self.sandbox_modes[key] = Control(mode, seconds, polls)
        else:
            self.modes[(provider, kind)] = Control(mode, seconds, polls)

    def clear_modes(self, provider: str | None = None, tenant: str | None = None) -> None:
        """Back to the default: every mode, or one provider's, or one sandbox's own."""
        if tenant is None:
            self.modes = {k: c for k, c in self.modes.items() if provider not in (None, k[0])}
        self.sandbox_modes = {
            k: c
            for k, c in self.sandbox_modes.items()
            if not (provider in (None, k[0]) and tenant in (None, k[1]))
        }

    def poll(self, track: Track | None) -> None:
        """A read of the entity `track` moves (the handle `start` gave): in polls mode, every Nth read
        moves it one step. A finished or forgotten track is left alone."""
        if track is None or self._tracks.get((track.provider, track.kind, track.key)) is not track:
            return
        control = self.control(track.provider, track.kind, track.tenant)
        if control.mode is not Mode.POLLS:
            return
        track.polls += 1
        self.polls += 1
        if track.polls >= (control.polls or 1):
            track.polls = 0
            self._step(track)

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
        """Start moving an entity through `steps`; the state keeps the handle to poll it by."""
        track = Track(provider, kind, key, tenant, steps, on_enter)
        mode = self.mode(provider, kind, tenant)
        if mode is Mode.IMMEDIATE:
            while not track.done:
                self._step(track)
            return track
        self._tracks[(provider, kind, key)] = track
        if mode is Mode.TIMED:
            self._schedule(track, self.scheduler.clock.now())
        return track

    def advance(
        self, provider: str, kind: str | None = None, key: str | None = None, tenant: str | None = None
    ) -> int:
        """Move every matching unfinished track one step now; answers how many moved."""
        moved = 0
        for track in list(self._tracks.values()):
            if track.provider != provider or (kind and track.kind != kind) or (key and track.key != key):
                continue
            if tenant is not None and track.tenant != tenant:
                continue
            if track.job:
                track.job.cancel()
            self._step(track)
            if not track.done and self.mode(track.provider, track.kind, track.tenant) is Mode.TIMED:
                self._schedule(track, self.scheduler.clock.now())
            moved += 1
        return moved

    def saved(self) -> dict[str, Any]:
        """What a snapshot keeps (see `core.snapshot`); the tracks' timers are in the scheduler's."""
        return {
            "tracks": self._tracks,
            "modes": self.modes,
            "sandbox_modes": self.sandbox_modes,
            "polls": self.polls,
        }

    def put_back(self, saved: dict[str, Any]) -> None:
        self._tracks, self.modes, self.polls = saved["tracks"], saved["modes"], saved["polls"]
        self.sandbox_modes = saved["sandbox_modes"]

    def pending(self, provider: str | None = None, tenant: str | None = None) -> list[Track]:
        return [
            t for t in self._tracks.values() if provider in (None, t.provider) and tenant in (None, t.tenant)
        ]

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
        seconds = self.control(track.provider, track.kind, track.tenant).seconds
        when = base + (track.steps[track.index].delay if seconds is None else seconds)
        key = f"{track.provider}/{track.kind}/{track.key}/{track.index}"
        track.job = self.scheduler.at(when, functools.partial(self._fire, track, when), key)

    def _fire(self, track: Track, due: float) -> None:
        self._step(track)
        if not track.done:
            # `due` is in the time of the clock it was planned on; a job its test clock left (deleted)
            # runs on the mock's, where the next step counts from now
            self._schedule(track, min(due, self.scheduler.clock.now()))

    def _step(self, track: Track) -> None:
        step = track.steps[track.index]
        track.index += 1
        if track.done:
            self._tracks.pop((track.provider, track.kind, track.key), None)
            self.ended(track.provider, track.tenant, track.kind, step.state)
        track.on_enter(step.state)
        self.entered(track, step.state)
