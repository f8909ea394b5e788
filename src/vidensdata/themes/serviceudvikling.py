"""Theme: development in persons receiving services under serviceloven (serviceudvikling).

The computing half of the theme: ``beregn`` does all the analysis for one area and
period and returns a :class:`Resultat` (no HTML, no widgets); its drawing is
:mod:`vidensdata.presentation.temaer.serviceudvikling`. Counts of persons follow the
disclosure rule: 1-4 is shown as ``<5``, with secondary suppression over the
geography hierarchy (see :mod:`vidensdata.disclosure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import disclosure, geography
from ..disclosure import vist_antal
from ..datasets import registry as cat
from ..errors import VidensdataError
from ..methods import growth
from .. import formatting as fmt
from ..vocabulary import ALLE, YDELSE_NAVNE, YDELSER
from .common import check_years, normalise_choice, Resume, suppression_pattern
from .tema import Tema

#: Datasets this theme reads (part of every report's cache key and provenance).
DATASETS = ("ydelsesmodtagere", "kommuner")

TITEL = "Udvikling i modtagere af sociale ydelser"
PARAMETRE = ("geografi", "startaar", "slutaar", "ydelser")
BEFOLKNING_KILDE = "Danmarks Statistik (FOLK1A, 1. januar 2020)"
TREND_HORISONT = 3


@dataclass(frozen=True)
class Valg:
    """Validated choices for one view."""

    omraade: geography.Omraade
    startaar: int
    slutaar: int
    ydelser: tuple[str, ...]


@dataclass(frozen=True)
class Resultat(Resume):
    """Everything the theme shows for one view; ``noegletal_vist(resultat)`` gives its key figures as shown."""

    valg: Valg
    serie: pd.DataFrame  # aar, ydelse, antal (Int64, <NA> if suppressed), undertrykt
    sammenligning: pd.DataFrame  # omraade, aar, antal, befolkning, pr_1000
    befolkning: int
    trend: growth.TrendResult | None
    trend_note: str
    kilde: str
    syntetisk: bool
    noegletal: dict = field(default_factory=dict)
    #: plain Danish when the straight trend does not fit (growth speeding up or slowing down), else ""
    krumning_note: str = ""

    @property
    def kildelinje(self) -> str:
        return fmt.source_line([self.kilde, BEFOLKNING_KILDE], synthetic=self.syntetisk)

    def _resume(self) -> tuple[str, list, list]:
        v = self.valg
        return (f"{TITEL}: {v.omraade.navn}, {v.startaar}–{v.slutaar}", noegletal_vist(self),
                [n for n in (self.trend_note, self.krumning_note) if n] + [self.kildelinje])


def data_years() -> tuple[int, int]:
    df = cat.frame("ydelsesmodtagere")
    return int(df["aar"].min()), int(df["aar"].max())


def valider(geografi="Hele landet", startaar=None, slutaar=None, ydelser=None) -> Valg:
    """Check the parameters; raise a :class:`VidensdataError` naming any bad value."""
    first, last = data_years()
    start, end = check_years(first if startaar is None else startaar, last if slutaar is None else slutaar,
                             first, last)
    chosen = normalise_choice(ydelser, YDELSER, "ydelser", alle="alle")
    return Valg(geography.omraade(geografi), start, end, chosen)


def _pattern() -> pd.DataFrame:
    df = cat.frame("ydelsesmodtagere")
    by_k = df.groupby(["kommune_kode", "aar", "ydelse"], as_index=False)["antal"].sum()
    return suppression_pattern(by_k, ("aar", "ydelse"), key=cat.get("ydelsesmodtagere").fingerprint())


def _population(omr: geography.Omraade) -> int:
    k = cat.frame("kommuner")
    return int(k.loc[k["kommune_kode"].isin(omr.kommune_koder), "indbyggere"].sum())


def _area_counts(omr: geography.Omraade, pattern: pd.DataFrame) -> pd.DataFrame:
    """Counts per year and service for an area, suppressed consistently with the published pattern."""
    g = omr.enkelt
    if g is not None:
        rows = pattern[(pattern["niveau"] == g.niveau) & (pattern["kode"] == g.kode)]
        return rows[["aar", "ydelse", "antal", "antal_undertrykt", "antal_primaer"]].rename(
            columns={"antal_undertrykt": "undertrykt", "antal_primaer": "primaer"})
    # several kommuner as one area: a sum is published only when every part is (disclosure.sammensat)
    parts = pattern[(pattern["niveau"] == "kommune") & pattern["kode"].isin(omr.kommune_koder)]
    raw = cat.frame("ydelsesmodtagere")
    raw = raw[raw["kommune_kode"].isin(omr.kommune_koder)].groupby(["aar", "ydelse"], as_index=False)["antal"].sum()
    any_supp = parts.groupby(["aar", "ydelse"], as_index=False)["antal_undertrykt"].agg(
        lambda s: disclosure.sammensat(s)[0])
    out = raw.merge(any_supp, on=["aar", "ydelse"]).rename(columns={"antal_undertrykt": "undertrykt"})
    out["primaer"] = False  # the mark of a hidden sum is always "x": it never depends on the hidden value
    out["antal"] = out["antal"].astype("Int64").mask(out["undertrykt"])
    return out[["aar", "ydelse", "antal", "undertrykt", "primaer"]]


def beregn(geografi="Hele landet", startaar=None, slutaar=None, ydelser=None) -> Resultat:
    """All numbers of the theme for one area and period."""
    return beregn_valg(valider(geografi, startaar, slutaar, ydelser))


def beregn_valg(valg: Valg) -> Resultat:
    """The theme's numbers for an already validated choice (see :func:`valider`)."""
    pattern = _pattern()
    omr = valg.omraade
    serie = _area_counts(omr, pattern)
    serie = serie[serie["aar"].between(valg.startaar, valg.slutaar) & serie["ydelse"].isin((*valg.ydelser, ALLE))]
    order = {c: i for i, c in enumerate((ALLE, *YDELSER))}
    serie = serie.sort_values(["ydelse", "aar"], key=lambda s: s.map(order) if s.name == "ydelse" else s)
    serie = serie.reset_index(drop=True)
    befolkning = _population(omr)

    # the area beside its region(s) and the whole country, per 1,000 inhabitants (any service)
    comp_geos = [omr]
    if not omr.er_landet:
        regs = [r for r in geography.regioner() if r.kode in omr.region_koder]
        if not (omr.enkelt is not None and omr.enkelt.niveau == "region"):
            comp_geos += [geography.omraade(r) for r in regs]
        comp_geos.append(geography.omraade("Hele landet"))
    comp = []
    for o in comp_geos:
        c = _area_counts(o, pattern)
        c = c[(c["ydelse"] == ALLE) & c["aar"].between(valg.startaar, valg.slutaar)].copy()
        pop = _population(o)
        c["omraade"] = o.navn
        c["befolkning"] = pop
        c["pr_1000"] = np.where(c["undertrykt"], np.nan, c["antal"].astype("Float64").to_numpy(float) / pop * 1000)
        comp.append(c)
    sammenligning = pd.concat(comp, ignore_index=True)[["omraade", "aar", "antal", "undertrykt", "befolkning",
                                                        "pr_1000"]]

    alle = serie[serie["ydelse"] == ALLE].set_index("aar")
    trend, note = None, ""
    if alle["undertrykt"].any():
        note = "Trenden vises ikke, fordi et eller flere år har under 5 modtagere."
    elif len(alle) < 3:
        note = "Trenden kræver mindst 3 år."
    elif (alle["antal"] == 0).all():
        note = "Ingen modtagere i perioden."
    else:
        try:
            trend = growth.trend(alle["antal"].astype(float), horizon=TREND_HORISONT, family="poisson")
        except VidensdataError as exc:
            note = exc.dansk
    src = cat.registerkilde()
    res = Resultat(valg, serie, sammenligning, befolkning, trend, note, src["kilde"], src["synthetic"],
                   krumning_note=krumning_tekst(trend))
    return replace(res, noegletal=_noegletal(res, alle))


