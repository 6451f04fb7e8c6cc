"""tuimprenta's state: invoices per API key (numbers per series, control numbers), batches, webhooks."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mockserver.core.errors import Kind, MockError
from mockserver.core.kit import rif
from mockserver.core.services.clock import iso
from mockserver.core.services.lifecycle import Step
from mockserver.core.services.webhooks import RetryPolicy
from mockserver.core.state import ProviderState

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime

CARACAS = ZoneInfo("America/Caracas")
TAX_RATES = {Decimal("0"), Decimal("0.08"), Decimal("0.16"), Decimal("0.31")}
CURRENCIES = {"VES", "USD", "EUR"}
CSV_COLUMNS = (
    "series",
    "issue_date",
    "customer_name",
    "customer_tax_id",
    "customer_email",
    "item_description",
    "item_qty",
    "item_unit_price",
    "tax_rate",
    "currency",
    "metadata_order_id",
)
MAX_BATCH_INVOICES = 50_000


def too_many_invoices() -> MockError:
    return MockError(
        Kind.PAYLOAD_TOO_LARGE,
        f"Un lote admite hasta {MAX_BATCH_INVOICES} facturas",
        code="E1005",
        field="payload",
    )


# answer 2xx within 10 s; exponential retries for up to 24 h (the seed)
WEBHOOK_POLICY = RetryPolicy(
    max_attempts=100, base=30.0, factor=2.0, max_delay=4 * 3600.0, timeout=10.0, give_up_after=24 * 3600.0
)
CENT = Decimal("0.01")


class Problem(Exception):
    """An invoice that cannot be issued: its error in the seed's shape and the status a single call gets."""

    def __init__(self, status: int, kind: str, code: str, field_path: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.code, self.field, self.message = status, kind, code, field_path, message

    def as_json(self) -> dict[str, str]:
        return {"type": self.kind, "code": self.code, "field": self.field, "message": self.message}

    def to_mock_error(self) -> MockError:
        kind = Kind.VALIDATION
        return MockError(
            kind,
            self.message,
            code=self.code,
            field=self.field,
            status=self.status,
            detail={"type": self.kind},
        )


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Invoice:
    id: str
    series: str
    number: int
    control_number: str
    issue_date: str
    customer: dict[str, Any]
    items: list[dict[str, Any]]
    currency: str
    totals: dict[str, float]
    tax_breakdown: list[dict[str, float]]
    metadata: dict[str, Any]
    send_email: bool
    created_at: float
    status: str = "issued"
    canceled_at: float | None = None
    cancel_reason: str | None = None
    batch_id: str | None = None

    def as_json(self, base: str) -> dict[str, Any]:
        out = {
            "id": self.id,
            "series": self.series,
            "number": self.number,
            "control_number": self.control_number,
            "issue_date": self.issue_date,
            "customer": self.customer,
            "items": self.items,
            "currency": self.currency,
            "status": self.status,
            "totals": self.totals,
            "tax_breakdown": self.tax_breakdown,
            "links": {"pdf": f"{base}/v1/invoices/{self.id}/pdf", "xml": f"{base}/v1/invoices/{self.id}/xml"},
            "metadata": self.metadata,
            "send_email": self.send_email,
            "created_at": iso(self.created_at),
        }
        if self.status == "canceled":
            out["canceled_at"] = iso(self.canceled_at or self.created_at)
            out["cancel_reason"] = self.cancel_reason
        return out


@dataclass
class BatchRow:
    row: int
    order_id: str | None
    invoice_id: str | None = None
    status: str = "queued"
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Batch:
    id: str
    type: str
    created_at: float
    callback_url: str | None
    groups: list[tuple[dict[str, Any], list[BatchRow]]]  # one invoice, the rows it came from
    source: str  # json | csv
    status: str = "queued"
    processed: int = 0
    failed: int = 0
    completed_at: float | None = None

    def as_json(self, base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "counts": {"queued": len(self.groups), "processed": self.processed, "failed": self.failed},
            "created_at": iso(self.created_at),
            "result_url": f"{base}/v1/batches/{self.id}/result.csv",
            "callback_url": self.callback_url,
            "source": self.source,
        }
        if self.completed_at is not None:
            out["completed_at"] = iso(self.completed_at)
        return out

    @property
    def rows(self) -> list[BatchRow]:
        return sorted((r for _, rows in self.groups for r in rows), key=lambda r: r.row)


@dataclass
class Account:
    key: str
    invoices: dict[str, Invoice] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # creation order, oldest first
    numbers: dict[str, int] = field(default_factory=dict)
    control: int = 0
    batches: dict[str, Batch] = field(default_factory=dict)
    endpoints: list[dict[str, Any]] = field(default_factory=list)  # {url, secret}
    secret: str = ""
    emails: list[dict[str, Any]] = field(default_factory=list)


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
        series = body["series"]
        account.numbers[series] = number = account.numbers.get(series, 0) + 1
        account.control += 1
        invoice = Invoice(
            id="inv_" + self.ids.hex(16),
            series=series,
            number=number,
            control_number=f"00-{account.control:08d}",
            issue_date=body.get("issue_date") or self.today(),
            customer=body["customer"],
            items=items,
            currency=body["currency"],
            totals={"subtotal": float(subtotal), "tax": float(tax), "total": float(subtotal + tax)},
            tax_breakdown=breakdown,
            metadata=body.get("metadata") or {},
            send_email=bool(body.get("send_email")),
            created_at=self.clock.now(),
            batch_id=batch_id,
        )
        account.invoices[invoice.id] = invoice
        account.order.append(invoice.id)
        if invoice.send_email:
            account.emails.append(
                {"invoice_id": invoice.id, "to": invoice.customer.get("email"), "at": iso(self.clock.now())}
            )
        self.notify(account, "invoice.issued", self._invoice_event(invoice))
        return invoice

    @staticmethod
    def _invoice_event(invoice: Invoice) -> dict[str, Any]:
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
        if invoice.status == "canceled":
            raise MockError(
                Kind.CONFLICT, f"La factura {invoice.id} ya está anulada", code="E3002", field="id"
            )
        invoice.status, invoice.canceled_at, invoice.cancel_reason = "canceled", self.clock.now(), reason
        self.notify(account, "invoice.canceled", {**self._invoice_event(invoice), "reason": reason})
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
        self.lifecycles.start(
            self.name,
            "batch",
            batch.id,
            [Step("processing", self.options["processing_delay"]), Step("done", 0.0)],
            lambda step: self._run(account, batch, step),
            tenant=account.key,
        )
        return batch

    def _run(self, account: Account, batch: Batch, step: str) -> None:
        if step == "processing":
            batch.status = "processing"
            return
        from mockserver.providers.tuimprenta.batches import validate_invoice

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
                        row.invoice_id, row.status = invoice.id, "issued"
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
        data = {
            "batch_id": batch.id,
            "status": batch.status,
            "counts": {"queued": len(batch.groups), "processed": batch.processed, "failed": batch.failed},
        }
        self.notify(account, "batch.completed", data, extra_url=batch.callback_url)

    def batch(self, account: Account, batch_id: str) -> Batch:
        found = account.batches.get(batch_id)
        if found is None:
            raise MockError(Kind.NOT_FOUND, f"El lote {batch_id} no existe", code="E3001", field="id")
        return found

    @staticmethod
    def result_rows(batch: Batch) -> list[dict[str, Any]]:
        if batch.status in ("queued", "processing"):
            raise MockError(Kind.CONFLICT, "El lote aún se está procesando", code="E3003", field="id")
        return [
            {
                "row": r.row,
                "order_id": r.order_id,
                "invoice_id": r.invoice_id,
                "status": r.status,
                "errors": r.errors,
            }
            for r in batch.rows
        ]

    @staticmethod
    def result_csv(rows: list[dict[str, Any]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["row", "metadata_order_id", "invoice_id", "status", "error_code", "error_field", "error_message"]
        )
        for r in rows:
            first = r["errors"][0] if r["errors"] else {}
            writer.writerow(
                [
                    r["row"],
                    r["order_id"] or "",
                    r["invoice_id"] or "",
                    r["status"],
                    first.get("code", ""),
                    first.get("field", ""),
                    first.get("message", ""),
                ]
            )
        return out.getvalue()

    # --- webhooks ------------------------------------------------------------------------------------

    def notify(
        self, account: Account, event: str, data: dict[str, Any], extra_url: str | None = None
    ) -> None:
        targets = [(e["url"], e.get("secret") or account.secret) for e in account.endpoints]
        if extra_url:
            targets.append((extra_url, account.secret))
        for url, secret in targets:
            envelope: dict[str, Any] = {
                "id": "evt_" + self.ids.hex(16),
                "type": event,
                "data": data,
                "created_at": iso(self.clock.now()),
            }
            # the body's own `signature` covers the event without it; the header covers the exact bytes sent
            inner = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
            envelope["signature"] = "sha256=" + hmac.new(secret.encode(), inner, hashlib.sha256).hexdigest()
            body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
            header = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            self.webhooks.send(
                provider=self.name,
                tenant=account.key,
                event=event,
                url=url,
                body=body,
                headers={"X-Tuimprenta-Signature": header, "X-Tuimprenta-Event": event},
                policy=WEBHOOK_POLICY,
            )
