"""What each sandbox's traffic reached: the statuses and error codes of each operation, the scenarios
that answered, the end states its asynchronous work came to and what became of its webhooks. Kept for
the coverage report (`GET /__admin/coverage`), which sets it against what each spec documents."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# what a webhook delivery came to: first attempt answered, answered after a failed attempt, given up
DELIVERED, RETRIED, FAILED = "delivered at once", "delivered after a retry", "given up"
OUTCOMES = (DELIVERED, RETRIED, FAILED)
# sandboxes whose coverage is kept: any credential opens a sandbox, so the least recently active go
# first past this many (a few hundred bytes each), and no client can grow the mock without bound
MAX_SANDBOXES = 10_000


@dataclass
class Reached:
    """One sandbox's: (operation, status) → times; error codes and scenarios by operation; lifecycle
    end states by kind; webhook outcomes by event type."""

    statuses: dict[tuple[str, int], int] = field(default_factory=dict)  # plain: a snapshot holds it
    errors: dict[str, set[str]] = field(default_factory=dict)
    scenarios: dict[str, set[str]] = field(default_factory=dict)
    ends: dict[str, set[str]] = field(default_factory=dict)
    webhooks: dict[str, set[str]] = field(default_factory=dict)


class Coverage:
    def __init__(self, limit: int = MAX_SANDBOXES) -> None:
        self._reached: OrderedDict[tuple[str, str], Reached] = OrderedDict()
        self.limit = limit

    def _of(self, provider: str, tenant: str | None) -> Reached:
        key = (provider, tenant or "")
        reached = self._reached.get(key)
        if reached is None:
            reached = self._reached[key] = Reached()
            if len(self._reached) > self.limit:
                self._reached.popitem(last=False)
        else:
            self._reached.move_to_end(key)
        return reached

    def request(
        self,
        provider: str,
        tenant: str | None,
        operation: str,
        status: int,
        code: str | None,
        scenario: str | None,
    ) -> None:
        reached = self._of(provider, tenant)
        reached.statuses[(operation, status)] = reached.statuses.get((operation, status), 0) + 1
        if code:
            reached.errors.setdefault(operation, set()).add(code)
        if scenario:
            reached.scenarios.setdefault(operation, set()).add(scenario)

    def ended(self, provider: str, tenant: str, kind: str, state: str) -> None:
        self._of(provider, tenant).ends.setdefault(kind, set()).add(state)

    def delivered(self, provider: str, tenant: str, event: str, outcome: str) -> None:
        self._of(provider, tenant).webhooks.setdefault(event, set()).add(outcome)

    def clear(self, provider: str | None = None, tenant: str | None = None) -> None:
        for key in [k for k in self._reached if provider in (None, k[0]) and tenant in (None, k[1])]:
            del self._reached[key]

    def saved(self) -> dict[tuple[str, str], Reached]:
        return dict(self._reached)  # a plain dict, in order: a snapshot holds it

    def put_back(self, saved: dict[tuple[str, str], Reached]) -> None:
        self._reached = OrderedDict(saved)

    def reached(self, provider: str, tenant: str | None) -> Reached:
        """What a sandbox reached (every sandbox of the provider's, merged, when `tenant` is None)."""
        if tenant is not None:
            return self._reached.get((provider, tenant), Reached())
        merged = Reached()
        for (name, _), one in self._reached.items():
            if name != provider:
                continue
            for pair, times in one.statuses.items():
                merged.statuses[pair] = merged.statuses.get(pair, 0) + times
            for mine, theirs in (
                (merged.errors, one.errors),
                (merged.scenarios, one.scenarios),
                (merged.ends, one.ends),
                (merged.webhooks, one.webhooks),
            ):
                for key, values in theirs.items():
                    mine.setdefault(key, set()).update(values)
        return merged


def report(
    provider: str,
    tenant: str | None,
    reached: Reached,
    documented: Mapping[str, Iterable[int]],
    scenarios: Iterable[str],
) -> dict[str, Any]:
    """The report of one provider: per operation of its spec, the documented statuses reached and
    never reached, and the scenarios; then the end states and webhook outcomes seen. `covered` is the
    share of documented (operation, status) pairs reached."""
    operations = {}
    pairs = hit = 0
    for operation, statuses in sorted(documented.items()):
        wanted = sorted(set(statuses))
        seen = sorted({s for (op, s), n in reached.statuses.items() if op == operation and n})
        operations[operation] = {
            "statuses": {"reached": seen, "never": [s for s in wanted if s not in seen]},
            "requests": sum(n for (op, _), n in reached.statuses.items() if op == operation),
            "error_codes": sorted(reached.errors.get(operation, ())),
            "scenarios": sorted(reached.scenarios.get(operation, ())),
        }
        pairs += len(wanted)
        hit += sum(1 for s in wanted if s in seen)
    used = {s for names in reached.scenarios.values() for s in names}
    return {
        "provider": provider,
        "tenant": tenant,
        "covered": round(hit / pairs, 4) if pairs else 0.0,
        "statuses": {"documented": pairs, "reached": hit},
        "operations": operations,
        "scenarios": {"reached": sorted(used), "never": sorted(set(scenarios) - used)},
        "lifecycle_end_states": {kind: sorted(states) for kind, states in sorted(reached.ends.items())},
        "webhooks": {
            event: {
                "reached": [o for o in OUTCOMES if o in outcomes],
                "never": [o for o in OUTCOMES if o not in outcomes],
            }
            for event, outcomes in sorted(reached.webhooks.items())
        },
    }


def table(reports: Iterable[dict[str, Any]]) -> str:
    """The reports as a coverage tool prints them: an operation a line, what it never reached beside it."""
    lines = []
    for one in reports:
        who = f" ({one['tenant']})" if one["tenant"] else ""
        counts = one["statuses"]
        lines.append(
            f"{one['provider']}{who}: {counts['reached']} of {counts['documented']} documented statuses "
            f"reached ({one['covered']:.0%})"
        )
        width = max((len(op) for op in one["operations"]), default=0)
        for op, seen in one["operations"].items():
            reached = ",".join(map(str, seen["statuses"]["reached"])) or "-"
            never = ",".join(map(str, seen["statuses"]["never"])) or "-"
            extra = f"  codes {','.join(seen['error_codes'])}" if seen["error_codes"] else ""
            lines.append(f"  {op:<{width}}  reached {reached:<16} never {never}{extra}")
        scenarios = one["scenarios"]
        lines.append(f"  scenarios reached: {', '.join(scenarios['reached']) or '-'}")
        lines.append(f"  scenarios never:   {', '.join(scenarios['never']) or '-'}")
        for kind, states in one["lifecycle_end_states"].items():
            lines.append(f"  {kind} ended {', '.join(states)}")
        for event, outcomes in one["webhooks"].items():
            never = ", ".join(outcomes["never"]) or "-"
            lines.append(f"  webhook {event}: {', '.join(outcomes['reached'])}; never {never}")
    return "\n".join(lines) + "\n"
