"""Theme: excess mortality in the target group (overdødelighed).

The computing half of the theme: ``beregn`` does all the analysis for one area,
period and sex and returns a :class:`Resultat` (no HTML, no widgets); its drawing is
:mod:`vidensdata.presentation.temaer.overdoedelighed`.

Measures (methods in :mod:`vidensdata.methods.mortality`)
---------------------------------------------------------
* **SMR**: observed deaths in the target group over the deaths expected with the
  national age-, sex- and year-specific rates (``doedelighed_land``), with an exact
  Poisson confidence interval.
* **Excess life-years lost** (Andersen 2013) from age :data:`LYL_ALDER` to 95, and
  the **gap in life expectancy** at age :data:`LYL_ALDER`, by sex. The population is
  compared *year-matched*: its rate in age group *k* is the national rates of the
  calendar years weighted by the target group's person-years in those years
  (:func:`vidensdata.methods.mortality.year_matched_reference`), for the area's own
  target group. Mortality fell over the years while the target group's person-years
  lie mostly in the later ones, so pooling the population evenly over the period
  would overstate its life-years lost and understate the excess. A kommune has too
  few deaths for its own age-specific rates, so the age pattern is borrowed from the
  whole country's target group as a rate ratio ``r_k`` to the year-matched population
  rate (age groups with fewer than :data:`MIN_DOEDE_BLOK` deaths are pooled with their
  neighbours); the area's hazard in age group *k* is ``R x r_k x m_k``, where ``m_k``
  is the population rate matched to the area's target group and ``R`` the area's
  observed over expected deaths (ages :data:`LYL_ALDER` and up) with those rates. For
  the whole country ``R = 1`` and the hazard is the target group's own rate. The
  confidence interval comes from the exact Poisson interval of ``R``; it ignores the
  (small) uncertainty of the national age pattern.
* **Planted truth** (synthetic data only): the same two measures computed from the
  hazards the generator planted (``registry.plantet_doedelighed``), shown beside the
  estimates so a reader can see how well the method hits.
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

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import disclosure, geography
from ..disclosure import vist_antal
from ..datasets import registry as cat
from ..errors import InvalidValueError, InvalidYearsError
from ..memo import Memo
from ..methods import mortality
from .. import formatting as fmt
from .common import check_years, Resume
from .comparison import Kommunesammenligning, Modpart, decimaler_for_land, eneste_region, kommune_ramme
from .sammenligning import IKKE_VURDERET, vurder
from .tema import Tema

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


@dataclass(frozen=True)
class Resultat(Resume):
    """Everything the theme shows for one view; ``noegletal_vist(resultat)`` gives its key figures as shown."""

    valg: Valg
    tabel: pd.DataFrame  # koen, doede (Int64, <NA> suppressed), undertrykt, primaer, personaar, forventede, smr..
    smr: dict  # koen -> mortality.SMRResult or None (suppressed)
    lyl: dict  # "M"/"K" -> mortality.LYLResult-like dict or None
    levetid: dict  # "M"/"K" -> dict(gap, lower, upper, maalgruppe, befolkning) or None
    aldersrater: pd.DataFrame  # aldersgruppe, Serie, pr_1000 (NaN where hidden or 0), skjult (hidden: <5 or x)
    overlevelse: pd.DataFrame  # alder, overlevelse, Serie
    tragt: pd.DataFrame  # kommune_kode, kommune_navn, doede, forventede, smr, limits, valgt
    tragt_skjult: int
    tragt_niveau: float
    kilde: str
    syntetisk: bool
    noter: list = field(default_factory=list)
    noegletal: dict = field(default_factory=dict)
    #: synthetic data only: "M"/"K" -> {"lyl": planted excess LYL, "levetid": planted gap} (None where not shown)
    sandhed: dict | None = None

    @property
    def kildelinje(self) -> str:
        return fmt.source_line([self.kilde, REFERENCE_KILDE], synthetic=self.syntetisk)

    def _resume(self) -> tuple[str, list, list]:
        v = self.valg
        titel = f"{TITEL}: {v.omraade.navn}, {v.startaar}–{v.slutaar}, {KOEN_VALG[v.koen].lower()}"
        return (titel, noegletal_vist(self), [*self.noter, self.kildelinje])


# ---------------------------------------------------------------- validation

def data_years() -> tuple[int, int]:
    return cat.aarspaend("doedelighed_maalgruppe")


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
    """Check the parameters; raise a :class:`VidensdataError` naming any bad value.

    The period is fixed: the whole follow-up window of the data (:func:`data_years`). Deaths of two periods
    with a common start or end year could be subtracted into the deaths of the years between, a small count
    for a small kommune; one period leaves nothing to subtract (docs/metoder.md, *Diskretionering*).
    """
    first, last = data_years()
    start, end = check_years(first if startaar is None else startaar, last if slutaar is None else slutaar,
                             first, last)
    if (start, end) != (first, last):
        raise InvalidYearsError(
            f"the period is fixed at {first}-{last} (the whole follow-up), got {start}-{end}: deaths of overlapping "
            "periods could be subtracted into small counts",
            dansk=f"Perioden er fast: {first}–{last} (hele opfølgningen). Kortere perioder vises ikke, fordi "
                  "dødsfald i to perioder kan trækkes fra hinanden og afsløre små tal.",
        )
    return Valg(geography.omraade(geografi), start, end, normalise_koen(koen))


# ---------------------------------------------------------------- tables computed once per period

#: Per-period tables in memory, keyed on the data read and the period (reports use one; the app a few).
_PERIODER: Memo[dict] = Memo("overdoedelighed.perioder", stoerrelse=2)


def _period(start: int, end: int) -> dict:
    """Everything that does not depend on the area: per-kommune tables, national schedules, the pattern."""
    data = tuple(cat.get(n).fingerprint() for n in DATASETS)
    return _PERIODER.hent((data, start, end), lambda: _compute_period(start, end))


def _compute_period(start: int, end: int) -> dict:
    d = cat.frame("doedelighed_maalgruppe")
    d = d[d["aar"].between(start, end)]
    ref = cat.frame("doedelighed_land")
    ref = ref[ref["aar"].between(start, end)]
    rates = mortality.reference_rates(ref)
    merged = d.merge(rates[["aar", "koen", "aldersgruppe", "rate"]], on=["aar", "koen", "aldersgruppe"], how="left")
    merged["forventede"] = merged["personaar"] * merged["rate"].fillna(0.0)
    # kommune x sex x age group over the period; forventede / personaar is the year-matched population rate
    by_age = merged.groupby(["kommune_kode", "koen", "aldersgruppe"], observed=True, sort=False)[
        ["doede", "personaar", "forventede"]].sum().reset_index()
    # the population's rates standardised to the national target group's person-years by calendar year
    ref_age = mortality.year_matched_reference(d, ref, by=("koen",)).set_index(["koen", "aldersgruppe"])
    # national target group by sex and age group, and its rate ratios to the population by age group
    nat = by_age.groupby(["koen", "aldersgruppe"], observed=True)[["doede", "personaar", "forventede"]].sum()
    ratios = {k: _ratios(nat.loc[k]) for k in ("M", "K")}
    schedule = {k: {g: r * float(ref_age.loc[(k, g), "rate"]) for g, r in ratios[k].items()} for k in ("M", "K")}
    # expected deaths (ages LYL_ALDER and up) with the national target group's ratios, per kommune and sex
    by_age["ratio_tg"] = [ratios[k].get(a, 0.0) for k, a in zip(by_age["koen"], by_age["aldersgruppe"])]
    by_age["forventede_tg"] = by_age["forventede"] * by_age["ratio_tg"]
    by_age["doede_lyl"] = by_age["doede"].where(by_age["aldersgruppe"].isin(_lyl_groups()), 0)
    cols = ["doede", "personaar", "forventede", "forventede_tg", "doede_lyl"]
    kom = by_age.groupby(["kommune_kode", "koen"], observed=True)[cols].sum().reset_index()
    alle = kom.groupby("kommune_kode", as_index=False)[cols].sum()
    kom = pd.concat([kom, alle.assign(koen="alle")], ignore_index=True)
    return {"by_age": by_age, "ref_age": ref_age, "nat": nat, "ratios": ratios, "schedule": schedule, "kom": kom,
            "pattern": _pattern(kom), "sandhed": _planted(start, end)}


def _lyl_groups() -> list[str]:
    """The age groups from LYL_ALDER up (95+ included)."""
    return [g for g in mortality.AGE_GROUPS if mortality.AGE_STARTS[mortality.AGE_GROUPS.index(g)] >= LYL_ALDER]


def _ratios(nat: pd.DataFrame) -> dict:
    """Rate ratios of the national target group to the year-matched population by age group (from LYL_ALDER),
    pooled where deaths are few.

    Consecutive age groups are merged until each block has at least ``MIN_DOEDE_BLOK``
    deaths (a short last block joins the one before); within a block the ratio is the
    block's observed over expected deaths (expected with the population's rates of each
    calendar year). Groups the target group never reached (such as 95+) take the ratio
    of the oldest block.
    """
    groups = _lyl_groups()
    d = nat["doede"].reindex(groups).fillna(0).to_numpy(float)
    e = nat["forventede"].reindex(groups).fillna(0).to_numpy(float)
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
    return dict(zip(groups, ratio))


def _planted(start: int, end: int) -> pd.DataFrame | None:
    """Planted expected deaths by kommune, sex and age group over the period (synthetic data only)."""
    truth = cat.plantet_doedelighed()
    if truth is None:
        return None
    t = truth[truth["aar"].between(start, end)]
    return t.groupby(["kommune_kode", "koen", "aldersgruppe"], observed=True)[
        ["personaar", "forventede_befolkning", "forventede_plantet"]].sum().reset_index()


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
    out["primaer"] = out["doede_primaer"]  # the cells shown <5 (from disclosure; the other hidden ones: x)
    return out.rename(columns={"doede_undertrykt": "undertrykt"})[
        ["niveau", "kode", "koen", "doede", "undertrykt", "primaer"]]


# ---------------------------------------------------------------- the analysis

def _area_age(per: dict, omr: geography.Omraade) -> pd.DataFrame:
    a = per["by_age"]
    a = a[a["kommune_kode"].isin(omr.kommune_koder)]
    return a.groupby(["koen", "aldersgruppe"], observed=True)[
        ["doede", "personaar", "forventede", "forventede_tg", "doede_lyl"]].sum()


def _area_reference(per: dict, area: pd.DataFrame, koen: str) -> pd.Series:
    """The population's rate by age group (from LYL_ALDER), matched to the area's target group: its expected
    over its person-years (the national rates of each year weighted by the area's person-years in it); an
    age group where the area has no person-years takes the rate matched to the national target group."""
    groups = _lyl_groups()
    national = per["ref_age"].loc[koen, "rate"].reindex(groups)
    if koen not in area.index.get_level_values(0):
        return national
    a = area.loc[koen].reindex(groups)
    own = a["forventede"] / a["personaar"].where(a["personaar"] > 0)
    return own.fillna(national)


def _suppression(per: dict, omr: geography.Omraade, koen: str) -> tuple[bool, bool]:
    """(suppressed, primary) for the area's deaths of ``koen``, consistent with the published pattern."""
    pat = per["pattern"]
    if omr.enkelt is not None:  # the mark of the published pattern (a 1-4 total of several 1-4 is shown x)
        g = omr.enkelt
        row = pat[(pat["niveau"] == g.niveau) & (pat["kode"] == g.kode) & (pat["koen"] == koen)]
        return bool(row["undertrykt"].any()), bool(row["primaer"].any())
    # several kommuner as one area: published only when every part is, and then never with a value-chosen mark
    parts = pat[(pat["niveau"] == "kommune") & pat["kode"].isin(omr.kommune_koder) & (pat["koen"] == koen)]
    return disclosure.sammensat(parts["undertrykt"])


def _pseudo(hazard: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Pseudo deaths and person-years whose ratio is ``hazard`` (for the methods' life-table functions)."""
    return hazard * _PY_PSEUDO, pd.Series(_PY_PSEUDO, index=hazard.index)


def _lyl_gap_of(hazard: pd.Series, reference: pd.Series) -> tuple[float, float, float, float]:
    """(LYL of ``hazard``, of ``reference``, life expectancy at LYL_ALDER of ``hazard``, of ``reference``)."""
    d, p = _pseudo(hazard)
    rd, rp = _pseudo(reference)
    return (mortality.life_years_lost(d, p, age=LYL_ALDER, tau=TAU), mortality.life_years_lost(rd, rp, age=LYL_ALDER,
            tau=TAU), mortality.life_expectancy(d, p, age=LYL_ALDER), mortality.life_expectancy(rd, rp, age=LYL_ALDER))


def _lyl_and_gap(per: dict, koen: str, O: float, E_tg: float, reference: pd.Series):
    """Excess LYL and life-expectancy gap at LYL_ALDER for one sex, with CIs from the interval of R.

    The target group's hazard is ``R x r_k x reference_k`` (national rate ratios ``r_k``); ``reference`` is the
    population's rate matched to the area's target group (:func:`_area_reference`)."""
    ratios = pd.Series(per["ratios"][koen])
    base = ratios * reference.reindex(ratios.index)
    r = mortality.smr(O, E_tg)
    lyl, gap = [], []
    for R in (r.value, r.lower, r.upper):
        lyl_t, lyl_ref, e_t, e_ref = _lyl_gap_of(base * max(R, 1e-9), reference.reindex(ratios.index))
        lyl.append(lyl_t)
        gap.append(e_t)
    lyl_res = {"value": lyl[0] - lyl_ref, "lower": lyl[1] - lyl_ref, "upper": lyl[2] - lyl_ref,
               "maalgruppe": lyl[0], "befolkning": lyl_ref, "R": r.value}
    gap_res = {"value": e_ref - gap[0], "lower": e_ref - gap[1], "upper": e_ref - gap[2],
               "maalgruppe": gap[0], "befolkning": e_ref, "R": r.value}
    return lyl_res, gap_res


def _truth(per: dict, omr: geography.Omraade, koen: str, reference: pd.Series) -> dict | None:
    """Planted excess LYL and life-expectancy gap for the area and sex (synthetic data only).

    The planted hazard in age group *k* is the planted rate ratio of the area's follow-up (planted expected over
    expected deaths at the population's rates of each year; the country's where the area has none, the oldest
    group's where nobody has any) times the same year-matched population rate as the estimate's."""
    t = per["sandhed"]
    if t is None:
        return None
    groups = _lyl_groups()
    t = t[t["koen"] == koen]
    cols = ["forventede_befolkning", "forventede_plantet"]
    nat = t.groupby("aldersgruppe", observed=True)[cols].sum().reindex(groups)
    own = t[t["kommune_kode"].isin(omr.kommune_koder)].groupby("aldersgruppe", observed=True)[cols].sum()
    own = own.reindex(groups)
    ratio = (own["forventede_plantet"] / own["forventede_befolkning"].where(own["forventede_befolkning"] > 0))
    ratio = ratio.fillna(nat["forventede_plantet"] / nat["forventede_befolkning"].where(
        nat["forventede_befolkning"] > 0)).ffill()
    ref = reference.reindex(groups)
    lyl_t, lyl_ref, e_t, e_ref = _lyl_gap_of(ratio * ref, ref)
    return {"lyl": lyl_t - lyl_ref, "levetid": e_ref - e_t}


def beregn(geografi="Hele landet", startaar=None, slutaar=None, koen="alle") -> Resultat:
    """All numbers of the theme for one area, period and sex."""
    return beregn_valg(valider(geografi, startaar, slutaar, koen))


def beregn_valg(valg: Valg) -> Resultat:
    """The theme's numbers for an already validated choice (see :func:`valider`)."""
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
        hidden, primary = _suppression(per, omr, k)
        res = None if hidden or E <= 0 else mortality.smr(O, E)
        smrs[k] = res
        rows.append({"koen": k, "doede": pd.NA if hidden else O, "undertrykt": hidden, "primaer": primary,
                     "personaar": py, "forventede": E, "smr": np.nan if res is None else res.value,
                     "nedre": np.nan if res is None else res.lower, "oevre": np.nan if res is None else res.upper,
                     "_O": O, "_O_lyl": int(part["doede_lyl"].sum()), "_E_tg": float(part["forventede_tg"].sum())})
    if omr.enkelt is None:
        _protect_sex_relation(rows)
    smrs = {r["koen"]: None if r["undertrykt"] else smrs[r["koen"]] for r in rows}
    tabel = pd.DataFrame(rows)
    tabel["doede"] = tabel["doede"].astype("Int64")

    # life-years lost and life expectancy, by sex
    lyl, levetid, reference, sandhed = {}, {}, {}, {}
    for k in ("M", "K"):
        row = tabel.set_index("koen").loc[k]
        reference[k] = _area_reference(per, area, k)
        if row["undertrykt"] or min(row["_O"], row["_O_lyl"]) < MIN_DOEDE_LYL or row["_E_tg"] <= 0:
            lyl[k] = levetid[k] = sandhed[k] = None
            continue
        lyl[k], levetid[k] = _lyl_and_gap(per, k, row["_O_lyl"], row["_E_tg"], reference[k])
        sandhed[k] = _truth(per, omr, k, reference[k])
    if any(v is None for v in lyl.values()):
        noter.append(f"Tabte leveår og restlevetid beregnes kun for et køn med mindst {MIN_DOEDE_LYL} dødsfald "
                     "i området og perioden; færre dødsfald giver ikke et brugbart skøn (og 1–4 vises ikke).")

    aldersrater = _age_rates(per, area, valg, bool(tabel.set_index("koen").loc[valg.koen, "undertrykt"]))
    overlevelse = _survival(per, lyl, reference, valg)
    tragt, skjult, niveau = _funnel(per, valg)
    src = cat.registerkilde()
    truth = sandhed if per["sandhed"] is not None else None
    res = Resultat(valg, tabel.drop(columns=["_O", "_O_lyl", "_E_tg"]), smrs, lyl, levetid, aldersrater,
                   overlevelse, tragt, skjult, niveau, src["kilde"], src["synthetic"], noter, sandhed=truth)
    return replace(res, noegletal=_noegletal(res))


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
    # the population year-matched to the national target group (over both sexes: weighted by its person-years)
    ref = per["ref_age"].loc[ks].assign(wr=lambda x: x["rate"] * x["maalgruppe_personaar"])
    ref = ref.groupby(level="aldersgruppe")[["wr", "maalgruppe_personaar", "rate"]].agg(
        {"wr": "sum", "maalgruppe_personaar": "sum", "rate": "mean"}).reindex(groups)
    pop_rate = np.where(ref["maalgruppe_personaar"] > 0, ref["wr"] / ref["maalgruppe_personaar"].where(
        ref["maalgruppe_personaar"] > 0), ref["rate"])
    nat = per["nat"].loc[ks].groupby(level="aldersgruppe").sum().reindex(groups)
    out = [pd.DataFrame({"aldersgruppe": groups, "Serie": "Hele befolkningen", "pr_1000": pop_rate * 1000,
                         "skjult": False})]
    nat_rate = np.where(nat["personaar"] > 0, nat["doede"] / nat["personaar"].where(nat["personaar"] > 0) * 1000,
                        np.nan)
    nat_d = nat["doede"].fillna(0).astype(int)
    nat_hidden = disclosure.suppress_series(nat_d, total=int(nat_d.sum())).mask
    out.append(pd.DataFrame({"aldersgruppe": groups, "Serie": "Målgruppen, hele landet",
                             "pr_1000": np.where(nat_hidden, np.nan, nat_rate),
                             "skjult": np.asarray(nat_hidden, bool)}))
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
                                 "pr_1000": rate, "skjult": hidden}))
    return pd.concat(out, ignore_index=True)


