"""The analyst's JupyterLab: a real ``jupyter lab`` server on loopback, driven by Debian's Chromium (Playwright);
and, in the served app, a deep link with one bad field.

A theme notebook is interactive in JupyterLab without any switch: run it, change the kommune, and the key
figure changes. Saved outputs look right in an untrusted notebook, and the starter's figure shows as an image
in a fresh kernel. The notebooks are copied to a temporary folder first, so JupyterLab's autosave never
touches the committed ones.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "vidensdata-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, repo):
    """A JupyterLab server on 127.0.0.1 serving a copy of the notebooks; yields (url, folder)."""
    from vidensdata.themes import serviceudvikling

    serviceudvikling.beregn()  # build the shared caches (extract, dataset, suppression) before the kernel needs them
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("lab-home")
    shutil.copy(repo / "notebooks" / "temaer" / "serviceudvikling.ipynb", root)
    shutil.copy(repo / "notebooks" / "kom-godt-i-gang.ipynb", root)
    # no switch: the kernel must find out by itself that it is interactive; no Agg backend forced on it either
    drop = ("VIDENSDATA_INTERAKTIV", "JPY_SESSION_NAME", "MPLBACKEND")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_PREFER_ENV_PATH="1")
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None", "--ServerApp.allow_root=True", "--LabApp.extension_manager=readonly",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    # no "notified about Jupyter news?" prompt over the page (and no request for the news)
    news = home / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not start within 90 s (or exited):\n" + (home / "lab.log").read_text())
    yield url, root
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


def _open(browser, url: str, notebook: str):
    # tall: JupyterLab renders only the cells near the viewport
    page = browser.new_page(viewport={"width": 1280, "height": 2200})
    # a workspace of its own, reset: the page shows this notebook only, not the tabs of an earlier page
    workspace = notebook.replace(".ipynb", "").replace("-", "")
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{notebook}?token={TOKEN}&reset", wait_until="domcontentloaded",
              timeout=90_000)
    # the notebook is the current tab and its kernel is up (idle)
    page.wait_for_function("""(path) => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                                           return p && p.context && p.context.path === path &&
                                                  p.node.querySelector('.jp-Cell') &&
                                                  p.sessionContext.session && p.sessionContext.session.kernel &&
                                                  p.sessionContext.session.kernel.status === 'idle'; }""",
                           arg=notebook, timeout=90_000)
    return page


def _run_all(page):
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def test_saved_key_figures_keep_their_look_in_an_untrusted_notebook(lab, browser):
    """Freshly opened (untrusted), JupyterLab strips <style> blocks; the saved key figures still look like cards."""
    url, _root = lab
    page = _open(browser, url, "serviceudvikling.ipynb")
    figure = page.locator(".jp-OutputArea-output .vd-kort-tal").first  # (the sanitizer drops data-testid too)
    figure.wait_for(timeout=30_000)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", figure.inner_text()), figure.inner_text()
    assert page.locator(".jp-OutputArea-output style").count() == 0  # the sanitizer did strip the stylesheet
    weight = figure.evaluate("el => getComputedStyle(el).fontWeight")
    border = page.locator(".jp-OutputArea-output .vd-kort").first.evaluate(
        "el => getComputedStyle(el).borderTopStyle")
    assert weight == "700" and border == "solid", (weight, border)
    page.close()


def test_theme_notebook_is_interactive_in_jupyterlab(lab, browser):
    """Issue 18's done-when: open a theme notebook in JupyterLab, run it, change the kommune, see the key figure
    change; no environment switch, and no view link (a view in JupyterLab has no address)."""
    url, _root = lab
    page = _open(browser, url, "serviceudvikling.ipynb")
    t0 = time.perf_counter()
    _run_all(page)
    search = page.locator(".jp-OutputArea-output input[list]").first  # the type-ahead geography search
    search.wait_for(timeout=180_000)
    widget_figure = page.locator('.widget-html [data-testid="noegletal-antal"]').first
    widget_figure.wait_for(timeout=180_000)
    ran = time.perf_counter() - t0
    # JupyterLab renders cells outside the viewport lazily (content-visibility): bring the figure into view
    widget_figure.scroll_into_view_if_needed()
    national = widget_figure.text_content().strip()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", national), national

    t1 = time.perf_counter()
    search.fill("Aarhus")
    search.press("Enter")
    page.wait_for_function(
        """(old) => { const el = document.querySelector('.widget-html [data-testid="noegletal-antal"]');
                      return el && el.textContent.trim() !== old; }""", arg=national, timeout=60_000)
    responded = time.perf_counter() - t1
    aarhus = page.locator('.widget-html [data-testid="noegletal-antal"]').first.text_content().strip()
    assert int(aarhus.replace(".", "")) < int(national.replace(".", ""))
    body = page.inner_text(".jp-NotebookPanel")
    assert "Område: Aarhus" in body or "Aarhus" in body
    assert "Traceback" not in body and "Valgt: Hele landet" not in body
    assert page.get_by_text("Link til denne visning").count() == 0
    print(f"\nJupyterLab: run-all to widgets {ran:.1f} s; kommune change to new key figure {responded:.2f} s")
    page.close()


def test_starter_figure_and_result_display_in_a_fresh_kernel(lab, browser):
    url, _root = lab
    page = _open(browser, url, "kom-godt-i-gang.ipynb")
    _run_all(page)
    caption = page.locator(".jp-OutputArea-output caption", has_text="Trend i antal")
    caption.wait_for(timeout=120_000)
    image = page.locator(".jp-OutputArea-output img").first
    image.wait_for(timeout=30_000)
    width = image.evaluate("img => img.naturalWidth")
    assert width > 400, width  # the figure as a PNG, not "<Figure size 800x450 with 1 Axes>"
    body = page.inner_text(".jp-NotebookPanel")
    assert "<Figur" not in body and "Årlig vækst" in body and "95 %-konfidensinterval" in body
    page.close()


def test_a_bad_deep_link_field_is_dropped_alone_in_the_app(tuned_voila, browser):
    """Issue 15: ``?geografi=Aarhus&startaar=1990`` keeps Aarhus and says, in Danish, that startaar was dropped."""
    url, _log = tuned_voila
    page = browser.new_page()
    page.goto(url + "/voila/render/serviceudvikling.ipynb?geografi=Aarhus&startaar=1990", wait_until="commit",
              timeout=120_000)
    page.locator('[data-testid="noegletal-antal"]').first.wait_for(timeout=120_000)
    # a preheated kernel shows the default view first and switches when the link arrives
    page.wait_for_function("() => document.body.innerText.includes('Område: Aarhus')", timeout=60_000)
    alert = page.locator('[role="alert"]').first.inner_text()
    assert "startaar=1990" in alert and "udeladt" in alert and "Resten af linket er brugt" in alert, alert
    assert page.locator("input[list]").first.input_value() == "Aarhus"
    page.close()
