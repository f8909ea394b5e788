"""The app's download links (CSV and Excel) hold exactly the numbers on screen, suppression included."""

import base64
import io
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from vidensdata.presentation.widgets import download_links, som_html
from vidensdata.themes import serviceudvikling as tema
from vidensdata.presentation.temaer import serviceudvikling as tegn


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _screen(res) -> dict:
    """(service name, year) -> the text shown in the app's table."""
    p = _Table()
    p.feed(som_html(tegn.vis_tabel(res)))
    header, *body = [r for r in p.rows if r]
    return {(row[0], int(year)): cell for row in body for year, cell in zip(header[1:], row[1:])}


def _payload(links_html: str, testid: str) -> bytes:
    m = re.search(rf'href="data:[^;]+(?:;charset=utf-8)?;base64,([^"]+)"[^>]*data-testid="{testid}"'
                  rf'|data-testid="{testid}"[^>]*href="data:[^;]+;base64,([^"]+)"', links_html)
    return base64.b64decode(m.group(1) or m.group(2))


@pytest.mark.parametrize("geografi", ["Fanø", "Aarhus"])
def test_csv_and_excel_equal_the_screen(geografi):
    res = tema.beregn(geografi, 2014, 2024)
    screen = _screen(res)
    links = som_html(download_links(tema.tabel_til_download(res), "serviceudvikling"))
    csv = pd.read_csv(io.BytesIO(_payload(links, "download-csv")), sep=";", dtype=str, encoding="utf-8-sig")
    xlsx = pd.read_excel(io.BytesIO(_payload(links, "download-xlsx")), dtype=str)
    for frame in (csv, xlsx):
        got = {(r.ydelse_navn, int(r.aar)): r.antal for r in frame.itertuples()}
        assert set(got) == set(screen)
        for key, shown in screen.items():
            assert got[key] == shown.replace(".", ""), (geografi, key, shown, got[key])  # 1.234 on screen, 1234 in file
    if geografi == "Fanø":  # the small kommune has suppressed cells: "<5" and the secondary "x" in the files too
        values = set(csv["antal"])
        assert "<5" in values and "x" in values


def test_download_links_are_accessible():
    links = som_html(download_links(pd.DataFrame({"a": [1]}), "serviceudvikling"))
    assert 'aria-label="Hent tabellen som CSV-fil (serviceudvikling.csv)"' in links
    assert 'aria-label="Hent tabellen som Excel-fil (serviceudvikling.xlsx)"' in links
    assert links.count("text-decoration:underline") == 2 and 'download="serviceudvikling.csv"' in links
