"""The providers the mock runs, and what it knows of each before loading its package: its name, title,
mount, real hosts and options. Start-up, the command line, the control plane's Host check and the
dispatcher read these; a provider's package (its handlers, state and spec) is loaded on its first
request (`core.runtime.Providers`). Each package declares its `Provider` with its listing from here,
so the two never disagree."""

from __future__ import annotations

from mockserver.core.plugin import Listing, Option

# where each provider's package is (`core.runtime.load_provider` imports it)
PROVIDERS: dict[str, str] = {
    "hacienda": "mockserver.providers.hacienda",
    "avenio": "mockserver.providers.avenio",
    "bsale": "mockserver.providers.bsale",
    "tupana": "mockserver.providers.tupana",
    "tuimprenta": "mockserver.providers.tuimprenta",
}

LISTINGS: dict[str, Listing] = {
    "hacienda": Listing(
        name="hacienda",
        title="Ministerio de Hacienda (Costa Rica) — recepción v1",
        mount="/hacienda",
        hosts=(
            "api.comprobanteselectronicos.go.cr",
            "api-sandbox.comprobanteselectronicos.go.cr",
            "idp.comprobanteselectronicos.go.cr",
            "api.hacienda.go.cr",  # the taxpayer lookup (/fe/ae)
        ),
        options=(
            Option(
                "accept_status",
                int,
                201,
                "status of an accepted POST /recepcion: 201 as documented, 202 as the live service answers",
                choices=(201, 202),
            ),
            Option(
                "content_range",
                str,
                "limit",
                "a paged listing's Content-Range: `limit` for offset-limit/count_all as the seed words it "
                "(0-10/100), `last` for offset-last/count_all (0-9/100)",
                choices=("limit", "last"),
            ),
            Option("access_token_ttl", int, 300, "access token lifetime in seconds (Keycloak's expires_in)"),
            Option("refresh_token_ttl", int, 1800, "refresh token lifetime in seconds (refresh_expires_in)"),
            Option("processing_delay", float, 1.0, "seconds from recibido to procesando"),
            Option("decision_delay", float, 2.0, "seconds from procesando to aceptado/rechazado/error"),
        ),
    ),
    "avenio": Listing(
        name="avenio",
        title="Avenio Cloud (Chile) — Boletas de honorarios",
        mount="/avenio",
        hosts=("api.uat.aveniocloud.com", "api.sandbox.aveniocloud.com"),
        options=(
            Option("token_ttl", int, 3600, "access token lifetime in seconds (expiresIn)"),
            Option("processing_delay", float, 1.0, "seconds from pending to processing"),
            Option("decision_delay", float, 2.0, "seconds from processing to completed/failed"),
            Option("slow_delay", float, 60.0, "processing time for the slow magic receptor 88888888-8"),
            Option("download_ttl", int, 900, "seconds a signed pdfUrl/xmlUrl stays valid"),
            Option(
                "receptor_confirmation_delay",
                float,
                3 * 86400.0,
                "seconds until the receptor confirms a late annulment on its own",
            ),
        ),
    ),
    "bsale": Listing(
        name="bsale",
        title="Bsale (Chile) — documents API v1",
        mount="/bsale",
        hosts=("api.bsale.io", "api.bsale.cl"),
        options=(
            Option("sii_delay", float, 2.0, "seconds until an electronic document's informedSii leaves 1"),
        ),
    ),
    "tupana": Listing(
        name="tupana",
        title="Tu Pana (Chile) — API de Facturación",
        mount="/tupana",
        hosts=("api.tupana.ai",),
        options=(
            Option("processing_delay", float, 1.0, "seconds from created to processing"),
            Option("sii_delay", float, 2.0, "seconds from processing to the SII's answer"),
            Option(
                "download_ttl",
                int,
                7200,
                "seconds a presigned PDF/XML URL stays valid (2 hours, as the SDK says)",
            ),
        ),
    ),
    "tuimprenta": Listing(
        name="tuimprenta",
        title="tuimprenta.digital (Venezuela)",
        mount="/tuimprenta",
        hosts=("api.tuimprenta.digital",),
        options=(
            Option("processing_delay", float, 1.0, "seconds a batch waits queued before it is processed"),
            Option(
                "seconds_per_invoice",
                float,
                0.01,
                "seconds a batch stays processing per invoice (at least one second, unless this is 0)",
            ),
        ),
    ),
}
