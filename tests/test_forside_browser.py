"""The reports' landing page and a kommune profile in headless Chromium: search, maps, axe-core (WCAG 2.1 A/AA)."""

import json
import os
import re

import pytest

from vidensdata import geography, report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = os.path.join(os.path.dirname(__file__), "a11y", "node_modules", "axe-core", "axe.min.js")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    summary = report.run(None, ["Hele landet", "Læsø", "Aarhus"], workers=2, output=out, progress=False,
                         profiles=True)
    assert not summary.failed
    return out, summary


@pytest.fixture(scope="module")
def forside_alene(tmp_path_factory):
    """The landing page alone (its search needs no reports)."""
    from vidensdata.reporting import forside

    out = tmp_path_factory.mktemp("forside")
    (out / "index.html").write_text(forside.side(out), encoding="utf-8")
    return out / "index.html"


def test_each_theme_report_of_a_kommune_holds_a_map_of_all_98(made, browser):
    out, _ = made
    koder = sorted(g.kode for g in geography.kommuner())
    page = browser.new_page()
    for tema in ("serviceudvikling", "overdoedelighed", "maalgruppe"):
        text = (out / tema / "laesoe.html").read_text(encoding="utf-8")
        assert sorted(set(re.findall(r'<a [^>]*data-kommune-kode="(\d{3})"', text))) == koder
        page.goto((out / tema / "laesoe.html").as_uri())
        links = page.locator("figure.vd-landkort svg a[data-kommune-kode]")
        assert links.count() == 98, tema
        assert links.evaluate_all("as => as.every(a => a.getAttribute('aria-label') && a.querySelector('title'))")
        assert page.locator('figure.vd-landkort a[data-kommune-kode="751"]').get_attribute("href") == "aarhus.html"
        assert page.locator("figure.vd-landkort .vd-kort-valgt").count() == 1  # Læsø outlined
        assert "Kommunegrænser: DAGI" in page.locator("figure.vd-landkort").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.close()


def test_profiles_html_and_pdf_and_audit(made):
    from vidensdata import audit

    out, summary = made
    assert "kommune profiles" in summary.text()
    assert len(list((out / "profil").glob("*.html"))) == 98
    pdf = out / "profil" / "laesoe.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    result = audit.audit(out)
    assert result.ok, result.summary()


@pytest.mark.parametrize("typed, how", [("læsø", "click"), ("LAESOE kommune", "enter")])
def test_type_laesoe_and_reach_its_profile(made, browser, typed, how):
    out, _ = made
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto((out / "index.html").as_uri())
    page.get_by_label("Skriv et navn").fill(typed)
    first = page.locator("#vd-hits a.vd-hit-navn").first
    assert first.inner_text() == "Læsø Kommune"
    if how == "click":
        first.click()
    else:
        page.get_by_label("Skriv et navn").press("Enter")
    page.wait_for_url("**/profil/laesoe.html")
    assert page.locator("h1").inner_text() == "Kommuneprofil: Læsø"
    verdicts = page.locator("tbody tr[data-sammenligning]").evaluate_all("rs => rs.map(r => r.dataset.sammenligning)")
    assert len(verdicts) == 3 and set(verdicts) <= {"hoejere", "som", "lavere", "ikke-vurderet"}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_search_finds_regions_and_the_country_in_any_spelling(made, browser):
    out, _ = made
    page = browser.new_page()
    page.goto((out / "index.html").as_uri())
    box = page.get_by_label("Skriv et navn")
    for typed, expected in [("region sjaelland", "Region Sjælland"), ("hele landet", "Hele landet"),
                            ("århus", "Aarhus Kommune"), ("HOVEDSTADEN", "Region Hovedstaden")]:
        box.fill(typed)
        assert page.locator("#vd-hits a.vd-hit-navn").first.inner_text() == expected, typed
    box.fill("atlantis")
    assert "Ingen områder" in page.locator("#vd-soeg-status").inner_text()
    page.close()


@pytest.mark.parametrize("typed, expected", [
    ("Københavns Kommune", "København Kommune"), ("KØBENHAVNS KOMMUNE", "København Kommune"),
    ("koebenhavns kommune", "København Kommune"), ("Bornholms Regionskommune", "Bornholm Kommune"),
    ("Bornholms Kommune", "Bornholm Kommune"), ("bornholms regionskommune", "Bornholm Kommune"),
    ("Frederiksbergs Kommune", "Frederiksberg Kommune"), ("Læsøs Kommune", "Læsø Kommune"),
    ("Aarhus Kommune", "Aarhus Kommune"), ("Horsens Kommune", "Horsens Kommune"),
    ("Vesthimmerland Kommune", "Vesthimmerlands Kommune"), ("Aarhus' Kommune", "Aarhus Kommune"),
])
def test_search_finds_official_and_genitive_names(browser, forside_alene, typed, expected):
    """The landing page's type-ahead reads names as the package's resolver does (no reports needed)."""
    assert geography.resolve_one(typed).navn + " Kommune" == expected  # the same answer as the package
    page = browser.new_page()
    page.goto(forside_alene.as_uri())
    page.get_by_label("Skriv et navn").fill(typed)
    assert page.locator("#vd-hits a.vd-hit-navn").first.inner_text() == expected
    page.close()


