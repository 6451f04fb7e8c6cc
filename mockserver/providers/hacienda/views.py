"""Hacienda's entities as the dashboard lists them: each user's comprobantes, their states and the
Ministry's signed answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST, admin_file

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime


def entities(pr: ProviderRuntime, sandbox: str | None, base: str) -> list[dict[str, Any]]:
    out = []
    for tenant, docs in pr.state.tenants.items():
        if sandbox in (None, tenant):
            for doc in sorted(docs.values(), key=lambda d: -d.order)[:LATEST]:
                shown = {"tenant": tenant, "kind": "comprobante", "id": doc.key, "state": doc.estado}
                if doc.respuesta_xml is not None:
                    shown["links"] = {"xml": admin_file("hacienda", tenant, doc.key, "xml")}
                out.append(shown)
    return out


def entity_file(pr: ProviderRuntime, sandbox: str, ident: str, extension: str) -> tuple[str, bytes] | None:
    """The Ministry's signed answer (MensajeHacienda) of a comprobante, once it has one."""
    doc = pr.state.tenants.get(sandbox, {}).get(ident)
    if extension != "xml" or doc is None or doc.respuesta_xml is None:
        return None
    return "application/xml", doc.respuesta_xml
