"""The app server serves the generated reports read-only at ``rapporter/`` (vidensdata.app_server.RapportFiler):
report file types only; no traversal, symbolic link, hidden file or ``.json``; the Danish 404 page otherwise."""

import os
import re
import urllib.error
import urllib.request

import pytest

from vidensdata.app_server import rapport_fil

TILLADT = {
    "index.html": "<!DOCTYPE html><html lang='da'><title>Forside</title>æøå</html>",
    "profil/laesoe.html": "<html>Kommuneprofil: Læsø</html>",
    "profil/laesoe.pdf": "%PDF-1.4 prøve",
    "serviceudvikling/laesoe.csv": "aar;antal\n2020;5\n",
    "serviceudvikling/laesoe.xlsx": "xlsx",
    "serviceudvikling/laesoe.png": "png",
    "serviceudvikling/laesoe.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
}
AFVIST = {
    "manifest.json": '{"hemmelig": true}',
    "profil/laesoe.json": "{}",
    ".skjult.html": "skjult",
    ".git/config": "[core]",
    "profil/.cache/x.html": "skjult",
    "serviceudvikling.ipynb": "{}",
    "noget.py": "import os",
    "noter.txt": "tekst",
    "UPPER.HTM": "htm",
}


@pytest.fixture(scope="module")
def rapporter(tmp_path_factory):
    """A reports folder with report files, files that must not be served, and symbolic links (in and out)."""
    base = tmp_path_factory.mktemp("rapport")
    rod, ude = base / "reports", base / "udenfor"
    for rel, text in {**TILLADT, **AFVIST}.items():
        (rod / rel).parent.mkdir(parents=True, exist_ok=True)
        (rod / rel).write_text(text, encoding="utf-8")
    ude.mkdir()
    (ude / "hemmelig.html").write_text("HEMMELIGT", encoding="utf-8")
    os.symlink(ude / "hemmelig.html", rod / "link.html")  # a link out of the folder
    os.symlink(rod / "index.html", rod / "indre-link.html")  # even a link inside it
    os.symlink(ude, rod / "mappe-link")  # a linked folder
    (rod / "mappe.html").mkdir()  # a folder with a report's name
    return rod


@pytest.mark.parametrize("sti", [*TILLADT, ""])
def test_report_files_are_served(rapporter, sti):
    fil = rapport_fil(rapporter, sti)
    assert fil == rapporter / (sti or "index.html")


@pytest.mark.parametrize("sti", [
    *AFVIST, "link.html", "indre-link.html", "mappe-link/hemmelig.html", "mappe.html", "findes-ikke.html",
    "../udenfor/hemmelig.html", "profil/../../udenfor/hemmelig.html", "profil/../index.html", "./index.html",
    "profil//laesoe.html", "profil\\laesoe.html", "index.html\x00.png", "/etc/passwd.html", "profil/",
])
def test_everything_else_is_refused(rapporter, sti):
    assert rapport_fil(rapporter, sti) is None


# ------------------------------------------------------------------ against the real server on loopback

@pytest.fixture(scope="module")
def server(rapporter, tmp_path_factory):
    """The served configuration (one cheap notebook) with ``rapporter`` as its reports folder: (url, log)."""
    import nbformat

    from vidensdata.app import Server

    root = tmp_path_factory.mktemp("apps")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Prøve")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "proeve.ipynb")
    log = root / "voila.log"
    gammel = os.environ.get("VIDENSDATA_VOILA_ARGS")
    os.environ["VIDENSDATA_VOILA_ARGS"] = f"--VidensdataVoila.rapport_mappe={rapporter}"
    try:
        with Server(tuned=True, log=log, root=root, pool_size=1) as url:
            yield url, log
    finally:
        if gammel is None:
            os.environ.pop("VIDENSDATA_VOILA_ARGS", None)
        else:
            os.environ["VIDENSDATA_VOILA_ARGS"] = gammel


def _hent(url: str, method: str = "GET") -> tuple[int, str, dict]:
    req = urllib.request.Request(url, method=method)
    opener = urllib.request.build_opener(_IngenOmdirigering)
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)


class _IngenOmdirigering(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.browser
@pytest.mark.slow
def test_server_serves_reports_read_only(server):
    url, log = server
    for rel, text in TILLADT.items():
        status, body, headers = _hent(f"{url}/rapporter/{rel}")
        assert (status, body) == (200, text), (rel, status, log.read_text()[-2000:])
        assert headers["X-Content-Type-Options"] == "nosniff"
    status, body, headers = _hent(f"{url}/rapporter/")
    assert (status, body) == (200, TILLADT["index.html"])
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert _hent(f"{url}/rapporter/serviceudvikling/laesoe.csv")[2]["Content-Type"] == "text/csv; charset=utf-8"
    status, _, headers = _hent(f"{url}/rapporter")
    assert status in (301, 302) and headers["Location"].endswith("/rapporter/index.html")
    assert _hent(f"{url}/rapporter/index.html", method="HEAD")[0] == 200


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("sti", [
    *AFVIST, "link.html", "indre-link.html", "mappe-link/hemmelig.html", "mappe.html", "findes-ikke.html",
    "..%2Fudenfor%2Fhemmelig.html", "%2e%2e/udenfor/hemmelig.html", "profil/%2e%2e/%2e%2e/udenfor/hemmelig.html",
    "profil/..%2F..%2Fudenfor/hemmelig.html", "%2Fetc%2Fpasswd", "profil%5C..%5C..%5Cudenfor%5Chemmelig.html",
    "index.html%00.png", "profil/",
])
def test_server_refuses_with_the_danish_404(server, sti):
    url, _ = server
    status, body, headers = _hent(f"{url}/rapporter/{sti}")
    assert status == 404, (sti, status)
    assert '<html lang="da">' in body and "Siden findes ikke" in body and "Fejlkode: 404" in body, body[:300]
    assert "HEMMELIGT" not in body and "hemmelig" not in body and "/tmp/" not in body
    assert "Not Found" not in body


@pytest.mark.browser
@pytest.mark.slow
def test_writing_is_not_allowed(server):
    url, _ = server
    for method in ("POST", "PUT", "DELETE"):
        status, body, _ = _hent(f"{url}/rapporter/index.html", method=method)
        assert status in (403, 404, 405), (method, status)
        assert '<html lang="da">' in body
    assert _hent(f"{url}/rapporter/index.html")[1] == TILLADT["index.html"]


@pytest.mark.browser
@pytest.mark.slow
def test_app_landing_page_links_to_the_served_reports(server):
    url, _ = server
    status, body, _ = _hent(url + "/")
    assert status == 200
    href = re.search(r'<a href="([^"]*)">Rapporter og kommuneprofiler</a>', body).group(1)
    assert href == "/rapporter/index.html"
    assert _hent(url + href)[:2] == (200, TILLADT["index.html"])
