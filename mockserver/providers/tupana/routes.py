"""operationId → handler."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.plugin import Handler, Unsupported
from mockserver.providers.tupana import handlers as h

NOT_IN_SCOPE = Unsupported(
    "payment requests and cessions are part of Tu Pana's v2 API but not of this mock yet"
)

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
    "createPaymentRequest": NOT_IN_SCOPE,
    "listPaymentRequests": NOT_IN_SCOPE,
    "retrievePaymentRequest": NOT_IN_SCOPE,
    "createCessionBatch": NOT_IN_SCOPE,
    "retrieveCessionBatch": NOT_IN_SCOPE,
    "listCessions": NOT_IN_SCOPE,
    "retrieveCession": NOT_IN_SCOPE,
}
