"""tuimprenta's entities as the dashboard lists them: each key's invoices and batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    out = []
    for tenant, account in pr.state.accounts.items():
        if sandbox not in (None, tenant):
            continue
        for batch in list(account.batches.values())[-LATEST:][::-1]:
            out.append({"tenant": tenant, "kind": "batch", "id": batch.id, "state": batch.status})
        for ident in account.order[-LATEST:][::-1]:
            invoice = account.invoices[ident]
            label = f"{invoice.series}-{invoice.number}"
            out.append(
                {
                    "tenant": tenant,
                    "kind": "invoice",
                    "id": invoice.id,
                    "label": label,
                    "state": invoice.status,
                }
            )
    return out
