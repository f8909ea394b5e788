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


def _vaelg_geografi(page, navn: str) -> None:
    """Type a name into the geography search and press Enter (as a user does)."""
    box = page.get_by_role("combobox", name="Geografi", exact=True).first
    box.wait_for(timeout=120_000)  # the widgets come after the pre-rendered key figures (slow on a busy machine)
    box.fill(navn)
    box.press("Enter")


def test_landing_page_is_danish(voila_url, browser):
    page = browser.new_page()
    page.goto(voila_url + "/", wait_until="domcontentloaded")
    assert "apps om socialpsykiatri" in page.inner_text("h1")
    link = page.get_by_role("link", name="Udvikling i modtagere af sociale ydelser")
    assert link.count() == 1
    assert "Select items" not in page.content()
    page.close()


def test_landing_page_fits_a_phone(voila_url, browser):
    """The apps' landing page at 390 px: no horizontal scrolling of the page."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(voila_url + "/", wait_until="load")
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= 390, f"the apps' landing page is {width} px wide at 390 px"
    page.close()


def test_the_citation_links_to_the_view_from_the_pages_own_address(voila_url, browser):
    """"Sådan citerer du" carries an absolute link to the view; used in the app, it points at the page's own
    origin (the app template's script), keeping the view's query string."""
    from urllib.parse import parse_qs, urlsplit

    page = browser.new_page()
    page.goto(voila_url + "/voila/render/serviceudvikling.ipynb?geografi=L%C3%A6s%C3%B8&startaar=2016",
              wait_until="commit", timeout=120_000)
    page.locator('[data-testid="del-link"]').first.wait_for(timeout=120_000)  # the widgets are live
    link = page.locator('[data-testid="citer-link"]').first
    link.wait_for(state="attached", timeout=120_000)
    page.wait_for_function("() => (document.querySelector('[data-testid=\"citer\"]') || {}).innerText"
                           "?.includes('Læsø')", timeout=60_000)
    href = link.get_attribute("href")
    assert href.startswith("http") and "/voila/render/serviceudvikling.ipynb?" in href, href
    link.focus()
    here = urlsplit(link.get_attribute("href"))
    assert f"{here.scheme}://{here.netloc}" == voila_url
    assert here.path == "/voila/render/serviceudvikling.ipynb"
    query = parse_qs(here.query)
    assert query["geografi"] == ["Læsø"] and query["startaar"] == ["2016"], query
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

    _vaelg_geografi(page, "aarhus")  # the type-ahead search: any case
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

    _vaelg_geografi(page, "Aarhus")
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

    _vaelg_geografi(page, "Aarhus")
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
    # Kvinder hides what belongs to men: their life-years card and their table rows
    page.wait_for_function("() => !document.querySelector('[data-testid=\"noegletal-lyl-maend\"]')", timeout=60_000)
    assert page.locator('[data-testid="noegletal-lyl-kvinder"]').count() >= 1
    page.wait_for_function("""() => { const rows = [...document.querySelectorAll('table.vd-tabel tr')];
        return rows.length && rows.some(r => r.innerText.trim().startsWith('Kvinder'))
               && !rows.some(r => r.innerText.trim().startsWith('Mænd')); }""", timeout=60_000)
    page.close()


def test_a_changed_control_shows_a_busy_state_and_services_say_what_they_count(voila_url, browser):
    page = browser.new_page()
    page.goto(voila_url + "/voila/render/serviceudvikling.ipynb", wait_until="commit", timeout=120_000)
    page.locator('[data-testid="noegletal-antal"]').first.wait_for(timeout=120_000)
    page.locator('[data-testid="del-link"]').first.wait_for(timeout=120_000)  # the widgets are live
    # record every busy state the page shows (a recompute can be quick), then change a control
    page.evaluate("""() => { window.__busy = []; new MutationObserver(() => {
        const el = document.querySelector('[data-testid="opdaterer"]');
        if (el) window.__busy.push([el.innerText, el.getAttribute('aria-busy')]); })
        .observe(document.body, {childList: true, subtree: true}); }""")
    select = page.locator(".widget-select-multiple select").last
    select.select_option(value=[select.locator("option").nth(0).get_attribute("value"),
                                select.locator("option").nth(2).get_attribute("value")])
    page.wait_for_function("() => document.body.innerText.includes('ikke kun de valgte')", timeout=60_000)
    busy = page.evaluate("window.__busy")
    assert busy and busy[0][0].startswith("Opdaterer visningen") and busy[0][1] == "true", busy
    page.wait_for_function("() => !document.querySelector('[data-testid=\"opdaterer\"]')", timeout=60_000)
    label = page.locator('[data-testid="noegletal-antal"]').first.locator("xpath=..").inner_text()
    assert "alle 6 ydelser, ikke kun de valgte" in label, label
    page.close()


def _tab_til(page, js_predicate: str, max_tabs: int = 80) -> None:
    """Press Tab until the focused element satisfies ``js_predicate`` (a function of the element)."""
    for _ in range(max_tabs):
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({js_predicate})(el); }}"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"no focusable element matching {js_predicate} within {max_tabs} tabs")


def _vent_paa_omraade(page, tekst: str) -> None:
    page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=f"Område: {tekst}", timeout=60_000)


def test_add_two_kommuner_by_keyboard_alone(voila_url, browser):
    """Type, Enter chooses; type, Enter adds a kommune as a chip; Tab to a chip, Enter or Space removes it."""
    page = browser.new_page()
    page.goto(voila_url + "/voila/render/serviceudvikling.ipynb", wait_until="commit", timeout=120_000)
    page.locator('[data-testid="noegletal-antal"]').first.wait_for(timeout=120_000)
    page.locator("#loading").wait_for(state="detached", timeout=120_000)
    is_input = lambda label: (  # noqa: E731
        f"el => el.tagName === 'INPUT' && el.labels && el.labels[0] && el.labels[0].innerText.trim() === '{label}'")
    _tab_til(page, is_input("Geografi"))
    page.keyboard.press("Control+A")
    page.keyboard.type("aarhus")
    page.keyboard.press("Enter")
    _vent_paa_omraade(page, "Aarhus")
    page.keyboard.press("Tab")  # to "Læg en kommune til"
    _tab_til(page, is_input("Læg en kommune til (valgfrit)"))
    page.keyboard.type("skanderborg")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Skanderborg ×").wait_for(timeout=60_000)
    page.keyboard.type("odder kommune")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Odder ×").wait_for(timeout=60_000)
    _vent_paa_omraade(page, "Aarhus, Odder og Skanderborg")
    three = page.locator('[data-testid="noegletal-antal"]').first.inner_text()
    assert page.get_by_role("combobox", name="Geografi", exact=True).input_value() == "Aarhus"
    assert "Ctrl" not in page.inner_text("body")

    # remove Skanderborg: Tab to its chip, Enter
    _tab_til(page, "el => el.tagName === 'BUTTON' && el.innerText.trim() === 'Skanderborg ×'")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Skanderborg ×").wait_for(state="detached", timeout=60_000)
    _vent_paa_omraade(page, "Aarhus og Odder")
    two = page.locator('[data-testid="noegletal-antal"]').first.inner_text()
    assert int(two.replace(".", "")) < int(three.replace(".", ""))
    # remove Odder: Tab to its chip, Space
    _tab_til(page, "el => el.tagName === 'BUTTON' && el.innerText.trim() === 'Odder ×'")
    page.keyboard.press(" ")
    page.get_by_role("button", name="Odder ×").wait_for(state="detached", timeout=60_000)
    page.wait_for_function("() => /Område: Aarhus\\./.test(document.body.innerText)", timeout=60_000)
    assert "Traceback" not in page.inner_text("body")
    page.close()


def _tal(text: str) -> float:
    return float(text.replace(".", "").replace(",", ".").replace("%", "").strip())


def _decimals(text: str) -> int:
    return len(text.split(",")[1].rstrip(" %")) if "," in text else 0


def _verdict_from_card(card) -> tuple[str, set[str]]:
    """(data-sammenligning, the verdicts the card's CI and the country's value as shown allow).

    Where a bound as shown is within rounding of the country's value, both neighbouring verdicts are possible.
    """
    attr = card.get_attribute("data-sammenligning")
    value = card.locator('[data-testid]').first.inner_text()
    m = re.search(r"\(([\d.,]+)\s*%?–([\d.,]+)\s*%?\)", value)
    land = re.search(r"Hele landet: ([\d.,]+)", card.inner_text())
    if not m or not land:
        return attr, {"ikke-vurderet"}
    lo, hi, nat = _tal(m.group(1)), _tal(m.group(2)), _tal(land.group(1))
    tol = 0.5 * 10 ** -_decimals(m.group(1)) + 0.5 * 10 ** -_decimals(land.group(1))
    if lo - tol > nat:
        return attr, {"hoejere"}
    if hi + tol < nat:
        return attr, {"lavere"}
    if lo + tol < nat < hi - tol:
        return attr, {"som"}
    return attr, {"som", "hoejere" if abs(lo - nat) <= tol else "lavere"}


@pytest.mark.parametrize("app, testid", [("serviceudvikling", "noegletal-pr1000"),
                                         ("overdoedelighed", "noegletal-smr"),
                                         ("maalgruppe", "noegletal-pr1000")])
def test_key_figure_verdict_matches_the_ci_shown(voila_url, browser, app, testid):
    import importlib

    importlib.import_module(f"vidensdata.themes.{app}").beregn()  # warm the caches before the kernel needs them
    page = browser.new_page()
    page.goto(f"{voila_url}/voila/render/{app}.ipynb", wait_until="commit", timeout=120_000)
    page.locator(f'[data-testid="{testid}"]').first.wait_for(timeout=120_000)
    page.locator("#loading").wait_for(state="detached", timeout=120_000)
    assert page.locator("[data-sammenligning]").count() == 0  # the whole country is the counterpart itself
    seen = set()
    for navn in ("Aarhus", "København", "Læsø", "Skanderborg", "Samsø"):
        _vaelg_geografi(page, navn)
        _vent_paa_omraade(page, navn)
        card = page.locator(f'.vd-kort:has([data-testid="{testid}"])').first
        card.wait_for(timeout=60_000)
        attr, allowed = _verdict_from_card(card)
        assert attr in ("hoejere", "som", "lavere", "ikke-vurderet")
        assert attr in allowed, (navn, card.inner_text())
        words = {"hoejere": "Højere end landet", "som": "Som landet", "lavere": "Lavere end landet",
                 "ikke-vurderet": "Ikke vurderet"}[attr]
        assert words in card.inner_text()  # in words, never colour alone
        seen.add(attr)
    assert len(seen) >= 2, seen  # the kommuner chosen give different verdicts
    page.close()
