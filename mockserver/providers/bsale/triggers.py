"""Triggered Bsale notifications: any topic and action Bsale documents, about an existing resource of
the instance or a made-up one (the next id, not taken), in the shape and path Bsale writes for that
topic, to the instance's notification URL (and to `url`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mockserver.core.plugin import Trigger

if TYPE_CHECKING:
    from mockserver.core.runtime import ProviderRuntime
    from mockserver.core.services.webhooks import Delivery
    from mockserver.providers.bsale.instance import Instance
    from mockserver.providers.bsale.state import BsaleState

# topic → the path Bsale writes as `resource` (of the resource id), and the sequence its ids come from
PATHS: dict[str, tuple[str, str]] = {
    "document": ("/documents/{id}.json", "documents"),
    "payment": ("/v1/payments/{id}.json", "payments"),
    "product": ("/v2/products/{id}.json", "products"),
    "variant": ("/v2/variants/{id}.json", "variants"),
    "price": ("/v2/price_lists/{list}/details.json?variant={id}", "variants"),
    "stock": ("/v2/stocks.json?variant={id}&office={office}", "variants"),
    "client": ("/v1/clients/{id}.json", "clients"),
    "return": ("/v1/returns/{id}.json", "returns"),
    "shipping": ("/v1/shippings/{id}.json", "shippings"),
}


def _exists(instance: Instance) -> dict[str, Callable[[int], Any]]:
    return {
        "document": instance.documents.get,
        "payment": instance.payment,
        "product": lambda i: instance.get("products", i),
        "variant": lambda i: instance.get("variants", i),
        "price": lambda i: instance.get("variants", i),
        "stock": lambda i: instance.get("variants", i),
        "client": lambda i: instance.get("clients", i),
        "return": instance.returns.get,
        "shipping": instance.shippings.get,
    }


def trigger(pr: ProviderRuntime, asked: Trigger) -> list[Delivery]:
    state: BsaleState = pr.state
    instance = state.instance(asked.sandbox)
    topic, action = asked.type.split(".")
    template, sequence = PATHS[topic]
    if asked.entity is None:
        ident = instance.sequences.get(sequence, 0) + 1
        found = None
    else:
        if not asked.entity.isdigit():
            raise ValueError(f"a Bsale {topic} is named by its numeric id, not {asked.entity!r}")
        ident = int(asked.entity)
        found = _exists(instance)[topic](ident)
        if found is None:
            raise LookupError(f"this instance has no {topic} {ident}")
    if not (instance.webhook_url or asked.url):
        raise ValueError(
            "the instance has no notification URL: set one (actions/bsale/configure-webhook) or give url"
        )
    office = getattr(found, "office_id", None) or min(instance.catalogue.offices)
    price_list = min(instance.catalogue.price_lists)
    path = template.format(id=ident, office=office, list=price_list)
    extra = {"priceListId": str(price_list)} if topic == "price" else {}
    sent = [
        state.notify(instance, topic, action, ident, office, path=path, url=url, **extra)
        for url in dict.fromkeys((instance.webhook_url, asked.url))
        if url
    ]
    return [d for d in sent if d is not None]
