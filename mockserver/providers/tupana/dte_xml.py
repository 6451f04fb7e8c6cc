"""A Tu Pana document as the SII's DTE XML, with its TED."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mockserver.core.kit import dte
from mockserver.core.services.keys import SigningKey
from mockserver.providers.tupana.models import Document


def document_xml(doc: Document, key: SigningKey) -> bytes:
    t = doc.totals
    totales: dict[str, Any] = {
        "MntNeto": t.net or None,
        "MntExe": t.exempt or None,
        "TasaIVA": "19" if t.iva else None,
        "IVA": t.iva or None,
        "MntTotal": t.total,
    }
    return dte.build(
        dte.Dte(
            tipo=doc.dte_type,
            folio=doc.folio or 0,
            fecha=doc.date_issued,
            forma_pago=doc.header.get("payment_method"),
            emisor={
                "RUTEmisor": doc.sender["rut"],
                "RznSoc": doc.sender.get("business_name", ""),
                "GiroEmis": doc.sender.get("business_activity", ""),
                "Acteco": doc.sender.get("activity_code"),
                "DirOrigen": doc.sender.get("address"),
                "CmnaOrigen": doc.sender.get("district"),
                "CiudadOrigen": doc.sender.get("city"),
            },
            receptor={
                "RUTRecep": doc.receiver.get("rut", ""),
                "RznSocRecep": doc.receiver.get("business_name", ""),
                "GiroRecep": doc.receiver.get("business_activity"),
                "DirRecep": doc.receiver.get("address"),
                "CmnaRecep": doc.receiver.get("district"),
                "CiudadRecep": doc.receiver.get("city"),
            },
            totales=totales,
            detalles=[
                {
                    "IndExe": 1 if line["is_exempt"] else None,
                    "NmbItem": line["item_name"],
                    "QtyItem": f"{line['quantity']:g}",
                    "PrcItem": f"{line['unit_price']:g}",
                    "DescuentoPct": f"{line['discount_percent']:g}" if line["discount_percent"] else None,
                    "MontoItem": line["amount"],
                }
                for line in t.lines
            ],
            referencias=[
                {
                    "TpoDocRef": r["dte_type_code"],
                    "FolioRef": r["reference_folio"],
                    "FchRef": r["reference_date"],
                    "RazonRef": r.get("reference_reason"),
                }
                for r in doc.references
            ],
        ),
        dte.Signer(key.private_key, key.certificate_der),
        datetime.fromtimestamp(doc.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    )
