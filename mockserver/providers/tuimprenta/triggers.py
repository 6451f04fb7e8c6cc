"""Triggered tuimprenta events: an invoice's or a batch's, existing or made up, sent to the key's
endpoints (and to `url`) with the same envelope and signatures as the ones its work sends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import Trigger

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery
    from mockserver.providers.tuimprenta.state import TuimprentaState


def trigger(pr: ProviderRuntime, asked: Trigger) -> list[Delivery]:
    state: TuimprentaState = pr.state
    account = state.account(asked.sandbox)
    if asked.type == "batch.completed":
        data = _batch(state, asked)
    else:
        data = _invoice(state, asked)
        if asked.type == "invoice.canceled":
            data = {**data, "status": "canceled", "reason": data.get("reason") or "Anulación de prueba"}
    if not account.endpoints and not asked.url:
        raise ValueError(
            "this key has no webhook endpoint: add one (actions/tuimprenta/webhooks) or give url"
        )
    return state.notify(account, asked.type, data, extra_url=asked.url)


def _invoice(state: TuimprentaState, asked: Trigger) -> dict[str, Any]:
    account = state.account(asked.sandbox)
    if asked.entity is None:  # made up: the next number of series A, not taken
        number = account.numbers.get("A", 0) + 1
        return {
            "invoice_id": "inv_" + state.ids.hex(16),
            "series": "A",
            "number": number,
            "total": 116.0,
            "status": "issued",
        }
    invoice = account.invoices.get(asked.entity)
    if invoice is None:
        raise LookupError(f"this key has no invoice {asked.entity!r}")
    data = state.invoice_event(invoice)
    return {**data, "reason": invoice.cancel_reason} if invoice.cancel_reason else data


def _batch(state: TuimprentaState, asked: Trigger) -> dict[str, Any]:
    if asked.entity is None:  # made up: two invoices, one processed and one failed
        return {
            "batch_id": "batch_" + state.ids.hex(16),
            "status": "partial",
            "counts": {"queued": 2, "processed": 1, "failed": 1},
        }
    batch = state.account(asked.sandbox).batches.get(asked.entity)
    if batch is None:
        raise LookupError(f"this key has no batch {asked.entity!r}")
    return state.batch_event(batch)
