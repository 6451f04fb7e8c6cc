"""Bsale's entities as the dashboard lists them: each instance's documents (with the public PDF view Bsale
gives and the SII state), returns and shippings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST
from mockserver.providers.bsale.render import Renderer

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

SII = {0: "accepted by the SII", 1: "sent to the SII", 2: "rejected by the SII"}


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    out = []
    for tenant, instance in pr.state.instances.items():
        if sandbox not in (None, tenant):
            continue
        render = Renderer(instance, base)
        for doc in instance.documents.newest(LATEST):
            state = (
                "deleted" if doc.state == 1 else SII.get(doc.informed_sii, "") if doc.electronic else "issued"
            )
            pdf, xml = render.files(doc)
            links = {"pdf": pdf} | ({"xml": xml} if xml else {})
            label = f"{doc.number}"
            out.append(
                {
                    "tenant": tenant,
                    "kind": "document",
                    "id": str(doc.id),
                    "label": label,
                    "state": state,
                    "links": links,
                }
            )
        for kind, held in (("return", instance.returns), ("shipping", instance.shippings)):
            for ident in sorted(held, reverse=True)[:LATEST]:
                out.append({"tenant": tenant, "kind": kind, "id": str(ident), "state": "made"})
    return out
