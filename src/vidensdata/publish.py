"""Published tables: what a report shows, also as machine-readable data for the audit.

A theme shows every table it publishes through :func:`publicer`. The result is a
display object: in a static report (papermill/nbconvert) it carries the Danish
HTML *and* a machine-readable copy of the table under the MIME type
:data:`MIME` (``application/vnd.vidensdata.tabel+json``), which HTML export
ignores, so the page looks exactly as before. After execution the runner calls
:func:`extract_tables` on the executed notebook and :func:`write_tables` to write
each table as CSV (UTF-8, ``;``) beside the report, with a ``tabeller.json``
manifest. ``vidensdata audit`` (:mod:`vidensdata.audit`) reads those files.

The copy holds the cells *exactly as shown*: Danish digits (``1.234``), ``<5``
for 1-4 persons and ``x`` for secondary suppression. Nothing else is published.

How a theme calls it (overdoedelighed, maalgruppe, ...)
-------------------------------------------------------
Return ``publicer(...)`` from a ``vis_*`` function that ``Visning.vis`` shows (or
``display()`` it)::

    from ..publish import publicer

    def vis_tabel(res):
        shown = ...  # the wide DataFrame of display strings ("1.234", "<5", "x")
        return publicer(
            "tabel", shown,
            personhenfoerbar=True,           # counts of persons from register-like data
            antal_kolonner=["2020", "2021"],  # the columns holding those counts
            kilde=res.kildelinje,
            geografi=res.valg.omraade.navn,  # lets the audit compare neighbouring geographies
            html=my_html,                    # optional: your own HTML (default: a plain table)
        )

* ``navn`` is unique within a report and stable across reports (it becomes the
  file name ``<navn>.csv``); the same table of every geography has the same name,
  columns and row labels, so the audit can match cells between a region and its
  kommuner.
* Rows are identified by the leading label columns (the columns before the first
  count column); a table without leading labels is matched by row position.
* Declare ``total_raekke`` (the label of an additive total row) and/or
  ``total_kolonne`` (an additive total column) only where the total really is the
  sum of the other cells: the audit then checks that no suppressed cell can be
  recovered from it. "Mindst én ydelse" (persons with any service) is *not* additive.
* Public statistics (population counts) are ``personhenfoerbar=False``.
"""

from __future__ import annotations

import html as _html
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .errors import ReportError, UnknownColumnError

MIME = "application/vnd.vidensdata.tabel+json"
MANIFEST = "tabeller.json"
FORMAT_VERSION = 1

__all__ = ["MIME", "MANIFEST", "PubliceretTabel", "publicer", "tabel_payload", "extract_tables", "write_tables",
           "read_tables", "table_frame", "csv_bytes"]


