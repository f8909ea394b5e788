"""Theme: development in persons receiving services under serviceloven (serviceudvikling).

``beregn`` does all the analysis for one area and period and returns a
:class:`Resultat`; the ``vis_*`` functions turn a result into what the notebook,
the reports and the Voila app show (Danish text, tables and figures). Counts of
persons follow the disclosure rule: 1-4 is shown as ``<5``, with secondary
suppression over the geography hierarchy (see :mod:`vidensdata.disclosure`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import disclosure, geography
from ..datasets import registry as cat
from ..errors import VidensdataError
from ..methods import growth
from ..presentation import formatting as fmt
from ..publish import publicer
from ..sources import register
from ..vocabulary import ALLE, SEKUNDAER, YDELSE_NAVNE, YDELSER
from .common import (check_years, geografi_kontroller, geografi_metadata, normalise_choice, start_geografi,
                     suppression_pattern)

#: Datasets this theme reads (part of every report's cache key and provenance).
DATASETS = ("ydelsesmodtagere", "kommuner")

TEMA = "serviceudvikling"
TITEL = "Udvikling i modtagere af sociale ydelser"
PARAMETRE = ("geografi", "startaar", "slutaar", "ydelser")
BEFOLKNING_KILDE = "Danmarks Statistik (FOLK1A, 1. januar 2020)"
TREND_HORISONT = 3
TABELLER = ("vis_noegletal", "vis_tabel")  # the renderers that publish tables (see vidensdata.publish)


@dataclass(frozen=True)
class Valg:
    """Validated choices for one view."""

    omraade: geography.Omraade
    startaar: int
    slutaar: int
    ydelser: tuple[str, ...]


@dataclass
class Resultat:
    valg: Valg
    serie: pd.DataFrame  # aar, ydelse, antal (Int64, <NA> if suppressed), undertrykt
    sammenligning: pd.DataFrame  # omraade, aar, antal, befolkning, pr_1000
    befolkning: int
    trend: growth.TrendResult | None
    trend_note: str
    kilde: str
    syntetisk: bool
    noegletal: dict = field(default_factory=dict)

    @property
    def kildelinje(self) -> str:
        return fmt.source_line([self.kilde, BEFOLKNING_KILDE], synthetic=self.syntetisk)


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
    return suppression_pattern(by_k, ("aar", "ydelse"), key=register.current_source()["fingerprint"])


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
    # several geographies as one area: the sum is published only when no part is suppressed
    parts = []
    for part in omr.dele:
        rows = pattern[(pattern["niveau"] == part.niveau) & (pattern["kode"] == part.kode)]
        parts.append(rows[["aar", "ydelse", "antal", "antal_undertrykt"]])
    raw = cat.frame("ydelsesmodtagere")
    raw = raw[raw["kommune_kode"].isin(omr.kommune_koder)].groupby(["aar", "ydelse"], as_index=False)["antal"].sum()
    any_supp = pd.concat(parts).groupby(["aar", "ydelse"], as_index=False)["antal_undertrykt"].any()
    out = raw.merge(any_supp, on=["aar", "ydelse"])
    out["primaer"] = (out["antal"] >= 1) & (out["antal"] < disclosure.THRESHOLD)
    out["undertrykt"] = out["antal_undertrykt"] | out["primaer"]
    out["antal"] = out["antal"].astype("Int64").mask(out["undertrykt"])
    return out[["aar", "ydelse", "antal", "undertrykt", "primaer"]]


def beregn(geografi="Hele landet", startaar=None, slutaar=None, ydelser=None) -> Resultat:
    """All numbers of the theme for one area and period."""
    valg = valider(geografi, startaar, slutaar, ydelser)
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
    src = register.current_source()
    res = Resultat(valg, serie, sammenligning, befolkning, trend, note, src["kilde"], src["synthetic"])
    res.noegletal = _noegletal(res, alle)
    return res


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


# ---------------------------------------------------------------- presentation


def vist_antal(antal, undertrykt: bool, primaer: bool) -> str:
    """A count as shown to people: ``<5`` (1-4), ``x`` (hidden to protect another cell) or Danish digits."""
    if undertrykt:
        return fmt.SUPPRESSED if primaer else SEKUNDAER
    return fmt.fmt_int(int(antal))


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


def vis_noegletal(res: Resultat):
    """Key figures as HTML (with stable data-testid attributes for tests and apps), published as a table."""
    v, n = res.valg, res.noegletal
    antal = vist_antal(n["antal"], n["undertrykt"], n["primaer"])
    change = "–" if n["aendring_pct"] is None else fmt.fmt_signed_pct(n["aendring_pct"])
    rate = "–" if n["pr_1000"] is None else fmt.fmt_dec(n["pr_1000"], 1)
    if res.trend is not None:
        t = res.trend
        trend = fmt.fmt_interval(t.annual_growth, t.lower, t.upper, decimals=1, pct=True)
    else:
        trend = "–"
    cards = [
        ("noegletal-antal", f"Modtagere af mindst én ydelse i {v.slutaar}", antal),
        ("noegletal-aendring", f"Ændring {v.startaar}–{v.slutaar}", change),
        ("noegletal-pr1000", "Pr. 1.000 indbyggere", rate),
        ("noegletal-trend", "Årlig vækst (trend, 95 %-konfidensinterval)", trend),
    ]
    items = "".join(
        f'<div class="vd-kort"><div class="vd-kort-label">{label}</div>'
        f'<div class="vd-kort-tal" data-testid="{tid}">{value}</div></div>'
        for tid, label, value in cards
    )
    notes = [f"Område: <b>{v.omraade.navn}</b>. Befolkningsgrundlag: {fmt.fmt_int(res.befolkning)} indbyggere "
             "pr. 1. januar 2020 (FOLK1A)."]
    if res.trend_note:
        notes.append(res.trend_note)
    if res.syntetisk:
        notes.append('<b class="vd-syntetisk">Syntetiske data (demo)</b> – tallene er ikke virkelige.')
    notes.append(res.kildelinje)
    page = (_CSS + f'<div class="vd-noegletal">{items}</div>'
            + "".join(f'<p class="vd-note">{x}</p>' for x in notes))
    # the same figures as a published table (machine-readable copy for the audit; the page is unchanged)
    shown = pd.DataFrame([[value for _, _, value in cards]], columns=[label for _, label, _ in cards])
    return publicer("noegletal", shown, personhenfoerbar=True, antal_kolonner=[cards[0][1]],
                    kilde=res.kildelinje, geografi=geografi_metadata(v), html=page)


_CSS = """<style>
.vd-noegletal{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.vd-kort{border:1px solid #5f6b7a;border-radius:6px;padding:10px 14px;min-width:180px;background:#fff}
.vd-kort-label{font-size:0.9em;color:#333}
.vd-kort-tal{font-size:1.8em;font-weight:700;color:#111}
.vd-note{font-size:0.9em;color:#333;margin:4px 0}
.vd-syntetisk{color:#8a1c00}
</style>"""


def figur_antal(res: Resultat):
    """Persons per service over time (counts)."""
    from ..presentation import plots

    d = res.serie.dropna(subset=["antal"]).assign(Ydelse=lambda x: x["ydelse"].map(YDELSE_NAVNE))
    d["antal"] = d["antal"].astype(float)
    return plots.line_plot(d, x="aar", y="antal", hue="Ydelse",
                           title=f"Modtagere efter ydelse, {res.valg.omraade.navn}",
                           xlabel="År", ylabel="Antal personer", kilde=[res.kilde],
                           synthetic=res.syntetisk, legend_title="Ydelse")


def figur_indeks(res: Resultat):
    """Index (first year = 100) per service."""
    from ..presentation import plots

    rows = []
    for code, grp in res.serie.groupby("ydelse", sort=False):  # same order (and colours) as the other figures
        s = grp.set_index("aar")["antal"]
        if grp["undertrykt"].any() or s.get(res.valg.startaar, 0) in (0, None) or len(s) < 2:
            continue
        idx = growth.index_to_base(s.astype(float), res.valg.startaar)
        rows.append(pd.DataFrame({"aar": idx.index, "indeks": idx.to_numpy(), "Ydelse": YDELSE_NAVNE[code]}))
    d = pd.concat(rows) if rows else pd.DataFrame({"aar": [], "indeks": [], "Ydelse": []})
    return plots.line_plot(d, x="aar", y="indeks", hue="Ydelse",
                           title=f"Indeks ({res.valg.startaar} = 100), {res.valg.omraade.navn}",
                           xlabel="År", ylabel="Indeks", kilde=[res.kilde], synthetic=res.syntetisk,
                           legend_title="Ydelse")


def figur_sammenligning(res: Resultat):
    """Recipients of any service per 1,000 inhabitants: the area, its region and the country."""
    from ..presentation import plots

    d = res.sammenligning.dropna(subset=["pr_1000"]).rename(columns={"omraade": "Område"})
    return plots.line_plot(d, x="aar", y="pr_1000", hue="Område",
                           title="Modtagere af mindst én ydelse pr. 1.000 indbyggere",
                           xlabel="År", ylabel="Pr. 1.000 indbyggere", kilde=[res.kilde, BEFOLKNING_KILDE],
                           synthetic=res.syntetisk, legend_title="Område")


def figur_trend(res: Resultat):
    """Observed counts, the fitted trend and the projection with its 95 % prediction interval."""
    from ..presentation import plots

    if res.trend is None:
        return None
    t = res.trend
    obs = res.serie[res.serie["ydelse"] == ALLE]
    proj = t.projection
    d = pd.concat([
        pd.DataFrame({"aar": obs["aar"], "vaerdi": obs["antal"].astype(float), "nedre": np.nan, "oevre": np.nan,
                      "Serie": "Observeret"}),
        pd.DataFrame({"aar": t.fitted.index, "vaerdi": t.fitted.to_numpy(), "nedre": np.nan, "oevre": np.nan,
                      "Serie": "Trend"}),
        pd.DataFrame({"aar": proj["aar"], "vaerdi": proj["forventet"], "nedre": proj["nedre"],
                      "oevre": proj["oevre"], "Serie": "Fremskrivning (95 %-prædiktionsinterval)"}),
    ], ignore_index=True)
    return plots.interval_plot(d, x="aar", y="vaerdi", lower="nedre", upper="oevre", hue="Serie",
                               title=f"Trend og fremskrivning, {res.valg.omraade.navn}",
                               xlabel="År", ylabel="Modtagere af mindst én ydelse", kilde=[res.kilde],
                               synthetic=res.syntetisk)


def vis_tabel(res: Resultat):
    """The table as Danish-formatted HTML with its source line (a published table)."""
    t = res.serie.assign(Ydelse=res.serie["ydelse"].map(YDELSE_NAVNE))
    t["vist"] = [vist_antal(a, u, p) for a, u, p in zip(t["antal"], t["undertrykt"], t["primaer"])]
    shown = t.pivot(index="Ydelse", columns="aar", values="vist")
    shown = shown.reindex([YDELSE_NAVNE[c] for c in (ALLE, *res.valg.ydelser)])
    shown.columns = [str(c) for c in shown.columns]
    shown = shown.reset_index()
    html = shown.to_html(index=False, classes="vd-tabel", border=0, escape=True)
    page = html + (f'<p class="vd-note">{res.kildelinje} {fmt.SUPPRESSED} betyder 1–4 personer; '
                   f"{SEKUNDAER} er skjult, så et lille tal ikke kan regnes ud fra totaler "
                   "(diskretionering).</p>")
    # "Mindst én ydelse" is persons with any service, not the sum of the rows: no additive total row
    return publicer("tabel", shown, personhenfoerbar=True, antal_kolonner=[c for c in shown.columns if c != "Ydelse"],
                    kilde=res.kildelinje, geografi=geografi_metadata(res.valg), html=page)



def visning(geografi="Hele landet", startaar=None, slutaar=None, ydelser="alle", interaktiv=None):
    """The theme's view for a notebook: static report or live app (see :mod:`vidensdata.presentation.widgets`)."""
    from ..presentation.widgets import Kontrol, Visning

    first, last = data_years()
    params = {"geografi": geografi, "startaar": startaar, "slutaar": slutaar, "ydelser": ydelser}
    kontroller = [
        *geografi_kontroller(),
        Kontrol("aar", "År", "aarinterval", min=first, max=last),
        Kontrol("ydelser", "Ydelser", "multi", [(navn, kode) for kode, navn in YDELSER.items()]),
    ]
    v = Visning(beregn, params, kontroller, interaktiv_=interaktiv, noegle=valider)
    if v.interaktiv:
        start_geografi(v.parametre, geografi)
        v.parametre["startaar"] = v.parametre["startaar"] or first
        v.parametre["slutaar"] = v.parametre["slutaar"] or last
    return v
