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
from ..methods import growth, mortality
from .. import formatting as fmt
from ..vocabulary import ALLE, YDELSE_NAVNE, YDELSER
from .common import check_years, normalise_choice, Resume, suppression_pattern
from .comparison import Kommunesammenligning, Modpart, decimaler_for_land, eneste_region, kommune_ramme
from .sammenligning import IKKE_VURDERET, vurder
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
    return cat.aarspaend("ydelsesmodtagere")


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
    lo, hi = (None, None) if rate is None else rate_ci(antal, res.befolkning)[1:]
    return {"antal": antal, "undertrykt": last is not None and bool(last["undertrykt"]),
            "primaer": last is not None and bool(last["primaer"]), "aendring_pct": change, "pr_1000": rate,
            "pr_1000_nedre": lo, "pr_1000_oevre": hi}


# ---------------------------------------------------------------- what is shown

def noegletal_vist(res: Resultat) -> list[tuple[str, str, str]]:
    """The key figures as shown (``testid``, Danish label, value): counts suppressed, Danish numbers."""
    v, n = res.valg, res.noegletal
    change = fmt.MISSING if n["aendring_pct"] is None else fmt.fmt_signed_pct(n["aendring_pct"])
    rate = fmt.MISSING if n["pr_1000"] is None else fmt.fmt_interval(n["pr_1000"], n["pr_1000_nedre"],
                                                                     n["pr_1000_oevre"], decimals=1)
    t = res.trend
    trend = fmt.MISSING if t is None else fmt.fmt_interval(t.annual_growth, t.lower, t.upper, decimals=1, pct=True)
    # the key figures count persons with any of the services (all of them); with some services chosen they say so
    # (persons with any of a chosen subset are not published: subsets would be one more way to difference)
    alle = alle_ydelser_note(v)
    return [
        ("noegletal-antal", f"Modtagere af mindst én ydelse i {v.slutaar}{alle}",
         vist_antal(n["antal"], n["undertrykt"], n["primaer"])),
        ("noegletal-aendring", f"Ændring {v.startaar}–{v.slutaar}{alle}", change),
        ("noegletal-pr1000", f"Pr. 1.000 indbyggere (95 %-konfidensinterval){alle}", rate),
        ("noegletal-trend", f"Årlig vækst (trend, 95 %-konfidensinterval){alle}", trend),
    ]


#: Added to every text about "at least one service" when only some services are chosen: what it counts.
ALLE_YDELSER_NOTE = f" – alle {len(YDELSER)} ydelser, ikke kun de valgte"


def alle_ydelser_note(valg: Valg) -> str:
    """What "at least one service" counts under a choice of services: "" with every service chosen, else
    " – alle 6 ydelser, ikke kun de valgte (§ 85, § 108)" (the count is never of a subset: see
    :func:`noegletal_vist`)."""
    if set(valg.ydelser) == set(YDELSER):
        return ""
    valgte = ", ".join(c.replace("§", "§ ") for c in YDELSER if c in valg.ydelser)
    return f"{ALLE_YDELSER_NOTE} ({valgte})"


def alle_navn(valg: Valg) -> str:
    """The name of the row/series "at least one service" under a choice of services (says what it counts)."""
    return YDELSE_NAVNE[ALLE] + alle_ydelser_note(valg)



def tabel(res: Resultat) -> pd.DataFrame:
    """Wide table: one row per service, one column per year (numbers; <NA> where suppressed)."""
    navne = {**YDELSE_NAVNE, ALLE: alle_navn(res.valg)}
    t = res.serie.assign(Ydelse=res.serie["ydelse"].map(navne))
    wide = t.pivot(index="Ydelse", columns="aar", values="antal")
    wide = wide.reindex([navne[c] for c in (ALLE, *res.valg.ydelser)])
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def tabel_til_download(res: Resultat) -> pd.DataFrame:
    """Long table for download, suppressed exactly like the screen (``<5`` as text)."""
    out = res.serie.assign(
        omraade=res.valg.omraade.navn,
        ydelse_navn=res.serie["ydelse"].map({**YDELSE_NAVNE, ALLE: alle_navn(res.valg)}),
        antal=[vist_antal(a, u, p) if u else int(a)
               for a, u, p in zip(res.serie["antal"], res.serie["undertrykt"], res.serie["primaer"])],
        kilde=res.kildelinje,
    )
    return out[["omraade", "aar", "ydelse", "ydelse_navn", "antal", "kilde"]]


# ---------------------------------------------------------------- comparison with the region and the country

#: How the interval of a rate per 1,000 inhabitants is computed (Danish, for the method sections).
RATE_METODE = ("95 %-konfidensintervallet for antal pr. 1.000 indbyggere er det eksakte Poisson-interval "
               "(Garwood) for antallet af modtagere, divideret med indbyggertallet; indbyggertallet regnes "
               "som kendt.")


