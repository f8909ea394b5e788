"""The rules of a register extract that a schema cannot express: across rows, tables, dates and the window.

Each rule is an **error** (``RegisterError``: the data cannot be trusted, nothing is derived from it) or a
**warning** (``RegisterWarning``: the data can be used as documented, but the analyst should know). The
table of rules with their severity is in ``docs/registerudtraek.md``; every finding names the file, the
rule and the first offending rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..errors import RegisterError, RegisterWarning
from ..vocabulary import FOERSTE_AAR, KONTAKT_REGISTRE, YDELSER

FOERSTE = 5  # offending rows shown


@dataclass(frozen=True)
class Fund:
    """One broken rule: the table, the rule (English and Danish, with the count), the first rows."""

    tabel: str
    regel: str
    regel_da: str
    raekker: list
    fejl: bool = True


def _rows(df: pd.DataFrame, mask: pd.Series, cols: list[str]) -> list:
    shown = df.loc[mask, cols].head(FOERSTE).copy()
    for c in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[c]):
            shown[c] = shown[c].dt.strftime("%Y-%m-%d").astype(object).where(shown[c].notna(), None)
    return shown.astype(object).where(shown.notna(), None).to_dict("records")


def _fund(tabel, df, mask, cols, regel, regel_da, fejl=True) -> list[Fund]:
    n = int(mask.sum())
    if not n:
        return []
    return [Fund(tabel, regel.replace("{n}", str(n)), regel_da.replace("{n}", str(n)), _rows(df, mask, cols), fejl)]


def check_codes(tabel: str, df: pd.DataFrame) -> list[Fund]:
    """Unknown codes: sex, service, register (``vocabulary``) and kommune (``geography``)."""
    from ..geography import kommuner  # geography reads the kommune list from a snapshot

    known = {"koen": ("M", "K"), "ydelse": tuple(YDELSER), "register": KONTAKT_REGISTRE,
             "kommune_kode": tuple(k.kode for k in kommuner())}
    known["handlekommune_kode"] = known["kommune_kode"]
    out = []
    for col, allowed in known.items():
        if col not in df.columns:
            continue
        s = df[col].astype("string").str.strip()
        if "kommune" in col:
            s = s.str.zfill(3)
        bad = s.notna() & ~s.isin(allowed)
        kind, vals = " kommune" if "kommune" in col else "", sorted(set(s[bad]))[:FOERSTE]
        out += _fund(tabel, df, bad, [c for c in ("person_id", col) if c in df.columns],
                     f"{{n}} row(s) where {col} has unknown{kind} codes {vals} (outside the known codes: "
                     f"{', '.join(allowed[:8])}{', …' if len(allowed) > 8 else ''})",
                     f"{{n}} række(r), hvor {col} har ukendte koder {vals}")
    return out


def _empty(personer, forloeb, kontakter) -> list[Fund]:
    out = []
    for tabel, df, fejl in (("personer", personer, True), ("ydelsesforloeb", forloeb, True),
                            ("registerkontakter", kontakter, False)):
        if df is not None and df.empty:
            out.append(Fund(tabel, "the table has no rows" + ("" if fejl else "; the target-group estimate "
                            "uses the services list only"), "tabellen har ingen rækker", [], fejl))
    return out


def _future(personer, forloeb, kontakter, idag: date) -> list[Fund]:
    cut = pd.Timestamp(idag)
    out = _fund("personer", personer, personer["foedselsaar"] > idag.year, ["person_id", "foedselsaar"],
                f"{{n}} birth year(s) after this year ({idag.year})", f"{{n}} fødselsår efter i år ({idag.year})")
    for tabel, df, cols in (("personer", personer, ("indgang_dato", "doedsdato")),
                            ("ydelsesforloeb", forloeb, ("start_dato", "slut_dato"))):
        for c in cols:
            out += _fund(tabel, df, df[c] > cut, ["person_id", c], f"{{n}} {c} date(s) in the future (after {idag})",
                         f"{{n}} {c}-dato(er) ligger i fremtiden (efter {idag})")
    if kontakter is not None:
        out += _fund("registerkontakter", kontakter, kontakter["aar"] > idag.year, ["person_id", "register", "aar"],
                     f"{{n}} contact year(s) after this year ({idag.year})",
                     f"{{n}} kontaktår efter i år ({idag.year})")
    return out


def _persons(personer, forloeb, kontakter) -> list[Fund]:
    birth, entry, death = personer["foedselsaar"], personer["indgang_dato"].dt.year, personer["doedsdato"]
    vis = ["person_id", "foedselsaar", "indgang_dato", "doedsdato"]
    out = _fund("personer", personer, entry < birth, vis, "{n} person(s) enter the target group before they are "
                "born (indgang_dato before foedselsaar)", "{n} person(er) indgår i målgruppen, før de er født")
    out += _fund("personer", personer, death.notna() & (death.dt.year < birth), vis,
                 "{n} person(s) die before they are born", "{n} person(er) dør, før de er født")
    died = death.notna() & (death < personer["indgang_dato"])
    if died.any():  # the wording earlier versions used: "…; first: ['d']"
        ids = personer.loc[died, "person_id"].head(FOERSTE).tolist()
        out.append(Fund("personer", f"{int(died.sum())} person(s) die before their entry date; first: {ids}",
                        f"{int(died.sum())} person(er) dør før deres indgangsdato; første: {ids}", []))
    return out


def _episodes(personer, forloeb) -> list[Fund]:
    if forloeb.empty:  # an empty table is its own rule (_empty)
        return []
    vis = ["person_id", "ydelse", "start_dato", "slut_dato"]
    out = _fund("ydelsesforloeb", forloeb, ~forloeb["person_id"].isin(personer["person_id"]), vis,
                "{n} episode(s) name persons not in personer", "{n} forløb har personer, der ikke er i personer")
    backwards = forloeb["slut_dato"].notna() & (forloeb["slut_dato"] < forloeb["start_dato"])
    out += _fund("ydelsesforloeb", forloeb, backwards, vis, "{n} episode(s) end before they start",
                 "{n} forløb slutter, før de starter")
    p = personer.set_index("person_id")
    f = forloeb.assign(**{c: forloeb["person_id"].map(p[c]) for c in ("foedselsaar", "indgang_dato", "doedsdato")})
    start, slut = f["start_dato"], f["slut_dato"]
    rules = (
        (start.dt.year < f["foedselsaar"], "start before the person is born", "starter, før personen er født", True),
        (f["doedsdato"].notna() & (start > f["doedsdato"]), "start after the person's death",
         "starter efter personens død", True),
        (start < f["indgang_dato"], "start before the person's entry date (indgang_dato); they are counted from "
         "their start", "starter før personens indgangsdato; de tælles fra deres start", False),
        (f["doedsdato"].notna() & slut.notna() & (slut > f["doedsdato"]), "end after the person's death; they "
         "are counted until the death", "slutter efter personens død; de tælles til dødsdatoen", False),
    )
    for mask, en, da, fejl in rules:
        out += _fund("ydelsesforloeb", f, mask, [*vis, "foedselsaar", "indgang_dato", "doedsdato"],
                     f"{{n}} episode(s) {en}", f"{{n}} forløb {da}", fejl)
    return out


def _contacts(personer, kontakter) -> list[Fund]:
    if kontakter is None or kontakter.empty:  # an empty table is its own rule (_empty)
        return []
    vis = ["person_id", "register", "aar"]
    p = personer.set_index("person_id")
    out = _fund("registerkontakter", kontakter, ~kontakter["person_id"].isin(personer["person_id"]), vis,
                "{n} register contact(s) name persons not in personer",
                "{n} registerkontakt(er) har personer, der ikke er i personer")
    death_year = kontakter["person_id"].map(p["doedsdato"]).dt.year
    out += _fund("registerkontakter", kontakter, death_year.notna() & (kontakter["aar"] > death_year), vis,
                 "{n} register contact(s) in a year after the person's death",
                 "{n} registerkontakt(er) i et år efter personens død")
    out += _fund("registerkontakter", kontakter, kontakter["aar"] < kontakter["person_id"].map(p["foedselsaar"]),
                 vis, "{n} register contact(s) in a year before the person is born",
                 "{n} registerkontakt(er) i et år, før personen er født")
    return out


def _window(personer, forloeb, kontakter, vindue, idag: date) -> list[Fund]:
    first, last = vindue
    out = []
    if last is not None and last > idag.year:
        return [Fund("parametre.json", f"last_year {last} is in the future (this year is {idag.year})",
                     f"last_year {last} ligger i fremtiden (i år er {idag.year})", [])]
    if last is not None:
        end = pd.Timestamp(last, 12, 31)
        for tabel, df, cols in (("personer", personer, ("indgang_dato", "doedsdato")),
                                ("ydelsesforloeb", forloeb, ("start_dato", "slut_dato"))):
            for c in cols:
                out += _fund(tabel, df, df[c] > end, ["person_id", c], f"{{n}} {c} date(s) after the window's last "
                             f"year {last} (parametre.json); they are not counted",
                             f"{{n}} {c}-dato(er) efter vinduets sidste år {last}; de tælles ikke med", False)
        if kontakter is not None:
            out += _fund("registerkontakter", kontakter, kontakter["aar"] > last, ["person_id", "register", "aar"],
                         f"{{n}} contact year(s) after the window's last year {last}; they are not counted",
                         f"{{n}} kontaktår efter vinduets sidste år {last}; de tælles ikke med", False)
    start = first if first is not None else (forloeb["start_dato"].min().year if not forloeb.empty else None)
    if start is not None and start < FOERSTE_AAR:
        how = "first_year in parametre.json" if first is not None else "without parametre.json the earliest start_dato"
        return [Fund("parametre.json", f"the window starts in {start} ({how}), before {FOERSTE_AAR}, the first "
                     "year the datasets cover; set first_year (e.g. {\"first_year\": 2014, \"last_year\": 2024})",
                     f"vinduet starter i {start}, før {FOERSTE_AAR}; angiv first_year i parametre.json", [])]
    lo = pd.Timestamp(first or FOERSTE_AAR, 1, 1)
    hi = pd.Timestamp(last or idag.year, 12, 31)
    inside = (forloeb["start_dato"] <= hi) & (forloeb["slut_dato"].isna() | (forloeb["slut_dato"] >= lo))
    if not forloeb.empty and not inside.any():
        out.append(Fund("ydelsesforloeb", f"no episode overlaps the window {first}-{last} (parametre.json); every "
                        "count would be 0", f"ingen forløb ligger i vinduet {first}–{last}; alle tal ville være 0", []))
    return out


def check_consistency(personer: pd.DataFrame, forloeb: pd.DataFrame, kontakter: pd.DataFrame | None = None, *,
                      vindue: tuple[int | None, int | None] | None = None, idag: date | None = None,
                      filer: dict[str, str] | None = None) -> list[str]:
    """Check every rule; raise ``RegisterError`` listing the errors, warn (``RegisterWarning``) for the rest.

    ``vindue`` is the window of ``parametre.json`` (first, last year; ``(None, None)`` without the file; None:
    the window is not checked, e.g. for the synthetic extract), ``idag`` the day after which a date is
    in the future, ``filer`` the file name of each table (for the messages). Returns the Danish warnings.
    """
    idag = idag or date.today()
    fund = _empty(personer, forloeb, kontakter)
    fund += [f for t, df in (("personer", personer), ("ydelsesforloeb", forloeb), ("registerkontakter", kontakter))
             if df is not None for f in check_codes(t, df)]
    fund += _future(personer, forloeb, kontakter, idag)
    if not personer.empty:  # without persons there is nothing to compare with (_empty says so)
        fund += _persons(personer, forloeb, kontakter) + _episodes(personer, forloeb) + _contacts(personer, kontakter)
    if vindue is not None:
        fund += _window(personer, forloeb, kontakter, vindue, idag)
    return report(fund, filer or {})


def report(fund: list[Fund], filer: dict[str, str]) -> list[str]:
    """Raise one ``RegisterError`` for the errors among ``fund``; warn once for the others (Danish texts back)."""
    def en(f):
        return f"{filer.get(f.tabel, f.tabel)}: {f.regel}" + (f"; first rows: {f.raekker}" if f.raekker else "")

    def da(f):
        return f"{filer.get(f.tabel, f.tabel)}: {f.regel_da}" + (f"; første rækker: {f.raekker}" if f.raekker else "")

    errors = [f for f in fund if f.fejl]
    if errors:
        raise RegisterError("register extract breaks the contract:\n  - " + "\n  - ".join(map(en, errors)),
                            dansk="Registerudtrækket overholder ikke formatet: " + "; ".join(map(da, errors)))
    rest = [f for f in fund if not f.fejl]
    if rest:
        warnings.warn(RegisterWarning("register extract can be used, but:\n  - " + "\n  - ".join(map(en, rest)),
                                      dansk="Registerudtrækket kan bruges, men: " + "; ".join(map(da, rest))),
                      stacklevel=3)
    return [da(f) for f in rest]
