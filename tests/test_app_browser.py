"""A real Voila server driven by real headless Chromium (Playwright with Debian's chromium)."""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from vidensdata.app import voila_command, voila_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    from vidensdata.themes import serviceudvikling

    serviceudvikling.beregn()  # build the shared caches (extract, dataset, suppression) before kernels start
    port = _free_port()
    log = open(tmp_path_factory.mktemp("voila") / "voila.log", "w")
    proc = subprocess.Popen(voila_command(port), env=voila_env(), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("Voila did not start within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert os.path.exists(exe), "Debian's chromium is required (make test installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_landing_page_is_danish(voila_url, browser):
    page = browser.new_page()
    page.goto(voila_url + "/", wait_until="domcontentloaded")
    assert "apps om socialpsykiatri" in page.inner_text("h1")
    link = page.get_by_role("link", name="Udvikling i modtagere af sociale ydelser")
    assert link.count() == 1
    assert "Select items" not in page.content()
    page.close()


def test_changing_kommune_updates_key_figure(voila_url, browser):
    page = browser.new_page()
    # Voila streams the page while the notebook runs: wait for the key figure, not for the whole document
    page.goto(voila_url + "/voila/render/serviceudvikling.ipynb", wait_until="commit", timeout=120_000)
    figure = page.locator('[data-testid="noegletal-antal"]').first
    figure.wait_for(timeout=120_000)
    national = figure.inner_text()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", national), national  # Danish thousands separator
    assert "Syntetiske data (demo)" in page.inner_text("body")

    select = page.locator(".widget-dropdown select").first
    select.select_option(label="Aarhus")
    page.wait_for_function(
        """(old) => { const el = document.querySelector('[data-testid="noegletal-antal"]');
                      return el && el.innerText.trim() !== old; }""", arg=national, timeout=60_000)
    aarhus = page.locator('[data-testid="noegletal-antal"]').first.inner_text()
    assert aarhus != national
    assert int(aarhus.replace(".", "")) < int(national.replace(".", ""))
    body = page.inner_text("body")
    assert "Traceback" not in body and "visning = tema.visning" not in body
    page.close()


def test_maalgruppe_app_changes_kommune_and_registers(voila_url, browser):
    from vidensdata.themes import maalgruppe

    maalgruppe.beregn()  # warm the estimate caches before the kernel needs them
    page = browser.new_page()
    page.goto(voila_url + "/voila/render/maalgruppe.ipynb", wait_until="commit", timeout=120_000)
    figure = page.locator('[data-testid="noegletal-estimat"]').first
    figure.wait_for(timeout=120_000)
    national = figure.inner_text()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+ \(\d{1,3}(\.\d{3})+–\d{1,3}(\.\d{3})+\)", national), national
    assert "32.000–40.000" in page.inner_text("body") and "Syntetiske data (demo)" in page.inner_text("body")

    page.locator(".widget-dropdown select").first.select_option(label="Aarhus")
    page.wait_for_function(
        """(old) => { const el = document.querySelector('[data-testid="noegletal-estimat"]');
                      return el && el.innerText.trim() !== old; }""", arg=national, timeout=60_000)
    aarhus = page.locator('[data-testid="noegletal-estimat"]').first.inner_text()
    assert int(aarhus.split(" ")[0].replace(".", "")) < int(national.split(" ")[0].replace(".", ""))
    # one register only: a Danish message instead of a traceback
    page.locator(".widget-select-multiple select").last.select_option(label=["Psykiatrisk behandling"])
    page.get_by_text("Vælg mindst to registre").first.wait_for(timeout=60_000)
    assert "Traceback" not in page.inner_text("body")
    page.close()


def test_overdoedelighed_app_changes_kommune_and_sex(voila_url, browser):
    from vidensdata.themes import overdoedelighed

    overdoedelighed.beregn()  # warm the dataset and suppression caches before the kernel needs them
    page = browser.new_page()
    page.goto(voila_url + "/voila/render/overdoedelighed.ipynb", wait_until="commit", timeout=120_000)
    figure = page.locator('[data-testid="noegletal-smr"]').first
    figure.wait_for(timeout=120_000)
    national = figure.inner_text()
    assert re.fullmatch(r"\d,\d\d \(\d,\d\d–\d,\d\d\)", national), national  # Danish decimal comma and interval
    assert "Syntetiske data (demo)" in page.inner_text("body")

    page.locator(".widget-dropdown select").first.select_option(label="Aarhus")
    page.wait_for_function(
        """(old) => { const el = document.querySelector('[data-testid="noegletal-smr"]');
                      return el && el.innerText.trim() !== old; }""", arg=national, timeout=60_000)
    aarhus = page.locator('[data-testid="noegletal-smr"]').first.inner_text()
    lo, hi = re.findall(r"\((\d,\d\d)–(\d,\d\d)\)", aarhus)[0]
    nlo, nhi = re.findall(r"\((\d,\d\d)–(\d,\d\d)\)", national)[0]
    width = lambda a, b: float(b.replace(",", ".")) - float(a.replace(",", "."))  # noqa: E731
    assert width(lo, hi) > width(nlo, nhi)  # a kommune has a wider interval than the whole country
    page.locator(".widget-dropdown select").last.select_option(label="Kvinder")
    page.wait_for_function(
        """(old) => { const el = document.querySelector('[data-testid="noegletal-smr"]');
                      return el && el.innerText.trim() !== old; }""", arg=aarhus, timeout=60_000)
    body = page.inner_text("body")
    assert "kvinder" in body and "Traceback" not in body and "visning = tema.visning" not in body
    page.close()
