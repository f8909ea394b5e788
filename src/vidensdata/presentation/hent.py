"""Downloads people can use: named files, Danish headers with units, a real workbook, charts, citation.

:func:`pakke` turns a theme result into a :class:`Pakke` (the data table as shown, the key
figures as shown, and what a reader needs to use and cite them); :func:`csv_bytes` and
:func:`xlsx_bytes` write it; :func:`links_html` offers both (and the citation) on the page.
Suppression in every file equals the screen: the table is the theme's ``tabel_til_download``
(marks ``<5`` and ``x`` as text) and the key figures are ``noegletal_vist`` (the text shown).

File names say what is in them: ``<tema>_<område>_<periode>.csv|.xlsx``
(``serviceudvikling_laesoe_2014-2024.csv``).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import inspect
import io
from dataclasses import dataclass

import pandas as pd

from ..formatting import SUPPRESSED, fmt_date
from ..vocabulary import SEKUNDAER

#: Danish column headers (with units) for the download tables' data-vocabulary columns.
KOLONNER: dict[str, str] = {
    "omraade": "Område",
    "aar": "År",
    "Aar": "År",
    "periode": "Periode",
    "ydelse": "Ydelseskode",
    "ydelse_navn": "Ydelse",
    "antal": "Antal personer",
    "koen": "Køn",
    "doede": "Døde (antal personer)",
    "personaar": "Personår (år)",
    "forventede_doede": "Forventede dødsfald (antal)",
    "smr": "SMR (forhold)",
    "smr_nedre": "SMR, nedre 95 %-grænse",
    "smr_oevre": "SMR, øvre 95 %-grænse",
}
#: Columns that are metadata, not data: they go to the "Om data" sheet, not on every row.
METADATA = ("kilde", "Kilde")
NOTE = "Note"
FORKLARING_PRIMAER = f"{SUPPRESSED}: 1–4 personer (vises ikke af hensyn til fortrolighed)"
FORKLARING_SEKUNDAER = (f"{SEKUNDAER}: skjult, så et lille tal ikke kan regnes ud fra andre viste tal "
                        "(sekundær diskretionering)")
REGLER = ("Tal fra persondata under 5 vises ikke: de står som «<5». Tal, der ellers kunne bruges til at regne "
          "et skjult tal ud (fx ved at trække fra en total), står som «x». Andele og rater med et skjult tal "
          "som tæller skjules på samme måde.")
UDGIVER = "vidensdata – videns- og datamiljø for socialpsykiatri"


@dataclass(frozen=True)
class Pakke:
    """Everything one download offers: the table and key figures as shown, and how to use and cite them."""

    tema: str
    tema_titel: str
    omraade: str
    periode: str
    filnavn: str
    tabel: pd.DataFrame
    noegletal: list[tuple[str, str]]
    kilde: str
    syntetisk: bool
    link: str
    hentet: dt.date
    #: the literature the theme's method builds on (cited here, not in the source lines)
    litteratur: tuple[str, ...] = ()

    @property
    def citation_uden_link(self) -> str:
        synt = " Syntetiske data (demo)." if self.syntetisk else ""
        return (f"{UDGIVER}: {self.tema_titel} – {self.omraade}, {self.periode.replace('-', '–')}.{synt} "
                f"Hentet {fmt_date(self.hentet)}.")

    @property
    def citation(self) -> str:
        """How to cite the view: publisher, theme, area, period, date and the view's absolute link."""
        return self.citation_uden_link + (f" {self.link}" if self.link else "")


def periode(valg) -> str:
    """The period of a theme's choice, for file names and titles (``2014-2024`` or ``2024``)."""
    if hasattr(valg, "startaar") and hasattr(valg, "slutaar"):
        return f"{valg.startaar}-{valg.slutaar}"
    return str(getattr(valg, "aar", ""))


