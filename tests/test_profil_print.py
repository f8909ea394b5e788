"""The kommune profile's key figures come first: on screen before any map or chart, and on page 1 of the printed
PDF (printed by the runner's own headless Chromium, read back with pypdf)."""

import os
import re
import unicodedata

import pytest

from vidensdata import geography

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KOMMUNER = ("Læsø", "Aarhus", "Ringkøbing-Skjern", "København")


@pytest.fixture(scope="module")
def profiler(tmp_path_factory):
    """A few profiles written as the runner writes them and printed to PDF: {name: (html path, indicators)}."""
    from vidensdata.reporting import profil as side
    from vidensdata.reporting import provenance
    from vidensdata.themes import profil as beregning

    if not os.path.exists(side.CHROMIUM):
        pytest.fail("headless Chromium is needed (bash scripts/install-chromium.sh)")
    out = tmp_path_factory.mktemp("rapporter") / side.MAPPE
    out.mkdir()
    ctx, alle = side.context(), beregning.alle_kommuner()
    made = {}
    for navn in KOMMUNER:
        k = geography.resolve_one(navn)
        page, _ = side.side(k, alle[k.kode], provenance.record(ctx, side._parametre(k), "test", 0.0))
        path = out / f"{k.slug}.html"
        path.write_text(page, encoding="utf-8")
        made[navn] = (path, alle[k.kode])
    status = side.write_pdfs([p for p, _ in made.values()])
    assert status.startswith(f"PDF: {len(KOMMUNER)} profiles printed"), status
    return made


def _flad(text: str) -> str:
    """PDF text made comparable: ligatures split (NFKC: "ﬁ" -> "fi"), soft and non-breaking hyphens and minus signs
    as "-", and no whitespace at all (a table cell wraps anywhere in the PDF)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u00ad", "").replace("\u2011", "-").replace("\u2212", "-")
    return re.sub(r"\s+", "", text)


def _side_1(pdf) -> str:
    from pypdf import PdfReader

    return PdfReader(str(pdf)).pages[0].extract_text()


@pytest.mark.parametrize("navn", KOMMUNER)
def test_printed_page_one_holds_the_key_figures(profiler, navn):
    path, indikatorer = profiler[navn]
    side_1 = _flad(_side_1(path.with_suffix(".pdf")))
    region = geography.region_of(geography.resolve_one(navn).kode).navn
    assert _flad(f"Kommuneprofil: {navn}") in side_1 and _flad("Hovedtal") in side_1
    assert _flad(region) in side_1 and _flad("Hele landet") in side_1
    assert len(indikatorer) == 3
    for i in indikatorer:
        for shown in (i.label, i.tekst(), i.tal(i.region), i.tal(i.land), i.vurdering_tekst, i.udvikling_tekst):
            assert _flad(shown) in side_1, (navn, i.tema, shown, _side_1(path.with_suffix(".pdf"))[:1500])
    assert "Omrapporten" not in side_1  # the provenance starts on a later page


def test_normalising_pdf_text():
    assert _flad("Kommunepro\ufb01l: L\u00e6s\u00f8\n(95 %-\nKI) \u22120,9") == "Kommuneprofil:Læsø(95%-KI)-0,9"


@pytest.mark.parametrize("width", [1280, 390])
def test_key_figures_come_before_any_chart_on_screen(profiler, browser, width):
    path, _ = profiler["Ringkøbing-Skjern"]
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    tabel = page.locator("section.vd-profil table")
    # first in the document: no figure, svg or image before the table
    assert page.evaluate("""() => {
        const t = document.querySelector('section.vd-profil table');
        return [...document.querySelectorAll('figure, svg, img, canvas')]
            .every(f => t.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    kort = page.locator("figure.vd-landkort")
    assert tabel.bounding_box()["y"] + tabel.bounding_box()["height"] <= kort.bounding_box()["y"]
    assert tabel.bounding_box()["y"] < 900  # on the first screen
    # nothing wider than the screen, and no cell or scroll box cut short (the table scrolls in its own box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    klippet = page.evaluate("""() => [...document.querySelectorAll(
            'section.vd-profil .vd-tabel-rul, section.vd-profil td, section.vd-profil th, section.vd-profil td>span')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(e => e.textContent)""")
    assert not klippet, klippet
    page.close()
