"""tuimprenta's entities as the dashboard lists them: each key's invoices (with their PDF and XML) and
batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import LATEST, admin_file

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
            draft = invoice.status == "draft"  # no number and no files until it is issued
            label = f"{invoice.series} (borrador)" if draft else f"{invoice.series}-{invoice.number}"
            files = () if draft else ("pdf", "xml")
            links = {ext: admin_file("tuimprenta", tenant, invoice.id, ext) for ext in files}
            out.append(
                {
                    "tenant": tenant,
                    "kind": "invoice",
                    "id": invoice.id,
                    "label": label,
                    "state": invoice.status,
                    "links": links,
                }
            )
    return out


def entity_file(pr: ProviderRuntime, sandbox: str, ident: str, extension: str) -> tuple[str, bytes] | None:
    from mockserver.providers.tuimprenta import artifacts

    account = pr.state.accounts.get(sandbox)
    invoice = account.invoices.get(ident) if account else None
    if invoice is None or invoice.status == "draft" or extension not in ("pdf", "xml"):
        return None
    if extension == "pdf":
        return "application/pdf", artifacts.pdf(invoice)
    return "application/xml", artifacts.xml(invoice)
