"""The kommune profile: a fourth report type, ``reports/profil/<slug>.html`` (+ ``.pdf``) for each of the 98 kommuner.

One page per kommune with the headline indicator of each theme (:mod:`vidensdata.themes.profil`):
the kommune's value with its 95 % CI, its region's and the country's value, the verdict against
the country in words and colour (``data-sammenligning``), the direction of the trend; after this
table (first on screen, and on the printed page 1) links to the theme reports and the apps with
the kommune chosen, and a small map locating the kommune. The
indicator table is published through :func:`vidensdata.publish.publicer` and written beside the
page (``<slug>.tabeller/``), so ``vidensdata audit`` checks it like every other report.

A print stylesheet gives clean A4 pages; :func:`write_pdfs` prints every changed profile to PDF
in one headless Chromium session (``/usr/bin/chromium`` through playwright).
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from urllib.parse import urlencode

from .. import geography
from ..config import app_url
from ..datasets.cache import atomic_write_text
from ..publish import publicer, write_tables
from . import provenance
from .export import CSS, provenance_html

MAPPE = "profil"
CHROMIUM = "/usr/bin/chromium"

#: Verdict colours (colour-blind-safe: blue/orange, with the words beside; never colour alone).
STIL = """
.vd-profil-top{display:flex;flex-wrap:wrap;gap:1em 2em;align-items:flex-start}
.vd-profil-top>*{flex:1 1 320px}
.vd-profil table{width:100%}
.vd-profil td,.vd-profil th{vertical-align:top}
.vd-hel{white-space:nowrap}
.vd-vurdering{display:inline-flex;align-items:center;gap:6px;white-space:nowrap}
.vd-vurdering::before{content:"";display:inline-block;width:0.9em;height:0.9em;border-radius:50%;
border:1px solid #333;background:#ccc}
[data-sammenligning="hoejere"] .vd-vurdering::before{background:#b35806}
[data-sammenligning="lavere"] .vd-vurdering::before{background:#2166ac}
[data-sammenligning="som"] .vd-vurdering::before{background:#f7f7f7}
[data-sammenligning="ikke-vurderet"] .vd-vurdering::before{
background:repeating-linear-gradient(45deg,#fff 0 2px,#777 2px 3px)}
.vd-links li{margin:0.3em 0}
.vd-nav{font-size:0.95em}
.vd-tabel-rul{overflow-x:auto}
@media screen and (max-width:600px){.vd-profil thead{position:absolute;left:-9999px}
.vd-profil table,.vd-profil tbody,.vd-profil tr,.vd-profil th,.vd-profil td{display:block;width:auto}
.vd-profil tr{border-bottom:2px solid #333;padding:0.4em 0}
.vd-profil th[scope=row]{border:0;padding:0.2em 0}
.vd-profil td{display:flex;justify-content:space-between;gap:1em;border:0;padding:0.15em 0;text-align:right}
.vd-profil td::before{content:attr(data-label);text-align:left;color:#333;flex:1 1 0;min-width:0}
.vd-profil td>*{flex:0 0 auto}}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}
.vd-nav,.vd-kun-skaerm{display:none}
a{color:#111;text-decoration:none}
.vd-profil table,.vd-kort,.vd-landkort,figure,section{break-inside:avoid}
h1,.vd-profil-intro{break-after:avoid}
.vd-profil{break-before:avoid}
.vd-proveniens{break-before:page}
.vd-kort-lille{max-width:60mm}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

KOLONNE_INDIKATOR, KOLONNE_LAND = "Indikator", "Hele landet"
KOLONNE_VURDERING, KOLONNE_UDVIKLING = "Sammenlignet med landet", "Udvikling"


def _app_link(tema: str, navn: str) -> str:
    from ..themes import TEMAER

    return f"{app_url()}voila/render/{TEMAER[tema].notebook.name}?{urlencode({'geografi': navn})}"


def tabel(k: geography.Geografi, region: geography.Geografi, indikatorer) -> tuple:
    """The published table (cells as shown) and the verdict of each row."""
    import pandas as pd

    rows = [[i.label, i.tekst(), i.tal(i.region), i.tal(i.land), i.vurdering_tekst, i.udvikling_tekst]
            for i in indikatorer]
    cols = [KOLONNE_INDIKATOR, f"{k.navn} (95 %-KI)", region.navn, KOLONNE_LAND, KOLONNE_VURDERING,
            KOLONNE_UDVIKLING]
    return pd.DataFrame(rows, columns=cols), [i.vurdering for i in indikatorer]


def _hel(tekst: str) -> str:
    return f'<span class="vd-hel">{html.escape(tekst)}</span>'


def _tabel_html(df, vurderinger, indikatorer) -> str:
    esc = html.escape
    # "(95 %-KI)" is not broken at its hyphen, nor an interval inside a value cell (screen and print)
    head = "".join(f'<th scope="col">{esc(c).replace("(95 %-KI)", _hel("(95 %-KI)"))}</th>' for c in df.columns)
    body = []
    for row, v, ind in zip(df.itertuples(index=False), vurderinger, indikatorer):
        lab = [esc(str(c)) for c in df.columns]
        cells = [f'<th scope="row">{esc(row[0])}</th>'] + [
            f'<td class="vd-tal" data-label="{lab[j]}"><span class="vd-hel">{esc(str(row[j]))}</span></td>'
            for j in (1, 2, 3)]
        cells.append(f'<td data-label="{lab[4]}" data-sammenligning="{v}"><span class="vd-vurdering">'
                     f"{esc(row[4])}</span></td>")
        cells.append(f'<td data-label="{lab[5]}">{esc(row[5])}</td>')
        body.append(f'<tr data-tema="{ind.tema}" data-sammenligning="{v}">{"".join(cells)}</tr>')
    return (f'<div class="vd-tabel-rul"><table class="vd-tabel"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _noter(indikatorer) -> str:
    items = "".join(f"<li>Udvikling, {html.escape(i.label[0].lower() + i.label[1:])}: "
                    f"{html.escape(i.udvikling_note)}</li>" for i in indikatorer)
    return f'<ul class="vd-note">{items}</ul>'


def _links(k: geography.Geografi) -> str:
    from ..themes import TEMAER
    from ..themes.profil import TEMA_RAEKKEFOELGE

    items = []
    for t in TEMA_RAEKKEFOELGE:
        titel = html.escape(TEMAER[t].titel)
        items.append(f'<li><a href="../{t}/{k.slug}.html">Rapport: {titel} – {html.escape(k.navn)}</a>'
                     f'<span class="vd-kun-skaerm"> · <a href="{html.escape(_app_link(t, k.navn))}">'
                     f"App med {html.escape(k.navn)} valgt</a></span></li>")
    return f'<ul class="vd-links">{"".join(items)}</ul>'


def side(k: geography.Geografi, indikatorer, rec: dict) -> tuple[str, object]:
    """The profile page of kommune ``k`` and its published table (a :class:`~vidensdata.publish.PubliceretTabel`)."""
    from ..presentation import kort
    from ..presentation.komponenter import syntetisk_note
    from ..themes import sammenligning

    region = geography.resolve_one(k.region_kode)
    df, vurderinger = tabel(k, region, indikatorer)
    syntetisk = any(d.get("syntetisk") for d in rec.get("data", []))
    kilde = "Kilde: egne beregninger på registerudtrækket (" + (
        "Syntetiske data (demo)" if syntetisk else "registerdata") + ") og Danmarks Statistik (FOLK1A, DODC1)."
    pub = publicer("profil", df, personhenfoerbar=False, antal_kolonner=[], kilde=kilde, geografi=k.navn,
                   html=_tabel_html(df, vurderinger, indikatorer))
    esc = html.escape
    lokal = kort.lokalisering(k.kode, href=lambda kode: f"{_slug(kode)}.html")
    titel = f"Kommuneprofil: {k.navn}"
    synt = f'<p class="vd-note">{syntetisk_note()}</p>' if syntetisk else ""
    # the key figures first, on screen and on the printed page 1; the links and the locating map after them
    body = f"""<nav class="vd-nav" aria-label="Sti"><a href="../index.html">Alle kommuner og rapporter</a></nav>
<h1>{esc(titel)}</h1>
<p class="vd-profil-intro">{esc(k.navn)} Kommune ligger i {esc(region.navn)}. Tabellen viser hovedtallet fra hvert
af de tre temaer for kommunen, regionen og hele landet, og om kommunen ligger højere end, som eller lavere end
landet.</p>
{synt}
<section class="vd-profil" aria-labelledby="vd-hovedtal"><h2 id="vd-hovedtal">Hovedtal</h2>
{pub.html}
<p class="vd-note">{esc(kilde)}</p>
{_noter(indikatorer)}
</section>
<div class="vd-profil-top"><section aria-labelledby="vd-mere"><h2 id="vd-mere">Læs mere</h2>{_links(k)}</section>
<div>{lokal}</div></div>
<section aria-labelledby="vd-metode"><h2 id="vd-metode">Metode</h2>
<p>{esc(sammenligning.METODE)} Farven er en hjælp; ordene siger det samme: orange er højere end landet, blå lavere,
hvid som landet, og skraveret ikke vurderet.</p>
<p>Tallene er de samme som i temarapporterne og beregnes med samme parametre. Antal på 1–4 personer vises aldrig;
et tal bygget på dem vises som –.</p></section>"""
    page = ('<!DOCTYPE html>\n<html lang="da">\n<head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(titel)}</title><style>{CSS}{STIL}</style></head>\n"
            f"<body><main>{body}</main>\n{provenance_html(rec)}\n</body></html>\n")
    return page, pub


def _slug(kode: str) -> str:
    return geography.resolve_one(kode).slug


def context() -> dict:
    """What every profile shares (the three themes' contexts: notebooks, data, package, libraries)."""
    from ..themes.profil import TEMA_RAEKKEFOELGE

    ctxs = [provenance.theme_context(t) for t in TEMA_RAEKKEFOELGE]
    data = {d["navn"]: d for c in ctxs for d in c["data"]}
    return {"temaer": ctxs, "data": list(data.values()), "version": ctxs[0]["version"],
            "biblioteker": ctxs[0]["biblioteker"]}


def _parametre(k: geography.Geografi) -> dict:
    from ..parameters import read_parameter_file
    from ..themes.profil import TEMA_RAEKKEFOELGE

    return {"geografi": k.navn, **{f"{t}.{navn}": v for t in TEMA_RAEKKEFOELGE
                                   for navn, v in read_parameter_file(t).items()}}


def skriv(output: Path, force: bool = False) -> tuple[list[Path], int]:
    """Write the profile of every kommune whose key changed; returns (pages to print to PDF: written or without a
    current PDF, pages unchanged)."""
    from ..themes import profil as beregning

    folder = Path(output) / MAPPE
    ctx = context()
    alle = beregning.alle_kommuner()
    made, same = [], 0
    for k in geography.kommuner():
        t0 = time.perf_counter()
        p = _parametre(k)
        key = provenance.job_key({**ctx, "profil": 1}, p)
        page_path, json_path = folder / f"{k.slug}.html", folder / f"{k.slug}.json"
        rec_old = provenance.read_record(json_path)
        if not force and rec_old and rec_old.get("noegle") == key and page_path.exists():
            same += 1
            pdf = page_path.with_suffix(".pdf")
            if not pdf.exists() or pdf.stat().st_mtime < page_path.stat().st_mtime:
                made.append(page_path)  # printed again below (e.g. the last run had no browser)
            continue
        rec = provenance.record(ctx, p, key, 0.0)
        page, pub = side(k, alle[k.kode], rec)
        write_tables({pl["navn"]: pl for pl in pub.payloads}, folder / f"{k.slug}.tabeller",
                     rapport={"tema": MAPPE, "geografi": k.navn})
        atomic_write_text(page_path, page)
        rec["sekunder"] = round(time.perf_counter() - t0, 3)
        atomic_write_text(json_path, json.dumps(rec, ensure_ascii=False, indent=1))
        made.append(page_path)
    return made, same


def write_pdfs(pages: list[Path], executable: str = CHROMIUM) -> str:
    """Print each page to ``<page>.pdf`` (A4) in one headless Chromium session; returns a one-line status."""
    if not pages:
        return ""
    if not Path(executable).exists():
        return (f"PDF: no browser at {executable}; the profiles were written as HTML only "
                "(run `bash scripts/install-chromium.sh`, then `vidensdata run` again)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "PDF: playwright is not installed; the profiles were written as HTML only"
    t0 = time.perf_counter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable)
        try:
            page = browser.new_page()
            for f in pages:
                page.goto(f.resolve().as_uri(), wait_until="load")
                tmp = f.with_name(f".{f.stem}.pdf.tmp")
                page.pdf(path=str(tmp), format="A4", print_background=True, prefer_css_page_size=True)
                tmp.replace(f.with_suffix(".pdf"))
        finally:
            browser.close()
    return f"PDF: {len(pages)} profiles printed in {time.perf_counter() - t0:.1f} s"
