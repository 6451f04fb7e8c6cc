"""Bsale's entities as the dashboard lists them: each instance's documents (with the public PDF view Bsale
gives and the SII state), returns and shippings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

SII = {0: "accepted by the SII", 1: "sent to the SII", 2: "rejected by the SII"}


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    out = []
    for tenant, instance in pr.state.instances.items():
        if sandbox not in (None, tenant):
            continue
        for ident in sorted(instance.documents, reverse=True)[:LATEST]:
            doc = instance.documents[ident]
            state = (
                "deleted" if doc.state == 1 else SII.get(doc.informed_sii, "") if doc.electronic else "issued"
            )
            links = {"pdf": f"{base}/view/{instance.cpn_id}/{doc.token}.pdf"}
            if doc.electronic:
                links["xml"] = f"{base}/v1/{instance.cpn_id}/files/{doc.token}.xml"
            label = f"{doc.number}"
            out.append(
                {
                    "tenant": tenant,
                    "kind": "document",
                    "id": str(ident),
                    "label": label,
                    "state": state,
                    "links": links,
                }
            )
        for kind, held in (("return", instance.returns), ("shipping", instance.shippings)):
            for ident in sorted(held, reverse=True)[:LATEST]:
                out.append({"tenant": tenant, "kind": kind, "id": str(ident), "state": "made"})
    return out
