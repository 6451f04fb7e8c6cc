"""operationId → handler."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.plugin import Handler, Unsupported
from mockserver.providers.avenio import handlers

OPERATIONS: Mapping[str, Handler | Unsupported] = {
    "createToken": handlers.create_token,
    "getJwks": handlers.get_jwks,
    "emitirBoleta": handlers.emitir_boleta,
    "anularBoleta": handlers.anular_boleta,
    "getOperacion": handlers.get_operacion,
    "downloadBoletaPdf": handlers.download_boleta_pdf,
    "downloadBoletaXml": handlers.download_boleta_xml,
}
