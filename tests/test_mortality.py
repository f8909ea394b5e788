"""Mortality methods checked against hand computations, closed forms and published figures."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import vidensdata
from vidensdata.errors import InvalidValueError, VidensdataError
from vidensdata.methods import mortality as M
from vidensdata.methods.mortality import (
    AGE_GROUPS,
    aldersgruppe,
    excess_life_years_lost,
    excess_life_years_lost_table,
    expected_deaths,
    funnel_data,
    funnel_limits,
    lexis_split,
    life_expectancy,
    life_expectancy_gap,
    life_table,
    life_years_lost,
    rate_ratio,
    smr,
    survival_curve,
    year_matched_reference,
)

D = M.DAYS_PER_YEAR


@pytest.fixture(scope="module")
def land() -> pd.DataFrame:
    return vidensdata.load("doedelighed_land")


def _py(days):
    return days / D


def _cell(df, aar, gruppe, **by):
    sel = (df["aar"] == aar) & (df["aldersgruppe"] == gruppe)
    for k, v in by.items():
        sel &= df[k] == v
    rows = df[sel]
    assert len(rows) == 1, f"expected one row for {aar} {gruppe} {by}, got {len(rows)}"
    return rows.iloc[0]


# --------------------------------------------------------------------------- SMR


def test_smr_hand_computed():
    res = smr(10, 5)
    assert res.value == 2.0
    # exact Poisson CI (Breslow & Day): chi2(0.025; 20) / 10 and chi2(0.975; 22) / 10
    assert res.lower == pytest.approx(stats.chi2.ppf(0.025, 20) / 10)
    assert res.upper == pytest.approx(stats.chi2.ppf(0.975, 22) / 10)
    assert (round(res.lower, 3), round(res.upper, 3)) == (0.959, 3.678)
    value, lower, upper = res  # unpacks
    assert (value, lower, upper) == (res.value, res.lower, res.upper)


def test_smr_zero_observed_and_levels():
    res = smr(0, 4)
    assert res.value == 0 and res.lower == 0
    assert res.upper == pytest.approx(-math.log(0.025) / 4)  # P(0 | mu) = 0.025 -> mu = -log 0.025
    wide, narrow = smr(30, 20, level=0.99), smr(30, 20, level=0.9)
    assert wide.lower < narrow.lower < 1.5 < narrow.upper < wide.upper


def test_smr_is_exact_poisson_interval():
    """The limits are the means at which observing O is exactly on the 2.5 % tails."""
    o, e = 7, 3.2
    res = smr(o, e)
    assert stats.poisson.sf(o - 1, res.lower * e) == pytest.approx(0.025)
    assert stats.poisson.cdf(o, res.upper * e) == pytest.approx(0.025)


def test_smr_vectorised():
    res = smr([10, 0, 3], [5.0, 2.0, 3.0])
    np.testing.assert_allclose(res.value, [2.0, 0.0, 1.0])
    assert res.lower[1] == 0
    assert res.lower[0] == pytest.approx(smr(10, 5).lower)


@pytest.mark.parametrize("o, e", [(-1, 5), (3, 0), (3, -2), (float("nan"), 3)])
def test_smr_rejects_bad_input(o, e):
    with pytest.raises(InvalidValueError):
        smr(o, e)


def test_smr_rejects_bad_level():
    with pytest.raises(InvalidValueError, match="level"):
        smr(3, 2, level=95)


# --------------------------------------------------------------------------- age groups


def test_aldersgruppe():
    assert AGE_GROUPS[0] == "0-4" and AGE_GROUPS[-2] == "90-94" and AGE_GROUPS[-1] == "95+"
    assert len(AGE_GROUPS) == 20
    assert aldersgruppe(0) == "0-4" and aldersgruppe(4.99) == "0-4" and aldersgruppe(5) == "5-9"
    assert aldersgruppe(94) == "90-94" and aldersgruppe(95) == "95+" and aldersgruppe(110) == "95+"
    assert list(aldersgruppe(np.array([18, 33, 97]))) == ["15-19", "30-34", "95+"]
    s = aldersgruppe(pd.Series([1, 50], index=["a", "b"]))
    assert list(s.index) == ["a", "b"] and list(s) == ["0-4", "50-54"]
    with pytest.raises(InvalidValueError):
        aldersgruppe(-1)


def test_age_groups_match_the_dataset(land):
    assert set(land["aldersgruppe"]) == set(AGE_GROUPS)


# --------------------------------------------------------------------------- Lexis splitting


def test_lexis_hand_made_persons():
    persons = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        # a: turns 30 on 15 May 2010, dies 30 June 2012 (leap year)
        # b: two days across a year end
        # c: born 29 Feb 2000, so the fifth birthday in 2005 falls on 1 March
        # d: turns 95 on 1 July 2005, dies 31 Dec 2007 (exit 1 Jan 2008)
        "birth": ["1980-05-15", "1990-01-01", "2000-02-29", "1910-07-01"],
        "entry": ["2010-03-01", "2015-12-31", "2004-06-01", "2004-01-01"],
        "exit": ["2012-06-30", "2016-01-02", "2006-01-01", "2008-01-01"],
        "died": [True, False, False, True],
    })
    out = lexis_split(persons["entry"], persons["exit"], persons["birth"], persons["died"], by=persons[["id"]])
    expected = {  # (id, aar, aldersgruppe): (days, deaths)
        ("a", 2010, "25-29"): (75, 0), ("a", 2010, "30-34"): (231, 0), ("a", 2011, "30-34"): (365, 0),
        ("a", 2012, "30-34"): (181, 1),
        ("b", 2015, "25-29"): (1, 0), ("b", 2016, "25-29"): (1, 0),
        ("c", 2004, "0-4"): (214, 0), ("c", 2005, "0-4"): (59, 0), ("c", 2005, "5-9"): (306, 0),
        ("d", 2004, "90-94"): (366, 0), ("d", 2005, "90-94"): (181, 0), ("d", 2005, "95+"): (184, 0),
        ("d", 2006, "95+"): (365, 0), ("d", 2007, "95+"): (365, 1),
    }
    assert len(out) == len(expected)
    for (pid, aar, gruppe), (days, deaths) in expected.items():
        row = _cell(out, aar, gruppe, id=pid)
        assert row["personaar"] == pytest.approx(_py(days), abs=1e-12), (pid, aar, gruppe)
        assert row["doede"] == deaths, (pid, aar, gruppe)
    assert list(out.columns) == ["id", "aar", "aldersgruppe", "personaar", "doede"]
    assert out["doede"].dtype == np.int64 and out["aar"].dtype == np.int64
    # sorted by id, year and age order
    assert list(out.loc[out["id"] == "d", "aldersgruppe"]) == ["90-94", "90-94", "95+", "95+", "95+"]


def test_lexis_window_censors_deaths_after_end():
    args = (["2004-01-01"], ["2008-01-01"], ["1910-07-01"], [True])
    out = lexis_split(*args, start=2005, end=2005)
    assert list(zip(out["aar"], out["aldersgruppe"], out["doede"])) == [(2005, "90-94", 0), (2005, "95+", 0)]
    assert out["personaar"].sum() == pytest.approx(_py(365))
    # the same window given as dates (end exclusive)
    same = lexis_split(*args, start="2005-01-01", end="2006-01-01")
    pd.testing.assert_frame_equal(out, same)
    # with end after the death the death counts
    assert lexis_split(*args, start=2005, end=2021)["doede"].sum() == 1


def test_lexis_missing_exit_is_censored_at_end():
    out = lexis_split(["2020-07-01"], [pd.NaT], ["1970-01-01"], [False], end=2021)
    assert out["personaar"].sum() == pytest.approx(_py(184 + 365))
    with pytest.raises(InvalidValueError, match="end="):
        lexis_split(["2020-07-01"], [pd.NaT], ["1970-01-01"], [False])


def test_lexis_zero_length_death_is_kept():
    out = lexis_split(["2015-03-03"], ["2015-03-03"], ["1960-01-01"], [True])
    assert list(zip(out["aar"], out["aldersgruppe"], out["doede"])) == [(2015, "55-59", 1)]
    assert out["personaar"].sum() == 0


def test_lexis_two_persons_across_age_group_and_year_by_two_columns():
    """Hand-computed: each person crosses a year end and an age-group birthday; output is sorted by the
    by-columns (not the input order) and the by-values decode to their own types."""
    out = lexis_split(
        # P1 turns 30 on 10 March 2015 and dies 30 April 2015 (exit 1 May);
        # P2 turns 50 on 1 January 2010, the same day as the year changes
        entry=["2014-11-01", "2009-12-15"], exit=["2015-05-01", "2010-01-10"], birth=["1985-03-10", "1960-01-01"],
        died=[True, False], by=pd.DataFrame({"koen": ["M", "K"], "kommune_kode": [851, 101]}))
    expected = pd.DataFrame({
        "koen": ["K", "K", "M", "M", "M"],
        "kommune_kode": np.array([101, 101, 851, 851, 851], dtype=np.int64),
        "aar": np.array([2009, 2010, 2014, 2015, 2015], dtype=np.int64),
        "aldersgruppe": ["45-49", "50-54", "25-29", "25-29", "30-34"],
        # Dec 15 -> Jan 1; Jan 1 -> Jan 10 | Nov 1 -> Jan 1; Jan 1 -> Mar 10; Mar 10 -> May 1
        "personaar": np.array([17, 9, 61, 68, 52]) / D,
        "doede": np.array([0, 0, 0, 0, 1], dtype=np.int64),
    })
    pd.testing.assert_frame_equal(out, expected, check_exact=True)


def test_lexis_deaths_on_the_window_edges():
    """Window 2015: a death on 31 Dec 2015 (exit 1 Jan 2016) counts, one on 1 Jan 2016 is censored,
    one on 31 Dec 2014 is outside, and a zero-length death on 1 Jan 2015 is inside."""
    out = lexis_split(entry=["2014-06-01", "2014-06-01", "2014-06-01", "2015-01-01"],
                      exit=["2016-01-01", "2016-01-02", "2015-01-01", "2015-01-01"],
                      birth=["1952-07-01"] * 4, died=[True] * 4, by=pd.Series(list("ABCD"), name="id"),
                      start=2015, end=2015)
    assert list(out["id"]) == ["A", "B", "D"]
    assert list(out["aar"]) == [2015] * 3 and list(out["aldersgruppe"]) == ["60-64"] * 3
    assert list(out["personaar"] * D) == pytest.approx([365, 365, 0], abs=1e-9)
    assert list(out["doede"]) == [1, 0, 1]


@pytest.mark.parametrize("persons", [
    (["2001-01-01"], ["2003-01-01"], ["1950-01-01"], [True]),  # nobody in the window
    ([], [], [], []),  # nobody at all
])
def test_lexis_without_follow_up_gives_an_empty_typed_table(persons):
    by = pd.DataFrame({"koen": pd.Series(["K"][:len(persons[0])], dtype=object),
                       "kode": pd.Series([101][:len(persons[0])], dtype="int64")})
    out = lexis_split(*persons, by=by, start=2010, end=2012)
    assert len(out) == 0
    assert dict(out.dtypes.astype(str)) == {"koen": "object", "kode": "int64", "aar": "int64",
                                            "aldersgruppe": "object", "personaar": "float64", "doede": "int64"}


def _reference_split(entry, exit_, birth, died):
    """Day-by-day reference implementation with the standard library (slow, obviously correct)."""
    cells: dict = {}
    for e0, e1, b, d in zip(entry, exit_, birth, died):
        day = e0
        while day < e1:
            age = day.year - b.year - ((day.month, day.day) < (b.month, b.day))
            key = (day.year, AGE_GROUPS[min(age // 5, 19)])
            cells.setdefault(key, [0, 0])[0] += 1
            last = key
            day += dt.timedelta(days=1)
        if d:
            cells[last][1] += 1
    return cells


def test_lexis_matches_day_by_day_reference():
    rng = np.random.default_rng(7)
    n = 120
    birth = [dt.date(1915, 1, 1) + dt.timedelta(days=int(x)) for x in rng.integers(0, 365 * 80, n)]
    birth[:4] = [dt.date(1996, 2, 29), dt.date(1952, 2, 29), dt.date(1950, 1, 1), dt.date(1949, 12, 31)]
    entry = [max(b, dt.date(2008, 1, 1)) + dt.timedelta(days=int(x)) for b, x in zip(birth, rng.integers(0, 800, n))]
    exit_ = [e + dt.timedelta(days=int(x)) for e, x in zip(entry, rng.integers(1, 1500, n))]
    died = rng.random(n) < 0.5
    ref = _reference_split(entry, exit_, birth, died)
    out = lexis_split(pd.to_datetime(entry), pd.to_datetime(exit_), pd.to_datetime(birth), died)
    got = {(r.aar, r.aldersgruppe): [round(r.personaar * D), r.doede] for r in out.itertuples()}
    assert got == ref


def test_person_years_add_up_exactly():
    rng = np.random.default_rng(3)
    n = 20_000
    birth = np.datetime64("1925-01-01") + rng.integers(0, 365 * 75, n).astype("timedelta64[D]")
    entry = np.maximum(birth + np.timedelta64(18 * 365, "D"), np.datetime64("2008-06-01"))
    entry = entry + rng.integers(0, 2000, n).astype("timedelta64[D]")
    exit_ = entry + rng.integers(0, 5000, n).astype("timedelta64[D]")
    died = rng.random(n) < 0.3
    by = pd.DataFrame({"koen": rng.choice(["K", "M"], n), "kommune_kode": rng.choice(["101", "825", "851"], n)})
    out = lexis_split(entry, exit_, birth, died, by=by)
    total_days = (exit_ - entry).astype(np.int64).sum()
    assert out["personaar"].sum() * D == pytest.approx(total_days, rel=1e-13)
    assert out["doede"].sum() == died.sum()
    assert not out.duplicated(["koen", "kommune_kode", "aar", "aldersgruppe"]).any()
    # per sex and kommune too
    per_group = out.groupby(["koen", "kommune_kode"])["personaar"].sum() * D
    days = pd.Series((exit_ - entry).astype(np.int64)).groupby([by["koen"], by["kommune_kode"]]).sum()
    pd.testing.assert_series_equal(per_group.round(6), days.astype(float), check_names=False)
    # within a window: follow-up clipped to [2010-01-01, 2022-01-01)
    lo, hi = np.datetime64("2010-01-01"), np.datetime64("2022-01-01")
    clipped = (np.minimum(exit_, hi) - np.maximum(entry, lo)).astype(np.int64).clip(0).sum()
    win = lexis_split(entry, exit_, birth, died, start=2010, end=2021)
    assert win["personaar"].sum() * D == pytest.approx(clipped, rel=1e-13)
    # a death counts in the window when its last day of follow-up (exit - 1 day) is inside it
    assert win["doede"].sum() == (died & (exit_ > lo) & (exit_ <= hi)).sum()
    assert win["aar"].between(2010, 2021).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"exit": ["2009-01-01"]}, "exit before entry"),
    ({"birth": ["2011-01-01"]}, "entry before birth"),
    ({"died": [2]}, "died"),
    ({"entry": ["2010-01-01", "2010-01-01"]}, "same length"),
    ({"by": pd.DataFrame({"aar": [1]})}, "output columns"),
    ({"start": 2015, "end": 2012}, "before end"),
])
def test_lexis_errors(kwargs, match):
    args = {"entry": ["2010-01-01"], "exit": ["2011-01-01"], "birth": ["1950-01-01"], "died": [False], **kwargs}
    with pytest.raises(InvalidValueError, match=match):
        lexis_split(**args)


# --------------------------------------------------------------------------- indirect standardisation and GLM


def test_expected_deaths_hand_computed():
    ref = pd.DataFrame({"aar": [2015, 2015, 2016], "koen": ["M", "K", "M"], "aldersgruppe": ["40-44"] * 3,
                        "doede": [10, 5, 20], "befolkning": [1000, 1000, 1000]})
    py = pd.DataFrame({"aar": [2015, 2015, 2016], "koen": ["M", "K", "M"], "aldersgruppe": ["40-44"] * 3,
                       "personaar": [50.0, 100.0, 25.0], "doede": [2, 1, 3]})
    out = expected_deaths(py, ref).set_index("koen")
    assert out.loc["M", "forventede"] == pytest.approx(50 * 0.01 + 25 * 0.02)
    assert out.loc["K", "forventede"] == pytest.approx(0.5)
    assert out.loc["M", "doede"] == 5
    total = expected_deaths(py, ref, by=None)
    assert total["forventede"].iloc[0] == pytest.approx(1.5) and total["doede"].iloc[0] == 6
    missing = py.assign(aar=[2015, 2015, 2030])
    with pytest.raises(InvalidValueError, match="no reference rate"):
        expected_deaths(missing, ref)


def _simulated_target(land, ratio, seed, share=0.002, age_shift=True):
    """Target-group table: person-years a share of the population, older than the population when
    ``age_shift``, deaths Poisson(ratio x national rate x person-years)."""
    rng = np.random.default_rng(seed)
    t = land[land["aldersgruppe"].isin(AGE_GROUPS[4:]) & land["aar"].between(2012, 2021)].copy()
    weight = (t["aldersgruppe"].map({g: i for i, g in enumerate(AGE_GROUPS)}) / 10) if age_shift else 1.0
    t["personaar"] = t["befolkning"] * share * weight
    t["doede"] = rng.poisson(ratio * t["doede"] / t["befolkning"] * t["personaar"])
    return t.drop(columns="befolkning")


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_rate_ratio_recovers_planted_ratio(land, seed):
    true = 2.4
    target = _simulated_target(land, true, seed)
    res = rate_ratio(target, land)
    assert res.lower < true < res.upper
    assert 0.8 * true < res.value < 1.2 * true
    assert res.upper / res.lower < 1.5  # a precise estimate, not a vacuous interval
    assert res.value == pytest.approx(math.exp(res.result.params["maalgruppe"]))


def test_rate_ratio_adjusts_for_age(land):
    """The target group is much older than the population: the crude ratio is far off, the GLM is not."""
    target = _simulated_target(land, 2.0, seed=11, age_shift=True)
    ref = land[land["aar"].between(2012, 2021)]
    crude = (target["doede"].sum() / target["personaar"].sum()) / (ref["doede"].sum() / ref["befolkning"].sum())
    res = rate_ratio(target, land)
    assert crude > 3.0
    assert res.lower < 2.0 < res.upper
    # with a constant ratio the SMR (indirect standardisation) estimates the same thing
    e = expected_deaths(target, land, by=None)
    s = smr(e["doede"].iloc[0], e["forventede"].iloc[0])
    assert s.lower < 2.0 < s.upper


def test_rate_ratio_without_deaths_is_an_error(land):
    target = _simulated_target(land, 2.0, seed=1).assign(doede=0)
    with pytest.raises(InvalidValueError, match="no deaths"):
        rate_ratio(target, land)


# --------------------------------------------------------------------------- life tables


def _national(land, years, koen):
    sub = land[(land["koen"] == koen) & land["aar"].isin(years)]
    g = sub.groupby("aldersgruppe")[["doede", "befolkning"]].sum()
    return g["doede"], g["befolkning"]


def test_life_table_structure(land):
    d, p = _national(land, [2019], "K")
    lt = life_table(d, p)
    assert list(lt["aldersgruppe"]) == list(AGE_GROUPS)
    assert lt["lx"].iloc[0] == 100_000
    assert (np.diff(lt["lx"]) < 0).all()
    assert lt["dx"].sum() == pytest.approx(100_000)
    assert lt["qx"].iloc[-1] == 1
    assert lt["Tx"].iloc[0] == pytest.approx(lt["Lx"].sum())
    np.testing.assert_allclose(lt["ex"], lt["Tx"] / lt["lx"])
    # remaining life expectancy falls with age, and the age reached rises
    assert (np.diff(lt["ex"]) < 0).all()
    assert (np.diff(lt["ex"] + lt["alder"]) > 0).all()
    # open interval: e(95) = 1 / m(95+)
    assert lt["ex"].iloc[-1] == pytest.approx(1 / lt["mx"].iloc[-1])
    # a table that starts at 60 gives the same e(60)
    assert life_expectancy(d, p, age=60) == pytest.approx(lt.set_index("alder").loc[60, "ex"])
    assert life_table(d, p, radix=1)["lx"].iloc[0] == 1


def test_life_table_constant_hazard():
    """With the same rate in every group the table is close to the exponential e = 1 / lambda."""
    lam = 0.02
    py = np.full(20, 1e6)
    e0 = life_expectancy(lam * py, py)
    assert e0 == pytest.approx(1 / lam, abs=0.1)


def test_life_table_errors():
    d, p = np.full(20, 10.0), np.full(20, 1000.0)
    with pytest.raises(InvalidValueError, match="start of a 5-year group"):
        life_table(d, p, age=22)
    with pytest.raises(InvalidValueError, match="95"):
        life_table(np.r_[d[:-1], 0.0], p)
    with pytest.raises(InvalidValueError, match="person-years"):
        life_table(d, np.r_[p[:-1], 0.0])
    with pytest.raises(InvalidValueError):
        life_table(-d, p)


# Statistics Denmark's published life expectancy at birth (middellevetid for 0-årige), Hele landet:
# - 2020/2021: men 79.6, women 83.4 years. Danmarks Statistik, Nyt: "Mindre fald i kvinders middellevetid
#   (Middellevetid 2020/2021)", https://www.dst.dk/da/Statistik/nyheder-analyser-publ/nyt/NytHtml?cid=38326
# - 2017/2018: men 79.0, women 82.9 years. Danmarks Statistik, Nyt: "Middellevetiden er ikke steget det
#   seneste år (Middellevetid 2017/2018)", https://www.dst.dk/da/Statistik/nyt/NytHtml?cid=28481
# (statbank table HISB7). Statistics Denmark uses single-year ages; our abridged 5-year table is expected
# to agree within a few tenths of a year.
PUBLISHED_E0 = [
    ((2020, 2021), "M", 79.6), ((2020, 2021), "K", 83.4),
    ((2017, 2018), "M", 79.0), ((2017, 2018), "K", 82.9),
]


@pytest.mark.parametrize("years, koen, published", PUBLISHED_E0)
def test_national_life_expectancy_matches_statistics_denmark(land, years, koen, published):
    d, p = _national(land, years, koen)
    assert life_expectancy(d, p) == pytest.approx(published, abs=0.2)


def test_life_expectancy_gap_delta_and_bootstrap_agree(land):
    target = _simulated_target(land, 2.4, seed=3)
    t = target[target["koen"] == "M"].groupby("aldersgruppe")[["doede", "personaar"]].sum()
    d, p = _national(land, range(2012, 2022), "M")
    delta = life_expectancy_gap(t["doede"], t["personaar"], d, p, age=20)
    boot = life_expectancy_gap(t["doede"], t["personaar"], d, p, age=20, method="bootstrap", n_boot=300)
    assert delta.value == pytest.approx(delta.reference - delta.target)
    assert delta.reference == pytest.approx(life_expectancy(d, p, age=20))
    assert 5 < delta.value < 15
    assert delta.lower < delta.value < delta.upper
    assert boot.value == delta.value
    assert boot.se == pytest.approx(delta.se, rel=0.25)
    assert boot.lower == pytest.approx(delta.lower, abs=0.3) and boot.upper == pytest.approx(delta.upper, abs=0.3)
    with pytest.raises(InvalidValueError, match="method"):
        life_expectancy_gap(t["doede"], t["personaar"], d, p, age=20, method="magic")


# --------------------------------------------------------------------------- life-years lost


def _constant(lam, py=1e6):
    return np.full(20, lam * py), np.full(20, py)


def _closed_form_lyl(lam, a, tau):
    return (tau - a) - (1 - math.exp(-lam * (tau - a))) / lam


@pytest.mark.parametrize("lam, a, tau", [(0.01, 20, 95), (0.05, 20, 95), (0.03, 22.5, 95), (0.2, 47, 80)])
def test_lyl_constant_hazard_closed_form(lam, a, tau):
    d, p = _constant(lam)
    assert life_years_lost(d, p, age=a, tau=tau) == pytest.approx(_closed_form_lyl(lam, a, tau), rel=1e-12)


def test_lyl_of_simulated_constant_hazard_cohort():
    """End to end: exponential lifetimes from age 20 -> Lexis split -> LYL, against the closed form."""
    lam, n = 0.03, 20_000
    rng = np.random.default_rng(5)
    birth = np.full(n, np.datetime64("1950-01-01"))
    entry = np.full(n, np.datetime64("1970-01-01"))  # age 20
    life = rng.exponential(1 / lam, n)
    died = life < 75
    days = np.rint(np.minimum(life, 75) * D).astype(np.int64)
    out = lexis_split(entry, entry + days.astype("timedelta64[D]"), birth, died)
    by_age = out.groupby("aldersgruppe")[["doede", "personaar"]].sum()
    dref, pref = _constant(lam, py=1e9)
    res = excess_life_years_lost(by_age["doede"], by_age["personaar"], dref, pref, age=20)
    closed = _closed_form_lyl(lam, 20, 95)
    assert res.reference == pytest.approx(closed, rel=1e-9)
    assert abs(res.target - closed) < 3 * res.se  # sampling error only
    assert res.lower < 0 < res.upper  # no excess: the cohort has the reference hazard
    assert 0.05 < res.se < 0.3


def test_excess_lyl_constant_hazards():
    dt_, pt = _constant(0.04)
    dr, pr = _constant(0.01)
    res = excess_life_years_lost(dt_, pt, dr, pr, age=20)
    assert res.value == pytest.approx(_closed_form_lyl(0.04, 20, 95) - _closed_form_lyl(0.01, 20, 95), rel=1e-12)
    assert res.target_mean == pytest.approx((1 - math.exp(-0.04 * 75)) / 0.04)
    assert res.lower < res.value < res.upper


def test_lyl_piecewise_hazard_against_numerical_integral():
    rng = np.random.default_rng(0)
    m = np.sort(rng.uniform(0.001, 0.3, 20))
    d, p = m * 1e4, np.full(20, 1e4)
    grid = np.linspace(30, 95, 650_001)
    hazard = m[np.minimum((grid // 5).astype(int), 19)]
    cum = np.concatenate([[0], np.cumsum((hazard[1:] + hazard[:-1]) / 2 * np.diff(grid))])
    surv = np.exp(-cum)
    numeric = 65 - np.sum((surv[1:] + surv[:-1]) / 2 * np.diff(grid))
    assert life_years_lost(d, p, age=30) == pytest.approx(numeric, abs=1e-4)
    curve = survival_curve(d, p, age=30, step=5)
    assert curve["overlevelse"].iloc[0] == 1
    assert curve["overlevelse"].iloc[-1] == pytest.approx(surv[-1], rel=1e-4)


def test_lyl_delta_gradient_matches_finite_differences():
    m = np.array([0.01, 0.05, 0.2, 0.0, 0.4])
    lengths = np.array([3.0, 5, 5, 5, 2])
    grad = M._rm_gradient(lengths, m)
    h = 1e-6
    for k in range(m.size):
        up, dn = m.copy(), m.copy()
        up[k] += h
        dn[k] = max(dn[k] - h, 0)
        num = (M._restricted_mean(lengths, up) - M._restricted_mean(lengths, dn)) / (up[k] - dn[k])
        assert grad[k] == pytest.approx(num, rel=1e-4, abs=1e-6)


def test_excess_lyl_table_by_sex(land):
    target = _simulated_target(land, 2.4, seed=2)
    tab = excess_life_years_lost_table(target, land, age=20)
    assert list(tab["koen"]) == ["K", "M"]
    assert ((tab["nedre"] < tab["overskydende_lyl"]) & (tab["overskydende_lyl"] < tab["oevre"])).all()
    np.testing.assert_allclose(tab["overskydende_lyl"], tab["lyl_maalgruppe"] - tab["lyl_befolkning"])
    assert (tab["overskydende_lyl"] > 3).all()
    boot = excess_life_years_lost_table(target, land, age=20, method="bootstrap", n_boot=200)
    np.testing.assert_allclose(boot["overskydende_lyl"], tab["overskydende_lyl"])
    np.testing.assert_allclose(boot["nedre"], tab["nedre"], atol=0.3)


def _two_year_tables(target_py=(10.0, 30.0), pop_rates=(0.02, 0.01), pop=1000.0, target_rate=0.03):
    """Every age group alike: the target group's person-years in 2010 and 2011 and the population's rates."""
    rows_t, rows_r = [], []
    for year, tpy, rate in zip((2010, 2011), target_py, pop_rates):
        for g in AGE_GROUPS:
            rows_t.append({"koen": "M", "aar": year, "aldersgruppe": g, "personaar": tpy, "doede": target_rate * tpy})
            rows_r.append({"koen": "M", "aar": year, "aldersgruppe": g, "befolkning": pop, "doede": rate * pop})
    return pd.DataFrame(rows_t), pd.DataFrame(rows_r)


def test_year_matched_reference_hand_computed():
    target, ref = _two_year_tables()
    target = target[target["aldersgruppe"] != "95+"]  # 95+ never reached: weighted by the years overall
    out = year_matched_reference(target, ref).set_index("aldersgruppe")
    assert list(out.index) == list(AGE_GROUPS)
    # weights 10/40 and 30/40: 0.25 * 0.02 + 0.75 * 0.01 = 0.0125 (pooled: 30 / 2000 = 0.015)
    np.testing.assert_allclose(out["rate"], 0.0125, rtol=1e-12)
    # Var = 0.25^2 * 20 / 1000^2 + 0.75^2 * 10 / 1000^2 = 6.875e-6, as effective counts
    var = 6.875e-6
    np.testing.assert_allclose(out["personaar"], 0.0125 / var, rtol=1e-12)
    np.testing.assert_allclose(out["doede"], 0.0125 ** 2 / var, rtol=1e-12)
    assert out.loc["95+", "maalgruppe_personaar"] == 0 and out.loc["20-24", "maalgruppe_personaar"] == 40


def test_excess_lyl_table_is_year_matched_hand_computed():
    """Constant hazards: target 0.03; population 0.02 in 2010 and 0.01 in 2011, where the target group
    has three quarters of its person-years. Year-matched reference 0.0125; pooling the years gives 0.015."""
    target, ref = _two_year_tables()
    tab = excess_life_years_lost_table(target, ref, age=20).iloc[0]
    assert tab["lyl_befolkning"] == pytest.approx(_closed_form_lyl(0.0125, 20, 95), rel=1e-12)
    assert tab["lyl_maalgruppe"] == pytest.approx(_closed_form_lyl(0.03, 20, 95), rel=1e-12)
    assert tab["overskydende_lyl"] == pytest.approx(_closed_form_lyl(0.03, 20, 95) - _closed_form_lyl(0.0125, 20, 95),
                                                    rel=1e-12)
    pooled = excess_life_years_lost_table(target, ref, age=20, year_matched=False).iloc[0]
    assert pooled["lyl_befolkning"] == pytest.approx(_closed_form_lyl(0.015, 20, 95), rel=1e-12)
    assert pooled["overskydende_lyl"] < tab["overskydende_lyl"] - 1  # pooling understates the excess here
    # evenly spread person-years: both agree
    even_t, even_r = _two_year_tables(target_py=(20.0, 20.0))
    a = excess_life_years_lost_table(even_t, even_r).iloc[0]
    b = excess_life_years_lost_table(even_t, even_r, year_matched=False).iloc[0]
    assert a["overskydende_lyl"] == pytest.approx(b["overskydende_lyl"], rel=1e-12)


def test_year_matched_reference_within_sex_and_errors(land):
    target = _simulated_target(land, 2.0, seed=3)
    both = year_matched_reference(target, land, by=())
    per_sex = year_matched_reference(target, land, by=("koen",))
    w = per_sex.pivot(index="aldersgruppe", columns="koen", values="maalgruppe_personaar")
    r = per_sex.pivot(index="aldersgruppe", columns="koen", values="rate")
    reached = w.sum(axis=1) > 0
    pooled_over_sex = ((w * r).sum(axis=1) / w.sum(axis=1))[reached]
    np.testing.assert_allclose(both.set_index("aldersgruppe")["rate"].reindex(pooled_over_sex.index),
                               pooled_over_sex, rtol=1e-12)
    with pytest.raises(InvalidValueError, match="lacks"):
        year_matched_reference(target, land[land["aar"] != int(target["aar"].max())])
    with pytest.raises(InvalidValueError, match="aar"):
        year_matched_reference(target.drop(columns="aar"), land)


def test_lyl_errors():
    d, p = _constant(0.01)
    with pytest.raises(InvalidValueError, match="age"):
        life_years_lost(d, p, age=96)
    with pytest.raises(InvalidValueError, match="person-years"):
        life_years_lost(d, np.r_[p[:10], 0, p[11:]], age=20)


# --------------------------------------------------------------------------- funnel plots


def test_funnel_limits_hand_computed():
    lim = funnel_limits([5.0, 50.0, 500.0])
    assert list(lim.columns) == ["forventede", "nedre_95", "oevre_95", "nedre_998", "oevre_998"]
    # Spiegelhalter (2005): E = 5, p = 0.025: r = 1, alpha = (F(1) - p) / P(X = 1)
    f1, f0 = stats.poisson.cdf(1, 5), stats.poisson.cdf(0, 5)
    assert lim["nedre_95"].iloc[0] == pytest.approx((1 - (f1 - 0.025) / (f1 - f0)) / 5)
    assert ((lim["nedre_998"] <= lim["nedre_95"]) & (lim["nedre_95"] < 1) & (1 < lim["oevre_95"])
            & (lim["oevre_95"] <= lim["oevre_998"])).all()
    width = lim["oevre_95"] - lim["nedre_95"]
    assert (np.diff(width) < 0).all()  # the funnel narrows as expected deaths grow
    # large E: close to the normal approximation 1 +- 1.96 / sqrt(E)
    assert lim["oevre_95"].iloc[-1] == pytest.approx(1 + 1.96 / math.sqrt(500), abs=0.01)
    around = funnel_limits([50.0], target=2.0)
    assert around["nedre_95"].iloc[0] < 2.0 < around["oevre_95"].iloc[0]


def test_funnel_data_flags_units():
    obs = pd.Series({"101": 30, "147": 0, "825": 6}, name="doede").rename_axis("kommune_kode")
    exp = pd.Series({"101": 12.0, "147": 2.0, "825": 5.0})
    out = funnel_data(obs, exp).set_index("kommune_kode")
    assert out.loc["101", "smr"] == 2.5 and out.loc["101", "uden_for_95"] == "over"
    assert out.loc["101", "uden_for_998"] == "over"
    assert out.loc["825", "uden_for_95"] == "" and out.loc["147", "uden_for_95"] == ""
    assert out.loc["101", "nedre"] == pytest.approx(smr(30, 12).lower)
    with pytest.raises(InvalidValueError, match="same"):
        funnel_data(obs, exp.drop("825"))
    with pytest.raises(InvalidValueError):
        funnel_limits([0.0])


def test_errors_are_vidensdata_errors():
    assert issubclass(InvalidValueError, VidensdataError)
    with pytest.raises(VidensdataError):
        excess_life_years_lost(*_constant(0.01), *_constant(0.01), method="bootstrapp")
