"""tuimprenta's state: invoices per API key (numbers per series, control numbers), batches, webhooks."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mockserver.core.errors import Kind, MockError
from mockserver.core.kit import rif
from mockserver.core.services.clock import iso
from mockserver.core.services.lifecycle import Step
from mockserver.core.state import ProviderState
from mockserver.providers.tuimprenta import events
from mockserver.providers.tuimprenta.batches import validate_invoice
from mockserver.providers.tuimprenta.models import (
    CARACAS,
    CURRENCIES,
    MAX_BATCH_INVOICES,
    TAX_RATES,
    Account,
    Batch,
    BatchRow,
    Invoice,
    Problem,
    drafted,
    money,
    too_many_invoices,
)

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery


class TuimprentaState(ProviderState):
    def __init__(self, pr: ProviderRuntime) -> None:
        super().__init__(pr)
        self.accounts: dict[str, Account] = {}

    def reset(self, tenant: str) -> None:
        self.accounts.pop(tenant, None)

    def account(self, key: str) -> Account:
        account = self.accounts.get(key)
        if account is None:
            # every key has a webhook secret from the start; the admin API shows or changes it
            secret = "whsec_" + hashlib.sha256(b"tuimprenta\0" + key.encode()).hexdigest()[:32]
            account = self.accounts[key] = Account(key, secret=secret)
        return account

    def today(self) -> str:
        return datetime.fromtimestamp(self.clock.now(), CARACAS).date().isoformat()

    # --- invoices ------------------------------------------------------------------------------------

    def check(self, body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        """Fiscal validation (402) on a schema-valid invoice; answers it normalised."""
        tax_id = str(body["customer"]["tax_id"])
        problem = rif.problem(tax_id)
        if problem:
            raise Problem(
                402,
                "fiscal_error",
                "E2001",
                f"{prefix}customer.tax_id",
                f"El RIF {tax_id} no es válido: el dígito verificador no corresponde"
                if problem == "check_digit"
                else f"El RIF {tax_id} no tiene el formato L-NNNNNNNN-D",
            )
        items = []
        for n, item in enumerate(body["items"]):
            rate = Decimal(str(item.get("tax_rate", "0.16")))
            if rate not in TAX_RATES:
                raise Problem(
                    402,
                    "fiscal_error",
                    "E2002",
                    f"{prefix}items[{n}].tax_rate",
                    f"La alícuota {item.get('tax_rate')} no es válida en Venezuela (0, 0.08, 0.16, 0.31)",
                )
            items.append({**item, "tax_rate": float(rate)})
        currency = str(body.get("currency") or "VES").upper()
        if currency not in CURRENCIES:
            raise Problem(
                422,
                "validation_error",
                "E1003",
                f"{prefix}currency",
                f"La moneda {currency} no está soportada (VES, USD, EUR)",
            )
        return {
            **body,
            "items": items,
            "currency": currency,
            "customer": {**body["customer"], "tax_id": rif.normalize(tax_id)},
        }

    def issue(self, account: Account, body: dict[str, Any], batch_id: str | None = None) -> Invoice:
        body = self.check(body)
        subtotal = Decimal(0)
        by_rate: dict[Decimal, Decimal] = {}
        items = []
        for item in body["items"]:
            amount = money(Decimal(str(item["qty"])) * Decimal(str(item["unit_price"])))
            rate = Decimal(str(item["tax_rate"]))
            subtotal += amount
            by_rate[rate] = by_rate.get(rate, Decimal(0)) + amount
            items.append(
                {
                    "sku": item.get("sku"),
                    "description": item["description"],
                    "qty": item["qty"],
                    "unit_price": item["unit_price"],
                    "tax_rate": item["tax_rate"],
                    "amount": float(amount),
                }
            )
        breakdown = [
            {"tax_rate": float(rate), "base": float(base), "tax": float(money(base * rate))}
            for rate, base in sorted(by_rate.items())
        ]
        tax = sum((money(base * rate) for rate, base in by_rate.items()), Decimal(0))
        draft = body.get("status") == "draft"
        invoice = Invoice(
            id="inv_" + self.ids.hex(16),
            series=body["series"],
            number=None,
            control_number=None,
            issue_date=body.get("issue_date") or self.today(),
            customer=body["customer"],
            items=items,
            currency=body["currency"],
            totals={"subtotal": float(subtotal), "tax": float(tax), "total": float(subtotal + tax)},
            tax_breakdown=breakdown,
            metadata=body.get("metadata") or {},
            send_email=bool(body.get("send_email")),
            created_at=self.clock.now(),
            status="draft",
            batch_id=batch_id,
            dated=bool(body.get("issue_date")),
        )
        account.invoices[invoice.id] = invoice
        account.order.append(invoice.id)
        return invoice if draft else self.issue_draft(account, invoice)

    def issue_draft(self, account: Account, invoice: Invoice) -> Invoice:
        """The draft gets its number in its series and the key's next control number, and is issued:
        dated today if it was not dated, emailed if asked, announced by `invoice.issued`."""
        if invoice.status != "draft":
            raise MockError(
                Kind.CONFLICT, f"La factura {invoice.id} no es un borrador", code="E3003", field="id"
            )
        account.numbers[invoice.series] = invoice.number = account.numbers.get(invoice.series, 0) + 1
        account.control += 1
        invoice.control_number = f"00-{account.control:08d}"
        invoice.status = "issued"
        if not invoice.dated:
            invoice.issue_date = self.today()
        if invoice.send_email:
            account.emails.append(
                {"invoice_id": invoice.id, "to": invoice.customer.get("email"), "at": iso(self.clock.now())}
            )
        self.notify(account, "invoice.issued", self.invoice_event(invoice))
        return invoice

    @staticmethod
    def invoice_event(invoice: Invoice) -> dict[str, Any]:
        return {
            "invoice_id": invoice.id,
            "series": invoice.series,
            "number": invoice.number,
            "total": invoice.totals["total"],
            "status": invoice.status,
        }

    def invoice(self, account: Account, invoice_id: str) -> Invoice:
        found = account.invoices.get(invoice_id)
        if found is None:
            raise MockError(Kind.NOT_FOUND, f"La factura {invoice_id} no existe", code="E3001", field="id")
        return found

    def cancel(self, account: Account, invoice: Invoice, reason: str) -> Invoice:
        if invoice.status == "draft":
            raise drafted(invoice, "no se anula: emítala primero")
        if invoice.status == "canceled":
            raise MockError(
                Kind.CONFLICT, f"La factura {invoice.id} ya está anulada", code="E3002", field="id"
            )
        invoice.status, invoice.canceled_at, invoice.cancel_reason = "canceled", self.clock.now(), reason
        self.notify(account, "invoice.canceled", {**self.invoice_event(invoice), "reason": reason})
        return invoice

    def page(
        self,
        account: Account,
        *,
        limit: int,
        starting_after: str | None,
        ending_before: str | None,
        keep: Any,
    ) -> tuple[list[Invoice], str | None, str | None]:
        """Newest first. Cursors are invoice ids, so pages stay put while new invoices arrive."""
        newest_first = [i for i in reversed(account.order) if keep(account.invoices[i])]
        positions = {ident: n for n, ident in enumerate(newest_first)}
        if starting_after:
            start = self._cursor(account, starting_after, positions, newest_first, after=True)
            window = newest_first[start : start + limit]
        elif ending_before:
            end = self._cursor(account, ending_before, positions, newest_first, after=False)
            window = newest_first[max(0, end - limit) : end]
        else:
            window = newest_first[:limit]
        if not window:
            return [], None, None
        first, last = positions[window[0]], positions[window[-1]]
        next_cursor = window[-1] if last + 1 < len(newest_first) else None
        prev_cursor = window[0] if first > 0 else None
        return [account.invoices[i] for i in window], next_cursor, prev_cursor

    @staticmethod
    def _cursor(
        account: Account, cursor: str, positions: dict[str, int], ordered: list[str], *, after: bool
    ) -> int:
        if cursor not in account.invoices:
            raise MockError(
                Kind.NOT_FOUND,
                f"El cursor {cursor} no es una factura de esta cuenta",
                code="E3001",
                field="starting_after" if after else "ending_before",
            )
        if cursor in positions:
            return positions[cursor] + 1 if after else positions[cursor]
        # a cursor this listing filters out: it sits just before the first listed invoice older than it
        rank = {ident: n for n, ident in enumerate(account.order)}
        return sum(1 for ident in ordered if rank[ident] > rank[cursor])

    # --- batches -------------------------------------------------------------------------------------

    def create_batch(
        self,
        account: Account,
        kind: str,
        groups: list[tuple[dict[str, Any], list[BatchRow]]],
        callback_url: str | None,
        source: str,
    ) -> Batch:
        if kind != "invoice.create":
            raise MockError(
                Kind.VALIDATION,
                f"El tipo de lote {kind} no existe (invoice.create)",
                code="E1003",
                field="type",
                status=422,
            )
        if not groups:
            raise MockError(
                Kind.VALIDATION, "El lote no trae facturas", code="E1001", field="payload", status=422
            )
        if len(groups) > MAX_BATCH_INVOICES:
            raise too_many_invoices()
        batch = Batch("batch_" + self.ids.hex(16), kind, self.clock.now(), callback_url, groups, source)
        account.batches[batch.id] = batch
        batch.track = self.lifecycles.start(
            self.name,
            "batch",
            batch.id,
            [Step("processing", self.options["processing_delay"]), Step("done", self._processing(groups))],
            functools.partial(self._run, account, batch),
            tenant=account.key,
        )
        return batch

    def _processing(self, groups: list[Any]) -> float:
        """How long a poller sees a batch `processing`: proportional to its invoices, a second at least."""
        per_invoice = float(self.options["seconds_per_invoice"])
        return max(1.0, per_invoice * len(groups)) if per_invoice > 0 else 0.0

    def _run(self, account: Account, batch: Batch, step: str) -> None:
        if step == "processing":
            batch.status = "processing"
            return
        for body, rows in batch.groups:
            problems = validate_invoice(body, rows)
            if not problems:
                try:
                    invoice = self.issue(account, body, batch_id=batch.id)
                except Problem as problem:
                    problems = [problem.as_json()]
                else:
                    batch.processed += 1
                    for row in rows:
                        row.invoice_id, row.status = invoice.id, invoice.status
                    continue
            batch.failed += 1
            for row in rows:
                row.status = "failed"
                row.errors = [p for p in problems if p.get("row") in (None, row.row)] or [
                    {
                        "type": "validation_error",
                        "code": "E1009",
                        "field": "",
                        "message": "Otra fila de la misma factura tiene errores "
                        f"(fila {problems[0].get('row')})",
                    }
                ]
                for error in row.errors:
                    error.pop("row", None)
        batch.completed_at = self.clock.now()
        batch.status = "completed" if batch.failed == 0 else "failed" if batch.processed == 0 else "partial"
        self.notify(account, "batch.completed", self.batch_event(batch), extra_url=batch.callback_url)

    @staticmethod
    def batch_event(batch: Batch) -> dict[str, Any]:
        return {
            "batch_id": batch.id,
            "status": batch.status,
            "counts": {"queued": len(batch.groups), "processed": batch.processed, "failed": batch.failed},
        }

    def batch(self, account: Account, batch_id: str) -> Batch:
        found = account.batches.get(batch_id)
        if found is None:
            raise MockError(Kind.NOT_FOUND, f"El lote {batch_id} no existe", code="E3001", field="id")
        return found

    def poll_batch(self, account: Account, batch_id: str) -> Batch:
        """The batch as a client polling its status reads it (a read counts in polls mode)."""
        batch = self.batch(account, batch_id)
        self.lifecycles.poll(batch.track)
        return batch

    def notify(
        self, account: Account, event: str, data: dict[str, Any], extra_url: str | None = None
    ) -> list[Delivery]:
        return events.notify(self.webhooks, self.clock, self.ids, account, event, data, extra_url)
