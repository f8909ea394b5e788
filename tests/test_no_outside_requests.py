"""No outside requests (issue 15, item 7): every asset the apps, the apps' landing page, a report and the reports'
landing page use is served by the project itself. Chromium runs with every non-loopback request blocked (a
Playwright route) and the test fails if any page tries one."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest
from _browser import besoeg_uden_net

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_apps_and_their_landing_page_make_no_outside_request(tuned_voila, browser):
    from vidensdata.themes import til_stede

    url, _ = tuned_voila
    outside, inside, _ = besoeg_uden_net(browser, url + "/")
    assert outside == [] and inside
    for tema in til_stede():
        outside, inside, _ = besoeg_uden_net(browser, f"{url}/voila/render/{tema.notebook.name}", "input[list]")
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
            outside = besoeg_uden_net(browser, base + path).outside
            assert outside == [], (path, outside)
    finally:
        server.shutdown()
