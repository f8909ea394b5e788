"""The documentation site builds (Sphinx + myst-nb, as `make docs`) without a single warning, offline, in Danish,
with the method notebooks executed and their outputs on the pages."""

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

METHOD_PAGES = {  # page -> text that only an executed notebook shows (an output, not the source)
    "notebooks/metoder/smr-og-tabte-leveaar.html": "Pakken og håndregningen giver samme SMR og interval.",
    "notebooks/metoder/fangst-genfangst.html": "Log-lineær model, to registre:",
    "notebooks/metoder/vaekst-og-trend.html": "Pakken giver de samme tal.",
    "notebooks/metoder/diskretionering.html": "Med sekundær diskretionering: Kommune B ligger i [1; 4] – beskyttet.",
}
DOC_PAGES = ["README.html", *(f"docs/{n}.html" for n in
                              ("index", "ordliste", "metoder", "arkitektur", "registerudtraek", "statbank", "apps",
                               "fejl"))]


def _make_docs_command(repo) -> list[str]:
    """The recipe of `make docs`, read from the Makefile, so the test builds exactly what the target builds."""
    text = (repo / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^docs:.*\n\t(.+)$", text, re.MULTILINE).group(1)
    assert recipe.startswith("$(PY) -m sphinx ") and " -W " in recipe and recipe.endswith(" . site"), recipe
    return recipe.split()[1:]


@pytest.fixture(scope="module")
def site(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    args = _make_docs_command(repo)
    args = [a if a != "build/doctrees" else str(out / "doctrees") for a in args]
    args[-1] = str(out / "site")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the notebooks' kernels as under `make docs`
    r = subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"the docs build failed or warned:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
    return out / "site"


def _page(site, name) -> str:
    path = site / name
    assert path.is_file(), f"{name} was not built"
    return path.read_text(encoding="utf-8")


def test_landing_page_is_danish_and_leads_everywhere(site):
    assert 'url=docs/index.html' in _page(site, "index.html")  # site/index.html sends the browser to the landing page
    landing = _page(site, "docs/index.html")
    assert re.search(r'<html[^>]* lang="da"', landing)
    assert "vidensdata – dokumentation" in landing
    for name in [*METHOD_PAGES, *(p for p in DOC_PAGES if p != "docs/index.html")]:
        assert f'href="../{name}"' in landing or f'href="{name.removeprefix("docs/")}"' in landing, name
    assert "Ordliste" in landing


def test_every_document_is_built(site):
    for name in DOC_PAGES:
        assert "<h1>" in _page(site, name), name


def test_method_notebooks_are_executed_with_their_outputs(site):
    for name, output in METHOD_PAGES.items():
        html = _page(site, name)
        assert output in html, f"{name}: the output {output!r} is missing (not executed?)"
        assert "Traceback" not in html, name
    # the trend notebook's figure is on its page as an image, not as "<Figure size ...>"
    trend = _page(site, "notebooks/metoder/vaekst-og-trend.html")
    assert "&lt;Figure size" not in trend and re.search(r'<img[^>]+src="[^"]+\.png"', trend)


def test_site_works_offline_and_names_no_path_of_this_machine(site, repo):
    for path in site.rglob("*"):
        if path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//[^"]+"', text)
        remote += re.findall(r"@import\s+url\(\s*['\"]?(?:https?:)?//", text)
        assert not remote, f"{path.relative_to(site)} loads from the network: {remote[:3]}"
        if path.suffix == ".html":
            local = [p for p in (str(repo), "site-packages", os.environ["VIDENSDATA_CACHE"]) if p in text]
            assert not local, f"{path.relative_to(site)} names a path of this machine: {local}"
