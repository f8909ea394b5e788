"""Theme: excess mortality in the target group (overdødelighed).

``beregn`` does all the analysis for one area, period and sex and returns a
:class:`Resultat`; the ``vis_*`` and ``figur_*`` functions turn a result into what
the notebook, the reports and the Voila app show (Danish text, tables and figures).

Measures (methods in :mod:`vidensdata.methods.mortality`)
---------------------------------------------------------
* **SMR**: observed deaths in the target group over the deaths expected with the
  national age-, sex- and year-specific rates (``doedelighed_land``), with an exact
  Poisson confidence interval.
* **Excess life-years lost** (Andersen 2013) from age :data:`LYL_ALDER` to 95, and
  the **gap in life expectancy** at age :data:`LYL_ALDER`, by sex. A kommune has
  too few deaths for its own age-specific rates, so the age pattern is borrowed from
  the whole country's target group: the area's hazard in age group *k* is
  ``R x m_k``, where ``m_k`` is the national target-group rate (age groups with fewer
  than :data:`MIN_DOEDE_BLOK` deaths are pooled with their neighbours, as a ratio to
  the population rate) and ``R`` the area's observed over expected deaths with those
  rates. For the whole country ``R = 1``. The confidence interval comes from the exact
  Poisson interval of ``R``; it ignores the (small) uncertainty of the national age
  pattern.
* **Funnel plot**: every kommune's SMR against its expected deaths, with 95 % and
  99.8 % control limits around the national target group's SMR.

Disclosure: deaths are counts of persons from register data. A count of 1-4 is shown
as ``<5`` and every figure built on it (SMR, life-years lost, life expectancy, a point
in a plot) is suppressed; secondary suppression over kommune < region < land and
over the sexes (men + women = all) keeps a hidden count from being recomputed.
Limit: the protection holds within one period. The app lets a user choose any
period, and the difference between two overlapping periods (e.g. 2010-2021 and
2010-2020) can reveal a small count for one year; the reports use one fixed
period (``parameters/overdoedelighed.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import disclosure, geography
from ..datasets import registry as cat
from ..errors import InvalidValueError
from ..methods import mortality
from ..presentation import formatting as fmt
from ..publish import publicer
from ..sources import register
from ..vocabulary import SEKUNDAER
from .common import check_years, geografi_kontroller, geografi_metadata, start_geografi

TEMA = "overdoedelighed"
TITEL = "Overdødelighed i målgruppen"
PARAMETRE = ("geografi", "startaar", "slutaar", "koen")
KOEN_VALG = {"alle": "Mænd og kvinder", "M": "Mænd", "K": "Kvinder"}
KOEN_NAVN = {"M": "Mænd", "K": "Kvinder", "alle": "I alt"}
REFERENCE_KILDE = "Danmarks Statistik (DODC1 og FOLK1A): dødelighed i hele befolkningen"
LYL_ALDER = 20  # life-years lost and life expectancy from this age (a 5-year group start)
TAU = mortality.TAU
MIN_DOEDE_LYL = disclosure.THRESHOLD  # fewer deaths of a sex in the area: no life-years lost or life expectancy
MIN_DOEDE_BLOK = 10  # national target-group age groups with fewer deaths are pooled with neighbours
#: Datasets this theme reads (part of every report's cache key and provenance).
DATASETS = ("doedelighed_maalgruppe", "doedelighed_land", "kommuner")
TABELLER = ("vis_noegletal", "vis_tabel", "vis_leveaar")  # the renderers that publish tables (vidensdata.publish)
_PY_PSEUDO = 1e6  # person-years used to pass hazards to the life-table functions (m = d / py)


@dataclass(frozen=True)
class Valg:
    """Validated choices for one view."""

    omraade: geography.Omraade
    startaar: int
    slutaar: int
    koen: str  # "alle", "M" or "K"

    @property
    def koenner(self) -> tuple[str, ...]:
        return ("M", "K") if self.koen == "alle" else (self.koen,)


@dataclass
class Resultat:
    valg: Valg
    tabel: pd.DataFrame  # koen, doede (Int64, <NA> suppressed), undertrykt, primaer, personaar, forventede, smr..
    smr: dict  # koen -> mortality.SMRResult or None (suppressed)
    lyl: dict  # "M"/"K" -> mortality.LYLResult-like dict or None
    levetid: dict  # "M"/"K" -> dict(gap, lower, upper, maalgruppe, befolkning) or None
    aldersrater: pd.DataFrame  # aldersgruppe, Serie, pr_1000
    overlevelse: pd.DataFrame  # alder, overlevelse, Serie
    tragt: pd.DataFrame  # kommune_kode, kommune_navn, doede, forventede, smr, limits, valgt
    tragt_skjult: int
    tragt_niveau: float
    kilde: str
    syntetisk: bool
    noter: list = field(default_factory=list)
    noegletal: dict = field(default_factory=dict)

    @property
    def kildelinje(self) -> str:
        return fmt.source_line([self.kilde, REFERENCE_KILDE], synthetic=self.syntetisk)


# ---------------------------------------------------------------- validation

def data_years() -> tuple[int, int]:
    df = cat.frame("doedelighed_maalgruppe")
    return int(df["aar"].min()), int(df["aar"].max())


def normalise_koen(koen) -> str:
    """``"alle"``/``None``, ``"M"``/``"mænd"`` or ``"K"``/``"kvinder"`` (any case) -> ``alle``, ``M``, ``K``."""
    if koen is None:
        return "alle"
    lookup = {"alle": "alle", "begge": "alle", "i alt": "alle", "mænd og kvinder": "alle",
              "m": "M", "mand": "M", "mænd": "M", "maend": "M", "k": "K", "kvinde": "K", "kvinder": "K"}
    code = lookup.get(str(koen).strip().lower()) if isinstance(koen, str) else None
    if code is None:
        from ..errors import suggestion

        raise InvalidValueError(
            f"unknown koen {koen!r}; valid values: alle, M, K{suggestion(str(koen), ['alle', 'M', 'K'])}",
            dansk=f"Ukendt værdi for køn: {koen!r}. Gyldige: alle, M (mænd), K (kvinder).",
        )
    return code


def valider(geografi="Hele landet", startaar=None, slutaar=None, koen="alle") -> Valg:
    """Check the parameters; raise a :class:`VidensdataError` naming any bad value."""
    first, last = data_years()
    start, end = check_years(first if startaar is None else startaar, last if slutaar is None else slutaar,
                             first, last)
    return Valg(geography.omraade(geografi), start, end, normalise_koen(koen))


# ---------------------------------------------------------------- tables computed once per period

_PERIOD: dict[tuple, dict] = {}


def _period(start: int, end: int) -> dict:
    """Everything that does not depend on the area: per-kommune tables, national schedules, the pattern."""
    key = (register.current_source()["fingerprint"], start, end)
    if key in _PERIOD:
        return _PERIOD[key]
    d = cat.frame("doedelighed_maalgruppe")
    d = d[d["aar"].between(start, end)]
    ref = cat.frame("doedelighed_land")
    ref = ref[ref["aar"].between(start, end)]
    rates = mortality.reference_rates(ref)
    merged = d.merge(rates[["aar", "koen", "aldersgruppe", "rate"]], on=["aar", "koen", "aldersgruppe"], how="left")
    merged["forventede"] = merged["personaar"] * merged["rate"].fillna(0.0)
    # kommune x sex x age group over the period
    by_age = merged.groupby(["kommune_kode", "koen", "aldersgruppe"], observed=True, sort=False)[
        ["doede", "personaar", "forventede"]].sum().reset_index()
    # population reference by sex and age group over the period
    ref_age = ref.groupby(["koen", "aldersgruppe"], observed=True)[["doede", "befolkning"]].sum()
    ref_age = ref_age.rename(columns={"befolkning": "personaar"})
    # national target group by sex and age group, and its hazard schedule
    nat = by_age.groupby(["koen", "aldersgruppe"], observed=True)[["doede", "personaar", "forventede"]].sum()
    schedule = {k: _schedule(nat.loc[k], ref_age.loc[k]) for k in ("M", "K")}
    # expected deaths with the national target-group schedule, per kommune and sex
    by_age["m_tg"] = [schedule[k].get(a, 0.0) for k, a in zip(by_age["koen"], by_age["aldersgruppe"])]
    by_age["forventede_tg"] = by_age["personaar"] * by_age["m_tg"]
    kom = by_age.groupby(["kommune_kode", "koen"], observed=True)[
        ["doede", "personaar", "forventede", "forventede_tg"]].sum().reset_index()
    alle = kom.groupby("kommune_kode", as_index=False)[["doede", "personaar", "forventede", "forventede_tg"]].sum()
    kom = pd.concat([kom, alle.assign(koen="alle")], ignore_index=True)
    out = {"by_age": by_age, "ref_age": ref_age, "nat": nat, "schedule": schedule, "kom": kom,
           "pattern": _pattern(kom)}
    _PERIOD.clear()  # keep one period in memory (reports use one; the app changes it now and then)
    _PERIOD[key] = out
    return out


def _schedule(nat: pd.DataFrame, ref: pd.DataFrame) -> dict:
    """Hazards of the national target group by age group (from LYL_ALDER), pooled where deaths are few.

    Consecutive age groups are merged until each block has at least ``MIN_DOEDE_BLOK``
    deaths (a short last block joins the one before); within a block the target group's
    rate is the population rate times the block's ratio of observed to expected deaths.
    Groups the target group never reached (such as 95+) take the ratio of the oldest block.
    """
    groups = [g for g in mortality.AGE_GROUPS if mortality.AGE_STARTS[mortality.AGE_GROUPS.index(g)] >= LYL_ALDER]
    pop_rate = (ref["doede"] / ref["personaar"]).reindex(groups).fillna(0.0).to_numpy()
    d = nat["doede"].reindex(groups).fillna(0).to_numpy(float)
    e = nat["personaar"].reindex(groups).fillna(0).to_numpy(float) * pop_rate
    blocks, current = [], []
    for i in range(len(groups)):
        current.append(i)
        if d[current].sum() >= MIN_DOEDE_BLOK:
            blocks.append(current)
            current = []
    if current:
        if blocks:
            blocks[-1] = blocks[-1] + current
        else:
            blocks.append(current)
    ratio = np.ones(len(groups))
    for b in blocks:
        if e[b].sum() > 0:
            ratio[b] = d[b].sum() / e[b].sum()
    return dict(zip(groups, ratio * pop_rate))


def _pattern(kom: pd.DataFrame) -> pd.DataFrame:
    """Primary and secondary suppression of deaths over kommune < region < land and M + K = alle."""
    reg = {g.kode: g.region_kode for g in geography.kommuner()}
    k = kom[["kommune_kode", "koen", "doede"]].copy()
    k["region_kode"] = k["kommune_kode"].map(reg)
    rows = [k.assign(niveau="kommune", kode=k["kommune_kode"])]
    r = k.groupby(["region_kode", "koen"], as_index=False)["doede"].sum()
    rows.append(r.assign(niveau="region", kode=r["region_kode"]))
    land = k.groupby("koen", as_index=False)["doede"].sum()
    rows.append(land.assign(niveau="land", kode=geography.LAND_KODE, region_kode=None))
    t = pd.concat(rows, ignore_index=True)[["niveau", "kode", "region_kode", "koen", "doede"]]
    t["g_region"] = [rk if n == "kommune" else kd if n == "region" else None
                     for n, kd, rk in zip(t["niveau"], t["kode"], t["region_kode"])]
    t["g_land"] = [None if n == "kommune" else "land" for n in t["niveau"]]
    t["g_koen"] = t["niveau"] + ":" + t["kode"]
    out = disclosure.suppress_long(t, "doede", [["g_region", "koen"], ["g_land", "koen"], ["g_koen"]])
    out["primaer"] = disclosure.primary_mask(t["doede"].to_numpy())
    return out.rename(columns={"doede_undertrykt": "undertrykt"})[
        ["niveau", "kode", "koen", "doede", "undertrykt", "primaer"]]


# ---------------------------------------------------------------- the analysis

def _area_age(per: dict, omr: geography.Omraade) -> pd.DataFrame:
    a = per["by_age"]
    a = a[a["kommune_kode"].isin(omr.kommune_koder)]
    return a.groupby(["koen", "aldersgruppe"], observed=True)[
        ["doede", "personaar", "forventede", "forventede_tg"]].sum()


def _suppression(per: dict, omr: geography.Omraade, koen: str, doede: int) -> tuple[bool, bool]:
    """(suppressed, primary) for the area's deaths of ``koen``, consistent with the published pattern."""
    pat = per["pattern"]
    primary = 1 <= doede < disclosure.THRESHOLD
    parts = omr.dele
    hidden = False
    for g in parts:
        row = pat[(pat["niveau"] == g.niveau) & (pat["kode"] == g.kode) & (pat["koen"] == koen)]
        hidden |= bool(row["undertrykt"].any())
    if omr.enkelt is not None:
        return hidden, primary
    return hidden or primary, primary