def filnavn(tema: str, valg) -> str:
    """``<tema>_<område>_<periode>`` (no extension), e.g. ``serviceudvikling_laesoe_2014-2024``."""
    return f"{tema}_{valg.omraade.slug}_{periode(valg)}"


def _noter(tabel: pd.DataFrame) -> pd.Series:
    """Per row, what its suppression marks mean (empty where the row shows every value)."""
    text = tabel.astype(str)
    prim = text.eq(SUPPRESSED).any(axis=1)
    sek = text.eq(SEKUNDAER).any(axis=1)
    return pd.Series([" ".join(t for t, on in ((FORKLARING_PRIMAER + ".", p), (FORKLARING_SEKUNDAER + ".", s)) if on)
                      for p, s in zip(prim, sek)], index=tabel.index)


def dansk_tabel(tabel: pd.DataFrame) -> pd.DataFrame:
    """The download table with Danish headers and units, metadata columns dropped, and a note column
    explaining ``<5`` and ``x`` on the rows that hold them (only when some row does)."""
    out = tabel.drop(columns=[c for c in METADATA if c in tabel.columns]).rename(columns=KOLONNER)
    noter = _noter(out)
    if noter.str.len().gt(0).any():
        out[NOTE] = noter
    return out.reset_index(drop=True)


def pakke(tema, res, link: str = "") -> Pakke:
    """The download of one theme result (``tema`` a :class:`~vidensdata.themes.Tema`)."""
    shown = getattr(inspect.getmodule(tema.beregn), "noegletal_vist", None)  # the theme's key figures as shown
    noegletal = [(label, value) for _id, label, value in shown(res)] if shown else []
    return Pakke(tema=tema.navn, tema_titel=tema.titel, omraade=res.valg.omraade.navn, periode=periode(res.valg),
                 filnavn=filnavn(tema.navn, res.valg), tabel=dansk_tabel(tema.tabel_til_download(res)),
                 noegletal=noegletal, kilde=res.kildelinje, syntetisk=bool(res.syntetisk), link=link,
                 hentet=dt.date.today(), litteratur=tuple(getattr(tema, "litteratur", ()) or ()))


def csv_bytes(p: Pakke) -> bytes:
    """The table as CSV for Danish Excel: ``;`` between fields, decimal comma, UTF-8 with BOM."""
    return p.tabel.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and pd.notna(value)


