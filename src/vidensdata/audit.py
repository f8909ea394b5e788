"""The disclosure audit of published reports (``vidensdata audit [REPORTS_DIR]``).

Every report writes the tables it publishes beside its HTML (see
:mod:`vidensdata.publish`: ``<reports>/<tema>/<slug>.tabeller/`` with
``tabeller.json`` and one CSV per table). The audit reads all of them and
reports, naming report, table and cell, every

* published count of persons from person-level data (``personhenfoerbar``) in
  1–4 (it must be shown as ``<5``), or a count cell that is neither a number
  nor a suppression mark;
* suppressed cell that can be recovered from a declared additive total of the
  same table (``total_raekke``/``total_kolonne``): a relation with a published
  total and exactly one suppressed cell, or a suppressed total with every cell
  published;
* suppressed cell that can be recovered from a neighbouring geography's
  published aggregate: the same table and cell (same theme, row label and
  column, e.g. year) in the reports of a region and its kommuner, or of the
  country and the regions. A region's value minus its other kommuner gives the
  one suppressed kommune; the kommuner's sum gives a suppressed region.
* report (HTML) without its table files, and table of the HTML page with
  numbers that is not one of the published tables (shown only in HTML);
* hidden ``<5`` whose *protection interval* is narrower than [1, 4]: every
  relation published is solved at once by linear programming
  (:func:`vidensdata.disclosure.intervals`, the same code the suppression
  uses): a region = its kommuner and the country = its regions (same theme,
  table, row and column across the reports), declared total rows and columns,
  and relations declared between the tables of a report (``relationer``, e.g.
  a register's count = the sum of its capture histories); ``<5`` is bounded to
  [1, 4], ``x`` to >= 0, a geography without a report is unknown. A cell shown
  hidden in one report and published in another is a finding too.

No table is exempt because of a flag it sets itself: the count columns a table
declares are checked whether or not it says ``personhenfoerbar``.

It checks what is on disk, so it also catches a table that bypassed
:mod:`vidensdata.disclosure`. Cells are compared as shown (``1.234``, ``<5``,
``x``); ``–`` and empty cells are "not published" and never count as known.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from . import disclosure as protection
from . import geography
from .disclosure import THRESHOLD
from .formatting import MISSING
from .publish import MANIFEST, read_tables
from .vocabulary import PRIMAER as SUPPRESSED
from .vocabulary import SEKUNDAER as SECONDARY
TABLES_SUFFIX = ".tabeller"


def tables_folder(reports: Path, tema: str, slug: str) -> Path:
    """Where the report ``<reports>/<tema>/<slug>.html`` keeps its published tables (``<slug>.tabeller/``)."""
    return Path(reports) / tema / f"{slug}{TABLES_SUFFIX}"


@dataclass(frozen=True)
class Fund:
    """One problem: where it is, in English and in Danish."""

    rapport: str
    tabel: str
    celle: str
    message: str
    dansk: str

    def line(self) -> str:
        return f"{self.rapport} | {self.tabel} | {self.celle}: {self.message} / {self.dansk}"


@dataclass
class AuditResult:
    fund: list[Fund] = field(default_factory=list)
    rapporter: int = 0
    tabeller: int = 0
    celler: int = 0  # count cells of person-level tables checked

    @property
    def ok(self) -> bool:
        return not self.fund and self.rapporter > 0

    def summary(self) -> str:
        head = (f"Audit: {self.rapporter} reports, {self.tabeller} tables, {self.celler} count cells checked / "
                f"{self.rapporter} rapporter, {self.tabeller} tabeller, {self.celler} antalsceller kontrolleret")
        if self.rapporter == 0:
            return head + "\nNo published tables found / Ingen offentliggjorte tabeller fundet."
        if not self.fund:
            return (head + "\nNo problems: nothing unsafe is published"
                    " / Ingen problemer: intet usikkert er offentliggjort.")
        lines = [head, f"{len(self.fund)} problem(s) / {len(self.fund)} problem(er):"]
        lines += ["  " + f.line() for f in self.fund]
        return "\n".join(lines)


# ---------------------------------------------------------------- cells

def parse_cell(text) -> tuple[str, float | None]:
    """``("tal", value)``, ``("primaer", None)`` for ``<5``, ``("sekundaer", None)`` for ``x``,
    ``("mangler", None)`` for empty/``–``, or ``("ugyldig", None)``."""
    s = "" if text is None else str(text).strip()
    if s in ("", MISSING, "-", "nan"):
        return "mangler", None
    if s == SUPPRESSED:
        return "primaer", None
    if s.lower() == SECONDARY:
        return "sekundaer", None
    digits = s.replace(".", "").replace("\u00a0", "").replace(" ", "")
    neg = digits.startswith(("-", "\u2212"))
    digits = digits.lstrip("-\u2212")
    if "," in digits:
        whole, _, frac = digits.partition(",")
        if whole.isdigit() and frac.isdigit():
            v = float(f"{whole}.{frac}")
            return "tal", -v if neg else v
        return "ugyldig", None
    if digits.isdigit():
        v = float(int(digits))
        return "tal", -v if neg else v
    return "ugyldig", None


def _hidden(kind: str) -> bool:
    return kind in ("primaer", "sekundaer")


class _Table:
    """The text cells of one published table, with fast access by row position and column name."""

    def __init__(self, frame: pd.DataFrame):
        self.columns = [str(c) for c in frame.columns]
        self.rows = frame.to_numpy(dtype=object).tolist()
        self._idx = {c: i for i, c in enumerate(self.columns)}

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, pos: int, col: str):
        return self.rows[pos][self._idx[col]]

    def column(self, col: str) -> list:
        i = self._idx[col]
        return [r[i] for r in self.rows]


@dataclass
class _Report:
    folder: Path
    navn: str  # how findings name the report, e.g. "serviceudvikling/laesoe"
    tema: str
    slug: str
    manifest: dict
    frames: dict[str, _Table]


def _row_name(payload: dict, frame: pd.DataFrame, pos: int) -> str:
    keys = payload.get("noegle") or []
    if keys:
        return ", ".join(f"{k}={frame.get(pos, k)}" for k in keys)
    return f"række {pos + 1}"


def _cell_name(payload, frame, pos, col) -> str:
    return f"{_row_name(payload, frame, pos)}, {col}"


def _row_key(payload: dict, frame: pd.DataFrame, pos: int) -> tuple:
    keys = payload.get("noegle") or []
    return tuple(frame.get(pos, k) for k in keys) if keys else (pos,)


# ---------------------------------------------------------------- checks within one table

def _check_cells(rep: _Report, navn: str, payload: dict, frame: pd.DataFrame, result: AuditResult) -> None:
    for col in payload["antal_kolonner"]:
        if col not in frame.columns:
            result.fund.append(Fund(rep.navn, navn, col, f"count column {col!r} is missing from the file",
                                    f"antalskolonnen {col!r} mangler i filen"))
            continue
        for pos, text in enumerate(frame.column(col)):
            result.celler += 1
            kind, value = parse_cell(text)
            where = _cell_name(payload, frame, pos, col)
            if kind == "ugyldig":
                result.fund.append(Fund(rep.navn, navn, where,
                                        f"{text!r} is neither a count nor {SUPPRESSED}/{SECONDARY}",
                                        f"{text!r} er hverken et antal eller {SUPPRESSED}/{SECONDARY}"))
            elif kind == "tal" and 1 <= value < THRESHOLD:
                result.fund.append(Fund(rep.navn, navn, where,
                                        f"published count {text} is in 1-{THRESHOLD - 1} "
                                        f"(must be shown as {SUPPRESSED})",
                                        f"offentliggjort antal {text} ligger i 1–{THRESHOLD - 1} "
                                        f"(skal vises som {SUPPRESSED})"))


def _check_relation(navn: str, members: list[tuple[str, str, str]],
                    total: tuple[str, str, str], via: str, result: AuditResult) -> None:
    """One additive relation ``sum(members) == total``; each item is ``(report, cell name, text)``."""
    kinds = [parse_cell(t)[0] for _, _, t in members]
    tkind = parse_cell(total[2])[0]
    if "mangler" in kinds or "ugyldig" in kinds or tkind in ("mangler", "ugyldig"):
        return  # not published (or already reported): nothing can be recovered from it
    hidden = [m for m, k in zip(members, kinds) if _hidden(k)]
    if tkind == "tal" and len(hidden) == 1:
        rep, cell, text = hidden[0]
        result.fund.append(Fund(rep, navn, cell,
                                f"suppressed cell ({text}) can be recovered as {via} total {total[2]} "
                                f"({total[0]}: {total[1]}) minus the published cells",
                                f"den skjulte celle ({text}) kan regnes ud som {via}-totalen {total[2]} "
                                f"({total[0]}: {total[1]}) minus de offentliggjorte celler"))
    elif _hidden(tkind) and not hidden and members:
        result.fund.append(Fund(total[0], navn, total[1],
                                f"suppressed {via} total ({total[2]}) can be recovered as the sum of its "
                                "published cells",
                                f"den skjulte {via}-total ({total[2]}) kan regnes ud som summen af de "
                                "offentliggjorte celler"))


def _check_totals(rep: _Report, navn: str, payload: dict, frame: pd.DataFrame, result: AuditResult) -> None:
    antal = [c for c in payload["antal_kolonner"] if c in frame.columns]
    tk, tr = payload.get("total_kolonne"), payload.get("total_raekke")
    if tk and tk in antal:
        cells = [c for c in antal if c != tk]
        for pos in range(len(frame)):
            members = [(rep.navn, _cell_name(payload, frame, pos, c), frame.get(pos, c)) for c in cells]
            total = (rep.navn, _cell_name(payload, frame, pos, tk), frame.get(pos, tk))
            _check_relation(navn, members, total, "række", result)
    if tr is not None and payload.get("noegle"):
        label = payload["noegle"][0]
        hits = [p for p, v in enumerate(frame.column(label)) if str(v) == str(tr)]
        if len(hits) != 1:
            return
        tpos = hits[0]
        others = [p for p in range(len(frame)) if p != tpos]
        for c in antal:
            members = [(rep.navn, _cell_name(payload, frame, p, c), frame.get(p, c)) for p in others]
            total = (rep.navn, _cell_name(payload, frame, tpos, c), frame.get(tpos, c))
            _check_relation(navn, members, total, "kolonne", result)


# ---------------------------------------------------------------- checks across geographies

def _geo_of(rep: _Report, payload: dict):
    """The report's place in the hierarchy: the table's ``geografi``, else the manifest's, else the file name."""
    info = payload.get("geografi") or {}
    kode = info.get("kode")
    if kode is None:
        if info.get("niveau") == "flere":
            return None
        navn = (rep.manifest.get("rapport") or {}).get("geografi")
        if not navn:
            return {g.slug: g for g in geography.report_geographies()}.get(rep.slug)
        try:
            return geography.resolve_one(navn)
        except Exception:  # noqa: BLE001 - an unknown name just means: not part of the hierarchy
            return None
    try:
        return geography.resolve_one(kode)
    except Exception:  # noqa: BLE001
        return None


