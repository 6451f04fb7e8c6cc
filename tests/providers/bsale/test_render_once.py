"""A document's JSON is rendered once while it stands unchanged, and again as soon as the state changes
it; what a client reads is the same bytes either way."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from mockserver.providers.bsale.render import Renderer
from tests.providers.bsale.conftest import V1, Bsale, boleta
from tests.providers.bsale.test_rules import NOTA_DE_VENTA


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The id of every document `Renderer.document` renders, in order."""
    seen: list[int] = []
    original = Renderer.document

    def counted(self: Renderer, doc: Any) -> dict[str, Any]:
        seen.append(doc.id)
        return original(self, doc)

    monkeypatch.setattr(Renderer, "document", counted)
    return seen


async def raw(bsale: Bsale, path: str, **params: Any) -> bytes:
    response = await bsale.get(path, **params)
    assert response.status == 200, await response.text()
    body: bytes = await response.read()
    return body


async def test_an_unchanged_document_is_rendered_once_for_every_read_and_list(
    bsale: Bsale, renders: list[int]
) -> None:
    ids = [(await bsale.create(boleta(1000 + i)))["id"] for i in range(3)]
    await bsale.mock.advance(2)  # the SII has answered: nothing changes them any more
    first = await raw(bsale, f"documents/{ids[0]}.json")
    renders.clear()
    again = [await raw(bsale, f"documents/{ids[0]}.json") for _ in range(3)]
    listed = [await raw(bsale, "documents.json") for _ in range(2)]
    assert again == [first] * 3
    assert listed[0] == listed[1]
    assert sorted(renders) == sorted(ids[1:])  # the list rendered the two not read yet, once each
    items = json.loads(listed[0])["items"]
    assert [orjson.dumps(i) for i in items if i["id"] == ids[0]] == [first]


async def test_a_document_the_state_changes_is_rendered_again(bsale: Bsale, renders: list[int]) -> None:
    electronic = await bsale.create(boleta(1000))
    assert (await bsale.get_json(f"documents/{electronic['id']}.json"))["informedSii"] == 1
    await bsale.mock.advance(2)
    assert (await bsale.get_json(f"documents/{electronic['id']}.json"))["informedSii"] == 0
    sale = await bsale.create(NOTA_DE_VENTA)
    assert (await bsale.get_json(f"documents/{sale['id']}.json"))["state"] == 0
    response = await bsale.mock.client.delete(
        f"{V1}/documents/{sale['id']}.json?officeId=1", headers=bsale.headers
    )
    assert response.status == 200
    assert (await bsale.get_json(f"documents/{sale['id']}.json"))["state"] == 1
    listed = await bsale.get_json("documents.json", state=1)
    assert [d["id"] for d in listed["items"]] == [sale["id"]]


async def test_a_kept_page_is_byte_for_byte_the_encoded_one(bsale: Bsale) -> None:
    for i in range(4):
        await bsale.create(boleta(1000 + i))
    for params in ({}, {"limit": "2"}, {"limit": "2", "offset": "2"}, {"codesii": "[39]", "limit": "3"}):
        kept = [await raw(bsale, "documents.json", **params) for _ in range(2)]
        assert kept[0] == kept[1]
        assert kept[0] == orjson.dumps(json.loads(kept[0]))  # compact, in the order the envelope writes


async def test_expand_and_fields_answer_from_a_fresh_rendering(bsale: Bsale, renders: list[int]) -> None:
    doc = await bsale.create(boleta(1000))
    await raw(bsale, "documents.json")
    renders.clear()
    expanded = await bsale.get_json("documents.json", expand="[client,details]")
    narrowed = await bsale.get_json("documents.json", fields="[number]")
    assert renders == [doc["id"], doc["id"]]
    assert "items" in expanded["items"][0]["details"]
    assert set(narrowed["items"][0]) == {"href", "number"}


async def test_each_base_url_gets_its_own_links(bsale: Bsale) -> None:
    doc = await bsale.create(boleta(1000))
    here = await bsale.get_json(f"documents/{doc['id']}.json")
    elsewhere = await bsale.mock.client.get(
        f"{V1}/documents/{doc['id']}.json", headers={**bsale.headers, "Host": "other.example:8080"}
    )
    assert here["href"] != (await elsewhere.json())["href"]
    assert (await elsewhere.json())["href"].startswith("http://other.example:8080/")
    # a client cycling through more hosts than a document keeps renderings for still gets its own
    for round_ in range(2):
        for n in range(6):
            answer = await bsale.mock.client.get(
                f"{V1}/documents/{doc['id']}.json", headers={**bsale.headers, "Host": f"h{n}.example"}
            )
            assert (await answer.json())["href"].startswith(f"http://h{n}.example/"), round_