def _hazards_from(schedule: dict, R: float) -> tuple[pd.Series, pd.Series]:
    """Pseudo deaths and person-years whose ratio is the hazard ``R x m_k`` (for the methods' functions)."""
    groups = list(schedule)
    m = np.array([schedule[g] for g in groups]) * R
    return pd.Series(m * _PY_PSEUDO, index=groups), pd.Series(np.full(len(groups), _PY_PSEUDO), index=groups)


def _lyl_and_gap(per: dict, koen: str, O: float, E_tg: float):
    """Excess LYL and life-expectancy gap at LYL_ALDER for one sex, with CIs from the interval of R."""
    schedule = per["schedule"][koen]
    ref = per["ref_age"].loc[koen]
    groups = list(schedule)
    ref_d, ref_py = ref["doede"].reindex(groups).astype(float), ref["personaar"].reindex(groups).astype(float)
    r = mortality.smr(O, E_tg)
    lyl, gap = [], []
    for R in (r.value, r.lower, r.upper):
        d, p = _hazards_from(schedule, max(R, 1e-9))
        lyl.append(mortality.life_years_lost(d, p, age=LYL_ALDER, tau=TAU))
        gap.append(mortality.life_expectancy(d, p, age=LYL_ALDER))
    lyl_ref = mortality.life_years_lost(ref_d, ref_py, age=LYL_ALDER, tau=TAU)
    e_ref = mortality.life_expectancy(ref_d, ref_py, age=LYL_ALDER)
    lyl_res = {"value": lyl[0] - lyl_ref, "lower": lyl[1] - lyl_ref, "upper": lyl[2] - lyl_ref,
               "maalgruppe": lyl[0], "befolkning": lyl_ref, "R": r.value}
    gap_res = {"value": e_ref - gap[0], "lower": e_ref - gap[1], "upper": e_ref - gap[2],
               "maalgruppe": gap[0], "befolkning": e_ref, "R": r.value}
    return lyl_res, gap_res


