"""No outside requests (issue 15, item 7): every asset the apps, the apps' landing page, a report and the reports'
landing page use is served by the project itself. Chromium runs with every non-loopback request blocked (a
Playwright route) and the test fails if any page tries one."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _visit(browser, url: str, ready: str | None = None) -> tuple[list[str], list[str]]:
    """Open ``url`` with outside requests blocked; (outside requests tried, loopback requests made)."""
    outside, inside = [], []

    def route(r):
        u = urlsplit(r.request.url)
        if u.scheme in ("http", "https") and u.hostname not in LOOPBACK:
            outside.append(r.request.url)
            r.abort()
        else:
            inside.append(r.request.url)
            r.continue_()

    context = browser.new_context()
    context.route("**/*", route)
    page = context.new_page()
    page.goto(url, wait_until="load", timeout=120_000)
    if ready:
        page.wait_for_selector(ready, timeout=120_000)
    page.wait_for_timeout(2000)  # late requests (fonts, lazy chunks)
    context.close()
    return outside, inside


def test_apps_and_their_landing_page_make_no_outside_request(tuned_voila, browser):
    from vidensdata.themes import til_stede

    url, _ = tuned_voila
    outside, inside = _visit(browser, url + "/")
    assert outside == [] and inside
    for tema in til_stede():
        outside, inside = _visit(browser, f"{url}/voila/render/{tema.notebook.name}", "input[list]")
        assert outside == [], (tema.navn, outside)
        assert any("/voila/static/" in u for u in inside)  # the app's own assets, from the server itself


def test_a_report_and_the_reports_landing_page_make_no_outside_request(tmp_path, browser):
    from vidensdata import report

    report.run(temaer=["serviceudvikling"], geografier=["Læsø"], workers=1, output=tmp_path, progress=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        pages = ["/index.html", *(f"/{p.relative_to(tmp_path)}" for p in sorted(tmp_path.glob("*/*.html")))]
        assert len(pages) >= 2, pages
        for path in pages:
            outside, _ = _visit(browser, base + path)
            assert outside == [], (path, outside)
    finally:
        server.shutdown()
