"""A hostile web page, in Debian's headless Chromium, against a developer's loopback mock (no admin
token): from another site it can neither change the mock (a form POST, a text/plain "simple" fetch, a
preflighted JSON fetch) nor read it; after DNS rebinding (its script running at the mock's own address
under its own name) every control call is refused; and the dashboard shows hostile names as text.
`evil.test` is mapped to 127.0.0.1 inside the browser only (`--host-resolver-rules`)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.test_dashboard import INVOICE, KEY, _call, _wait, serving

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
HOSTILE = '<img src=x onerror="window.pwned=1">'
RULE = {"provider": "tuimprenta", "operation": "createInvoice", "status": 500, "times": 5}
ATTACK = """<!doctype html><meta charset=utf-8><title>cute cats</title>
<iframe name=sink></iframe>
<script>
const mock = new URLSearchParams(location.search).get("mock");
const rule = JSON.stringify(%(rule)s);
async function attack() {
  const seen = {};
  const tries = {
    // a provider's API answers anyone (as the real one does): its journal shows the page reached the mock
    canary: () => fetch(mock + "/tuimprenta/v1/invoices?canary=1", {mode: "no-cors"}),
    plain: () => fetch(mock + "/__admin/scenarios", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body: rule}),
    empty: () => fetch(mock + "/__admin/reset", {method: "POST", mode: "no-cors"}),
    json: () => fetch(mock + "/__admin/scenarios", {method: "POST",
      headers: {"Content-Type": "application/json"}, body: rule}),
    state: async () => (await fetch(mock + "/__admin/state")).text(),
    journal: async () => (await fetch(mock + "/__admin/requests")).text(),
  };
  for (const [name, run] of Object.entries(tries)) {
    try { const got = await run(); seen[name] = typeof got === "string" ? got : "sent"; }
    catch (error) { seen[name] = "blocked"; }
  }
  for (const enctype of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]) {
    const form = document.createElement("form");
    Object.assign(form, {method: "POST", action: mock + "/__admin/reset", target: "sink", enctype});
    const field = document.createElement("input");
    Object.assign(field, {name: '{"provider":"tuimprenta","x', value: '":1}'});
    form.append(field);
    document.body.append(form);
    await new Promise(done => { document.querySelector("iframe").onload = done; form.submit(); });
  }
  window.seen = seen;
}
attack();
</script>"""


@pytest.fixture
def mock(tmp_path: Any) -> Iterator[str]:
    with serving(tmp_path, "tuimprenta") as base:
        yield base


@pytest.fixture
def evil_site() -> Iterator[int]:
    """A page on another site: `http://evil.test:<port>/` in the browser."""
    page = (ATTACK % {"rule": json.dumps(RULE)}).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser(tmp_path: Any) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--host-resolver-rules=MAP evil.test 127.0.0.1",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "chromedriver")
    )
    try:
        yield driver
    finally:
        driver.quit()


def _invoices(mock: str) -> list[str]:
    listed = _call(mock, "GET", "/tuimprenta/v1/invoices", headers={"Authorization": f"Bearer {KEY}"})
    return [i["id"] for i in listed["data"]]


def test_a_page_on_another_site_can_neither_change_nor_read_a_loopback_mock(
    mock: str, evil_site: int, browser: Any
) -> None:
    made = _call(mock, "POST", "/tuimprenta/v1/invoices", INVOICE, {"Authorization": f"Bearer {KEY}"})
    browser.get(f"http://evil.test:{evil_site}/?mock={urllib.parse.quote(mock)}")
    seen = _wait(browser, lambda d: d.execute_script("return window.seen"), timeout=20)
    # the reads were blocked by the browser (no CORS grant), so nothing of the state reached the page
    assert seen["state"] == "blocked" and seen["journal"] == "blocked", seen
    assert seen["json"] == "blocked"  # its preflight was not granted
    # and the writes that need no preflight reached the mock and were refused there
    assert _invoices(mock) == [made["id"]]
    assert _call(mock, "GET", "/__admin/scenarios")["rules"] == []
    # the page's requests did reach the mock: the provider journaled its canary
    journal = _call(mock, "GET", "/__admin/requests?limit=100")["requests"]
    assert [e["status"] for e in journal if e["query"].get("canary") == "1"] == [401]


def test_after_dns_rebinding_the_pages_own_origin_is_refused(mock: str, browser: Any) -> None:
    made = _call(mock, "POST", "/tuimprenta/v1/invoices", INVOICE, {"Authorization": f"Bearer {KEY}"})
    port = urllib.parse.urlsplit(mock).port
    browser.get(f"http://evil.test:{port}/")  # the attacker's name, now resolving to the mock
    script = """
      const done = arguments[arguments.length - 1];
      const json = {"Content-Type": "application/json"};
      Promise.all([
        fetch("/__admin/state").then(r => r.status),
        fetch("/__admin/requests").then(r => r.status),
        fetch("/__admin/reset", {method: "POST", headers: json, body: "{}"}).then(r => r.status),
        fetch("/__admin/ui").then(r => r.status),
      ]).then(done, e => done(String(e)));
    """
    statuses = browser.execute_async_script(script)
    assert statuses == [403, 403, 403, 403], statuses
    assert _invoices(mock) == [made["id"]]


def test_the_dashboard_renders_hostile_names_as_text(mock: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _call(mock, "POST", "/__admin/clocks", {"name": HOSTILE})
    inbox = urllib.parse.quote("<svg onload=window.pwned=2>", safe="")
    _call(mock, "POST", f"/__admin/inbox/{inbox}", {"note": "<script>window.pwned=3</script>"})
    query = urllib.parse.quote(HOSTILE)
    ti = {"Authorization": f"Bearer {KEY}"}
    _call(mock, "GET", f"/tuimprenta/v1/invoices?limit=5&q={query}", headers=ti)
    browser.get(f"{mock}/__admin/ui")
    _wait(browser, lambda d: "<svg onload=window.pwned=2>" in d.find_element(By.ID, "inboxes").text)
    _wait(browser, lambda d: HOSTILE in d.find_element(By.TAG_NAME, "body").text)
    assert browser.execute_script("return window.pwned") is None
    assert browser.find_elements(By.CSS_SELECTOR, "img[src=x], main svg, main script") == []
    # a refusal that echoes what was asked for is shown as text too
    browser.get(f"{mock}/__admin/ui?provider={query}")
    _wait(browser, lambda d: "unknown provider" in d.find_element(By.TAG_NAME, "body").text.lower())
    assert browser.execute_script("return window.pwned") is None
    assert browser.find_elements(By.CSS_SELECTOR, "img[src=x]") == []
