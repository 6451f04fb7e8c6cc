"""Every provider spec: its operations and every schema in them compile (validators compile lazily)."""

from __future__ import annotations

import pytest

from mockserver.core.runtime import load_provider
from mockserver.core.specs import Spec
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
