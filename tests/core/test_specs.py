"""Every provider spec: its operations and every schema in them compile (validators compile lazily)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.core.runtime import load_provider
from mockserver.core.specs import Param, Spec, _read_document
from mockserver.core.validation import _reader
from mockserver.settings import ALL_PROVIDERS


@pytest.mark.parametrize("name", ALL_PROVIDERS)
def test_every_schema_of_every_operation_compiles(name: str) -> None:
    spec = Spec(load_provider(name).spec_path)
    assert spec.operations
    for op in spec.operations.values():
        validators = [p.validator for p in op.params] + list(op.bodies.values())
        validators += [v for r in op.responses.values() for v in r.bodies.values()]
        for validator in validators:
            assert validator.compiled is not None, op.id


def test_server_variables_expand_into_every_prefix() -> None:
    spec = Spec(load_provider("tupana").spec_path)
    assert spec.operations["createBatch"].prefixes == ("/v1", "/v2")


@pytest.mark.parametrize(
    ("schema", "value", "plain"),
    [
        ({"type": "integer"}, 5, True),
        ({"type": "integer", "description": "id"}, 5, True),
        ({"type": "integer"}, "abc", False),  # coercion failed: the validator words the error
        ({"type": "integer", "minimum": 1}, 5, False),  # any constraint goes to the validator
        ({"type": "string"}, "x", True),
        ({"type": "string", "pattern": "^x$"}, "x", False),
        ({"type": "number"}, 1.5, True),
        ({"type": "integer"}, True, False),
        ({"type": "boolean"}, True, True),
        ({}, "x", False),
    ],
)
def test_parameters_that_only_name_a_type_skip_the_validator(
    schema: dict[str, Any], value: Any, plain: bool
) -> None:
    reader = _reader(Param("p", "query", False, schema, validator=None))  # type: ignore[arg-type]
    assert reader.plainly_valid(value) is plain


def test_a_spec_is_read_from_its_json_twin_keyed_by_content(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\nx-n: 1\n")
    first = _read_document(spec)
    twins = list((tmp_path / "__pycache__").glob("openapi.*.json"))
    assert len(twins) == 1 and json.loads(twins[0].read_text()) == first
    twins[0].write_text('{"x-n": "from the twin"}')  # the twin is what is read while the YAML is unchanged
    assert _read_document(spec) == {"x-n": "from the twin"}
    spec.write_text(spec.read_text().replace("x-n: 1", "x-n: 2"))  # a changed YAML has another twin
    assert _read_document(spec)["x-n"] == 2
    twins[0].write_text("not json")
    spec.write_text(spec.read_text().replace("x-n: 2", "x-n: 1"))
    assert _read_document(spec)["x-n"] == 1  # a broken twin is parsed again from the YAML


def test_a_spec_json_cannot_hold_is_parsed_from_yaml_every_time(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\nwhen: 2026-11-21\n")  # a date: JSON cannot hold it, so no twin
    assert str(_read_document(spec)["when"]) == "2026-11-21"
    assert not list((tmp_path / "__pycache__").glob("*.json"))


@pytest.mark.parametrize("name", ALL_PROVIDERS)
def test_every_optional_query_parameter_says_an_empty_value_is_allowed(name: str) -> None:
    # the platform reads `?limit=` as no limit at all; the specs must say so, or fuzzers expect a 400
    spec = Spec(load_provider(name).spec_path)
    for path, item in spec.document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
                param = spec.resolve(raw)
                if param["in"] == "query" and not param.get("required"):
                    assert param.get("allowEmptyValue") is True, (method, path, param["name"])
