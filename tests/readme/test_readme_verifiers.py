"""The README's verification snippets ("Signed files and how to verify them") run as written on files the
mock served, and raise once one byte of the signed content changes."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest

from mockserver.providers.hacienda import sample
from tests.cli.process import ROOT
from tests.conftest import Mock, MockFactory
from tests.providers.bsale.conftest import Bsale, boleta
from tests.providers.hacienda.conftest import Hacienda, login

pytest.importorskip("xmlsec")
SECTION = re.search(
    r"## Signed files and how to verify them\n(.*?)\n## ", (ROOT / "README.md").read_text("utf-8"), re.S
)


def _snippets() -> list[str]:
    assert SECTION is not None
    return re.findall(r"```python\n(.*?)```", SECTION.group(1), re.S)


def _run(snippet: str, where: Path) -> None:
    here = os.getcwd()
    os.chdir(where)
    try:
        exec(compile(snippet, "README.md", "exec"), {})  # the README's own code
    finally:
        os.chdir(here)


@pytest.fixture
async def mock(make_mock: MockFactory) -> Mock:
    result: Mock = await make_mock(providers=("bsale", "hacienda"), lifecycle="immediate")
    return result


async def test_each_readme_snippet_verifies_what_the_mock_serves_and_refuses_a_changed_byte(
    mock: Mock, tmp_path: Path
) -> None:
    snippets = _snippets()
    assert len(snippets) == 3
    made = await Bsale(mock).create({**boleta(23438), "codeSii": 33, "clientId": 24})
    base = str(mock.client.make_url("")).rstrip("/")
    dte = await (await mock.client.get(made["urlXml"].replace(base, ""))).read()
    hacienda = Hacienda(mock, (await login(mock))["access_token"])
    s = sample.Sample()
    await hacienda.submit(s)
    await mock.advance(5)
    respuesta = base64.b64decode((await hacienda.status(s.clave))["respuesta-xml"])
    for name, content, change in (
        ("dte.xml", dte, (b"<TmstFirma>2", b"<TmstFirma>3")),
        ("respuesta.xml", respuesta, (b"<TotalFactura>1", b"<TotalFactura>2")),
    ):
        (tmp_path / name).write_bytes(content)
        for snippet in snippets:
            if name not in snippet:
                continue
            _run(snippet, tmp_path)  # as served: no exception
            (tmp_path / name).write_bytes(content.replace(*change))
            with pytest.raises(Exception):  # noqa: B017 - signxml's or xmlsec's own error
                _run(snippet, tmp_path)
            (tmp_path / name).write_bytes(content)
