"""operationId → handler; the catalogue's three operations per resource come from one factory."""

from __future__ import annotations

from mockserver.core.plugin import Handler, Unsupported
from mockserver.providers.bsale import folios, returns, shippings, stock_handlers
from mockserver.providers.bsale import handlers as h

SINGULAR = {
    "document_types": "DocumentType",
    "clients": "Client",
    "offices": "Office",
    "price_lists": "PriceList",
    "taxes": "Tax",
    "variants": "Variant",
    "products": "Product",
    "payment_types": "PaymentType",
    "coins": "Coin",
    "users": "User",
    "dte_codes": "DteCode",
    "dynamic_attributes": "DynamicAttribute",
    "book_types": "BookType",
    "payments": "Payment",
    "discounts": "Discount",
    "sale_conditions": "SaleCondition",
    "shipping_types": "ShippingType",
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


OPERATIONS: dict[str, Handler | Unsupported] = {
    "listDocuments": h.list_documents,
    "createDocument": h.create_document,
    "getDocument": h.get_document,
    "deleteDocument": h.delete_document,
    "countDocuments": h.count_documents,
    "getDocumentsSummary": h.get_documents_summary,
    "getTicketSummary": h.get_ticket_summary,
    "getDocumentCosts": h.get_document_costs,
    "listDocumentDetails": h.list_details,
    "getDocumentDetail": h.get_detail,
    "listDocumentReferences": h.list_references,
    "getDocumentReference": h.get_reference,
    "listDocumentDocumentTaxes": h.list_document_taxes,
    "getDocumentDocumentTax": h.get_document_tax,
    "listDocumentSellers": h.list_sellers,
    "getDocumentSeller": h.get_seller,
    "listDocumentAttributes": h.list_attributes,
    "getDocumentAttribute": h.get_attribute,
    "getDocumentTypeCaf": folios.get_document_type_caf,
    "getDocumentTypeNumbersAvailable": folios.get_document_type_numbers_available,
    "listPriceListDetails": h.list_price_list_details,
    "getPriceListDetail": h.get_price_list_detail,
    "updatePriceListDetail": h.update_price_list_detail,
    "updateDocumentType": h.update_document_type,
    "listProductVariants": h.list_product_variants,
    "createClient": h.create_client,
    "updateClient": h.update_client,
    "listClientAddresses": h.list_client_addresses,
    "getClientAddress": h.get_client_address,
    "listClientContacts": h._empty_client_collection("contacts"),
    "listClientAttributes": h._empty_client_collection("attributes"),
    "getShippingDetail": shippings.detail,
    "createAnnulment": returns.create_annulment,
    "getAnnulment": returns.get_annulment,
    "listStocks": stock_handlers.list_stocks,
    "getStock": stock_handlers.get_stock,
    "countStocks": stock_handlers.count_stocks,
    "getVariantCosts": h.get_variant_costs,
    "getCoinExchangeRate": h.get_coin_exchange_rate,
    "getDocumentPdf": h.get_document_pdf,
    "getDocumentPublicView": h.get_document_public_view,
    "getDocumentXml": h.get_document_xml,
    "getDocumentTimbre": h.get_document_timbre,
}
for _kind, _single in SINGULAR.items():
    OPERATIONS[f"list{_camel(_kind)}"], OPERATIONS[f"get{_single}"], OPERATIONS[f"count{_camel(_kind)}"] = (
        h.catalogue(_kind)
    )
for _single, _records in (
    ("Shipping", shippings.SHIPPINGS),
    ("Return", returns.RETURNS),
    ("Reception", stock_handlers.moves("receptions")),
    ("Consumption", stock_handlers.moves("consumptions")),
):
    OPERATIONS[f"create{_single}"], OPERATIONS[f"get{_single}"] = _records.create, _records.item
    OPERATIONS[f"list{_single}s"], OPERATIONS[f"list{_single}Details"] = _records.listing, _records.details
    if _single in ("Shipping", "Return"):
        OPERATIONS[f"count{_single}s"] = _records.count
