"""Avenio's entities as the dashboard lists them: each client's operations and boletas, with the signed
links of a boleta's PDF and XML."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    state, out = pr.state, []
    for tenant, books in state.books.items():
        if sandbox not in (None, tenant):
            continue
        for op in list(books.operations.values())[-LATEST:][::-1]:
            out.append({"tenant": tenant, "kind": op.tipo, "id": op.id, "state": op.status})
        for b in list(books.boletas.values())[-LATEST:][::-1]:
            pdf, xml, _ = state.file_links(b)
            links = {"pdf": base + pdf, "xml": base + xml}
            out.append(
                {"tenant": tenant, "kind": "boleta", "id": f"{b.folio}", "state": b.estado, "links": links}
            )
    return out
