"""A fast yes for JSON Schema: a predicate compiled from a 2020-12 schema that answers True only when
jsonschema would find no error. Most requests are valid, and jsonschema costs ~150 µs for a body; the
predicate a few. False means "ask jsonschema", which finds (and words) the errors; a schema with any
validating keyword the predicate does not know gets no predicate at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]
Resolve = Callable[[str], Any]

DRAFT202012 = "https://json-schema.org/draft/2020-12/schema"
# every keyword that makes a 2020-12 validator refuse something; anything else is an annotation
VALIDATING = frozenset(
    {
        "$ref", "$dynamicRef", "additionalProperties", "allOf", "anyOf", "const", "contains",
        "dependentRequired", "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum",
        "format", "if", "then", "else", "items", "maxContains", "maxItems", "maxLength",
        "maxProperties", "maximum", "minContains", "minItems", "minLength", "minProperties", "minimum",
        "multipleOf", "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties",
        "propertyNames", "required", "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems",
    }
)  # fmt: skip
KNOWN = frozenset(
    {
        "$ref", "additionalProperties", "allOf", "anyOf", "const", "enum", "exclusiveMaximum",
        "exclusiveMinimum", "format", "items", "maxItems", "maxLength", "maximum", "minItems",
        "minLength", "minimum", "pattern", "properties", "required", "type",
    }
)  # fmt: skip


class Unknown(Exception):
    """The schema uses a keyword the predicate does not implement exactly: jsonschema decides."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _number,
    # jsonschema counts 1.0 as an integer
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
}
# enum and const: exact types only (stricter than jsonschema, which also finds 1 == 1.0: then it decides)
PLAIN = (str, int, float, bool, type(None))


def compile_check(schema: Any, resolve: Resolve, conforms: Callable[[Any, str], bool]) -> Check | None:
    """The predicate for `schema` (refs `#/...` looked up with `resolve`; `format` asked of `conforms`),
    or None when it cannot be exact."""
    refs: dict[str, Check] = {}
    try:
        return _compile(schema, resolve, conforms, refs)
    except Unknown:
        return None


def _compile(
    schema: Any, resolve: Resolve, conforms: Callable[[Any, str], bool], refs: dict[str, Check]
) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False or not isinstance(schema, Mapping):
        raise Unknown(repr(schema))
    if schema.get("$schema", DRAFT202012) != DRAFT202012:
        raise Unknown(schema["$schema"])
    unknown = (VALIDATING & schema.keys()) - KNOWN
    if unknown:
        raise Unknown(", ".join(sorted(unknown)))
    checks: list[Check] = []

    def sub(node: Any) -> Check:
        return _compile(node, resolve, conforms, refs)

    if "$ref" in schema:
        checks.append(_ref(schema["$ref"], resolve, conforms, refs))
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        try:
            kinds = [TYPES[n] for n in names]
        except (KeyError, TypeError):
            raise Unknown(f"type {names!r}") from None
        checks.append(kinds[0] if len(kinds) == 1 else lambda v: any(kind(v) for kind in kinds))
    if "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list) or not all(isinstance(o, PLAIN) for o in options):
            raise Unknown("enum")
        allowed = [(type(o), o) for o in options]
        checks.append(lambda v: any(type(v) is t and v == o for t, o in allowed))
    if "const" in schema:
        wanted = schema["const"]
        if not isinstance(wanted, PLAIN):
            raise Unknown("const")
        checks.append(lambda v: type(v) is type(wanted) and v == wanted)
    checks += _strings(schema, conforms)
    checks += _numbers(schema)
    checks += _objects(schema, sub)
    checks += _arrays(schema, sub)
    for key in ("allOf", "anyOf"):
        if key in schema:
            branches = [sub(b) for b in schema[key]]
            combine = all if key == "allOf" else any
            checks.append(lambda v, bs=branches, c=combine: c(b(v) for b in bs))  # type: ignore[misc]
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    parts = tuple(checks)

    def every(v: Any) -> bool:
        for check in parts:  # noqa: SIM110 (a loop, not all(genexpr): it runs on every request)
            if not check(v):
                return False
        return True

    return every


def _ref(ref: Any, resolve: Resolve, conforms: Callable[[Any, str], bool], refs: dict[str, Check]) -> Check:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise Unknown(f"$ref {ref!r}")
    if ref not in refs:
        target: list[Check] = []
        refs[ref] = lambda v: target[0](v)  # a recursive schema meets its own ref while compiling
        target.append(_compile(resolve(ref), resolve, conforms, refs))
    return refs[ref]


def _length(
    schema: Mapping[str, Any], low_key: str, high_key: str, kind: type[str] | type[list[Any]]
) -> list[Check]:
    """`minLength`/`maxLength` of strings, `minItems`/`maxItems` of arrays: other values pass."""
    low, high = schema.get(low_key), schema.get(high_key)
    if low is None and high is None:
        return []
    lo, hi = low or 0, high if high is not None else float("inf")
    return [lambda v: not isinstance(v, kind) or lo <= len(v) <= hi]


def _strings(schema: Mapping[str, Any], conforms: Callable[[Any, str], bool]) -> list[Check]:
    checks = _length(schema, "minLength", "maxLength", str)
    if "pattern" in schema:
        try:
            pattern = re.compile(schema["pattern"])
        except (re.error, TypeError):
            raise Unknown("pattern") from None
        checks.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    if "format" in schema:
        fmt = schema["format"]
        checks.append(lambda v: conforms(v, fmt))
    return checks


def _numbers(schema: Mapping[str, Any]) -> list[Check]:
    bounds = [
        (schema.get("minimum"), lambda v, b: v >= b),
        (schema.get("maximum"), lambda v, b: v <= b),
        (schema.get("exclusiveMinimum"), lambda v, b: v > b),
        (schema.get("exclusiveMaximum"), lambda v, b: v < b),
    ]
    checks: list[Check] = []
    for bound, holds in bounds:
        if bound is None:
            continue
        if not _number(bound):
            raise Unknown("a bound that is not a number")
        checks.append(lambda v, b=bound, h=holds: not _number(v) or h(v, b))  # type: ignore[misc]
    return checks


def _objects(schema: Mapping[str, Any], sub: Callable[[Any], Check]) -> list[Check]:
    checks: list[Check] = []
    required = schema.get("required")
    if required is not None:
        if not isinstance(required, list):
            raise Unknown("required")
        names = tuple(required)
        checks.append(lambda v: not isinstance(v, dict) or all(n in v for n in names))
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise Unknown("properties")
    known = {name: sub(node) for name, node in properties.items()}
    extra = schema.get("additionalProperties", True)
    others = None if extra is True else sub(extra) if extra is not False else None
    closed = extra is False
    if known or closed or others is not None:

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for name, value in v.items():
                inner = known.get(name)
                if inner is not None:
                    if not inner(value):
                        return False
                elif closed or (others is not None and not others(value)):
                    return False
            return True

        checks.append(check)
    return checks


def _arrays(schema: Mapping[str, Any], sub: Callable[[Any], Check]) -> list[Check]:
    checks = _length(schema, "minItems", "maxItems", list)
    if "items" in schema:
        if isinstance(schema["items"], list):
            raise Unknown("items as a list (draft 4)")
        each = sub(schema["items"])
        checks.append(lambda v: not isinstance(v, list) or all(each(i) for i in v))
    return checks
