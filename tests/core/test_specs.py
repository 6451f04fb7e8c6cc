"""Every provider spec: its operations and every schema in them compile (validators compile lazily)."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.runtime import load_provider
from mockserver.core.specs import Spec, _plainly_valid
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
    assert _plainly_valid(schema, value) is plain
