"""operationId → handler: the spec decides which handler runs."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.plugin import Handler, Unsupported
from mockserver.providers.hacienda import handlers

OPERATIONS: Mapping[str, Handler | Unsupported] = {
    "createToken": handlers.create_token,
    "logout": handlers.logout,
    "getCerts": handlers.get_certs,
    "getOpenIdConfiguration": handlers.get_openid_configuration,
    "getRealm": handlers.get_realm,
    "getUserinfo": handlers.get_userinfo,
    "postUserinfo": handlers.get_userinfo,
    "introspectToken": handlers.introspect_token,
    "revokeToken": handlers.revoke_token,
    "lookupTaxpayer": handlers.lookup_taxpayer,
    "postRecepcion": handlers.post_recepcion,
    "getRecepcion": handlers.get_recepcion,
    "getComprobantes": handlers.get_comprobantes,
    "getComprobante": handlers.get_comprobante,
}