def _check_geography(reports: list[_Report], result: AuditResult) -> None:
    """Region minus its other kommuner (and country minus other regions), per theme, table and cell."""
    # (tema, table, columns) -> geography code -> (report, payload, frame)
    index: dict[tuple, dict[str, tuple]] = defaultdict(dict)
    for rep in reports:
        for navn, payload in rep.manifest["tabeller"].items():
            g = _geo_of(rep, payload)
            if g is None:
                continue
            frame = rep.frames[navn]
            index[(rep.tema, navn, tuple(frame.columns))][g.kode] = (rep, payload, frame)
    relations = [(r.kode, [k.kode for k in geography.kommuner() if k.region_kode == r.kode], "region")
                 for r in geography.regioner()]
    relations.append((geography.LAND_KODE, [r.kode for r in geography.regioner()], "lands"))
    for (_tema, navn, _cols), by_geo in index.items():
        for total_code, member_codes, via in relations:
            if total_code not in by_geo or not any(m in by_geo for m in member_codes):
                continue
            trep, tpayload, tframe = by_geo[total_code]
            counts = [c for c in tpayload["antal_kolonner"] if c in tframe.columns]
            member_rows = {}
            for m in member_codes:
                if m in by_geo:
                    rep, payload, frame = by_geo[m]
                    member_rows[m] = {_row_key(payload, frame, p): p for p in range(len(frame))}
            for tpos in range(len(tframe)):
                key = _row_key(tpayload, tframe, tpos)
                for col in counts:
                    members = []
                    for m in member_codes:
                        if m not in by_geo or key not in member_rows[m]:
                            members.append(("?", "?", MISSING))  # not published: nothing known
                            continue
                        rep, payload, frame = by_geo[m]
                        p = member_rows[m][key]
                        members.append((rep.navn, _cell_name(payload, frame, p, col), frame.get(p, col)))
                    total = (trep.navn, _cell_name(tpayload, tframe, tpos, col), tframe.get(tpos, col))
                    _check_relation(navn, members, total, via, result)