def rate_ci(antal, befolkning):
    """Rate per 1,000 with the exact Poisson interval of the count (Garwood): ``(rate, lower, upper)``.

    The same chi-square limits as an SMR with the population / 1,000 as the fixed denominator
    (:func:`vidensdata.methods.mortality.smr`); scalars or arrays.
    """
    r = mortality.smr(antal, np.asarray(befolkning, dtype=float) / 1000)
    return r.value, r.lower, r.upper


def _andet_omraade(res: Resultat, omr) -> Resultat:
    return beregn_valg(replace(res.valg, omraade=geography.omraade(omr)))


def _rate_text(r: Resultat) -> str:
    n = r.noegletal
    return vist_antal(None, True, n["primaer"]) if n["pr_1000"] is None and n["undertrykt"] else (
        fmt.MISSING if n["pr_1000"] is None else fmt.fmt_dec(n["pr_1000"], 1))


def _trend_text(r: Resultat) -> str:
    return fmt.MISSING if r.trend is None else fmt.fmt_pct(r.trend.annual_growth, 1)


def sammenligninger(res: Resultat) -> dict[str, Modpart]:
    """The key figures with a national counterpart, by test id: verdicts and the region's and country's values.

    Empty for the whole country (it is the counterpart). A figure whose count is hidden is not assessed.
    """
    omr = res.valg.omraade
    if omr.er_landet:
        return {}
    land = _andet_omraade(res, geography.LAND_NAVN)
    reg = eneste_region(omr)
    region = _andet_omraade(res, reg.navn) if reg is not None else None
    n, ln = res.noegletal, land.noegletal
    rname = reg.navn if reg is not None else None

    def mod(vurdering, tekst, grund="", land_tekst=None):
        return Modpart(vurdering, land_tekst or tekst(land), None if region is None else tekst(region), rname, grund)

    if n["pr_1000"] is None:
        pr = mod(IKKE_VURDERET, _rate_text, "antallet vises ikke: under 5 eller skjult")
    else:
        d = decimaler_for_land(ln["pr_1000"], n["pr_1000_nedre"], n["pr_1000_oevre"], 1)
        pr = mod(vurder(n["pr_1000"], n["pr_1000_nedre"], n["pr_1000_oevre"], ln["pr_1000"]), _rate_text,
                 land_tekst=fmt.fmt_dec(ln["pr_1000"], d))
    t, lt = res.trend, land.trend
    if t is None or lt is None:
        trend = mod(IKKE_VURDERET, _trend_text, res.trend_note or "ingen trend")
    else:
        d = decimaler_for_land(lt.annual_growth, t.lower, t.upper, 1)
        trend = mod(vurder(t.annual_growth, t.lower, t.upper, lt.annual_growth), _trend_text,
                    land_tekst=fmt.fmt_pct(lt.annual_growth, d))
    change = mod(IKKE_VURDERET, lambda r: fmt.MISSING if r.noegletal["aendring_pct"] is None
                 else fmt.fmt_signed_pct(r.noegletal["aendring_pct"]), "ændringen har intet konfidensinterval")
    return {"noegletal-pr1000": pr, "noegletal-trend": trend, "noegletal-aendring": change}


def kommuner_sammenlignet(res: Resultat) -> Kommunesammenligning:
    """Recipients of any service per 1,000 inhabitants in the last year, with exact Poisson CIs, for all 98
    kommuner (suppressed as published), each against the country."""
    v = res.valg
    pat = _pattern()
    pat = pat[(pat["aar"] == v.slutaar) & (pat["ydelse"] == ALLE)]
    kom = pat[pat["niveau"] == "kommune"].set_index("kode")
    koder = [g.kode for g in geography.kommuner()]
    kom = kom.reindex(koder)
    pop = cat.frame("kommuner").set_index("kommune_kode")["indbyggere"].reindex(koder).to_numpy(float)
    skjult = kom["antal_undertrykt"].fillna(True).astype(bool).to_numpy()
    antal = kom["antal"].astype("Float64").fillna(0).to_numpy(float)
    value, lo, hi = rate_ci(antal, pop)
    land_row = pat[pat["niveau"] == "land"].iloc[0]
    national = float(land_row["antal"]) / float(pop.sum()) * 1000
    t = kommune_ramme(koder, antal, skjult, kom["antal_primaer"].fillna(False).astype(bool), value, lo, hi,
                      national)
    return Kommunesammenligning(f"Modtagere af mindst én ydelse pr. 1.000 indbyggere{alle_ydelser_note(v)}",
                                f"Modtagere {v.slutaar}", 1,
                                national, "Hele landet", t, (res.kilde, BEFOLKNING_KILDE), res.syntetisk, RATE_METODE)


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
