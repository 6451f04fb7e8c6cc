"""What a request broke, in words a client can show: English or Spanish, never jsonschema's or Python's.

A violation is described by its keyword and what the spec expected (`Violation.expected`), never by
the value sent, so a secret never goes back out and `None` or `'x' is not of type` never appear.
"""

from __future__ import annotations

import json
from typing import Any

TYPES = {
    "string": ("a string", "un texto"),
    "integer": ("an integer", "un número entero"),
    "number": ("a number", "un número"),
    "boolean": ("true or false", "true o false"),
    "object": ("an object", "un objeto"),
    "array": ("a list", "una lista"),
    "null": ("null", "null"),
}


def _values(expected: Any) -> str:
    values = expected if isinstance(expected, list) else [expected]
    shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in values[:12])
    return shown + (" …" if len(values) > 12 else "")


def _types(expected: Any, language: str) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    index = 0 if language == "en" else 1
    words = [TYPES.get(str(k), (str(k), str(k)))[index] for k in kinds]
    return (" or " if language == "en" else " o ").join(words)


def _predicate(keyword: str, expected: Any, language: str) -> str:
    """What the field must be, after its name: 'must be an integer', 'debe ser un número entero'."""
    en = language == "en"
    n = expected
    phrases: dict[str, tuple[str, str]] = {
        "required": ("is required", "es requerido"),
        "type": (f"must be {_types(n, 'en')}", f"debe ser {_types(n, 'es')}"),
        "enum": (f"must be one of: {_values(n)}", f"debe ser uno de: {_values(n)}"),
        "const": (f"must be {_values(n)}", f"debe ser {_values(n)}"),
        "minLength": (f"must have at least {n} characters", f"debe tener al menos {n} caracteres"),
        "maxLength": (f"must have at most {n} characters", f"debe tener como máximo {n} caracteres"),
        "minimum": (f"must be at least {n}", f"debe ser al menos {n}"),
        "maximum": (f"must be at most {n}", f"debe ser como máximo {n}"),
        "exclusiveMinimum": (f"must be greater than {n}", f"debe ser mayor que {n}"),
        "exclusiveMaximum": (f"must be less than {n}", f"debe ser menor que {n}"),
        "multipleOf": (f"must be a multiple of {n}", f"debe ser múltiplo de {n}"),
        "pattern": ("does not have the expected format", "no tiene el formato esperado"),
        "format": (f"is not a valid {n}", f"no es un {n} válido"),
        "minItems": (f"must have at least {n} items", f"debe tener al menos {n} elementos"),
        "maxItems": (f"must have at most {n} items", f"debe tener como máximo {n} elementos"),
        "uniqueItems": ("must not repeat items", "no debe repetir elementos"),
        "minProperties": (f"must have at least {n} fields", f"debe tener al menos {n} campos"),
        "maxProperties": (f"must have at most {n} fields", f"debe tener como máximo {n} campos"),
        "additionalProperties": ("is not a field this operation takes", "no es un campo admitido"),
        "unevaluatedProperties": ("is not a field this operation takes", "no es un campo admitido"),
        "dependentRequired": (f"needs {_values(n)} as well", f"requiere también {_values(n)}"),
        "not": ("is not allowed here", "no está permitido aquí"),
    }
    for alternatives in ("oneOf", "anyOf"):
        phrases[alternatives] = ("does not match any accepted form", "no coincide con ninguna forma admitida")
    if n == 1 and keyword in ("minLength", "minItems", "minProperties"):
        phrases[keyword] = ("must not be empty", "no puede estar vacío")
    en_words, es_words = phrases.get(keyword, ("is not valid", "no es válido"))
    return en_words if en else es_words


SCHEMA_KEYWORDS = frozenset(
    {
        *("required", "type", "enum", "const", "pattern", "format", "not", "oneOf", "anyOf"),
        *("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
        *("multipleOf", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties"),
        *("additionalProperties", "unevaluatedProperties", "dependentRequired"),
    }
)


def describe(
    keyword: str, expected: Any, field: str, language: str = "en", *, full_path: bool = False
) -> str:
    """The sentence for a field that broke `keyword` (`field` is dotted; its last part names it unless
    `full_path`). Spanish for a missing field follows tuimprenta's seed: 'El campo tax_id es requerido'."""
    name = field if full_path else field.rsplit(".", 1)[-1]
    if not name:
        name = "the body" if language == "en" else "el cuerpo"
    predicate = _predicate(keyword, expected, language)
    if language == "es" and field:
        return f"El campo {name} {predicate}"
    return f"{name[:1].upper()}{name[1:]} {predicate}" if not field else f"{name} {predicate}"