# ---------------------------------------------------------------- the attack: linear programming

class _Cells:
    """Every published count cell of every report, numbered for :mod:`vidensdata.protection`."""

    def __init__(self):
        self.kind: list[int] = []
        self.value: list[float] = []
        self.where: list[tuple[str, str, str, str]] = []  # report, table, cell name, text
        self.index: dict[tuple, int] = {}
        self.clashes: list[tuple[int, tuple]] = []

    def add(self, key, text, where) -> int:
        kind, value = parse_cell(text)
        code = {"tal": protection.PUBLISHED, "primaer": protection.PRIMARY}.get(kind, protection.SECONDARY)
        if key in self.index:  # the same cell shown in several reports
            i = self.index[key]
            if code == protection.PUBLISHED and self.kind[i] != protection.PUBLISHED:
                self.clashes.append((i, where))
                self.kind[i], self.value[i] = code, value
            return i
        self.kind.append(code)
        self.value.append(value if value is not None else 0.0)
        self.where.append(where)
        if key is not None:
            self.index[key] = len(self.kind) - 1
        return len(self.kind) - 1

    def phantom(self) -> int:
        """A cell that is not published at all (a geography without a report): unknown, >= 0."""
        return self.add(None, SECONDARY, ("?", "?", "?", ""))


def _is_geography_list(payload: dict, frame: _Table) -> bool:
    """A table whose rows are geographies (e.g. one row per kommune): the same cell in every report."""
    keys = payload.get("noegle") or []
    if not keys or not len(frame):
        return False
    names = {g.navn for g in geography.kommuner()} | {g.navn for g in geography.regioner()}
    return all(str(v) in names for v in frame.column(keys[0]))


