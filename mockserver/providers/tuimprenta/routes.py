"""operationId → handler."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.plugin import Handler, Unsupported
from mockserver.providers.tuimprenta import handlers as h

OPERATIONS: Mapping[str, Handler | Unsupported] = {
    "ping": h.ping,
    "createInvoice": h.create_invoice,
    "listInvoices": h.list_invoices,
    "getInvoice": h.get_invoice,
    "cancelInvoice": h.cancel_invoice,
    "issueInvoice": h.issue_invoice,
    "getInvoicePdf": h.get_invoice_pdf,
    "getInvoiceXml": h.get_invoice_xml,
    "createBatch": h.create_batch,
    "getBatch": h.get_batch,
    "getBatchResult": h.get_batch_result_csv,  # the seed's name for it, without an extension
    "getBatchResultCsv": h.get_batch_result_csv,
    "getBatchResultJson": h.get_batch_result_json,
}