def _cell(v):
    """A cell as it goes into the JSON copy: text stays text, numbers stay numbers, missing is ''."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int) or (hasattr(v, "dtype") and v.dtype.kind in "iu"):
        return int(v)
    if isinstance(v, float) or (hasattr(v, "dtype") and v.dtype.kind == "f"):
        f = float(v)
        return "" if math.isnan(f) else f
    return str(v)


def _geografi_info(geografi) -> dict | None:
    if geografi is None:
        return None
    from . import geography

    omr = geography.omraade(geografi)
    g = omr.enkelt
    if g is None:  # several geographies as one area: no single place in the hierarchy
        return {"navn": omr.navn, "kode": None, "niveau": "flere", "region_kode": None}
    return {"navn": g.navn, "kode": g.kode, "niveau": g.niveau, "region_kode": g.region_kode}


def tabel_payload(navn: str, df: pd.DataFrame, *, personhenfoerbar: bool, antal_kolonner: Sequence[str],
                  kilde: str, geografi=None, total_raekke: str | None = None,
                  total_kolonne: str | None = None, relationer: Sequence[dict] | None = None) -> dict:
    """The machine-readable copy of a published table (what goes under :data:`MIME`).

    ``relationer`` declares additive relations with cells of other tables of the same report:
    ``{"total": [table, row label, column], "dele": [[table, row label, column], ...]}`` (the row
    label is the value of the table's first label column); the audit solves them with the rest.
    """
    if not isinstance(navn, str) or not navn.strip():
        raise ReportError(f"a published table needs a name, got {navn!r}", dansk="En tabel mangler et navn.")
    if not isinstance(df, pd.DataFrame):
        raise ReportError(f"publicer({navn!r}): expected a DataFrame, got {type(df).__name__}",
                          dansk=f"publicer({navn!r}): tabellen skal være en DataFrame, ikke {type(df).__name__}.")
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        dubletter = sorted({c for c in columns if columns.count(c) > 1})
        raise ReportError(f"publicer({navn!r}): duplicate column names {columns}",
                          dansk=f"publicer({navn!r}): kolonnenavnene {', '.join(dubletter)} forekommer flere gange.")
    antal = [str(c) for c in antal_kolonner]
    missing = [c for c in antal if c not in columns]
    if missing:
        raise UnknownColumnError(f"publicer({navn!r}): no count column(s) {missing}; the table has {columns}",
                                 dansk=f"Tabellen {navn} mangler kolonnen/kolonnerne {', '.join(missing)}.")
    if total_kolonne is not None and str(total_kolonne) not in antal:
        raise UnknownColumnError(f"publicer({navn!r}): total_kolonne {total_kolonne!r} is not a count column {antal}",
                                 dansk=f"publicer({navn!r}): total_kolonne {total_kolonne!r} er ikke en af "
                                       f"antalskolonnerne ({', '.join(antal)}).")
    first = min((columns.index(c) for c in antal), default=len(columns))
    noegle = columns[:first]
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]
    if total_raekke is not None:
        if not noegle:
            raise ReportError(f"publicer({navn!r}): total_raekke needs a label column before the counts",
                              dansk=f"publicer({navn!r}): total_raekke={total_raekke!r} kræver en kolonne med "
                                    f"rækkenavne før antalskolonnerne ({', '.join(antal)}).")
        if not any(str(r[0]) == str(total_raekke) for r in rows):
            raise ReportError(f"publicer({navn!r}): no row labelled {total_raekke!r} in column {noegle[0]!r}",
                              dansk=f"publicer({navn!r}): ingen række hedder {total_raekke!r} i kolonnen "
                                    f"{noegle[0]}.")
    return {
        "format": FORMAT_VERSION,
        "navn": navn,
        "personhenfoerbar": bool(personhenfoerbar),
        "antal_kolonner": antal,
        "kilde": str(kilde),
        "geografi": _geografi_info(geografi),
        "noegle": noegle,
        "total_raekke": None if total_raekke is None else str(total_raekke),
        "total_kolonne": None if total_kolonne is None else str(total_kolonne),
        "relationer": _relations(navn, relationer),
        "columns": columns,
        "rows": rows,
    }


def _relations(navn: str, relationer) -> list[dict]:
    out = []
    for rel in relationer or []:
        try:
            total = [str(x) for x in rel["total"]]
            dele = [[str(x) for x in d] for d in rel["dele"]]
        except (KeyError, TypeError) as exc:
            raise ReportError(f"publicer({navn!r}): a relation needs 'total' and 'dele', got {rel!r}",
                              dansk=f"publicer({navn!r}): en relation skal have »total« og »dele«, "
                                    f"ikke {rel!r}.") from exc
        if len(total) != 3 or any(len(d) != 3 for d in dele):
            raise ReportError(f"publicer({navn!r}): cells of a relation are [table, row label, column]: {rel!r}",
                              dansk=f"publicer({navn!r}): en relations celler angives som [tabel, rækkenavn, "
                                    f"kolonne], ikke {rel!r}.")
        out.append({"total": total, "dele": dele})
    return out


class PubliceretTabel:
    """A published table as a display object: Danish HTML plus the machine-readable copy."""

    def __init__(self, payload: dict, html: str, ekstra: Sequence[dict] = ()):
        self.payload = payload
        self.html = html
        self.ekstra = tuple(ekstra)  # further tables shown in the same HTML (e.g. a small table under it)

    @property
    def payloads(self) -> list[dict]:
        return [self.payload, *self.ekstra]

    def med(self, *andre: PubliceretTabel) -> PubliceretTabel:
        """This table's HTML, publishing also the tables ``andre`` (whose HTML this one already shows)."""
        return PubliceretTabel(self.payload, self.html, [*self.ekstra, *(p for a in andre for p in a.payloads)])

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = self.payload if not self.ekstra else self.payloads
        return {"text/html": self.html, MIME: data, "text/plain": repr(self)}

    def __repr__(self) -> str:  # stable (no memory address): nbval compares it
        return f"<Offentliggjort tabel: {self.payload['navn']}>"

    def _repr_html_(self) -> str:  # the Voila app's HTML sections use this
        return self.html

    @property
    def data(self) -> str:  # like IPython.display.HTML
        return self.html

    def frame(self) -> pd.DataFrame:
        return table_frame(self.payload)


def publicer(navn: str, df: pd.DataFrame, *, personhenfoerbar: bool, antal_kolonner: list[str], kilde: str,
             geografi=None, total_raekke: str | None = None, total_kolonne: str | None = None,
             html: str | None = None, relationer: Sequence[dict] | None = None) -> PubliceretTabel:
    """Show a published table: ``html`` (default: the table as plain HTML) plus its machine-readable copy.

    ``df`` holds the cells exactly as shown (text such as ``"1.234"``, ``"<5"``,
    ``"x"``). ``personhenfoerbar`` says the counts in ``antal_kolonner`` are counts
    of persons from person-level data (the audit then checks them). Return the
    result from a section renderer (``Visning.vis``) or ``display()`` it.
    """
    payload = tabel_payload(navn, df, personhenfoerbar=personhenfoerbar, antal_kolonner=antal_kolonner,
                            kilde=kilde, geografi=geografi, total_raekke=total_raekke, total_kolonne=total_kolonne,
                            relationer=relationer)
    if html is None:
        html = rulle(df.to_html(index=False, classes="vd-tabel", border=0, escape=True), navn) + \
            f'<p class="vd-note">{_html.escape(str(kilde))}</p>'
    return PubliceretTabel(payload, html)


def rulle(table_html: str, navn: str = "Tabel") -> str:
    """A table's HTML in its own horizontal scroll container, so a wide table never widens the page on a
    phone (focusable, so it also scrolls by keyboard; WCAG 2.1.1)."""
    return (f'<div class="vd-tabel-rulle" role="region" aria-label="{_html.escape(navn)}" tabindex="0" '
            f'style="overflow-x:auto;max-width:100%">{table_html}</div>')


# ---------------------------------------------------------------- reading back and writing

def extract_tables(nb) -> dict[str, dict]:
    """The published tables of an executed notebook (``nbformat.NotebookNode``), by name, in order.

    A name shown twice with different contents is a :class:`ReportError`.
    """
    found: dict[str, dict] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if MIME not in data:
                continue
            payloads = data[MIME]
            if isinstance(payloads, str):
                payloads = json.loads(payloads)
            payloads = json.loads(json.dumps(payloads))  # plain dicts/lists, not NotebookNodes
            for payload in payloads if isinstance(payloads, list) else [payloads]:
                navn = payload.get("navn")
                if navn in found and found[navn] != payload:
                    raise ReportError(f"the notebook publishes two different tables named {navn!r}",
                                      dansk=f"Rapporten viser to forskellige tabeller med navnet {navn}.")
                found[navn] = payload
    return found


def table_frame(payload: dict) -> pd.DataFrame:
    """A payload's rows as a DataFrame (text columns as shown)."""
    return pd.DataFrame(payload["rows"], columns=payload["columns"])


def csv_bytes(payload: dict) -> bytes:
    """The CSV file of one table: UTF-8 (no BOM), ``;``-separated, ``\\n`` line ends, cells as shown."""
    buf = io.StringIO()
    table_frame(payload).to_csv(buf, sep=";", index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _file_name(navn: str) -> str:
    from .geography import slugify

    return f"{slugify(navn) or 'tabel'}.csv"


def write_tables(tables: dict[str, dict], folder, rapport: dict | None = None) -> Path:
    """Write every table as ``<navn>.csv`` plus the manifest ``tabeller.json`` into ``folder``; return the manifest.

    Each file is written atomically (temporary file + rename); the manifest is
    written last and names each file with its SHA-256, so a reader never mixes
    a new manifest with old files. ``rapport`` (e.g. ``{"tema": ..., "geografi": ...}``)
    is stored in the manifest. Files of tables no longer published are removed.
    """
    import hashlib

    from .datasets.cache import atomic_write_bytes, atomic_write_text

    folder = Path(folder)
    entries = {}
    names: dict[str, str] = {}
    for navn, payload in tables.items():
        fil = _file_name(navn)
        if fil in names:
            raise ReportError(f"tables {names[fil]!r} and {navn!r} would both be written to {fil}",
                              dansk=f"Tabellerne {names[fil]!r} og {navn!r} ville begge blive skrevet til {fil}; "
                                    f"giv dem navne, der ikke ligner hinanden så meget.")
        names[fil] = navn
        data = csv_bytes(payload)
        atomic_write_bytes(folder / fil, data)
        meta = {k: v for k, v in payload.items() if k != "rows"}
        entries[navn] = {**meta, "fil": fil, "sha256": hashlib.sha256(data).hexdigest(),
                         "raekker": len(payload["rows"])}
    manifest = {"format": FORMAT_VERSION, "rapport": rapport or {}, "tabeller": entries}
    path = folder / MANIFEST
    atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    if folder.is_dir():
        for old in folder.glob("*.csv"):
            if old.name not in names:
                old.unlink(missing_ok=True)
    return path


def read_tables(folder) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Read a folder written by :func:`write_tables`: ``(manifest, {navn: DataFrame of text})``.

    A missing or unreadable file, or one whose checksum does not match the
    manifest, is a :class:`~vidensdata.errors.ReportError`.
    """
    import hashlib

    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["tabeller"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"cannot read the table manifest {path}: {exc}",
                          dansk=f"Tabeloversigten {path} kan ikke læses.") from None
    frames = {}
    for navn, meta in entries.items():
        f = folder / meta["fil"]
        try:
            data = f.read_bytes()
        except OSError as exc:
            raise ReportError(f"published table {navn!r} is missing: {f} ({exc})",
                              dansk=f"Den offentliggjorte tabel {navn!r} mangler: {f.name}.") from None
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise ReportError(f"published table {f} does not match its checksum in {path}",
                              dansk=f"Tabellen {f.name} er ændret eller beskadiget.")
        try:
            frames[navn] = pd.read_csv(io.BytesIO(data), sep=";", dtype=str, keep_default_na=False,
                                       encoding="utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ReportError(f"published table {f} cannot be read: {exc}",
                              dansk=f"Den offentliggjorte tabel {f.name} kan ikke læses ({exc}).") from None
        frames[navn].columns = [str(c) for c in frames[navn].columns]
    return manifest, frames