def _survival(per: dict, lyl: dict, reference: dict, valg: Valg) -> pd.DataFrame:
    """Survival from age LYL_ALDER: the area's target group (model above) and the population year-matched to it,
    by sex."""
    out = []
    for k in valg.koenner:
        ratios = pd.Series(per["ratios"][k])
        ref = reference[k].reindex(ratios.index)
        s = mortality.survival_curve(*_pseudo(ref), age=LYL_ALDER, tau=TAU, step=1)
        out.append(s.assign(Serie=f"{KOEN_NAVN[k]}, hele befolkningen"))
        if lyl.get(k) is None:
            continue
        s = mortality.survival_curve(*_pseudo(ratios * ref * max(lyl[k]["R"], 1e-9)), age=LYL_ALDER, tau=TAU, step=1)
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


# ---------------------------------------------------------------- what is shown

def _interval(d: dict | None, decimals: int = 1) -> str:
    if d is None:
        return fmt.MISSING
    return fmt.fmt_interval(d["value"], d["lower"], d["upper"], decimals=decimals)


#: The key figures' test ids per sex (``noegletal-lyl-maend``, ``noegletal-lyl-kvinder``).
LYL_ID = {"M": "maend", "K": "kvinder"}


def noegletal_vist(res: Resultat) -> list[tuple[str, str, str]]:
    """The key figures as shown (``testid``, Danish label, value): counts suppressed, Danish numbers."""
    v, n = res.valg, res.noegletal
    s = n["smr"]
    smr_text = fmt.MISSING if s is None else fmt.fmt_interval(s.value, s.lower, s.upper, decimals=2)
    if n["undertrykt"]:
        smr_text = vist_antal(None, True, n["primaer"]) + " døde"
    gaps = n["levetid"]
    if v.koen == "alle":
        gap_text = " · ".join(f"{KOEN_NAVN[x]}: {_interval(gaps[x])}" for x in ("M", "K"))
    else:
        gap_text = _interval(gaps[v.koen])
    koen_txt = "" if v.koen == "alle" else f" ({KOEN_NAVN[v.koen].lower()})"
    return [
        ("noegletal-smr", f"SMR{koen_txt}: dødelighed i forhold til befolkningen (95 %-KI)", smr_text),
        ("noegletal-doede", f"Døde i målgruppen {v.startaar}–{v.slutaar}{koen_txt}",
         vist_antal(n["doede"], n["undertrykt"], n["primaer"])),
        *[(f"noegletal-lyl-{LYL_ID[x]}", f"Tabte leveår ud over befolkningens, {KOEN_NAVN[x].lower()} "
           f"({LYL_ALDER}–95 år, 95 %-KI)", _interval(n[f"lyl_{x}"])) for x in v.koenner],  # the chosen sex(es)
        ("noegletal-levetid-forskel", f"Kortere forventet restlevetid som {LYL_ALDER}-årig, år (95 %-KI)", gap_text),
        *_truth_card(res),
    ]


