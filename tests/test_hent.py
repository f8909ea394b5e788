"""Downloads people can use (issue 15, item 5): file names with the area, Danish headers with units,
a real workbook with key figures and "Om data", the marks explained, a citation, and charts as PNG/SVG.
Suppression in every file equals the screen."""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from vidensdata.presentation import hent
from vidensdata.presentation.temaer import serviceudvikling as tegn
from vidensdata.presentation.widgets import figur_html
from vidensdata.themes import TEMAER, overdoedelighed, serviceudvikling


def _payload(page: str, testid: str) -> bytes:
    tag = next(t for t in re.findall(r"<a [^>]+>", page) if f'data-testid="{testid}"' in t)
    return base64.b64decode(re.search(r'href="data:[^"]*base64,([^"]+)"', tag).group(1))


@pytest.fixture(scope="module")
def laesoe():
    return serviceudvikling.beregn("Læsø", 2014, 2024)


def test_file_names_say_theme_area_and_period(laesoe):
    page = hent.links_html(hent.pakke(TEMAER["serviceudvikling"], laesoe))
    assert 'download="serviceudvikling_laesoe_2014-2024.csv"' in page
    assert 'download="serviceudvikling_laesoe_2014-2024.xlsx"' in page
    res = TEMAER["maalgruppe"].beregn(geografi="Region Nordjylland")
    assert hent.filnavn("maalgruppe", res.valg) == "maalgruppe_region-nordjylland_2024"


def test_csv_has_danish_headers_no_repeated_source_and_equals_the_screen(laesoe):
    p = hent.pakke(TEMAER["serviceudvikling"], laesoe)
    csv = pd.read_csv(io.BytesIO(hent.csv_bytes(p)), sep=";", dtype=str, encoding="utf-8-sig")
    assert list(csv.columns[:5]) == ["Område", "År", "Ydelseskode", "Ydelse", "Antal personer"]
    assert "kilde" not in csv.columns and "Kilde" not in csv.columns
    shown = serviceudvikling.tabel_til_download(laesoe)
    assert list(csv["Antal personer"]) == [str(v) for v in shown["antal"]]
    hidden = csv["Antal personer"].isin(["<5", "x"])
    assert hidden.any()
    assert csv.loc[hidden, "Note"].str.contains("1–4 personer").all() or csv.loc[hidden, "Note"].str.len().gt(0).all()
    assert csv.loc[~hidden, "Note"].fillna("").eq("").all()


def test_a_secondary_mark_is_explained_in_the_file():
    res = overdoedelighed.beregn("Læsø")
    p = hent.pakke(TEMAER["overdoedelighed"], res)
    rows = p.tabel[p.tabel["Døde (antal personer)"].astype(str) == "x"]
    assert len(rows) and rows["Note"].str.contains("sekundær diskretionering").all()


def test_workbook_has_formatted_data_key_figures_and_om_data(laesoe):
    link = "http://localhost:8866/voila/render/serviceudvikling.ipynb?geografi=L%C3%A6s%C3%B8"
    p = hent.pakke(TEMAER["serviceudvikling"], laesoe, link=link)
    wb = load_workbook(io.BytesIO(hent.xlsx_bytes(p)))
    assert wb.sheetnames == ["Data", "Nøgletal", "Om data"]
    data = wb["Data"]
    assert data.freeze_panes == "A2" and data["A1"].font.bold
    assert data.column_dimensions["D"].width > 10
    numbers = [c for c in data["E"][1:] if isinstance(c.value, int)]
    assert numbers and all(c.number_format == "#,##0" for c in numbers)
    assert {c.value for c in data["E"][1:]} >= {"<5"}
    keys = {r[0].value: r[1].value for r in wb["Nøgletal"].iter_rows(min_row=2)}
    shown = dict((label, value) for _id, label, value in serviceudvikling.noegletal_vist(laesoe))
    assert keys == shown  # the key figures exactly as on screen, intervals included
    om = {r[0].value: r[1].value for r in wb["Om data"].iter_rows(min_row=3) if r[0].value}
    assert om["Område"] == "Læsø" and om["Periode"] == "2014–2024"
    assert "Syntetiske data" in om["Data"] and "Kilde" in om["Kilde"]
    assert "<5" in om["Diskretionering"] and "x" in om["«x»"]
    assert "Læsø" in om["Sådan citerer du"] and om["Sådan citerer du"].endswith(link)
    assert om["Link til visningen"] == link
    assert om["Hentet"]


