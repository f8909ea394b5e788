"""The kommune map in an app (served Voila configuration, headless Chromium): a click or Enter chooses the kommune."""

import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("how", ["click", "enter"])
def test_choosing_a_kommune_on_the_map_changes_the_key_figure(tuned_voila, how):
    from playwright.sync_api import sync_playwright

    url, log = tuned_voila  # (the server's log is shown when the test fails)
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        page.goto(url + "/voila/render/serviceudvikling.ipynb", wait_until="commit", timeout=120_000)
        figure = page.locator('#rendered_cells [data-testid="noegletal-antal"]').first
        figure.wait_for(timeout=180_000)
        national = figure.inner_text()
        laesoe = page.locator('#rendered_cells .vd-landkort a[data-kommune-kode="825"]').first
        laesoe.wait_for(timeout=120_000)
        assert page.locator('#rendered_cells .vd-landkort a[data-kommune-kode]').count() == 98
        # the map's style sheet leaves the key-figure cards alone (both were once class "vd-kort")
        assert page.locator('#rendered_cells .vd-noegletal .vd-kort').first.evaluate(
            "el => getComputedStyle(el).maxWidth") == "320px"
        if how == "click":
            laesoe.click()
        else:
            laesoe.focus()
            page.keyboard.press("Enter")
        page.wait_for_url("**geografi=825**", timeout=60_000)
        figure = page.locator('#rendered_cells [data-testid="noegletal-antal"]').first
        figure.wait_for(timeout=180_000)
        try:
            page.wait_for_function(
                """(old) => { const el = document.querySelector('#rendered_cells [data-testid="noegletal-antal"]');
                              return el && el.innerText.trim() !== old; }""", arg=national, timeout=120_000)
        except Exception as exc:  # say what the page showed instead (the full suite once left it on the default)
            raise AssertionError(f"{exc}\nURL {page.url}\nPage: {page.inner_text('body')[:1500]}\n"
                                 f"Voila log tail: {log.read_text()[-3000:] if log else ''}") from None
        assert figure.inner_text() != national
        # Læsø outlined once the map is redrawn
        outline = page.locator('#rendered_cells .vd-landkort path.vd-kort-valgt')
        outline.first.wait_for(timeout=120_000)
        assert outline.count() == 1
        b.close()