def _truth_card(res: Resultat) -> list[tuple[str, str, str]]:
    """The planted excess life-years lost beside the estimates (synthetic data only)."""
    if not res.syntetisk or not res.sandhed or all(v is None for v in res.sandhed.values()):
        return []
    values = {x: fmt.MISSING if res.sandhed.get(x) is None else fmt.fmt_dec(res.sandhed[x]["lyl"], 1)
              for x in res.valg.koenner}
    text = " · ".join(f"{KOEN_NAVN[x]}: {v}" for x, v in values.items())
    return [("noegletal-lyl-sand", f"Plantet sandhed: tabte leveår ud over befolkningens ({LYL_ALDER}–95 år, "
             "kun syntetiske data)", text)]



def tabel_vist(res: Resultat) -> pd.DataFrame:
    """The rows of ``res.tabel`` for the chosen sex: both sexes and their total, or that sex alone."""
    if res.valg.koen == "alle":
        return res.tabel
    return res.tabel[res.tabel["koen"] == res.valg.koen].reset_index(drop=True)


def tabel_til_download(res: Resultat) -> pd.DataFrame:
    """Deaths, person-years, expected deaths and SMR by sex; suppressed exactly like the screen."""
    t = tabel_vist(res)
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


# ---------------------------------------------------------------- comparison with the region and the country