def _table_cells(rep: _Report, navn: str, payload: dict, cells: _Cells, geo) -> dict[tuple, int]:
    """Add a table's count cells; returns (row key, column) -> cell number."""
    frame = rep.frames[navn]
    shared = _is_geography_list(payload, frame)
    place = "*" if shared else (geo.kode if geo is not None else rep.navn)
    out = {}
    for col in [c for c in payload["antal_kolonner"] if c in frame.columns]:
        for pos, text in enumerate(frame.column(col)):
            row = _row_key(payload, frame, pos)
            where = (rep.navn, navn, _cell_name(payload, frame, pos, col), str(text))
            out[(row, col)] = cells.add((rep.tema, navn, place, row, col), text, where)
    return out


def _own_relations(payload: dict, frame: _Table, at: dict[tuple, int]) -> list[tuple[int, list[int]]]:
    """The table's declared total column and total row."""
    rels = []
    antal = [c for c in payload["antal_kolonner"] if c in frame.columns]
    rows = [_row_key(payload, frame, p) for p in range(len(frame))]
    tk, tr = payload.get("total_kolonne"), payload.get("total_raekke")
    if tk in antal:
        rels += [(at[(r, tk)], [at[(r, c)] for c in antal if c != tk]) for r in rows]
    if tr is not None and payload.get("noegle"):
        total_rows = [r for r in rows if str(r[0]) == str(tr)]
        if len(total_rows) == 1:
            rels += [(at[(total_rows[0], c)], [at[(r, c)] for r in rows if r != total_rows[0]]) for c in antal]
    return rels


