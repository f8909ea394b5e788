"""Accessibility: axe-core (from the npm registry, tests/a11y/package.json) inside headless Chromium finds no
WCAG 2.1 A/AA violation on the landing page, the error page and every theme app (served configuration)."""

import json
import shutil
import os

import pytest

from vidensdata.config import paths

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = os.path.join(os.path.dirname(__file__), "a11y", "node_modules", "axe-core", "axe.min.js")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
APPS = sorted(p.name for p in paths().themes.glob("*.ipynb") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def page_factory():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(AXE), "axe-core is missing: run `make test` (npm ci in tests/a11y)"
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b.new_page
        b.close()


def _violations(page) -> list[dict]:
    page.add_script_tag(path=AXE)
    found = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations.map(v =>
             ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))}))""", TAGS)
    return found


def test_landing_and_error_pages(tuned_voila, page_factory):
    url, _ = tuned_voila
    for path in ("/", "/voila/render/findesikke.ipynb"):
        page = page_factory()
        page.goto(url + path, wait_until="load")
        assert page.evaluate("document.documentElement.lang") == "da"
        v = _violations(page)
        assert v == [], json.dumps(v, ensure_ascii=False, indent=1)
        page.close()


#: Elements that reach past the right edge of a ``w`` px wide screen, except inside a table's own scroll box
#: (``publish.rulle``): on a phone those are cut off (Jupyter's output areas clip or scroll them).
WIDE_JS = """(w) => [...document.querySelectorAll('#rendered_cells *')].filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || r.right <= w + 1) return false;
    const box = el.closest('.vd-tabel-rulle');
    return !box || box.getBoundingClientRect().right > w + 1;
}).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right)).slice(0, 5)"""


def _warm(app: str):
    import importlib

    importlib.import_module(f"vidensdata.themes.{app.removesuffix('.ipynb')}").beregn()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("app", APPS)
def test_every_app_has_no_wcag_violations(tuned_voila, page_factory, app, width):
    """At a desktop width and on a phone (390 px, issue 15): no WCAG 2.1 A/AA violation, and on the phone no
    sideways scrolling of the page (wide tables scroll inside their own box)."""
    url, _ = tuned_voila
    _warm(app)
    page = page_factory(viewport={"width": width, "height": 900})
    # two kommuner: the geography search, a removable chip, verdicts on the cards and the compare view
    page.goto(f"{url}/voila/render/{app}?geografi=Aarhus,Skanderborg", wait_until="commit", timeout=180_000)
    page.locator('[data-testid^="noegletal-"]').first.wait_for(timeout=180_000)
    page.locator("#loading").wait_for(state="detached", timeout=180_000)  # every cell rendered
    page.get_by_role("button", name="Skanderborg ×").wait_for(timeout=60_000)
    page.locator("[data-sammenligning]").first.wait_for(timeout=60_000)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")  # all 98 too
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.lang") == "da"
    # every widget labelled: a visible description and an accessible name
    controls = page.locator(".widget-dropdown select, .widget-select-multiple select, input[list]")
    assert controls.count() >= 3
    for i in range(controls.count()):
        name = controls.nth(i).evaluate("el => (el.labels && el.labels[0] && el.labels[0].innerText)"
                                        " || el.getAttribute('aria-label') || ''")
        assert name.strip(), f"control {i} of {app} has no label"
    # plots have a text alternative
    for img in page.locator("img").all():
        assert (img.get_attribute("alt") or "").strip()
    wide = page.evaluate(WIDE_JS, width)
    assert wide == [], (app, width, wide)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, app
    v = _violations(page)
    assert v == [], json.dumps(v, ensure_ascii=False, indent=1)
    page.close()


def test_deep_link_selects_the_view_and_a_bad_link_says_so_in_danish(tuned_voila, page_factory):
    url, _ = tuned_voila
    page = page_factory()
    page.goto(f"{url}/voila/render/serviceudvikling.ipynb?geografi=Aarhus&startaar=2016", wait_until="commit",
              timeout=180_000)
    page.locator('[data-testid="noegletal-aendring"]').first.wait_for(timeout=180_000)
    # a preheated kernel shows the default view first and switches when the link arrives (computed live)
    page.wait_for_function("() => document.body.innerText.includes('Område: Aarhus')", timeout=60_000)
    assert page.get_by_role("combobox", name="Geografi", exact=True).input_value() == "Aarhus"
    body = page.inner_text("body")
    assert "Område: Aarhus" in body and "Ændring 2016–2024" in body
    assert page.locator('[data-testid="del-link"]').first.get_attribute("href").startswith(
        "?geografi=Aarhus&startaar=2016")
    page.close()

    page = page_factory()
    page.goto(f"{url}/voila/render/serviceudvikling.ipynb?geografi=Atlantis", wait_until="commit", timeout=180_000)
    page.locator('[data-testid="noegletal-antal"]').first.wait_for(timeout=180_000)
    alert = page.locator('[role="alert"]').first.inner_text()
    assert "Linket kunne ikke bruges" in alert and "Atlantis" in alert and "Standardvisningen" in alert
    assert "Område: Hele landet" in page.inner_text("body")
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("app", APPS)
def test_the_kernel_less_pages_have_no_wcag_violations(tuned_voila, cached_views, page_factory, app, width):
    """``vis/<tema>`` (the kernel-less page): no WCAG 2.1 A/AA violation at 1280 px and on a phone, every form
    control labelled, no sideways scrolling, with the folded choices open."""
    url, _ = tuned_voila
    page = page_factory(viewport={"width": width, "height": 900})
    page.goto(f"{url}/vis/{app.removesuffix('.ipynb')}?geografi=Aarhus", wait_until="load")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.evaluate("async () => { for (let y = 0; y < document.body.scrollHeight; y += 400) {"
                  " window.scrollTo(0, y); await new Promise(r => setTimeout(r, 30)); } }")
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.lang") == "da"
    for control in page.locator("form.vd-valg input, form.vd-valg select").all():
        name = control.evaluate("el => (el.labels && el.labels[0] && el.labels[0].innerText) || ''")
        assert name.strip(), control.evaluate("el => el.outerHTML")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    v = _violations(page)
    assert v == [], json.dumps(v, ensure_ascii=False, indent=1)
    page.close()