#: How the SMR is compared with the country (Danish, for the method sections).
SMR_METODE = ("Kommunens SMR sammenlignes med SMR for målgruppen i hele landet (samme køn og periode): "
              "95 %-konfidensintervallet er det eksakte Poisson-interval for antallet af døde.")


def _andet_omraade(res: Resultat, navn: str) -> Resultat:
    return beregn_valg(replace(res.valg, omraade=geography.omraade(navn)))


def _smr_text(r: Resultat) -> str:
    s = r.smr.get(r.valg.koen)
    return fmt.MISSING if s is None else fmt.fmt_dec(s.value, 2)


def _lyl_text(koen: str):
    return lambda r: fmt.MISSING if r.lyl.get(koen) is None else fmt.fmt_dec(r.lyl[koen]["value"], 1)


def _vurder_dict(d, national) -> str:
    if d is None or national is None:
        return IKKE_VURDERET
    return vurder(d["value"], d["lower"], d["upper"], national)


def sammenligninger(res: Resultat) -> dict[str, Modpart]:
    """The key figures with a national counterpart (the SMR and the excess life-years lost by sex), by test id:
    the verdict against the target group in the whole country and the region's and country's values.

    Empty for the whole country. A figure whose deaths are hidden (or too few) is not assessed.
    """
    omr, koen = res.valg.omraade, res.valg.koen
    if omr.er_landet:
        return {}
    land = _andet_omraade(res, geography.LAND_NAVN)
    reg = eneste_region(omr)
    region = _andet_omraade(res, reg.navn) if reg is not None else None

    def mod(vurdering, tekst, grund="", land_tekst=None):
        return Modpart(vurdering, land_tekst or tekst(land), None if region is None else tekst(region),
                       None if reg is None else reg.navn, grund)

    s, ls = res.smr.get(koen), land.smr.get(koen)
    hidden = "antallet af døde vises ikke: under 5 eller skjult"
    smr = (mod(IKKE_VURDERET, _smr_text, hidden) if s is None or ls is None
           else mod(vurder(s.value, s.lower, s.upper, ls.value), _smr_text,
                    land_tekst=fmt.fmt_dec(ls.value, decimaler_for_land(ls.value, s.lower, s.upper, 2))))
    out = {"noegletal-smr": smr}
    for k, testid in (("M", "noegletal-lyl-maend"), ("K", "noegletal-lyl-kvinder")):
        national = None if land.lyl.get(k) is None else land.lyl[k]["value"]
        grund = "" if res.lyl.get(k) is not None else f"for få dødsfald: under {MIN_DOEDE_LYL} eller skjult"
        d = res.lyl.get(k)
        land_tekst = None if d is None or national is None else fmt.fmt_dec(
            national, decimaler_for_land(national, d["lower"], d["upper"], 1))
        out[testid] = mod(_vurder_dict(d, national), _lyl_text(k), grund, land_tekst)
    out["noegletal-levetid-forskel"] = _gap_modpart(res, koen, land, region, reg)
    return out