def _declared(rep: _Report, payload: dict, at: dict[str, dict]) -> list[tuple[int, list[int]]]:
    """Relations a table declares across the report's tables: ``relationer`` = [{total, dele}] of
    ``[table, row label, column]``."""
    by_label = {tabel: {(str(row[0]), col): i for (row, col), i in cells.items() if row}
                for tabel, cells in at.items()}

    def cell(ref):
        tabel, label, col = ref
        return by_label.get(tabel, {}).get((str(label), str(col)))

    rels = []
    for rel in payload.get("relationer") or []:
        total, parts = cell(rel["total"]), [cell(d) for d in rel["dele"]]
        if total is not None and None not in parts:
            rels.append((total, parts))
    return rels


def _geography_relations(placed: dict, cells: _Cells) -> list[tuple[int, list[int]]]:
    """Region = its kommuner, country = its regions, per theme, table, row and column."""
    relations = [(r.kode, [k.kode for k in geography.kommuner() if k.region_kode == r.kode])
                 for r in geography.regioner()]
    relations.append((geography.LAND_KODE, [r.kode for r in geography.regioner()]))
    rels = []
    for by_geo in placed.values():
        for total_code, member_codes in relations:
            if total_code not in by_geo or not any(m in by_geo for m in member_codes):
                continue
            for key, total in by_geo[total_code].items():
                parts = [by_geo[m][key] if m in by_geo and key in by_geo[m] else cells.phantom()
                         for m in member_codes]
                rels.append((total, parts))
    return rels


def _collect(reports: list[_Report]) -> tuple[_Cells, list]:
    cells, relations = _Cells(), []
    placed: dict[tuple, dict[str, dict]] = defaultdict(dict)  # (tema, table) -> geography -> cells
    for rep in reports:
        at: dict[str, dict] = {}
        for navn, payload in rep.manifest["tabeller"].items():
            geo = _geo_of(rep, payload)
            at[navn] = _table_cells(rep, navn, payload, cells, geo)
            relations += _own_relations(payload, rep.frames[navn], at[navn])
            if geo is not None and at[navn] and not _is_geography_list(payload, rep.frames[navn]):
                placed[(rep.tema, navn)][geo.kode] = at[navn]
        for payload in rep.manifest["tabeller"].values():
            relations += _declared(rep, payload, at)
    relations += _geography_relations(placed, cells)
    return cells, relations


def _check_intervals(reports: list[_Report], result: AuditResult) -> None:
    """Every hidden ``<5`` must keep the whole interval [1, 4] under all published relations."""
    cells, relations = _collect(reports)
    seen = {(f.rapport, f.tabel, f.celle) for f in result.fund}
    for i, where in cells.clashes:
        rep, tabel, cell, text = cells.where[i]
        result.fund.append(Fund(rep, tabel, cell, f"hidden cell ({text}) is published in {where[0]} ({where[3]})",
                                f"den skjulte celle ({text}) er offentliggjort i {where[0]} ({where[3]})"))
    for i, iv in sorted(protection.unsafe_cells(cells.kind, cells.value, relations).items()):
        rep, tabel, cell, text = cells.where[i]
        if (rep, tabel, cell) in seen:
            continue
        if not iv.feasible:
            msg = ("the published relations contradict each other around this cell",
                   "de offentliggjorte relationer modsiger hinanden omkring denne celle")
        else:
            lo, hi = fmt_num(iv.low), fmt_num(iv.high)
            msg = (f"hidden cell ({text}) lies in [{lo}, {hi}] by the published relations, narrower than [1, 4]",
                   f"den skjulte celle ({text}) ligger i [{lo}; {hi}] ud fra de offentliggjorte relationer, "
                   "snævrere end [1; 4]")
        result.fund.append(Fund(rep, tabel, cell, *msg))