def beregn(geografi="Hele landet", startaar=None, slutaar=None, koen="alle") -> Resultat:
    """All numbers of the theme for one area, period and sex."""
    valg = valider(geografi, startaar, slutaar, koen)
    per = _period(valg.startaar, valg.slutaar)
    omr = valg.omraade
    area = _area_age(per, omr)
    noter = []

    # SMR per sex and in all, with suppression
    rows, smrs = [], {}
    for k in ("M", "K", "alle"):
        part = area if k == "alle" else area.loc[[k]] if k in area.index.get_level_values(0) else area.iloc[0:0]
        O = int(part["doede"].sum())
        E = float(part["forventede"].sum())
        py = float(part["personaar"].sum())
        hidden, primary = _suppression(per, omr, k, O)
        res = None if hidden or E <= 0 else mortality.smr(O, E)
        smrs[k] = res
        rows.append({"koen": k, "doede": pd.NA if hidden else O, "undertrykt": hidden, "primaer": primary,
                     "personaar": py, "forventede": E, "smr": np.nan if res is None else res.value,
                     "nedre": np.nan if res is None else res.lower, "oevre": np.nan if res is None else res.upper,
                     "_O": O, "_E_tg": float(part["forventede_tg"].sum())})
    if omr.enkelt is None:
        _protect_sex_relation(rows)
    smrs = {r["koen"]: None if r["undertrykt"] else smrs[r["koen"]] for r in rows}
    tabel = pd.DataFrame(rows)
    tabel["doede"] = tabel["doede"].astype("Int64")

    # life-years lost and life expectancy, by sex
    lyl, levetid = {}, {}
    for k in ("M", "K"):
        row = tabel.set_index("koen").loc[k]
        if row["undertrykt"] or row["_O"] < MIN_DOEDE_LYL or row["_E_tg"] <= 0:
            lyl[k] = levetid[k] = None
            continue
        lyl[k], levetid[k] = _lyl_and_gap(per, k, row["_O"], row["_E_tg"])
    if any(v is None for v in lyl.values()):
        noter.append(f"Tabte leveår og restlevetid beregnes kun for et køn med mindst {MIN_DOEDE_LYL} dødsfald "
                     "i området og perioden; færre dødsfald giver ikke et brugbart skøn (og 1–4 vises ikke).")

    aldersrater = _age_rates(per, area, valg, bool(tabel.set_index("koen").loc[valg.koen, "undertrykt"]))
    overlevelse = _survival(per, lyl, valg)
    tragt, skjult, niveau = _funnel(per, valg)
    src = register.current_source()
    res = Resultat(valg, tabel.drop(columns=["_O", "_E_tg"]), smrs, lyl, levetid, aldersrater, overlevelse, tragt,
                   skjult, niveau, src["kilde"], src["synthetic"], noter)
    res.noegletal = _noegletal(res)
    return res


