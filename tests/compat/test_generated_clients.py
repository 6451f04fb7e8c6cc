"""A typed client generated from each provider's spec (openapi-python-client, with the content-type
mapping in specs/client-generator.yaml) covers every operation with no warning, and a request made
through it against a live mock is answered and parsed into the generated model."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer

from mockserver.app import create_app
from mockserver.core.pipeline import VIOLATIONS
from mockserver.paths import ROOT
from tests.conftest import make_settings

pytest.importorskip("openapi_python_client")
pytestmark = pytest.mark.compat

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
CONFIG = ROOT / "specs" / "client-generator.yaml"
PROVIDERS = ("hacienda", "avenio", "bsale", "tupana", "tuimprenta")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clients")
    made: dict[str, Path] = {}
    for provider in PROVIDERS:
        package = root / f"{provider}_client"
        spec = ROOT / "specs" / provider / "openapi.yaml"
        command = ["generate", "--path", str(spec), "--meta", "none"]
        result = subprocess.run(
            [str(GENERATOR), *command, "--output-path", str(package), "--config", str(CONFIG)],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **os.environ,
                "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            },  # its ruff
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Warning" not in output and "Unable to process" not in output, output
        made[provider] = package
    sys.path.insert(0, str(root))
    return made


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_generated_client_has_every_operation_of_the_spec(
    generated: dict[str, Path], provider: str
) -> None:
    spec = yaml.safe_load((ROOT / "specs" / provider / "openapi.yaml").read_text(encoding="utf-8"))
    operations = {
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    modules = {p.stem for p in (generated[provider] / "api").rglob("*.py")}
    assert {_snake(o) for o in operations} <= modules


@pytest.fixture
async def mock() -> AsyncIterator[tuple[str, list[str]]]:
    settings = make_settings(clock_start=None, clock_frozen=False, rate_limits={"*": None})
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), app[VIOLATIONS]
    finally:
        await server.close()


def _module(provider: str, operation: str) -> Any:
    package = f"{provider}_client"  # on sys.path: the `generated` fixture put it there
    api = importlib.import_module(f"{package}.api")
    for tag in Path(api.__file__).parent.iterdir():
        if (tag / f"{_snake(operation)}.py").exists():
            return importlib.import_module(f"{package}.api.{tag.name}.{_snake(operation)}")
    raise AssertionError(f"{operation} not generated")


def _models(provider: str) -> Any:
    return importlib.import_module(f"{provider}_client.models")


def _client(provider: str, base: str, **auth: Any) -> Any:
    package = importlib.import_module(f"{provider}_client")
    if auth:
        return package.AuthenticatedClient(base_url=base, **auth)
    return package.Client(base_url=base)


def _tuimprenta(base: str) -> tuple[int, Any]:
    models = _models("tuimprenta")
    body = models.InvoiceInput.from_dict(
        {
            "series": "TD",
            "customer": {"name": "A", "tax_id": "J-12345678-4"},
            "items": [{"description": "x", "qty": 1, "unit_price": 10}],
        }
    )
    with _client("tuimprenta", f"{base}/tuimprenta/v1", token="ti_generated") as client:
        response = _module("tuimprenta", "createInvoice").sync_detailed(client=client, body=body)
    return response.status_code, (response.parsed, models.Invoice)


def _bsale(base: str) -> tuple[int, Any]:
    models = _models("bsale")
    body = models.DocumentInput.from_dict(
        {"codeSii": 39, "details": [{"comment": "x", "netUnitValue": 1000, "quantity": 1, "taxId": "[1]"}]}
    )
    auth = {"token": "generated", "prefix": "", "auth_header_name": "access_token"}
    with _client("bsale", f"{base}/bsale", **auth) as client:
        response = _module("bsale", "createDocument").sync_detailed(client=client, body=body)
    return response.status_code, (response.parsed, models.Document)


def _tupana(base: str) -> tuple[int, Any]:
    with _client("tupana", f"{base}/tupana/v2", token="sandbox_generated", prefix="Api-Key") as client:
        response = _module("tupana", "lookupMasterEntity").sync_detailed(client=client, rut="76543210-3")
    return response.status_code, (response.parsed, _models("tupana").MasterEntity)


def _hacienda(base: str) -> tuple[int, Any]:
    models = _models("hacienda")
    form = models.TokenForm.from_dict(
        {"grant_type": "password", "client_id": "api-stag", "username": "gen@x.cr", "password": "clave"}
    )
    with _client("hacienda", f"{base}/hacienda") as client:
        response = _module("hacienda", "createToken").sync_detailed("rut-stag", client=client, body=form)
    return response.status_code, (response.parsed, models.TokenResponse)


def _avenio(base: str) -> tuple[int, Any]:
    models = _models("avenio")
    module = _module("avenio", "createToken")
    form = models.CreateTokenBody.from_dict(
        {"grant_type": "client_credentials", "client_id": "generated", "client_secret": "generated-secret"}
    )
    with _client("avenio", f"{base}/avenio") as client:
        response = module.sync_detailed(client=client, body=form)
    return response.status_code, (response.parsed, None)


DRIVES: dict[str, tuple[Callable[[str], tuple[int, Any]], int]] = {
    "tuimprenta": (_tuimprenta, 201),
    "bsale": (_bsale, 201),
    "tupana": (_tupana, 200),
    "hacienda": (_hacienda, 200),
    "avenio": (_avenio, 200),
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_request_through_the_generated_client_is_answered_and_parsed(
    generated: dict[str, Path], mock: tuple[str, list[str]], provider: str
) -> None:
    import asyncio

    base, violations = mock
    drive, expected = DRIVES[provider]
    status, (parsed, model) = await asyncio.to_thread(drive, base)
    assert status == expected
    assert parsed is not None
    if model is not None:
        assert isinstance(parsed, model), type(parsed)
    assert violations == []
