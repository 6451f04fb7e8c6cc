"""Tu Pana's entities as the dashboard lists them: each key's batches and documents, with a document's
signed PDF and XML links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    state, out = pr.state, []
    for tenant, user in state.users.items():
        if sandbox not in (None, tenant):
            continue
        for batch in list(user.batches.values())[-LATEST:][::-1]:
            out.append({"tenant": tenant, "kind": "batch", "id": batch.id, "state": batch.status})
        for doc in list(user.documents.values())[-LATEST:][::-1]:
            pdf, xml = doc.links(state.downloads)
            links = {k: v for k, v in (("pdf", pdf), ("xml", xml)) if v}
            shown = doc.state or doc.status
            out.append({"tenant": tenant, "kind": "document", "id": doc.id, "state": shown, "links": links})
    return out