def _protect_sex_relation(rows: list[dict]) -> None:
    """Men + women = all for an area of several geographies: never exactly one hidden count of the three."""
    while sum(r["undertrykt"] for r in rows) == 1:
        candidates = [r for r in rows if not r["undertrykt"] and r["_O"] > 0]
        if not candidates:
            for r in rows:
                r["undertrykt"] = True
            break
        min(candidates, key=lambda r: r["_O"])["undertrykt"] = True
    for r in rows:
        if r["undertrykt"]:
            r["doede"] = pd.NA
            r["smr"] = r["nedre"] = r["oevre"] = np.nan


def _age_rates(per: dict, area: pd.DataFrame, valg: Valg, area_hidden: bool) -> pd.DataFrame:
    """Deaths per 1,000 person-years by age group: the area's target group, the country's and the population."""
    ks = list(valg.koenner)
    groups = [g for g in mortality.AGE_GROUPS if mortality.AGE_STARTS[mortality.AGE_GROUPS.index(g)] >= 15]
    ref = per["ref_age"].loc[ks].groupby(level="aldersgruppe").sum().reindex(groups)
    nat = per["nat"].loc[ks].groupby(level="aldersgruppe").sum().reindex(groups)
    out = [pd.DataFrame({"aldersgruppe": groups, "Serie": "Hele befolkningen",
                         "pr_1000": (ref["doede"] / ref["personaar"] * 1000).to_numpy()})]
    nat_rate = np.where(nat["personaar"] > 0, nat["doede"] / nat["personaar"].where(nat["personaar"] > 0) * 1000,
                        np.nan)
    nat_d = nat["doede"].fillna(0).astype(int)
    nat_hidden = disclosure.suppress_series(nat_d, total=int(nat_d.sum())).mask
    out.append(pd.DataFrame({"aldersgruppe": groups, "Serie": "Målgruppen, hele landet",
                             "pr_1000": np.where(nat_hidden, np.nan, nat_rate)}))
    if not valg.omraade.er_landet:
        a = area.loc[[k for k in ks if k in area.index.get_level_values(0)]].groupby(level="aldersgruppe").sum()
        a = a.reindex(groups).fillna(0)
        total = int(a["doede"].sum())
        supp = disclosure.suppress_series(a["doede"].astype(int), total=total)
        # the whole series is hidden when the area's total is suppressed (area_hidden)
        hidden = supp.mask.to_numpy() | supp.total_suppressed | area_hidden
        rate = np.where(a["personaar"] > 0, a["doede"] / a["personaar"].where(a["personaar"] > 0) * 1000, np.nan)
        rate = np.where(hidden, np.nan, rate)
        rate = np.where(a["doede"].to_numpy() == 0, np.nan, rate)  # log scale: no zero rates
        out.append(pd.DataFrame({"aldersgruppe": groups, "Serie": f"Målgruppen, {valg.omraade.navn}",
                                 "pr_1000": rate}))
    return pd.concat(out, ignore_index=True)