def fmt_num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- tables shown only in the HTML

class _HtmlTables(HTMLParser):
    """The text of every ``<table>`` of a page: tables -> rows -> cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            self.tables.append([])
        elif tag == "tr" and self._depth:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self._depth and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _check_html(root: Path, rep: _Report, result: AuditResult) -> None:
    """Every table of the page with counts must be one of the published (machine-readable) tables."""
    page = root / rep.tema / f"{rep.slug}.html"
    if not page.is_file():
        return
    parser = _HtmlTables()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    published = set()
    for frame in rep.frames.values():
        published |= {tuple(str(v) for v in row) for row in frame.rows}
        published.add(tuple(frame.columns))
    for n, table in enumerate(parser.tables, start=1):
        loose = [row for row in table if row and tuple(row) not in published]
        numbers = [c for row in loose for c in row if parse_cell(c)[0] in ("tal", "primaer", "sekundaer")]
        if not numbers:
            continue
        small = [c for c in numbers if parse_cell(c)[0] == "tal" and 1 <= parse_cell(c)[1] < THRESHOLD]
        extra = f"; counts in 1-{THRESHOLD - 1}: {', '.join(small)}" if small else ""
        result.fund.append(Fund(rep.navn, f"html-tabel {n}", " | ".join(loose[0]),
                                f"table shown in the HTML only, not published through publicer{extra}",
                                "tabellen vises kun i HTML og er ikke offentliggjort maskinlæsbart"
                                + (f"; antal i 1–{THRESHOLD - 1}: {', '.join(small)}" if small else "")))


# ---------------------------------------------------------------- entry point

def _load(root: Path) -> tuple[list[_Report], list[Fund]]:
    reports, problems = [], []
    for manifest_path in sorted(root.rglob(MANIFEST)):
        if any(part.startswith(".") for part in manifest_path.relative_to(root).parts[:-1]):
            continue  # a report being written (or left by a killed run): not published
        folder = manifest_path.parent
        rel = folder.relative_to(root)
        manifest, frames = read_tables(folder)
        info = manifest.get("rapport") or {}
        parts = rel.parts
        tema = info.get("tema") or (parts[0] if len(parts) > 1 else "")
        slug = folder.name.removesuffix(TABLES_SUFFIX)
        reports.append(_Report(folder, f"{tema}/{slug}" if tema else slug, tema, slug, manifest,
                               {k: _Table(f) for k, f in frames.items()}))
    have = {(r.tema, r.slug) for r in reports}
    for page in sorted(root.glob("*/*.html")):
        tema = page.parent.name
        if (tema, page.stem) not in have:
            problems.append(Fund(f"{tema}/{page.stem}", "-", "-",
                                 "report has no published table files (tabeller.json)",
                                 "rapporten har ingen tabelfiler (tabeller.json)"))
    return reports, problems


def audit(reports_dir) -> AuditResult:
    """Audit every report's published tables under ``reports_dir``."""
    root = Path(reports_dir)
    result = AuditResult()
    reports, missing = _load(root)
    result.fund.extend(missing)
    result.rapporter = len(reports)
    for rep in reports:
        for navn, payload in rep.manifest["tabeller"].items():
            result.tabeller += 1
            frame = rep.frames[navn]
            _check_cells(rep, navn, payload, frame, result)  # a table's own flag exempts nothing
            _check_totals(rep, navn, payload, frame, result)
        _check_html(root, rep, result)
    _check_geography(reports, result)
    _check_intervals(reports, result)
    return result
