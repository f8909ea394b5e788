"""The kernel-less app page ``vis/<tema>`` (issue 19, item 1): a view straight from the view cache.

Unit level: the page reads a query string exactly as an app kernel reads a deep link (same cache folder),
shows every section the notebook shows, and refuses (IkkeICache) a view that is not completely cached.
Server level (the served Voila configuration): 200 with gzip, a 303 to the app for a view that must be
computed, the Danish 404 for an unknown theme, a Danish message for a bad field, no kernel started.
"""

from __future__ import annotations

import base64
import gzip
import os
import re
import urllib.error
import urllib.request

import psutil
import pytest

from vidensdata import app_vis
from vidensdata.presentation import visningscache
from vidensdata.presentation.temaer import tegning
from vidensdata.presentation.widgets import IkkeICache
from vidensdata.themes import TEMAER

def _kernel_folder(navn: str, query: str):
    """The cache folder an app kernel shows for a deep link (a kernel started for the request: the query string
    in its environment, as Voila gives it)."""
    tema = TEMAER[navn]
    old = {k: os.environ.get(k) for k in ("QUERY_STRING", "VOILA_PREHEAT")}
    os.environ["QUERY_STRING"], os.environ["VOILA_PREHEAT"] = query, "False"
    try:
        v = tegning(tema).visning(**tema.standardvaerdier(), interaktiv=True)
    finally:
        for k, val in old.items():
            os.environ.pop(k, None) if val is None else os.environ.__setitem__(k, val)
    return v.fra_cache()[0], v.link.besked


@pytest.mark.parametrize("navn", list(TEMAER))
def test_the_page_shows_the_view_an_app_kernel_shows(cached_views, navn):
    for query in ("", "geografi=Aarhus", "geografi=751", "geografi=Aarhus&ukendt=1", "geografi=Findesikke"):
        valgt = app_vis.vaelg(navn, query)
        mappe, besked = _kernel_folder(navn, query)
        assert valgt.mappe == mappe, query
        assert valgt.besked == besked, query
    assert app_vis.vaelg(navn, "geografi=Aarhus").valgte["geografi"] == "Aarhus"
    assert "ukendt" in app_vis.vaelg(navn, "geografi=Aarhus&ukendt=1").besked


@pytest.mark.parametrize("navn", list(TEMAER))
def test_every_section_the_notebook_shows_is_on_the_page(cached_views, navn):
    """The notebook's calls to ``visning.vis``/``visning.download`` are the sections a report run stores, in order,
    and each is on the page, with the notebook's headings."""
    parts = app_vis.dele(TEMAER[navn].notebook)
    antal = sum(p.art == "sektion" for p in parts)
    valgt = app_vis.vaelg(navn, "geografi=Aarhus")
    stored = sorted(int(f.name.split(".")[0]) for f in valgt.mappe.iterdir())
    assert stored == list(range(antal))
    assert [p.art for p in parts].count("kontroller") == 1
    page = app_vis.side(navn, "geografi=Aarhus")
    figures = 0
    for n in range(antal):
        shown = visningscache.read(valgt.mappe, n)
        assert app_vis.figurer_ud(shown, navn, valgt.mappe.name, n) in page
        # each inline figure becomes an address that gives back exactly its bytes
        for k, (_, data) in enumerate(app_vis._SVG_URI.findall(shown)):
            assert app_vis.figur(navn, valgt.mappe.name, n, k) == base64.b64decode(data)
            assert f"/vis/figur/{navn}/{valgt.mappe.name}/{n}/{k}.svg" in page
            figures += 1
        assert app_vis.figur(navn, valgt.mappe.name, n, len(app_vis._SVG_URI.findall(shown))) is None
    assert figures >= 4 and "data:image/svg+xml" not in page and 'loading="lazy"' in page
    assert app_vis.figur(navn, "0" * 16, 1, 0) is None and app_vis.figur(navn, "../x", 1, 0) is None
    assert 'data-testid="noegletal-' in page and "Metode og kilder" in page and "anchor-link" not in page
    assert "Syntetiske data (demo)" in page  # synthetic data is labelled here too
    assert page.index('data-testid="noegletal-') < page.index("Metode og kilder")


def test_a_view_not_completely_cached_goes_to_the_app(cached_views):
    with pytest.raises(IkkeICache):
        app_vis.side("serviceudvikling", "geografi=Aarhus&startaar=2017")  # nobody drew it
    with pytest.raises(IkkeICache):
        app_vis.side("serviceudvikling", "geografi=Vejle")
    valgt = app_vis.vaelg("serviceudvikling", "geografi=Aarhus")
    section = valgt.mappe / "3.html.z"
    data = section.read_bytes()
    section.unlink()
    try:
        with pytest.raises(IkkeICache):  # a partial view is never shown as if it were whole
            app_vis.side("serviceudvikling", "geografi=Aarhus")
    finally:
        section.write_bytes(data)
    assert app_vis.side("serviceudvikling", "geografi=Aarhus")
    with pytest.raises(KeyError):
        app_vis.side("findesikke", "")