@pytest.mark.parametrize("path", ["index.html", "profil/laesoe.html", "serviceudvikling/laesoe.html",
                                  "overdoedelighed/hele-landet.html", "maalgruppe/aarhus.html"])
@pytest.mark.parametrize("width", [1280, 390])
def test_no_wcag_violations_and_no_horizontal_scroll(made, browser, path, width):
    out, _ = made
    assert os.path.exists(AXE), "axe-core is missing: run `make test` (npm ci in tests/a11y)"
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((out / path).as_uri())
    if path == "index.html":
        page.get_by_label("Skriv et navn").fill("læsø")  # the hits are part of the page too
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.add_script_tag(path=AXE)
    found = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations.map(v =>
             ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))}))""", TAGS)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
    page.close()


PHONE_PAGES = ["index.html", "profil/laesoe.html"] + [
    f"{tema}/{slug}.html" for tema in ("serviceudvikling", "overdoedelighed", "maalgruppe")
    for slug in ("hele-landet", "laesoe")]


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_pages_work_on_a_phone_and_speak_plainly(made, browser, path):
    """Issue 15: at 390 px no sideways scrolling of the page (wide tables scroll in their own box), the first
    key figure on the first screen, no text under 11 px, no raw LaTeX, generator seed or "¶" in the text, and no
    statistical jargon before the method section."""
    out, _ = made
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((out / path).as_uri(), wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    text = page.inner_text("body")
    assert not re.search(r"\$[^$]*\\[a-z]+", text), path  # raw LaTeX such as $N \approx …$
    assert "seed" not in text.lower() and "¶" not in text, path
    assert "base64," not in text, path  # a download or figure shown as text
    tiny = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(el =>
        [...el.childNodes].some(c => c.nodeType === 3 && c.textContent.trim()) && el.getClientRects().length
        && parseFloat(getComputedStyle(el).fontSize) < 11).map(el => el.tagName + ' ' + el.textContent.slice(0, 40))""")
    assert not tiny, tiny[:5]
    if path.split("/")[0] in ("serviceudvikling", "overdoedelighed", "maalgruppe"):
        top = page.locator('[data-testid^="noegletal-"]').first.evaluate("el => el.getBoundingClientRect().top")
        assert top < 844, (path, top)  # the first key figure is on the first screen
        # figures have a phone version: the <picture> source for narrow screens is the one shown
        shown = page.locator("figure.vd-figur picture img").first.evaluate("img => img.currentSrc")
        narrow = page.locator("figure.vd-figur picture source").first.get_attribute("srcset")
        assert shown == narrow
    # plain Danish for leaders: model choice, tests and interval methods only under the heading "Metode og
    # kilder" (or one click away in a closed "Sådan er intervallet beregnet"), never in the main text: the
    # rendered text of everything before that heading (the phrase itself also occurs earlier, in source lines)
    hoved = page.evaluate(METODE_FOER)
    if path.split("/")[0] in ("serviceudvikling", "overdoedelighed", "maalgruppe"):
        assert hoved is not None, (path, "no heading 'Metode og kilder'")
        assert len(hoved) > 500, (path, hoved)  # the main text is there
    jargon = [t for t in JARGON if t.lower() in (hoved if hoved is not None else text).lower()]
    assert not jargon, (path, jargon)
    page.close()


JARGON = ("AIC", "p-værdi", "p = ", "deviance", "likelihood", "frihedsgrad", "kvasi", "small area", "Poisson",
          "Garwood")
# the rendered text before the method section's heading (null without one); cuts the rest off the page
METODE_FOER = """() => {
    const h = [...document.querySelectorAll('h1, h2, h3')]
        .find(e => e.textContent.trim().startsWith('Metode og kilder'));
    if (!h) return null;
    const r = document.createRange();
    r.setStartBefore(h);
    r.setEndAfter(document.body.lastChild);
    r.deleteContents();
    return document.body.innerText;
}"""


def test_the_jargon_check_reads_up_to_the_method_heading(made, browser):
    """The check above can fail: the method section of a target-group report does name AIC and Poisson."""
    out, _ = made
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto((out / "maalgruppe/hele-landet.html").as_uri(), wait_until="load")
    whole = page.inner_text("body")
    hoved = page.evaluate(METODE_FOER)
    assert "Metode og kilder" in hoved  # the phrase occurs before the heading, in source lines
    assert len(hoved) < len(whole)
    assert [t for t in JARGON if t.lower() in whole.lower()]
    page.close()