def _survival(per: dict, lyl: dict, valg: Valg) -> pd.DataFrame:
    """Survival from age LYL_ALDER: the area's target group (model above) and the population, by sex."""
    out = []
    for k in valg.koenner:
        ref = per["ref_age"].loc[k]
        schedule = per["schedule"][k]
        groups = list(schedule)
        s = mortality.survival_curve(ref["doede"].reindex(groups).astype(float),
                                     ref["personaar"].reindex(groups).astype(float), age=LYL_ALDER, tau=TAU, step=1)
        out.append(s.assign(Serie=f"{KOEN_NAVN[k]}, hele befolkningen"))
        if lyl.get(k) is None:
            continue
        d, p = _hazards_from(schedule, max(lyl[k]["R"], 1e-9))
        s = mortality.survival_curve(d, p, age=LYL_ALDER, tau=TAU, step=1)
        out.append(s.assign(Serie=f"{KOEN_NAVN[k]}, målgruppen i {valg.omraade.navn}"))
    return pd.concat(out, ignore_index=True)


def _funnel(per: dict, valg: Valg) -> tuple[pd.DataFrame, int, float]:
    """SMR of every kommune against its expected deaths, around the national target group's SMR."""
    kom = per["kom"][per["kom"]["koen"] == valg.koen].set_index("kommune_kode")
    pat = per["pattern"]
    pat = pat[(pat["niveau"] == "kommune") & (pat["koen"] == valg.koen)].set_index("kode")
    niveau = float(kom["doede"].sum() / kom["forventede"].sum())
    show = kom[(kom["forventede"] > 0) & ~pat["undertrykt"].reindex(kom.index).fillna(True).astype(bool)]
    skjult = int(len(kom) - len(show))
    data = mortality.funnel_data(show["doede"].rename_axis("kommune_kode"), show["forventede"], target=niveau)
    navne = {g.kode: g.navn for g in geography.kommuner()}
    data["kommune_navn"] = data["kommune_kode"].map(navne)
    data["valgt"] = data["kommune_kode"].isin(valg.omraade.kommune_koder) & (not valg.omraade.er_landet)
    return data, skjult, niveau


def _noegletal(res: Resultat) -> dict:
    k = res.valg.koen
    row = res.tabel.set_index("koen").loc[k]
    return {"smr": res.smr.get(k), "doede": None if row["undertrykt"] else int(row["doede"]),
            "undertrykt": bool(row["undertrykt"]), "primaer": bool(row["primaer"]),
            "lyl_M": res.lyl.get("M"), "lyl_K": res.lyl.get("K"),
            "levetid": {s: res.levetid.get(s) for s in res.valg.koenner}}


# ---------------------------------------------------------------- presentation

def vist_antal(antal, undertrykt: bool, primaer: bool) -> str:
    """A count as shown to people: ``<5`` (1-4), ``x`` (hidden to protect another cell) or Danish digits."""
    if undertrykt:
        return fmt.SUPPRESSED if primaer else SEKUNDAER
    return fmt.fmt_int(int(antal))