def test_the_form_holds_the_choice_and_escapes_what_it_echoes(cached_views):
    import dataclasses

    valgt = app_vis.vaelg("serviceudvikling", "geografi=Aarhus")
    form = app_vis.formular("serviceudvikling", dataclasses.replace(
        valgt, valgte={**valgt.valgte, "ydelser": ["§85", "§107"], "startaar": 2016}))
    assert 'name="geografi"' in form and 'value="Aarhus"' in form and 'list="vd-geografi-liste"' in form
    assert '<option value="Bornholm">' in form and '<option value="Region Midtjylland">' in form
    assert 'value="§85" checked' in form and 'value="§107" checked' in form and 'value="§108">' in form
    assert '<option value="2016" selected>' in form
    # on to the app with the same choice
    assert 'voila/render/serviceudvikling.ipynb?geografi=Aarhus&amp;startaar=2016' in form
    bad = app_vis.side("serviceudvikling", "geografi=Aarhus&%3Cscript%3Ealert(1)%3C/script%3E=1")
    assert "<script>alert" not in bad and "Linket kunne ikke bruges helt" in bad


def _get(url: str, gz: bool = True):
    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gz else {})
    try:
        with urllib.request.build_opener(Stop).open(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _kernels() -> int:
    n = 0
    for p in psutil.Process().children(recursive=True):
        try:
            n += "ipykernel_launcher" in " ".join(p.cmdline())
        except psutil.Error:
            continue
    return n


def test_the_server_serves_the_page_without_a_kernel(tuned_voila, cached_views):
    url, _ = tuned_voila
    before = _kernels()
    for _ in range(10):
        status, headers, body = _get(url + "/vis/serviceudvikling?geografi=Aarhus")
        assert status == 200 and headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body).decode("utf-8")
    assert 'data-testid="noegletal-' in text and 'lang="da"' in text
    status, headers, plain = _get(url + "/vis/overdoedelighed/", gz=False)
    assert status == 200 and headers.get("Content-Encoding") is None and b"noegletal-" in plain
    assert _kernels() <= before  # no kernel was started for any of these pages
    # its figures: immutable addresses, an SVG that may run nothing
    figur = re.search(r'src="(/vis/figur/[^"]+\.svg)"', text).group(1)
    status, headers, svg = _get(url + figur)
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    assert gzip.decompress(svg).startswith(b"<?xml") and "immutable" in headers["Cache-Control"]
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    for bad in (figur.replace(".svg", "9.svg"), figur.rsplit("/", 3)[0] + "/0/0.svg",
                "/vis/figur/findesikke/abcdef0123456789/1/0.svg", "/vis/figur/serviceudvikling/xyz/1/0.svg"):
        status, _, body = _get(url + bad)
        assert status == 404 and "Siden findes ikke" in body.decode("utf-8"), bad
    # not cached: to the app, with the same choice
    status, headers, _ = _get(url + "/vis/serviceudvikling?geografi=Vejle&startaar=2016")
    assert status == 303
    assert headers["Location"] == "/voila/render/serviceudvikling.ipynb?geografi=Vejle&startaar=2016"
    # an unknown theme: the Danish 404 page, no path
    for path in ("/vis/findesikke", "/vis/../etc/passwd", "/vis/Serviceudvikling"):
        status, _, body = _get(url + path)
        assert status == 404 and "Siden findes ikke" in body.decode("utf-8"), path
    # a bad field is named in Danish; the rest of the link is used
    status, _, body = _get(url + "/vis/maalgruppe?geografi=Aarhus&aar=1850")
    text = gzip.decompress(body).decode("utf-8")
    assert status == 200 and "er ikke et gyldigt valg. aar blev udeladt" in text and 'value="Aarhus"' in text


def test_the_landing_page_opens_the_kernel_less_page(tuned_voila):
    url, _ = tuned_voila
    status, _, body = _get(url + "/", gz=False)
    text = body.decode("utf-8")
    for navn in TEMAER:
        assert f'href="/vis/{navn}"' in text and f'href="/voila/render/{navn}.ipynb"' in text


@pytest.mark.browser
def test_a_kommune_leader_finds_her_kommune_on_a_phone(tuned_voila, cached_views, browser):
    """390 px: the key figures of the whole country; type a kommune, Enter: its page (a link); every figure
    loads when scrolled to; nothing wider than the screen; a choice nobody has computed goes on to the live app,
    which computes it."""
    url, _ = tuned_voila
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(url + "/vis/serviceudvikling", wait_until="load")
    key = page.locator('[data-testid^="noegletal-"]').first
    assert key.is_visible() and key.bounding_box()["y"] < 800  # on the first screen of a phone
    search = page.get_by_role("combobox", name="Geografi", exact=True)
    search.fill("Aarhus")
    with page.expect_navigation():
        search.press("Enter")
    assert "geografi=Aarhus" in page.url
    assert "Område: Aarhus" in page.locator("main").inner_text()
    page.evaluate("async () => { for (let y = 0; y < document.body.scrollHeight; y += 300) {"
                  " window.scrollTo(0, y); await new Promise(r => setTimeout(r, 50)); } }")
    page.wait_for_timeout(500)
    broken = page.evaluate("[...document.images].filter(i => !i.closest('details:not([open])'))"
                           ".filter(i => !i.complete || !i.naturalWidth).map(i => i.currentSrc)")
    assert broken == [] and page.evaluate("document.images.length") >= 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_text("Flere valg: år og ydelser").click()
    page.get_by_label("År: fra").select_option("2017")
    with page.expect_navigation():
        page.get_by_role("button", name="Vis").click()
    assert "/voila/render/serviceudvikling.ipynb?" in page.url and "startaar=2017" in page.url
    page.wait_for_function("() => document.body.innerText.includes('Ændring 2017–2024')", timeout=180_000)
    page.close()