def krumning_tekst(trend: growth.TrendResult | None) -> str:
    """Plain Danish for leaders when the straight trend does not fit; "" when it does (or there is no test)."""
    c = None if trend is None else trend.curvature
    if c is None or not c.curved:
        return ""
    retning, fortsaetter = (("aftaget", "opbremsningen") if c.quadratic < 0 else ("taget til", "accelerationen"))
    return (f"Væksten har ikke været jævn: den er {retning} i løbet af perioden. Den gennemsnitlige årlige vækst "
            "beskriver derfor ikke de seneste år særlig godt, og fremskrivningen er mere usikker end ellers. "
            f"Intervallet om fremskrivningen er gjort bredere, så det også dækker, at {fortsaetter} fortsætter.")


def krumning_detaljer(trend: growth.TrendResult | None) -> str:
    """The trend model and the curvature test in Danish, with the numbers (for the method section)."""
    if trend is None:
        return "Der er ingen trend for dette valg."
    kvantil = (f"t-fordelingen med {trend.df_resid} frihedsgrader (kvasi-Poisson, spredning "
               f"{fmt.fmt_dec(trend.dispersion, 1)} gange Poisson)" if trend.quantile == "t" else "normalfordelingen")
    tekst = f"Konfidensintervallet for den årlige vækst bygger på {kvantil}."
    c = trend.curvature
    if c is None:
        return tekst + " Med færre end 4 år kan det ikke testes, om trenden krummer."
    test = (f"F = {fmt.fmt_dec(c.statistic, 1)} på {c.df[0]} og {c.df[1]} frihedsgrader" if c.test == "F"
            else f"χ² = {fmt.fmt_dec(c.statistic, 1)} på 1 frihedsgrad")
    p = "p < 0,001" if c.p_value < 0.001 else f"p = {fmt.fmt_dec(c.p_value, 3)}"
    konklusion = ("den rette linje passer ikke, så prædiktionsintervallet er udvidet til også at dække den krumme trend"
                  if c.curved else "intet tegn på, at den rette linje ikke passer")
    return (f"{tekst} Test for krumning (et kvadratisk led i den log-lineære trend): {test}, {p}; {konklusion}.")