def _interval(d: dict | None, decimals: int = 1) -> str:
    if d is None:
        return fmt.MISSING
    return fmt.fmt_interval(d["value"], d["lower"], d["upper"], decimals=decimals)


def vis_noegletal(res: Resultat):
    """Key figures as HTML (with stable data-testid attributes for tests and apps), published as a table."""
    v, n = res.valg, res.noegletal
    s = n["smr"]
    smr_text = fmt.MISSING if s is None else fmt.fmt_interval(s.value, s.lower, s.upper, decimals=2)
    if n["undertrykt"]:
        smr_text = vist_antal(None, True, n["primaer"]) + " døde"
    gaps = n["levetid"]
    if v.koen == "alle":
        gap_text = " · ".join(f"{KOEN_NAVN[k]}: {_interval(gaps[k])}" for k in ("M", "K"))
    else:
        gap_text = _interval(gaps[v.koen])
    koen_txt = "" if v.koen == "alle" else f" ({KOEN_NAVN[v.koen].lower()})"
    cards = [
        ("noegletal-smr", f"SMR{koen_txt}: dødelighed i forhold til befolkningen (95 %-KI)", smr_text),
        ("noegletal-doede", f"Døde i målgruppen {v.startaar}–{v.slutaar}{koen_txt}",
         vist_antal(n["doede"], n["undertrykt"], n["primaer"])),
        ("noegletal-lyl-maend", f"Tabte leveår ud over befolkningens, mænd ({LYL_ALDER}–95 år, 95 %-KI)",
         _interval(n["lyl_M"])),
        ("noegletal-lyl-kvinder", f"Tabte leveår ud over befolkningens, kvinder ({LYL_ALDER}–95 år, 95 %-KI)",
         _interval(n["lyl_K"])),
        ("noegletal-levetid-forskel", f"Kortere forventet restlevetid som {LYL_ALDER}-årig, år (95 %-KI)", gap_text),
    ]
    items = "".join(
        f'<div class="vd-kort"><div class="vd-kort-label">{label}</div>'
        f'<div class="vd-kort-tal" data-testid="{tid}">{value}</div></div>'
        for tid, label, value in cards
    )
    notes = [f"Område: <b>{v.omraade.navn}</b>, {v.startaar}–{v.slutaar}, {KOEN_VALG[v.koen].lower()}. "
             "En SMR på 2 betyder dobbelt så mange dødsfald som i befolkningen med samme alder og køn."]
    notes.extend(res.noter)
    if res.syntetisk:
        notes.append('<b class="vd-syntetisk">Syntetiske data (demo)</b> – tallene er ikke virkelige.')
    notes.append(res.kildelinje)
    page = (_CSS + f'<div class="vd-noegletal">{items}</div>'
            + "".join(f'<p class="vd-note">{x}</p>' for x in notes))
    # the same figures as a published table (machine-readable copy for the audit; the page is unchanged)
    shown = pd.DataFrame([[value for _, _, value in cards]], columns=[label for _, label, _ in cards])
    return publicer("noegletal", shown, personhenfoerbar=True, antal_kolonner=[cards[1][1]],
                    kilde=res.kildelinje, geografi=geografi_metadata(v), html=page)


_CSS = """<style>
.vd-noegletal{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.vd-kort{border:1px solid #5f6b7a;border-radius:6px;padding:10px 14px;min-width:180px;max-width:320px;background:#fff}
.vd-kort-label{font-size:0.9em;color:#333}
.vd-kort-tal{font-size:1.5em;font-weight:700;color:#111}
.vd-note{font-size:0.9em;color:#333;margin:4px 0}
.vd-syntetisk{color:#8a1c00}
</style>"""


def figur_aldersdoedelighed(res: Resultat):
    """Deaths per 1,000 person-years by age group (log scale): target group against the population."""
    from ..presentation import plots

    d = res.aldersrater.dropna(subset=["pr_1000"])
    d = d[d["pr_1000"] > 0]
    order = {g: i for i, g in enumerate(mortality.AGE_GROUPS)}
    series = list(pd.unique(res.aldersrater["Serie"]))
    d = d.assign(_o=d["aldersgruppe"].map(order), _s=d["Serie"].map(series.index)).sort_values(["_s", "_o"])
    fig, ax = plots.new_figure(f"Dødelighed efter alder, {res.valg.omraade.navn} ({KOEN_VALG[res.valg.koen].lower()})",
                               "Aldersgruppe", "Døde pr. 1.000 personår (logaritmisk skala)",
                               [res.kilde, REFERENCE_KILDE], synthetic=res.syntetisk)
    groups = [g for g in mortality.AGE_GROUPS if order[g] >= 3]
    x = {g: i for i, g in enumerate(groups)}
    for serie, part in d.groupby("Serie", sort=False):
        colour = (plots.PALETTE[0] if serie == "Hele befolkningen" else
                  plots.PALETTE[2] if serie == "Målgruppen, hele landet" else plots.PALETTE[3])
        ax.plot(part["aldersgruppe"].map(x), part["pr_1000"], marker="o", color=colour, label=serie)
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=60)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: fmt.fmt_int(v) if v >= 1 else fmt.fmt_dec(v, 2)))
    if len(d):
        ax.legend(loc="upper left", frameon=False)
    return fig


