"""The dashboard in Debian's headless Chromium, driven as a person would: a flow run through the API
appears live, a request opens, a replayed webhook shows its new delivery, a test clock advanced from
the page moves an entity's state, and a document's PDF opens. Screenshots land in build/screenshots/.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.process import ROOT, free_ports, running

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
SHOTS = ROOT / "build" / "screenshots"
KEY = "ti_test_dashboard_demo_0000000001"
BSALE = "dashboard-demo-token"
INVOICE = {
    "series": "A",
    "customer": {"name": "Cliente Demo", "tax_id": "J-12345678-4"},
    "items": [{"description": "Servicio", "qty": 1, "unit_price": 100.0}],
}


def _call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(base + path, data=data, method=method, headers=sent)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


@contextlib.contextmanager
def serving(tmp_path: Path, providers: str) -> Iterator[str]:
    """A mock of `providers` on loopback, no admin token (a developer's); its base URL."""
    port = free_ports()
    base = f"http://127.0.0.1:{port}"
    flags = ["--port", str(port), "--providers", providers, "--rate-limits", "off"]
    with running(flags, tmp_path / "mock.log", health=f"{base}/__admin/health"):
        yield base


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[str]:
    with serving(tmp_path, "bsale,tuimprenta") as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "chromedriver")
    )
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any, timeout: float = 15) -> Any:
    """Until `condition` holds; the panels re-render as events arrive, so an element may go stale."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (StaleElementReferenceException,)
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(condition)


def _click(driver: Any, selector: str) -> None:
    """Click the first element `selector` finds, again if a re-render took it away meanwhile."""
    from selenium.webdriver.common.by import By

    _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector).click() or True)


def _count(driver: Any, selector: str, containing: str) -> int:
    script = (
        "return [...document.querySelectorAll(arguments[0])]"
        ".filter(e => e.textContent.includes(arguments[1])).length"
    )
    return int(driver.execute_script(script, selector, containing))


def _shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_a_demo_flow_on_the_dashboard(mock: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    clock = _call(
        mock,
        "POST",
        "/__admin/clocks",
        {"name": "demo clock", "sandboxes": [{"provider": "tuimprenta", "tenant": KEY}]},
    )
    _call(
        mock,
        "POST",
        "/__admin/actions/tuimprenta/webhooks",
        {"tenant": KEY, "url": f"{mock}/__admin/inbox/demo"},
    )
    browser.get(f"{mock}/")
    browser.find_element(By.LINK_TEXT, "Open the dashboard").click()
    _wait(browser, lambda d: d.find_element(By.ID, "live").text == "live")

    # a flow through the API appears without a reload
    ti = {"Authorization": f"Bearer {KEY}"}
    batch = _call(mock, "POST", "/tuimprenta/v1/batches", {"payload": [INVOICE]}, ti)
    document = _call(
        mock,
        "POST",
        "/bsale/v1/documents.json",
        {"documentTypeId": 1, "officeId": 1, "details": [{"netUnitValue": 1000, "quantity": 1}]},
        {"access_token": BSALE},
    )
    _wait(browser, lambda d: "createBatch" in d.find_element(By.ID, "requests").text)
    _wait(browser, lambda d: batch["id"] in d.find_element(By.ID, "entities").text)
    shown = f'[data-entity="tuimprenta:{batch["id"]}"]'
    read = "return document.querySelector(arguments[0])?.textContent"
    assert _wait(browser, lambda d: d.execute_script(read, shown)) == "queued"  # its clock is frozen
    _shot(browser, "1-flow")

    # a request opens, with its credential masked
    def open_row(d: Any) -> bool:  # found and clicked in one go: a re-render between would lose the row
        rows = [r for r in d.find_elements(By.CSS_SELECTOR, "#requests li") if "createBatch" in r.text]
        return bool(rows) and rows[0].find_element(By.TAG_NAME, "summary").click() is None

    _wait(browser, open_row)
    opened = _wait(
        browser,
        lambda d: next(
            (
                r
                for r in d.find_elements(By.CSS_SELECTOR, "#requests details[open]")
                if "createBatch" in r.text
            ),
            None,
        ),
    )
    assert "Bearer ***" in opened.find_element(By.TAG_NAME, "pre").text
    _shot(browser, "2-request")

    # the test clock, advanced from the page: the batch completes and its webhook goes out
    form = browser.find_element(By.CSS_SELECTOR, 'form[data-action="clock"]')
    Select(form.find_element(By.NAME, "clock")).select_by_value(clock["id"])
    seconds = form.find_element(By.NAME, "advance")
    seconds.clear()
    seconds.send_keys("120")
    form.find_element(By.TAG_NAME, "button").click()
    _wait(
        browser,
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f'[data-entity="tuimprenta:{batch["id"]}"]').text == "completed"
        ),
    )
    _wait(browser, lambda d: "batch.completed" in d.find_element(By.ID, "deliveries").text)
    _shot(browser, "3-clock")

    # replay: a new delivery of the same event, with its own attempt
    press = (
        "const row = [...document.querySelectorAll('#deliveries li.delivery')]"
        ".find(li => li.querySelector('summary b').textContent === 'batch.completed');"
        "row.querySelector('button[data-post]').click(); return true"
    )
    _wait(browser, lambda d: d.execute_script(press))
    _wait(browser, lambda d: _count(d, "#deliveries li.delivery", "batch.completed") == 2)
    replayed = [
        d for d in _call(mock, "GET", "/__admin/webhooks")["deliveries"] if d["event"] == "batch.completed"
    ]
    assert len(replayed) == 2 and all(d["attempts"] for d in replayed)
    _shot(browser, "4-replay")

    # a document's PDF opens in the browser
    row = f'tr:has([data-entity="bsale:{document["id"]}"]) a'
    href = _wait(
        browser, lambda d: d.execute_script("return document.querySelector(arguments[0])?.href", row)
    )
    with urllib.request.urlopen(href, timeout=10) as response:
        assert response.read(5) == b"%PDF-"
    _click(browser, row)
    _wait(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(browser.window_handles[1])
    _wait(browser, lambda d: d.current_url == href)
    time.sleep(1)  # the viewer draws the page
    _shot(browser, "5-pdf")


def test_the_page_is_labelled_for_keyboards_and_screen_readers(mock: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{mock}/__admin/ui")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#controls form"))
    for field in browser.find_elements(By.CSS_SELECTOR, "input, select"):
        assert field.find_elements(By.XPATH, "ancestor::label"), field.get_attribute("outerHTML")
    assert browser.find_element(By.ID, "live").get_attribute("role") == "status"
    assert all(s.get_attribute("aria-labelledby") for s in browser.find_elements(By.TAG_NAME, "section"))