def _sheet_data(ws, tabel: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append(list(tabel.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in tabel.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else (None if pd.isna(v) else v) for v in row])
    for j, col in enumerate(tabel.columns, start=1):
        letter = get_column_letter(j)
        values = [c.value for c in ws[letter][1:]]
        numbers = [v for v in values if _is_number(v)]
        whole = all(float(v).is_integer() for v in numbers)
        for c in ws[letter][1:]:
            if _is_number(c.value):
                c.number_format = "#,##0" if whole else "#,##0.00"
                if col in ("År", "Ydelseskode"):
                    c.number_format = "0"
            elif c.value in (SUPPRESSED, SEKUNDAER):
                c.alignment = Alignment(horizontal="right")
        longest = max([len(str(col))] + [len(str(v)) for v in values if v is not None])
        ws.column_dimensions[letter].width = min(60, max(8, longest + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def _sheet_noegletal(ws, p: Pakke) -> None:
    from openpyxl.styles import Font

    ws.append(["Nøgletal", "Værdi (som vist; intervaller er 95 %-konfidensintervaller)"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for label, value in p.noegletal:
        ws.append([label, value])
    ws.column_dimensions["A"].width = max(20, min(80, max((len(x) for x, _ in p.noegletal), default=20) + 2))
    ws.column_dimensions["B"].width = 45
    ws.freeze_panes = "A2"


def om_data(p: Pakke) -> list[tuple[str, str]]:
    """The rows of the "Om data" sheet (and of the notes beside the links)."""
    rows = [
        ("Tema", p.tema_titel),
        ("Område", p.omraade),
        ("Periode", p.periode.replace("-", "–")),
        ("Kilde", p.kilde),
        ("Hentet", fmt_date(p.hentet)),
        ("Data", "Syntetiske data (demo) – tallene er ikke virkelige." if p.syntetisk else "Registerdata."),
        ("Diskretionering", REGLER),
        ("«<5»", FORKLARING_PRIMAER),
        ("«x»", FORKLARING_SEKUNDAER),
        ("Sådan citerer du", p.citation),
    ]
    if p.litteratur:
        rows.append(("Metoden bygger på", " ".join(p.litteratur)))
    if p.link:
        rows.append(("Link til visningen", p.link))
    return rows


def xlsx_bytes(p: Pakke) -> bytes:
    """A real workbook: "Data" (formatted numbers, widths, frozen header, filter), "Nøgletal"
    (key figures and intervals as shown) and "Om data" (source, date, synthetic label, rules, citation, link)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    _sheet_data(ws, p.tabel)
    _sheet_noegletal(wb.create_sheet("Nøgletal"), p)
    om = wb.create_sheet("Om data")
    om.append([p.tema_titel])
    om["A1"].font = Font(bold=True, size=14)
    om.append([])
    for key, value in om_data(p):
        om.append([key, value])
        om.cell(om.max_row, 1).font = Font(bold=True)
        om.cell(om.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    om.column_dimensions["A"].width = 22
    om.column_dimensions["B"].width = 100
    wb.properties.title = f"{p.tema_titel} – {p.omraade}, {p.periode}"
    wb.properties.creator = UDGIVER
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_LINK = 'style="text-decoration:underline;color:#0b57a4;font-weight:600"'


def links_html(p: Pakke) -> str:
    """CSV and Excel links (``data:`` URIs, so they work in static reports too), the marks explained,
    and "Sådan citerer du" with the view's link."""
    name = html.escape(p.filnavn)
    b64c = base64.b64encode(csv_bytes(p)).decode()
    b64x = base64.b64encode(xlsx_bytes(p)).decode()
    from .deeplink import APP_LINK_ATTR

    link = (f' Link til visningen: <a href="{html.escape(p.link)}" data-testid="citer-link" {APP_LINK_ATTR} '
            f'style="overflow-wrap:anywhere;text-decoration:underline;color:#0b57a4">{html.escape(p.link)}</a>'
            if p.link else "")
    return (
        '<div class="vd-download">'
        f'<p>Hent tallene ({html.escape(p.omraade)}, {html.escape(p.periode.replace("-", "–"))}): '
        f'<a download="{name}.csv" href="data:text/csv;charset=utf-8;base64,{b64c}" data-testid="download-csv" '
        f'aria-label="Hent tabellen som CSV-fil ({name}.csv)" {_LINK}>CSV-fil</a> · '
        f'<a download="{name}.xlsx" data-testid="download-xlsx" aria-label="Hent tabel, nøgletal og '
        f'oplysninger om data som Excel-fil ({name}.xlsx)" '
        f'href="data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,{b64x}" {_LINK}>'
        "Excel-fil</a> (med nøgletal og «Om data»)</p>"
        f'<p class="vd-note">I filerne betyder {html.escape(FORKLARING_PRIMAER)}; '
        f"{html.escape(FORKLARING_SEKUNDAER)}.</p>"
        f'<p class="vd-note" data-testid="citer"><b>Sådan citerer du:</b> {html.escape(p.citation_uden_link)}{link}</p>'
        + (f'<p class="vd-note" data-testid="litteratur"><b>Metoden bygger på:</b> '
           f'{html.escape(" ".join(p.litteratur))}</p>' if p.litteratur else "")
        + "</div>"
    )


__all__ = ["KOLONNER", "Pakke", "pakke", "filnavn", "periode", "dansk_tabel", "csv_bytes", "xlsx_bytes",
           "om_data", "links_html"]