def figur_overlevelse(res: Resultat):
    """Share still alive at each age, from age LYL_ALDER: the target group against the population."""
    from ..presentation import plots

    fig, ax = plots.new_figure(f"Overlevelse fra {LYL_ALDER} år, {res.valg.omraade.navn}", "Alder",
                               "Andel i live (%)", [res.kilde, REFERENCE_KILDE], synthetic=res.syntetisk)
    colours = {"M": plots.PALETTE[3], "K": plots.PALETTE[4]}
    for serie, part in res.overlevelse.groupby("Serie", sort=False):
        koen = "M" if serie.startswith(KOEN_NAVN["M"]) else "K"
        dashed = "befolkningen" in serie
        ax.plot(part["alder"], part["overlevelse"] * 100, color=colours[koen], linestyle="--" if dashed else "-",
                linewidth=2, label=serie)
    plots.danish_axis(ax, "y", decimals=0)
    if len(res.overlevelse):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def figur_tragt(res: Resultat):
    """Funnel plot: every kommune's SMR against its expected deaths, the chosen kommune(r) highlighted."""
    from ..presentation import plots

    t = res.tragt
    fig, ax = plots.new_figure(
        f"SMR for alle kommuner ({KOEN_VALG[res.valg.koen].lower()}, {res.valg.startaar}–{res.valg.slutaar})",
        "Forventede dødsfald (logaritmisk skala)", "SMR", [res.kilde, REFERENCE_KILDE], synthetic=res.syntetisk)
    if len(t):
        grid = np.exp(np.linspace(np.log(max(t["forventede"].min() * 0.8, 0.5)),
                                  np.log(t["forventede"].max() * 1.2), 200))
        lim = mortality.funnel_limits(grid, target=res.tragt_niveau)
        ax.plot(grid, lim["oevre_95"], color="#555555", linestyle="--", linewidth=1, label="95 %-grænser")
        ax.plot(grid, lim["nedre_95"], color="#555555", linestyle="--", linewidth=1)
        ax.plot(grid, lim["oevre_998"], color="#000000", linestyle=":", linewidth=1, label="99,8 %-grænser")
        ax.plot(grid, lim["nedre_998"], color="#000000", linestyle=":", linewidth=1)
        ax.axhline(res.tragt_niveau, color="#555555", linewidth=0.8,
                   label=f"Målgruppen i hele landet ({fmt.fmt_dec(res.tragt_niveau, 2)})")
        other = t[~t["valgt"]]
        ax.scatter(other["forventede"], other["smr"], s=18, color=plots.PALETTE[1], alpha=0.8, label="Kommuner")
        chosen = t[t["valgt"]]
        if len(chosen):
            label = (res.valg.omraade.navn if len(chosen) == 1 else
                     f"Kommuner i {res.valg.omraade.navn}" if res.valg.omraade.enkelt is not None
                     else "Valgte kommuner")
            ax.scatter(chosen["forventede"], chosen["smr"], s=70, color=plots.PALETTE[4], edgecolor="black",
                       zorder=5, label=label)
            if len(chosen) <= 3:  # names only where they stay readable
                for _, r in chosen.iterrows():
                    ax.annotate(r["kommune_navn"], (r["forventede"], r["smr"]), xytext=(5, 5),
                                textcoords="offset points", fontsize=9)
        ax.set_xscale("log")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: fmt.fmt_dec(v, 1)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: fmt.fmt_int(v)))
    return fig


def vis_tragt_note(res: Resultat):
    """A line under the funnel plot: what is hidden and whether the chosen kommune is shown."""
    from IPython.display import HTML

    parts = []
    if res.tragt_skjult:
        parts.append(f"{res.tragt_skjult} kommuner med 1–4 dødsfald (eller skjult af hensyn til dem) er ikke vist.")
    chosen = res.tragt[res.tragt["valgt"]]
    if not res.valg.omraade.er_landet and len(chosen) < len(res.valg.omraade.kommune_koder):
        parts.append("En eller flere af de valgte kommuner er ikke vist af hensyn til diskretionering.")
    over = int((res.tragt["uden_for_998"] == "over").sum())
    parts.append(f"{over} kommuner ligger over den øvre 99,8 %-grænse.")
    return HTML(f'<p class="vd-note">{" ".join(parts)} {res.kildelinje}</p>')


