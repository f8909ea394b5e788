"""Charts on report pages and phones, as Chromium renders them (issue 15, items 3 and 7): the smallest chart text
is at least 12 px at 1280 and 390 px, legends sit right of the chart on a wide screen and below it on a phone, and
no page (the landing page, a report of each theme, a kommune profile) tries a request that leaves loopback.

The figures are SVG images: each one the browser chose (``currentSrc``: the phone version at <= 600 px) is parsed
into the page at the size it is shown, and every text's font size is measured through its screen transform."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest
from _browser import besoeg_uden_net

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TEMAER = ("serviceudvikling", "overdoedelighed", "maalgruppe")
MIN_PX = 12

#: Per figure shown: its width, the smallest text (CSS px) and which text, whether the phone version was chosen,
#: and where each legend sits against its axes ("right", "below" or "other").
MAAL = """async () => {
  const out = [];
  for (const img of document.querySelectorAll('figure.vd-figur img')) {
    if (!img.complete) await new Promise(r => { img.onload = r; img.onerror = r; });
    const src = img.currentSrc || img.src;
    const bytes = Uint8Array.from(atob(src.split('base64,')[1]), c => c.charCodeAt(0));
    const w = img.getBoundingClientRect().width;
    const box = document.createElement('div');
    box.style.cssText = 'position:absolute;left:0;top:0;visibility:hidden';
    box.innerHTML = new TextDecoder().decode(bytes);
    document.body.appendChild(box);
    const svg = box.querySelector('svg');
    const vb = svg.viewBox.baseVal;
    svg.setAttribute('width', w);
    svg.setAttribute('height', w * vb.height / vb.width);
    let min = Infinity, which = '';
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      const m = t.getScreenCTM();
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
      if (px < min) { min = px; which = t.textContent; }
    }
    const legends = [];
    for (const ax of svg.querySelectorAll('g[id^="axes_"]')) {
      const patch = ax.querySelector(':scope > g[id^="patch_"]');
      const leg = ax.querySelector(':scope > g[id^="legend_"]');
      if (!patch || !leg) continue;
      const a = patch.getBoundingClientRect(), l = leg.getBoundingClientRect();
      legends.push(l.left >= a.right - 1 ? 'right' : l.top >= a.bottom - 1 ? 'below' : 'other');
    }
    box.remove();
    out.push({w: w, min: min, which: which, narrow: src !== img.src, legends: legends});
  }
  return out;
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One report of each theme (Læsø), the kommune profiles and the landing page, served on loopback."""
    from vidensdata import report
    from vidensdata.reporting import profil

    out = tmp_path_factory.mktemp("sider")
    summary = report.run(list(TEMAER), ["Læsø"], workers=1, output=out, progress=False)
    assert not summary.failed
    profil.skriv(out)
    report.write_index(out)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _figures(browser, url: str, width: int) -> list[dict]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(url, wait_until="load")
    figures = page.evaluate(MAAL)
    page.close()
    return figures


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("tema", TEMAER)
def test_the_smallest_chart_text_is_at_least_12_px_as_rendered(served, browser, tema, width):
    figures = _figures(browser, f"{served}/{tema}/laesoe.html", width)
    assert figures, f"no figure on the {tema} report"
    small = [(round(f["min"], 1), f["which"], round(f["w"])) for f in figures if f["min"] < MIN_PX]
    assert not small, f"{tema} at {width} px: chart text below {MIN_PX} px (px, text, figure width): {small}"


@pytest.mark.parametrize("tema", TEMAER)
def test_legends_sit_right_of_the_chart_on_a_wide_screen_and_below_it_on_a_phone(served, browser, tema):
    wide = _figures(browser, f"{served}/{tema}/laesoe.html", 1280)
    phone = _figures(browser, f"{served}/{tema}/laesoe.html", 390)
    assert len(wide) == len(phone)
    assert not any(f["narrow"] for f in wide) and all(f["narrow"] for f in phone)
    assert any(f["legends"] for f in phone), f"no legend measured on the {tema} report"
    for f in wide:
        assert all(where == "right" for where in f["legends"]), (tema, f)
    for f in phone:
        assert all(where == "below" for where in f["legends"]), (tema, f)
        assert f["w"] <= 390


def test_no_page_tries_a_request_that_leaves_loopback(served, browser):
    """The landing page, a report of each theme and a kommune profile, with every outside request blocked."""
    pages = ["/index.html", *(f"/{t}/laesoe.html" for t in TEMAER), "/profil/laesoe.html"]
    for path in pages:
        outside, inside, ok = besoeg_uden_net(browser, served + path, settle_ms=1000)
        assert ok, path
        assert inside and outside == [], (path, outside)
