"""Serving: the spec at <mount>/openapi.*, real hosts without the mount, unknown paths."""

from __future__ import annotations

import yaml

from tests.conftest import Mock
from tests.providers.hacienda.conftest import login


async def test_spec_is_served_as_json_and_yaml(mock: Mock) -> None:
    as_json = await (await mock.client.get("/hacienda/openapi.json")).json()
    as_yaml = yaml.safe_load(await (await mock.client.get("/hacienda/openapi.yaml")).text())
    assert as_json == as_yaml
    assert as_json["openapi"].startswith("3.1")
    assert "postRecepcion" in str(as_json)


async def test_real_hosts_route_without_the_mount(mock: Mock) -> None:
    idp = {"Host": "idp.comprobanteselectronicos.go.cr"}
    response = await mock.client.post(
        "/auth/realms/rut-stag/protocol/openid-connect/token",
        headers=idp,
        data={"grant_type": "password", "client_id": "api-stag", "username": "u", "password": "p"},
    )
    assert response.status == 200
    token = (await response.json())["access_token"]
    api = {"Host": "api.comprobanteselectronicos.go.cr", "Authorization": f"bearer {token}"}
    response = await mock.client.get("/recepcion-sandbox/v1/comprobantes", headers=api)
    assert response.status == 200
    assert (await mock.client.get("/__admin/health", headers=api)).status == 200
    # the control plane is neither journaled nor rate-limited as a provider call
    journal = await (await mock.client.get("/__admin/requests", headers=api)).json()
    assert all(not e["path"].startswith("/__admin") for e in journal["requests"])


async def test_unknown_path_under_the_mount_returns_404_in_hacienda_shape(mock: Mock) -> None:
    tokens = await login(mock)
    response = await mock.client.get(
        "/hacienda/recepcion/v1/nada", headers={"Authorization": f"bearer {tokens['access_token']}"}
    )
    assert response.status == 404
    assert "X-Error-Cause" in response.headers