def tabel_til_download(res: Resultat) -> pd.DataFrame:
    """Deaths, person-years, expected deaths and SMR by sex; suppressed exactly like the screen."""
    t = res.tabel
    return pd.DataFrame({
        "omraade": res.valg.omraade.navn,
        "periode": f"{res.valg.startaar}-{res.valg.slutaar}",
        "koen": t["koen"].map(KOEN_NAVN),
        "doede": [vist_antal(a, u, p) if u else int(a) for a, u, p in zip(t["doede"], t["undertrykt"], t["primaer"])],
        "personaar": t["personaar"].round(0),
        "forventede_doede": t["forventede"].round(1),
        "smr": t["smr"].round(2),
        "smr_nedre": t["nedre"].round(2),
        "smr_oevre": t["oevre"].round(2),
        "kilde": res.kildelinje,
    })


def vis_tabel(res: Resultat):
    """Deaths, person-years, expected deaths and SMR by sex (a published table with its source line)."""
    t = res.tabel
    shown = pd.DataFrame({
        "Køn": t["koen"].map(KOEN_NAVN),
        "Døde": [vist_antal(a, u, p) for a, u, p in zip(t["doede"], t["undertrykt"], t["primaer"])],
        "Personår": [fmt.fmt_int(round(x)) for x in t["personaar"]],
        "Forventede døde": [fmt.fmt_dec(x, 1) for x in t["forventede"]],
        "SMR (95 %-KI)": [fmt.MISSING if pd.isna(s) else fmt.fmt_interval(s, lo, hi, decimals=2)
                          for s, lo, hi in zip(t["smr"], t["nedre"], t["oevre"])],
    })
    page = shown.to_html(index=False, classes="vd-tabel", border=0, escape=True) + (
        f'<p class="vd-note">{res.kildelinje} {fmt.SUPPRESSED} betyder 1–4 døde; {SEKUNDAER} er skjult, så '
        "et lille tal ikke kan regnes ud fra totaler (diskretionering). Forventede døde: hvis målgruppen døde "
        "som befolkningen med samme alder, køn og kalenderår.</p>")
    return publicer("tabel", shown, personhenfoerbar=True, antal_kolonner=["Døde"], total_raekke=KOEN_NAVN["alle"],
                    kilde=res.kildelinje, geografi=geografi_metadata(res.valg), html=page)


def vis_leveaar(res: Resultat):
    """Excess life-years lost and the gap in life expectancy by sex (a published table)."""
    rows = []
    for k in ("M", "K"):
        for what, d in (("Tabte leveår ud over befolkningens", res.lyl.get(k)),
                        (f"Kortere restlevetid som {LYL_ALDER}-årig", res.levetid.get(k))):
            rows.append({"Køn": KOEN_NAVN[k], "Mål": what, "År (95 %-KI)": _interval(d),
                         "Målgruppen": fmt.MISSING if d is None else fmt.fmt_dec(d["maalgruppe"], 1),
                         "Befolkningen": fmt.MISSING if d is None else fmt.fmt_dec(d["befolkning"], 1)})
    shown = pd.DataFrame(rows)
    page = shown.to_html(index=False, classes="vd-tabel", border=0, escape=True) + (
        f'<p class="vd-note">{res.kildelinje} Tabte leveår: mellem {LYL_ALDER} og 95 år; under «Målgruppen» og '
        "«Befolkningen» står deres tabte leveår. Restlevetid: forventet antal år tilbage for en "
        f"{LYL_ALDER}-årig; under «Målgruppen» og «Befolkningen» står deres forventede restlevetid. "
        f"Vises kun for et køn med mindst {MIN_DOEDE_LYL} dødsfald.</p>")
    return publicer("leveaar", shown, personhenfoerbar=True, antal_kolonner=[], kilde=res.kildelinje,
                    geografi=geografi_metadata(res.valg), html=page)



def visning(geografi="Hele landet", startaar=None, slutaar=None, koen="alle", interaktiv=None):
    """The theme's view for a notebook: static report or live app (see :mod:`vidensdata.presentation.widgets`)."""
    from ..errors import VidensdataError
    from ..presentation.widgets import Kontrol, Visning

    first, last = data_years()
    params = {"geografi": geografi, "startaar": startaar, "slutaar": slutaar, "koen": koen}
    kontroller = [
        *geografi_kontroller(),
        Kontrol("aar", "År", "aarinterval", min=first, max=last),
        Kontrol("koen", "Køn", "dropdown", [(navn, kode) for kode, navn in KOEN_VALG.items()]),
    ]
    v = Visning(beregn, params, kontroller, interaktiv_=interaktiv, noegle=valider)
    if v.interaktiv:
        start_geografi(v.parametre, geografi)
        try:
            v.parametre["koen"] = normalise_koen(koen)
        except VidensdataError:
            v.parametre["koen"] = "alle"
        v.parametre["startaar"] = v.parametre["startaar"] or first
        v.parametre["slutaar"] = v.parametre["slutaar"] or last
    return v
