"""operationId → handler."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.plugin import Handler, Unsupported
from mockserver.providers.tupana import handlers as h

OPERATIONS: Mapping[str, Handler | Unsupported] = {
    "lookupMasterEntity": h.lookup_master_entity,
    "listCredentials": h.list_credentials,
    "createCredential": h.create_credential,
    "createBatch": h.create_batch,
    "retrieveBatch": h.retrieve_batch,
    "listDocuments": h.list_documents,
    "retrieveDocument": h.retrieve_document,
    "listDocumentStates": h.list_document_states,
    "createDocumentState": h.create_document_state,
    "downloadDocumentPdf": h.download_document_pdf,
    "downloadDocumentXml": h.download_document_xml,
    "listWebhooks": h.list_webhooks,
    "createWebhook": h.create_webhook,
    "retrieveWebhook": h.retrieve_webhook,
    "updateWebhook": h.update_webhook,
    "deleteWebhook": h.delete_webhook,
    "testWebhook": h.test_webhook,
    "listConnections": h.list_connections,
    "deactivateConnection": h.deactivate_connection,
    "issueDocument": h.issue_document,
    "createPaymentRequest": h.create_payment_request,
    "listPaymentRequests": h.list_payment_requests,
    "retrievePaymentRequest": h.retrieve_payment_request,
    "updatePaymentRequest": h.update_payment_request,
    "createCessionBatch": h.create_cession_batch,
    "retrieveCessionBatch": h.retrieve_cession_batch,
    "listCessions": h.list_cessions,
    "retrieveCession": h.retrieve_cession,
}
