"""The quick predicate never vouches for a value jsonschema would refuse, and vouches for most valid ones."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.core import validation
from mockserver.core.formats import conforms
from mockserver.core.quickcheck import compile_check
from mockserver.core.specs import LazyValidator, Spec, load_spec
from mockserver.paths import SPECS

QUICK_SPECS = ("avenio", "bsale", "tupana", "tuimprenta")


def _check(schema: dict[str, Any]) -> Any:
    return compile_check(schema, lambda ref: {}, conforms)


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "integer"}, [1, 2.0, -3], [1.5, True, "1", None]),
        ({"type": ["string", "null"]}, ["", None], [0, [], {}]),
        ({"enum": ["a", 1]}, ["a", 1], ["b", 2, True]),
        ({"const": 0}, [0], [False, 1]),
        ({"minLength": 2, "maxLength": 3}, ["ab", "abc", 5], ["a", "abcd"]),
        ({"pattern": "^J-"}, ["J-1", 7], ["V-1"]),
        ({"minimum": 0, "exclusiveMaximum": 10}, [0, 9.9, "x"], [-1, 10]),
        ({"required": ["a"], "properties": {"a": {"type": "string"}}}, [{"a": "x"}, []], [{}, {"a": 1}]),
        ({"properties": {"a": {}}, "additionalProperties": False}, [{"a": 1}, {}], [{"b": 1}]),
        ({"additionalProperties": {"type": "integer"}}, [{"x": 1}], [{"x": "1"}]),
        ({"items": {"type": "integer"}, "minItems": 1, "maxItems": 2}, [[1], [1, 2]], [[], [1, 2, 3], ["1"]]),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1], [1.5]),
        ({"allOf": [{"minimum": 1}, {"maximum": 2}]}, [1, 2], [0, 3]),
        ({"format": "rut"}, ["11111111-1"], ["11111111-2"]),
    ],
)
def test_each_keyword_vouches_for_good_values_and_not_for_bad_ones(
    schema: dict[str, Any], good: list[Any], bad: list[Any]
) -> None:
    check = _check(schema)
    assert check is not None
    assert [check(v) for v in good] == [True] * len(good)
    assert [check(v) for v in bad] == [False] * len(bad)


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string"}]},
        {"not": {"type": "string"}},
        {"patternProperties": {"^x": {}}},
        {"$schema": "http://json-schema.org/draft-04/schema#", "type": "string"},
        {"items": [{"type": "string"}]},
        {"$ref": "https://elsewhere.example/schema.json"},
        {"properties": {"a": {"uniqueItems": True}}},
    ],
)
def test_a_schema_it_cannot_judge_exactly_gets_no_predicate(schema: dict[str, Any]) -> None:
    assert _check(schema) is None


def test_a_recursive_schema_compiles_and_checks_at_depth() -> None:
    tree = {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/tree"}}}}
    check = compile_check(tree, lambda ref: tree, conforms)
    assert check is not None
    assert check({"children": [{"children": [{}]}]})
    assert not check({"children": [{"children": [1]}]})


def test_hacienda_keeps_jsonschema_alone_for_its_draft_04_schemas() -> None:
    spec = load_spec(SPECS / "hacienda" / "openapi.yaml")
    assert all(v.quick is None for op in spec.operations.values() for v in op.bodies.values())


def _validators(spec: Spec) -> Iterator[tuple[str, LazyValidator]]:
    for op in spec.operations.values():
        for content_type, validator in op.bodies.items():
            yield f"{op.id} {content_type}", validator
        for param in op.params:
            yield f"{op.id} {param.name}", param.validator
        for status, response in op.responses.items():
            for content_type, validator in response.bodies.items():
                yield f"{op.id} {status} {content_type}", validator


def _instance(schema: Any, spec: Spec, rng: random.Random, depth: int = 0) -> Any:
    """A value shaped by `schema`, often valid and sometimes broken in one place."""
    if not isinstance(schema, dict):
        return None
    schema = spec.resolve(schema)
    if rng.random() < 0.05 or depth > 6:
        return rng.choice([None, 0, -1, 1.5, "", "x" * 50, True, [], {}, "11111111-1", "2026-01-01"])
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _instance(rng.choice(schema[key]), spec, rng, depth + 1)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    kind = rng.choice(kind) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            name: _instance(sub, spec, rng, depth + 1)
            for name, sub in props.items()
            if name in required or rng.random() < 0.5
        }
    if kind == "array":
        return [_instance(schema.get("items", {}), spec, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "integer":
        low = schema.get("minimum", 0)
        return rng.randint(int(low), int(schema.get("maximum", low + 100)))
    if kind == "number":
        return rng.uniform(schema.get("minimum", 0), schema.get("maximum", 1000))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "string":
        fmt = schema.get("format")
        samples = {
            "date-time": "2026-11-21T10:00:00Z",
            "date": "2026-11-21",
            "rut": "76543210-3",
            "uri": "https://a.b/c",
        }
        if fmt in samples:
            return samples[fmt]
        return "x" * rng.randint(
            schema.get("minLength", 0), schema.get("maxLength", schema.get("minLength", 0) + 8)
        )
    return rng.choice([None, "a", 1, {}, []])


@pytest.mark.parametrize("provider", QUICK_SPECS)
def test_over_every_schema_of_a_spec_it_never_vouches_for_what_jsonschema_refuses(provider: str) -> None:
    spec = load_spec(SPECS / provider / "openapi.yaml")
    rng = random.Random(provider)
    vouched = judged = 0
    for where, validator in _validators(spec):
        if validator.quick is None:
            continue
        for _ in range(40):
            value = _instance(validator._schema, spec, rng)
            judged += 1
            if validator.quick(value):
                vouched += 1
                errors = [e.message for e in validator.compiled.iter_errors(value)]
                assert errors == [], f"{where}: vouched for {value!r}"
    assert judged > 100 and vouched > judged // 4  # it does take most of the load off jsonschema


def test_a_body_without_null_is_not_walked_by_the_schema_for_nulls() -> None:
    asked: list[Any] = []

    class Validator:
        def iter_errors(self, instance: Any) -> Any:
            asked.append(instance)
            return iter(())

    validation.absent_nulls(Validator(), {"a": [1, {"b": "x"}]})  # type: ignore[arg-type]
    assert asked == []
    deep: Any = None
    for _ in range(5000):
        deep = [deep]
    validation.absent_nulls(Validator(), {"a": [1, {"b": None}]})  # type: ignore[arg-type]
    validation.absent_nulls(Validator(), {"deep": deep})  # type: ignore[arg-type]
    assert len(asked) == 2  # a null, or nesting too deep to look through: the schema is asked
