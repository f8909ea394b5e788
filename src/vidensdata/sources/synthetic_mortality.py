"""Deaths in the synthetic register extract (SYNTHETIC DATA, for demos and tests).

Every person of the synthetic extract is followed from entry into the target
group (or :data:`FOLLOWUP_START`, whichever is later) to death or the end of the
extract. The hazard of death is the real national age-, sex- and year-specific
death rate (dataset ``doedelighed_land``: Statistics Denmark DODC1 deaths over
FOLK1A mean population, 2008-2021; years outside that range use the nearest
year) multiplied by a planted mortality rate ratio (MRR) that depends on sex and
age (:attr:`SyntheticParams.mrr`, log-linear between the ages in
:attr:`SyntheticParams.mrr_ages`, constant outside them).

Calibration (published Danish figures)
--------------------------------------
* Erlangsen et al., Lancet Psychiatry 2017 (Denmark 1995-2014): excess
  life-years lost for people with a mental disorder 10.2 years (men) and 7.3
  years (women). The default MRRs are chosen so that the *planted* excess
  life-years lost from age 20 to 95 of the default synthetic extract (seed 2024,
  whole country, 2010-2021) are these figures: the hazards the generator plants
  over the extract's follow-up (:func:`planted_expected_deaths`), against the
  population's rates weighted by the same person-years per calendar year
  (year-matched, as the estimate of ``overdoedelighed`` does), give 10.20 (men)
  and 7.30 (women). The truth is planted; the estimate from the drawn deaths
  differs from it by chance only (``tests/test_overdoedelighed.py`` checks that
  its 95 % interval covers the truth). The MRRs were found by scaling each sex's
  age profile by one factor until the planted figure matched, then rounding to
  two decimals (the person-years change a little with the MRRs, so the scaling
  was repeated on the regenerated extract until the rounded MRRs stood still).
  An earlier version tuned the MRRs so that the (then biased, not year-matched)
  *estimate* came out at the published figures; its planted truth was 10.9 and
  8.2 years.
* Plana-Ripoll et al., Lancet 2019: mortality rate ratios for mental disorders
  from 1.92 (mood disorders) to 3.91 (substance use). The default MRRs give an
  overall (age-standardised) ratio inside that range; the MRRs at young ages
  are higher.
* Nordentoft et al., PLoS One 2013: life expectancy about 20 years (men) and 15
  years (women) shorter after a psychiatric hospital contact. Not used for the
  calibration (it concerns a more severely ill group and life expectancy from
  the first contact, not excess life-years lost); quoted for comparison.

ASSUMPTION: the age pattern of the MRR (highest at young ages, falling towards
old age) has no single published figure behind it; its shape is assumed, its
level is calibrated to Erlangsen et al. (2017). The overall rate ratio from a
Poisson GLM on the default extract (about 2.3) lies inside the published range
of Plana-Ripoll et al. (2019).

The planted truth is recorded with the extract (``RegisterExtract.doedelighed_sandhed``,
read through ``datasets.registry.plantet_doedelighed``) and shown beside the
estimates, labelled synthetic.

Keeping the service calibration
-------------------------------
The yearly numbers of recipients planted by :mod:`.synthetic` must survive the
deaths. When a person dies in year *d*, their episodes end at death; the part
of every episode after year *d* (and every episode that would have started
later) goes to a *replacement*: a new person entering the target group in year
*d + 1* in the same kommune, with a freshly drawn sex and age. Replacements are
followed and can die too (repeated until nobody dies). So the recipients of
every service in every year are exactly the planted numbers, and persons with
any service change by at most a few (a replacement takes over all of the dead
person's later episodes together).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocabulary import ALDERSGRUPPER_5 as AGE_GROUPS_5

#: Follow-up of the target group for mortality: from entry (or this date) ...
FOLLOWUP_START = "2010-01-01"
#: ... to death, emigration or this date (the last year of the national reference rates).
FOLLOWUP_END = "2021-12-31"

SOURCE_ERLANGSEN_2017 = (
    "Erlangsen A, et al. Cause-specific life-years lost in people with mental disorders: a nationwide, "
    "register-based cohort study. Lancet Psychiatry 2017;4(12):937-945"
)
SOURCE_PLANA_RIPOLL_2019 = (
    "Plana-Ripoll O, et al. A comprehensive analysis of mortality-related health metrics associated with "
    "mental disorders: a nationwide, register-based cohort study. Lancet 2019;394(10211):1827-1835"
)
SOURCE_NORDENTOFT_2013 = (
    "Nordentoft M, et al. Excess mortality, causes of death and life expectancy in 270,770 patients with "
    "recent onset of mental disorders in Denmark, Finland and Sweden. PLoS One 2013;8(1):e55176"
)

#: Published figures behind the default MRRs: (what, value, source).
CALIBRATION = {
    "overdoedelighed_lyl_maend_aar": (10.2, SOURCE_ERLANGSEN_2017),
    "overdoedelighed_lyl_kvinder_aar": (7.3, SOURCE_ERLANGSEN_2017),
    "mrr_psykiske_lidelser_min": (1.92, SOURCE_PLANA_RIPOLL_2019),
    "mrr_psykiske_lidelser_max": (3.91, SOURCE_PLANA_RIPOLL_2019),
    "kortere_levetid_maend_aar_sammenligning": (20.0, SOURCE_NORDENTOFT_2013),
    "kortere_levetid_kvinder_aar_sammenligning": (15.0, SOURCE_NORDENTOFT_2013),
}

ASSUMPTIONS = (
    "age pattern of the mortality rate ratio (log-linear between ages 18, 40, 60 and 80; level calibrated "
    "to Erlangsen et al. 2017)",
    "no emigration in the synthetic extract",
    "a replacement for a person who dies enters the target group the year after, in the same kommune",
)

#: ASSUMPTION: oldest age in the first observed year (of the extract's persons and of the target-group pool).
MAX_AGE = 90


def national_rates() -> tuple[np.ndarray, int, int]:
    """Death rates per person-year from ``doedelighed_land``: array [year, sex (K=0, M=1), 5-year group]."""
    from ..snapshots import read_snapshot

    d = read_snapshot("doedelighed_land_dodc1_folk1a.csv")
    first, last = int(d["aar"].min()), int(d["aar"].max())
    g = d["aldersgruppe"].map({a: i for i, a in enumerate(AGE_GROUPS_5)}).to_numpy()
    rates = np.zeros((last - first + 1, 2, len(AGE_GROUPS_5)))
    rates[d["aar"].to_numpy() - first, (d["koen"] == "M").to_numpy().astype(int), g] = (
        d["doede"].to_numpy(float) / d["befolkning"].to_numpy(float))
    return rates, first, last


def mrr_at(age, male, mrr: dict, ages) -> np.ndarray:
    """The planted mortality rate ratio at ``age`` (log-linear between ``ages``); 1 under 18."""
    age = np.asarray(age, dtype=float)
    male = np.asarray(male, dtype=bool)
    out = np.where(male, np.exp(np.interp(age, ages, np.log(mrr["M"]))),
                   np.exp(np.interp(age, ages, np.log(mrr["K"]))))
    return np.where(age >= 18, out, 1.0)


def simulate_deaths(start: np.ndarray, foedselsaar: np.ndarray, male: np.ndarray, last_year: int,
                    mrr: dict, mrr_ages, rng: np.random.Generator, rates=None) -> np.ndarray:
    """Dates of death (``NaT`` if alive at the end of ``last_year``), vectorised over persons.

    ``start`` (datetime64) is where each person's follow-up begins. The hazard is
    piecewise constant within half calendar years (before and after the birthday,
    taken as 1 July of the year of birth, as in the derived datasets): the national
    rate of the year (the nearest year with data outside 2008-2021) for the sex and
    the 5-year age group of the age on those days, times the planted MRR at that age.
    """
    if rates is None:
        rates, r_first, r_last = national_rates()
    else:
        rates, r_first, r_last = rates
    n = len(start)
    start = np.asarray(start, dtype="datetime64[D]")
    e = rng.exponential(size=n)  # each person's cumulative hazard at death
    cum = np.zeros(n)
    death = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    alive = np.ones(n, dtype=bool)
    sex = np.asarray(male, dtype=int)
    first_year = int(start.astype("datetime64[Y]").astype(int).min() + 1970) if n else last_year + 1
    fob = np.asarray(foedselsaar)
    ages = np.arange(0, 131)
    mrr_tab = np.stack([mrr_at(ages, False, mrr, mrr_ages), mrr_at(ages, True, mrr, mrr_ages)])  # [sex, age]
    for y in range(first_year, last_year + 1):
        rate_y = rates[min(max(y, r_first), r_last) - r_first]
        # two half-years: before and after the birthday, taken as 1 July (the extract has the birth year only)
        for h0, h1, before in ((f"{y}-01-01", f"{y}-07-01", 1), (f"{y}-07-01", f"{y + 1}-01-01", 0)):
            p0, p1 = np.datetime64(h0), np.datetime64(h1)
            idx = np.flatnonzero(alive & (start < p1))
            if not idx.size:
                continue
            seg0 = np.maximum(start[idx], p0)
            days = (p1 - seg0).astype(int)
            age = np.clip(y - fob[idx] - before, 0, 130)
            sx = sex[idx]
            h = rate_y[sx, np.minimum(age // 5, len(AGE_GROUPS_5) - 1)] * mrr_tab[sx, age]
            exposure = days / 365.25
            c = cum[idx] + h * exposure
            dies = c >= e[idx]
            who = idx[dies]
            frac = (e[who] - cum[who]) / h[dies]  # years after seg0
            offset = np.minimum(np.floor(frac * 365.25).astype(int), days[dies] - 1)
            death[who] = seg0[dies] + offset.astype("timedelta64[D]")
            cum[idx] = c
            alive[who] = False
    return death


def apply_mortality(p, personer: pd.DataFrame, episodes: dict, rng: np.random.Generator,
                    new_people) -> tuple[pd.DataFrame, dict]:
    """Deaths for every person, with replacements that keep the planted yearly recipients.

    ``personer`` has ``koen``, ``foedselsaar``, ``kommune_kode``, ``indgang_dato`` and
    ``_start_year``; ``episodes`` maps service -> arrays ``person`` (row of ``personer``),
    ``start_year`` and ``end_year`` (``last_year + 1`` = ongoing). ``new_people(first_start,
    kommune, first_index)`` makes the rows of replacements whose first episodes start in the
    years ``first_start`` (arrays, one value per replacement). Returns the
    persons with ``doedsdato`` (replacements appended) and the episodes, cut at death.
    """
    rates = national_rates()
    personer = personer.copy()
    personer["doedsdato"] = pd.Series(pd.NaT, index=personer.index, dtype="datetime64[ns]")
    todo = np.arange(len(personer))  # persons whose deaths are still to simulate
    fu_start = np.datetime64(FOLLOWUP_START)
    for _round in range(50):
        if len(todo) == 0:
            break
        entry = personer["indgang_dato"].to_numpy()[todo].astype("datetime64[D]")
        start = np.maximum(entry, fu_start)
        death = simulate_deaths(start, personer["foedselsaar"].to_numpy()[todo],
                                personer["koen"].to_numpy()[todo] == "M", p.last_year,
                                p.mrr, p.mrr_ages, rng, rates)
        died = ~np.isnat(death)
        dead = todo[died]
        if len(dead) == 0:
            break
        personer.loc[personer.index[dead], "doedsdato"] = death[died].astype("datetime64[ns]")
        death_year = np.full(len(personer), 10_000)
        death_year[dead] = death[died].astype("datetime64[Y]").astype(int) + 1970
        # who needs a replacement: the dead with episode-years after their year of death
        needs = np.zeros(len(personer), dtype=bool)
        for e in episodes.values():
            d = death_year[e["person"]]
            needs[e["person"][(e["end_year"] > d) & (d < p.last_year)]] = True
        needy = np.flatnonzero(needs)
        first_new = len(personer)
        replacement = np.full(first_new, -1)
        replacement[needy] = np.arange(first_new, first_new + len(needy))
        first_start = np.full(len(needy), 10_000)
        for s, e in episodes.items():
            d = death_year[e["person"]]
            after = e["end_year"] > d
            # the part after the year of death goes to the replacement
            moved = {
                "person": replacement[e["person"][after]],
                "start_year": np.maximum(e["start_year"][after], d[after] + 1),
                "end_year": e["end_year"][after],
            }
            keep = moved["start_year"] <= np.minimum(moved["end_year"], p.last_year)
            moved = {k: v[keep] for k, v in moved.items()}
            np.minimum.at(first_start, moved["person"] - first_new, moved["start_year"])
            # what the dead person had ends at death (episodes starting after death vanish)
            stays = e["start_year"] <= d
            e2 = {k: v[stays].copy() for k, v in e.items()}
            e2["end_year"] = np.minimum(e2["end_year"], d[stays])
            episodes[s] = {k: np.concatenate([e2[k], moved[k]]) for k in e2}
        if len(needy):
            rows = new_people(first_start, personer["kommune_kode"].to_numpy()[needy], first_new)
            rows.index = range(first_new, first_new + len(needy))
            personer = pd.concat([personer, rows.assign(doedsdato=pd.NaT)])
        todo = np.arange(first_new, len(personer))
    personer["doedsdato"] = personer["doedsdato"].astype("datetime64[ns]")
    return personer, episodes


def clamp_episodes_to_death(forloeb: pd.DataFrame, personer: pd.DataFrame) -> pd.DataFrame:
    """No episode starts after death; episodes running at death end on the day of death."""
    death = forloeb["person_id"].map(personer.set_index("person_id")["doedsdato"])
    has = death.notna()
    out = forloeb.copy()
    out["start_dato"] = out["start_dato"].where(~has | (out["start_dato"] <= death), death)
    end_at_death = has & (out["slut_dato"].isna() | (out["slut_dato"] > death))
    out["slut_dato"] = out["slut_dato"].where(~end_at_death, death)
    return out


# ---------------------------------------------------------------- the planted truth

def planted_expected_deaths(personer: pd.DataFrame, mrr: dict, mrr_ages, last_year: int | None = None,
                            rates=None) -> pd.DataFrame:
    """The planted mortality of the extract's follow-up: the truth the estimates of ``overdoedelighed`` aim at.

    Every person is followed as in the dataset ``doedelighed_maalgruppe``: from entry (at the earliest
    :data:`FOLLOWUP_START`, and not before the birthday, 1 July of the year of birth) to the end of the day of
    death or the end of :data:`FOLLOWUP_END` (or ``last_year``). Over that follow-up the planted hazard of
    :func:`simulate_deaths` (national rate of the year, sex and 5-year group times the planted MRR at the age,
    constant within the half-years before and after the birthday) is integrated: its integral is the number
    of deaths expected under the planted model (the compensator), with no sampling noise.

    Returns one row per kommune, year, sex and 5-year age group with follow-up: ``kommune_kode``, ``aar``,
    ``koen``, ``aldersgruppe``, ``personaar``, ``forventede_befolkning`` (expected deaths at the national
    rates) and ``forventede_plantet`` (expected deaths at the planted rates). Their ratio is the planted rate
    ratio of the cell (the MRR averaged over the ages in it), and ``forventede_plantet / personaar`` the planted
    hazard: the excess life-years lost from these hazards, against the population's rates weighted the same
    way (year-matched), is the planted truth.
    """
    if rates is None:
        rates = national_rates()
    tab, r_first, r_last = rates
    first = int(FOLLOWUP_START[:4])
    last = int(FOLLOWUP_END[:4]) if last_year is None else min(int(FOLLOWUP_END[:4]), int(last_year))
    fob = personer["foedselsaar"].to_numpy().astype(int)
    birth = pd.to_datetime(pd.Series(fob).astype(str) + "-07-01").to_numpy().astype("datetime64[D]")
    entry = np.maximum(np.maximum(personer["indgang_dato"].to_numpy().astype("datetime64[D]"),
                                  np.datetime64(FOLLOWUP_START)), birth)
    death = personer["doedsdato"].to_numpy().astype("datetime64[D]")
    end = np.datetime64(f"{last + 1}-01-01")
    exit_ = np.where(np.isnat(death), end, np.minimum(death + np.timedelta64(1, "D"), end))
    sex = (personer["koen"].to_numpy() == "M").astype(int)
    ages = np.arange(0, 131)
    mrr_tab = np.stack([mrr_at(ages, False, mrr, mrr_ages), mrr_at(ages, True, mrr, mrr_ages)])
    parts = []
    for y in range(first, last + 1):
        rate_y = tab[min(max(y, r_first), r_last) - r_first]
        for h0, h1, before in ((f"{y}-01-01", f"{y}-07-01", 1), (f"{y}-07-01", f"{y + 1}-01-01", 0)):
            lo = np.maximum(entry, np.datetime64(h0))
            days = (np.minimum(exit_, np.datetime64(h1)) - lo).astype(int)
            idx = np.flatnonzero(days > 0)
            age = np.clip(y - fob[idx] - before, 0, 130)
            group = np.minimum(age // 5, len(AGE_GROUPS_5) - 1)
            py = days[idx] / 365.25
            pop = rate_y[sex[idx], group] * py
            parts.append(pd.DataFrame({"i": idx, "aar": y, "g": group, "personaar": py, "forventede_befolkning": pop,
                                       "forventede_plantet": pop * mrr_tab[sex[idx], age]}))
    seg = pd.concat(parts, ignore_index=True)
    seg["kommune_kode"] = personer["kommune_kode"].astype(str).to_numpy()[seg["i"]]
    seg["koen"] = np.where(sex[seg["i"]] == 1, "M", "K")
    out = seg.groupby(["kommune_kode", "aar", "koen", "g"], as_index=False)[
        ["personaar", "forventede_befolkning", "forventede_plantet"]].sum()
    out["aldersgruppe"] = np.asarray(AGE_GROUPS_5, dtype=object)[out["g"]]
    return out[["kommune_kode", "aar", "koen", "aldersgruppe", "personaar", "forventede_befolkning",
                "forventede_plantet"]].reset_index(drop=True)
