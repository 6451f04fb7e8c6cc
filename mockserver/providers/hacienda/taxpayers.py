"""Hacienda's public taxpayer lookup (`GET https://api.hacienda.go.cr/fe/ae?identificacion=`), which
SDKs and ERP localisations call before they emit. It is outside the seed: the shape is the public API's
as its clients read it; the taxpayers are made up, the same for the same number, so tests can rely on
them. `999999999` is not found; `888888888` is an inactive taxpayer (its activities too)."""

from __future__ import annotations

import random
from typing import Any

NOT_FOUND = "999999999"
INACTIVE = "888888888"
# the numbers the samples use (mockserver.providers.hacienda.sample), named as they are there
KNOWN = {"3101123456": "Razón Social S.A.", "109560664": "María Rodríguez Mora"}
GIVEN = ("María", "José", "Ana", "Luis", "Carmen", "Jorge", "Lucía", "Carlos", "Sofía", "Diego")
SURNAMES = ("Rodríguez", "Vargas", "Jiménez", "Mora", "Rojas", "Solís", "Araya", "Quesada", "Chaves")
COMPANY = ("Servicios", "Inversiones", "Comercial", "Tecnologías", "Distribuidora", "Consultores")
PLACES = ("del Valle", "Pacífico", "Central", "Tico", "del Norte", "Guanacaste", "Irazú")
OFFICES = ("Grandes Contribuyentes", "San José Este", "San José Oeste", "Alajuela", "Heredia", "Cartago")
ACTIVITIES = (
    ("620100", "Actividades de programación informática"),
    ("702000", "Actividades de consultoría de gestión"),
    ("471100", "Venta al por menor en comercios no especializados"),
    ("561001", "Restaurantes, cafeterías y sodas"),
    ("691001", "Actividades jurídicas"),
    ("731000", "Publicidad"),
)
REGIMES = ((1, "Régimen General"), (2, "Régimen Simplificado"))


def kind_of(number: str) -> str | None:
    """The identification type by the number's shape: 01 física (9 digits), 02 jurídica (10, from 3),
    03 DIMEX (11 or 12), 04 NITE (10, from 4); None for any other shape."""
    if not number.isascii() or not number.isdigit():
        return None
    if len(number) == 9 and number[0] != "0":
        return "01"
    if len(number) == 10 and number[0] == "3":
        return "02"
    if len(number) in (11, 12):
        return "03"
    if len(number) == 10 and number[0] == "4":
        return "04"
    return None


def lookup(number: str) -> dict[str, Any] | None:
    """The taxpayer with that number, or None when there is none (it is well formed: see `kind_of`)."""
    kind = kind_of(number)
    if kind is None or number == NOT_FOUND:
        return None
    rng = random.Random(f"hacienda-ae:{number}")
    if number in KNOWN:
        name = KNOWN[number]
    elif kind == "02":
        name = f"{rng.choice(COMPANY)} {rng.choice(PLACES)} S.A."
    else:
        name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
    active = number != INACTIVE
    codigo, descripcion = REGIMES[0] if kind == "02" else rng.choice(REGIMES)
    chosen = rng.sample(ACTIVITIES, k=rng.randint(1, 2))
    return {
        "nombre": name.upper(),
        "tipoIdentificacion": kind,
        "regimen": {"codigo": codigo, "descripcion": descripcion},
        "situacion": {
            "moroso": "NO",
            "omiso": "NO",
            "estado": "Inscrito" if active else "Inactivo",
            "administracionTributaria": rng.choice(OFFICES),
        },
        "actividades": [
            {"estado": "A" if active else "I", "tipo": "P" if n == 0 else "S", "codigo": c, "descripcion": d}
            for n, (c, d) in enumerate(chosen)
        ],
    }
