"""Providers are built on their first request: start-up and the control plane's health answer build none,
a request at a provider's mount or one of its real hosts builds that one alone, and whatever needs a
provider (a named scenario rule, the dashboard, a reset) builds it then. A mistyped option still stops
the start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mockserver.core.listings import LISTINGS, PROVIDERS
from mockserver.core.plugin import Provider
from mockserver.core.runtime import Runtime, load_provider
from tests.conftest import Mock, MockFactory, make_settings

BSALE_TOKEN = {"access_token": "lazy-token"}


def test_start_up_and_the_command_line_import_no_provider_package() -> None:
    script = """
import json, sys
from mockserver.options import settings_from_args
from mockserver.app import create_app
settings = settings_from_args(["--port", "8099", "--bsale-sii-delay", "3"])
app = create_app(settings)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("mockserver.providers."))))
"""
    command = [sys.executable, "-c", script]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == []


async def test_a_request_builds_its_provider_alone(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock()
    providers = mock.runtime.providers
    health = await (await mock.client.get("/__admin/health")).json()
    assert health["providers"] == sorted(PROVIDERS) and providers.built() == []
    response = await mock.client.get("/bsale/v1/documents.json", headers=BSALE_TOKEN)
    assert response.status == 200
    assert [pr.name for pr in providers.built()] == ["bsale"]
    # a real host builds its provider too, and answers as at the mount
    response = await mock.client.get("/v1/invoices", headers={"Host": "api.tuimprenta.digital"})
    assert response.status == 401 and (await response.json())["error"]["code"]
    assert sorted(pr.name for pr in providers.built()) == ["bsale", "tuimprenta"]
    # a path under no provider builds none
    assert (await mock.client.get("/nobody/v1")).status == 404
    assert len(providers.built()) == 2


async def test_a_named_scenario_rule_for_a_provider_not_built_yet_is_known(make_mock: MockFactory) -> None:
    mock: Mock = await make_mock()
    rule = {"provider": "tuimprenta", "scenario": "rejected-by-tax-authority"}
    assert (await mock.client.post("/__admin/scenarios", json=rule)).status in (200, 201)
    typo = {"provider": "hacienda", "scenario": "rejected-by-tax-authorty"}
    response = await mock.client.post("/__admin/scenarios", json=typo)
    assert response.status == 400 and "unknown scenario" in (await response.text())


def test_every_listing_is_what_its_provider_declares() -> None:
    assert set(LISTINGS) == set(PROVIDERS)
    for name, listing in LISTINGS.items():
        provider: Provider = load_provider(name)
        assert provider.listing == listing


def test_a_mistyped_option_stops_the_start() -> None:
    with pytest.raises(ValueError, match="bsale has no option sii_dealy; its options: sii_delay"):
        Runtime.build(make_settings(provider_options={"bsale": {"sii_dealy": 1.0}}))
    with pytest.raises(ValueError, match="unknown provider 'bsal'"):
        Runtime.build(make_settings(provider_options={"bsal": {"sii_delay": 1.0}}))
    # options of a provider that is not running are the command line's defaults: no mistake
    Runtime.build(make_settings(providers=("hacienda",), provider_options={"bsale": {"sii_delay": 1.0}}))
