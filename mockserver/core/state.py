"""The base of every provider's state: the runtime's shared services, taken once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


class ProviderState:
    """Domain state gets the clock, ids, keys, lifecycles, webhooks and options here, never from HTTP."""

    def __init__(self, pr: ProviderRuntime) -> None:
        rt = pr.runtime
        self.name = pr.name
        self.clock = rt.clock
        self.ids = rt.ids
        self.keys = rt.keys
        self.lifecycles = rt.lifecycles
        self.webhooks = rt.webhooks
        self.options: dict[str, Any] = pr.options
        self._testclocks = rt.testclocks

    def sandbox_now(self, tenant: str) -> float:
        """The time `tenant`'s sandbox reads (its test clock's, or the mock's), for what is checked
        before a request is known to be that sandbox's: a token's expiry, an open download link's."""
        return self._testclocks.now_of(self.name, tenant)
