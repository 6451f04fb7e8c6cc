"""Costa Rica's Ministerio de Hacienda: Comprobantes Electrónicos API v1 (recepción) and its Keycloak IdP."""

from mockserver.core.listings import LISTINGS
from mockserver.core.plugin import Provider
from mockserver.core.services.masking import REDACTED, digest_stand_in
from mockserver.providers.hacienda import views
from mockserver.providers.hacienda.errors import HaciendaErrors
from mockserver.providers.hacienda.idp import WRONG_PASSWORD_PREFIX, BearerAuth, shard_key
from mockserver.providers.hacienda.ratelimits import HaciendaLimits
from mockserver.providers.hacienda.routes import OPERATIONS
from mockserver.providers.hacienda.state import HaciendaState
from mockserver.providers.hacienda.triggers import trigger

PROVIDER = Provider(
    **LISTINGS["hacienda"].declared(),
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
)
