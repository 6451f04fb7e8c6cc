"""Costa Rica's Ministerio de Hacienda: Comprobantes Electrónicos API v1 (recepción) and its Keycloak IdP."""

from mockserver.core.plugin import Option, Provider
from mockserver.core.services.masking import REDACTED, digest_stand_in
from mockserver.providers.hacienda import views
from mockserver.providers.hacienda.errors import HaciendaErrors
from mockserver.providers.hacienda.idp import WRONG_PASSWORD_PREFIX, BearerAuth, shard_key
from mockserver.providers.hacienda.ratelimits import HaciendaLimits
from mockserver.providers.hacienda.routes import OPERATIONS
from mockserver.providers.hacienda.state import HaciendaState
from mockserver.providers.hacienda.triggers import trigger

PROVIDER = Provider(
    name="hacienda",
    title="Ministerio de Hacienda (Costa Rica) — recepción v1",
    mount="/hacienda",
    hosts=(
        "api.comprobanteselectronicos.go.cr",
        "api-sandbox.comprobanteselectronicos.go.cr",
        "idp.comprobanteselectronicos.go.cr",
        "api.hacienda.go.cr",  # the taxpayer lookup (/fe/ae)
    ),
    operations=OPERATIONS,
    errors=HaciendaErrors(),
    make_state=HaciendaState,
    auth=BearerAuth(),
    shard_key=shard_key,
    # the write log keeps a password's salted digest (the magic wrong one as it is), never the password
    secret_fields=lambda salt: {
        "password": lambda v: (
            WRONG_PASSWORD_PREFIX if v.startswith(WRONG_PASSWORD_PREFIX) else digest_stand_in(salt, v)
        ),
        "client_secret": lambda v: v and REDACTED,
    },
    rate_limits=HaciendaLimits(),
    trigger_event=trigger,
    entities=views.entities,
    entity_file=views.entity_file,
    scenarios={
        "rejected-by-tax-authority": {"description": "the comprobante ends rechazado (Mensaje 3)"},
        "stays-processing": {"description": "the comprobante never leaves procesando"},
        "processing-error": {"description": "the comprobante ends in ind-estado error"},
    },
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
)