def test_every_theme_offers_citation_and_both_files():
    for navn, tema in TEMAER.items():
        res = tema.beregn(geografi="Aarhus")
        page = hent.links_html(hent.pakke(tema, res))
        assert 'data-testid="citer"' in page and "Sådan citerer du" in page, navn
        assert "Aarhus" in page and f'download="{navn}_aarhus_' in page, navn
        wb = load_workbook(io.BytesIO(_payload(page, "download-xlsx")))
        assert wb.sheetnames == ["Data", "Nøgletal", "Om data"], navn


def test_a_figure_offers_png_and_svg():
    shown = figur_html(tegn.figur_antal(serviceudvikling.beregn("Aarhus", 2014, 2024)))
    assert shown.startswith('<figure class="vd-figur"')
    assert 'data-format="png"' in shown and 'data-format="svg"' in shown
    assert 'data-filnavn="modtagere-efter-ydelse-aarhus"' in shown


@pytest.mark.browser
def test_chart_and_table_downloads_in_chromium(tmp_path, laesoe):
    from playwright.sync_api import sync_playwright

    page_html = ('<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>t</title></head><body>'
                 + figur_html(tegn.figur_antal(laesoe))
                 + hent.links_html(hent.pakke(TEMAER["serviceudvikling"], laesoe)) + "</body></html>")
    f = tmp_path / "side.html"
    f.write_text(page_html, encoding="utf-8")
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert os.path.exists(exe)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        page = b.new_page(accept_downloads=True)
        page.goto(f.as_uri())
        got = {}
        for fmt in ("png", "svg"):
            with page.expect_download() as d:
                page.click(f'button[data-format="{fmt}"]')
            got[fmt] = (d.value.suggested_filename, open(d.value.path(), "rb").read())
        with page.expect_download() as d:
            page.click('[data-testid="download-xlsx"]')
        xlsx = (d.value.suggested_filename, open(d.value.path(), "rb").read())
        b.close()
    assert got["png"][0] == "modtagere-efter-ydelse-laesoe.png" and got["png"][1].startswith(b"\x89PNG")
    assert got["svg"][0] == "modtagere-efter-ydelse-laesoe.svg" and b"<svg" in got["svg"][1]
    assert xlsx[0] == "serviceudvikling_laesoe_2014-2024.xlsx"
    assert "Om data" in load_workbook(io.BytesIO(xlsx[1])).sheetnames


def test_the_citation_and_om_data_carry_the_views_absolute_address(monkeypatch):
    """A report and the app cite a view with its absolute address in the apps (VIDENSDATA_APP_URL), built from
    the computed choice; the link is marked for the app page's script (own origin)."""
    from urllib.parse import parse_qs, urlsplit

    from vidensdata.presentation import deeplink
    from vidensdata.presentation.temaer import serviceudvikling as tegn

    monkeypatch.setenv("VIDENSDATA_APP_URL", "https://apps.example.dk/vd")
    assert deeplink.app_adresse() == "https://apps.example.dk/vd/"
    v = tegn.visning("Læsø", 2016, 2024, ["§85", "§108"], interaktiv=False)
    link = v._citer_link(v.resultat)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "apps.example.dk",
                                                        "/vd/voila/render/serviceudvikling.ipynb")
    assert parse_qs(parts.query) == {"geografi": ["Læsø"], "startaar": ["2016"], "slutaar": ["2024"],
                                     "ydelser": ["§85,§108"]}
    p = hent.pakke(TEMAER["serviceudvikling"], v.resultat, link)
    block = hent.links_html(p)
    assert f'href="{html.escape(link)}"' in block and deeplink.APP_LINK_ATTR in block
    om = dict(hent.om_data(p))
    assert om["Link til visningen"] == link and link in om["Sådan citerer du"]
    monkeypatch.delenv("VIDENSDATA_APP_URL")
    assert deeplink.app_adresse("serviceudvikling.ipynb", "?geografi=101").startswith(
        "http://localhost:8866/voila/render/serviceudvikling.ipynb?geografi=101")
