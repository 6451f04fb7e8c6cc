"""Master entities (companies by RUT): from fixtures, or made up deterministically from any valid RUT."""

from __future__ import annotations

import hashlib
import json
import random
from functools import cache
from typing import Any

from mockserver.core.kit import rut
from mockserver.paths import FIXTURES


@cache
def _fixtures() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "tupana" / "entities.json").read_text(encoding="utf-8"))
    return data


def entity_id(tax_id: str) -> str:
    return "ment_" + hashlib.sha256(tax_id.encode()).hexdigest()[:16]


def activity(code: int) -> dict[str, Any] | None:
    return next((dict(a) for a in _fixtures()["activities"] if a["code"] == code), None)


NAMES = (
    "ANDES",
    "PACÍFICO",
    "AUSTRAL",
    "LOS ROBLES",
    "COPIHUE",
    "ACONCAGUA",
    "MAULE",
    "LLANQUIHUE",
    "ATACAMA",
)
KINDS = ("SERVICIOS", "COMERCIAL", "INVERSIONES", "TECNOLOGÍA", "INGENIERÍA", "DISTRIBUIDORA", "TRANSPORTES")
FORMS = ("SPA", "LIMITADA", "S.A.", "E.I.R.L.")
STREETS = (
    "AV. LIBERTADOR BERNARDO O'HIGGINS",
    "AV. VICUÑA MACKENNA",
    "LOS CARRERA",
    "BAQUEDANO",
    "COLÓN",
    "PRAT",
)


def lookup(tax_id: str) -> dict[str, Any]:
    """The company behind a RUT (canonical form expected); the same RUT always gives the same company."""
    canonical = rut.normalize(tax_id)
    known = next((c for c in _fixtures()["companies"] if c["tax_id"] == canonical), None)
    company: dict[str, Any]
    if known is not None:
        company = json.loads(json.dumps(known))
    else:
        rng = random.Random(canonical)
        district, city = rng.choice(_fixtures()["communes"])
        codes = rng.sample([a["code"] for a in _fixtures()["activities"]], k=rng.randint(1, 2))
        name = f"{rng.choice(KINDS)} {rng.choice(NAMES)} {rng.choice(FORMS)}"
        company = {
            "tax_id": canonical,
            "name": name,
            "email": f"dte@{name.split()[1].lower().replace('Í', 'i').replace(' ', '')}.cl",
            "addresses": [
                {
                    "address": f"{rng.choice(STREETS)} {rng.randint(10, 3999)}",
                    "district": district,
                    "city": city,
                    "sii_branch_code": str(rng.randint(70000000, 89999999)),
                    "is_main": True,
                }
            ],
            "activities": codes,
        }
    ment = entity_id(canonical)
    company["id"] = ment
    company["addresses"] = [
        {"id": f"addr_{hashlib.sha256(f'{ment}{i}'.encode()).hexdigest()[:12]}", **a}
        for i, a in enumerate(company["addresses"])
    ]
    company["activities"] = [
        {"code": a["code"], "name": a["name"], "is_main": i == 0}
        for i, a in enumerate(filter(None, (activity(c) for c in company["activities"])))
    ]
    return company


def fixture_company(ment: str) -> dict[str, Any] | None:
    """A fixtures company by its master entity id (made-up companies are found by their RUT only)."""
    known = next((c for c in _fixtures()["companies"] if entity_id(c["tax_id"]) == ment), None)
    return lookup(known["tax_id"]) if known else None
