"""Hacienda's entities as the dashboard lists them: each user's comprobantes and their states."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    out = []
    for tenant, docs in pr.state.tenants.items():
        if sandbox in (None, tenant):
            for doc in sorted(docs.values(), key=lambda d: -d.order)[:LATEST]:
                out.append({"tenant": tenant, "kind": "comprobante", "id": doc.key, "state": doc.estado})
    return out