def _gap_modpart(res: Resultat, koen: str, land: Resultat, region, reg) -> Modpart:
    """The gap in life expectancy against the country's target group: assessed for one sex; for both sexes the
    card holds two figures, so it points to the verdicts by sex (the same as for the life-years lost, which
    come from the same ratio to the national schedule)."""
    def tekst(r: Resultat) -> str:
        vals = {k: fmt.MISSING if r.levetid.get(k) is None else fmt.fmt_dec(r.levetid[k]["value"], 1)
                for k in res.valg.koenner}
        return vals[koen] if koen != "alle" else " · ".join(f"{KOEN_NAVN[k]}: {vals[k]}" for k in ("M", "K"))

    rname = None if reg is None else reg.navn
    rtekst = None if region is None else tekst(region)
    if koen == "alle":
        return Modpart(IKKE_VURDERET, tekst(land), rtekst, rname, "vurderes for hvert køn: se tabte leveår")
    d, nat = res.levetid.get(koen), land.levetid.get(koen)
    national = None if nat is None else nat["value"]
    grund = "" if d is not None else f"for få dødsfald: under {MIN_DOEDE_LYL} eller skjult"
    return Modpart(_vurder_dict(d, national), tekst(land), rtekst, rname, grund)


def kommuner_sammenlignet(res: Resultat) -> Kommunesammenligning:
    """SMR with its exact Poisson CI for all 98 kommuner (the chosen sex and the period; deaths suppressed as
    published), each against the target group's SMR in the whole country."""
    v = res.valg
    per = _period(v.startaar, v.slutaar)
    koder = [g.kode for g in geography.kommuner()]
    kom = per["kom"][per["kom"]["koen"] == v.koen].set_index("kommune_kode").reindex(koder)
    pat = per["pattern"]
    pat = pat[(pat["niveau"] == "kommune") & (pat["koen"] == v.koen)].set_index("kode").reindex(koder)
    O = kom["doede"].fillna(0).to_numpy(float)
    E = kom["forventede"].fillna(0).to_numpy(float)
    skjult = pat["undertrykt"].fillna(True).astype(bool).to_numpy() | (E <= 0)
    r = mortality.smr(O, np.where(E > 0, E, 1.0))
    national = float(O.sum() / E.sum())
    t = kommune_ramme(koder, O, skjult, pat["primaer"].fillna(False).astype(bool), r.value, r.lower, r.upper,
                      national)
    koen_txt = "" if v.koen == "alle" else f", {KOEN_NAVN[v.koen].lower()}"
    return Kommunesammenligning(f"SMR i målgruppen{koen_txt}, {v.startaar}–{v.slutaar}",
                                f"Døde {v.startaar}–{v.slutaar}", 2, national, "Målgruppen i hele landet", t,
                                (res.kilde, REFERENCE_KILDE), res.syntetisk, SMR_METODE)


TEMA = Tema(
    navn="overdoedelighed",
    titel=TITEL,
    spoergsmaal="Hvor meget tidligere dør borgere i målgruppen end resten af befolkningen?",
    datasaet=DATASETS,
    parametre=PARAMETRE,
    beregn=beregn,
    beregn_valg=beregn_valg,
    valider=valider,
    tabel_til_download=tabel_til_download,
)