def _noegletal(res: Resultat, alle: pd.DataFrame) -> dict:
    v = res.valg
    last = alle.loc[v.slutaar] if v.slutaar in alle.index else None
    first = alle.loc[v.startaar] if v.startaar in alle.index else None
    antal = None if last is None or last["undertrykt"] else int(last["antal"])
    change = None
    if antal is not None and first is not None and not first["undertrykt"] and int(first["antal"]) > 0 \
            and v.slutaar > v.startaar:
        change = growth.percent_change(alle["antal"].astype(float), v.startaar, v.slutaar)
    rate = None if antal is None or res.befolkning == 0 else growth.rate_per_1000(antal, res.befolkning)
    return {"antal": antal, "undertrykt": last is not None and bool(last["undertrykt"]),
            "primaer": last is not None and bool(last["primaer"]), "aendring_pct": change, "pr_1000": rate}


# ---------------------------------------------------------------- what is shown

def noegletal_vist(res: Resultat) -> list[tuple[str, str, str]]:
    """The key figures as shown (``testid``, Danish label, value): counts suppressed, Danish numbers."""
    v, n = res.valg, res.noegletal
    change = fmt.MISSING if n["aendring_pct"] is None else fmt.fmt_signed_pct(n["aendring_pct"])
    rate = fmt.MISSING if n["pr_1000"] is None else fmt.fmt_dec(n["pr_1000"], 1)
    t = res.trend
    trend = fmt.MISSING if t is None else fmt.fmt_interval(t.annual_growth, t.lower, t.upper, decimals=1, pct=True)
    return [
        ("noegletal-antal", f"Modtagere af mindst én ydelse i {v.slutaar}",
         vist_antal(n["antal"], n["undertrykt"], n["primaer"])),
        ("noegletal-aendring", f"Ændring {v.startaar}–{v.slutaar}", change),
        ("noegletal-pr1000", "Pr. 1.000 indbyggere", rate),
        ("noegletal-trend", "Årlig vækst (trend, 95 %-konfidensinterval)", trend),
    ]



def tabel(res: Resultat) -> pd.DataFrame:
    """Wide table: one row per service, one column per year (numbers; <NA> where suppressed)."""
    t = res.serie.assign(Ydelse=res.serie["ydelse"].map(YDELSE_NAVNE))
    wide = t.pivot(index="Ydelse", columns="aar", values="antal")
    wide = wide.reindex([YDELSE_NAVNE[c] for c in (ALLE, *res.valg.ydelser)])
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def tabel_til_download(res: Resultat) -> pd.DataFrame:
    """Long table for download, suppressed exactly like the screen (``<5`` as text)."""
    out = res.serie.assign(
        omraade=res.valg.omraade.navn,
        ydelse_navn=res.serie["ydelse"].map(YDELSE_NAVNE),
        antal=[vist_antal(a, u, p) if u else int(a)
               for a, u, p in zip(res.serie["antal"], res.serie["undertrykt"], res.serie["primaer"])],
        kilde=res.kildelinje,
    )
    return out[["omraade", "aar", "ydelse", "ydelse_navn", "antal", "kilde"]]


TEMA = Tema(
    navn="serviceudvikling",
    titel=TITEL,
    spoergsmaal="Hvor mange modtager § 85, botilbud og andre ydelser, og hvor hurtigt vokser tallet?",
    datasaet=DATASETS,
    parametre=PARAMETRE,
    beregn=beregn,
    beregn_valg=beregn_valg,
    valider=valider,
    tabel_til_download=tabel_til_download,
)
