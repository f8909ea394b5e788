"""Disclosure control: 1-4 is never published, and no suppressed cell can be recomputed from totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidensdata import disclosure as d
from vidensdata.errors import InvalidValueError, UnknownColumnError, VidensdataError
from vidensdata.formatting import SUPPRESSED

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ss(values, total=None):
    return d.suppress_series(pd.Series(values), total)


# ---------------------------------------------------------------- primary rule

def test_threshold_and_primary_mask():
    assert d.THRESHOLD == 5
    s = pd.Series([0, 1, 4, 5, 12, None], dtype="Int64")
    assert d.primary_mask(s).tolist() == [False, True, True, False, False, False]
    assert d.primary_mask(s).dtype == bool
    arr = np.array([0.0, 1.0, 4.0, 5.0, np.nan])
    assert d.primary_mask(arr).tolist() == [False, True, True, False, False]
    df = pd.DataFrame({"a": [3, 0], "b": [10, 2]})
    assert d.primary_mask(df).to_numpy().tolist() == [[True, False], [False, True]]
    with pytest.raises(InvalidValueError):
        d.primary_mask(pd.Series(["3", "7"]))


# ---------------------------------------------------------------- one series with a total

def test_hand_example_smallest_nonzero_complement():
    mask, total_supp = ss([10, 3, 20], 33)
    assert mask.tolist() == [True, True, False]
    assert total_supp is False


def test_hand_example_zero_is_no_complement():
    # the zero cell is published (0 is not 1-4) and not used as complement: the 20 is
    mask, total_supp = ss([0, 3, 20], 23)
    assert mask.tolist() == [False, True, True]
    assert total_supp is False


def test_two_primary_cells_need_no_complement():
    mask, total_supp = ss([10, 3, 2, 20], 35)
    assert mask.tolist() == [False, True, True, False]
    assert not total_supp


def test_ties_are_broken_by_position():
    mask, _ = ss([7, 3, 7, 7], 24)
    assert mask.tolist() == [True, True, False, False]


def test_small_total_suppresses_everything():
    mask, total_supp = ss([0, 3, 0], 3)
    assert mask.all() and total_supp
    mask, total_supp = ss([1, 2, 1], 4)
    assert mask.all() and total_supp


def test_nothing_to_suppress():
    mask, total_supp = ss([0, 5, 20, 0], 25)
    assert not mask.any() and not total_supp
    mask, total_supp = ss([0, 0], 0)
    assert not mask.any() and not total_supp


def test_without_complement_the_total_is_suppressed():
    # a non-additive total (persons with any service): no non-zero cell is left, so the total goes
    mask, total_supp = ss([3, 0, 0], 8)
    assert mask.tolist() == [True, False, False]
    assert total_supp is True


def test_without_total_only_primary():
    s = pd.Series([10, 3, 20], index=["a", "b", "c"], name="antal")
    mask, total_supp = d.suppress_series(s)
    assert mask.tolist() == [False, True, False]
    assert list(mask.index) == ["a", "b", "c"] and mask.name == "antal"
    assert total_supp is False


@pytest.mark.parametrize(("values", "total"), [([1, -2], 5), ([1.5, 7], 10), ([3, None], 10), ([10, 20], 15)])
def test_bad_counts_are_rejected(values, total):
    with pytest.raises(InvalidValueError) as info:
        ss(values, total)
    assert isinstance(info.value, VidensdataError)


# ---------------------------------------------------------------- long tables with margins

def _geo_table(cells: dict[str, dict[str, int]], years=(2020,)) -> pd.DataFrame:
    """kommune/region/land rows from ``{region: {kommune: count}}`` (same counts each year)."""
    rows = []
    for year in years:
        land = 0
        for reg, kommuner in cells.items():
            for kom, n in kommuner.items():
                rows.append(("kommune", kom, reg, year, n))
            rows.append(("region", reg, reg, year, sum(kommuner.values())))
            land += sum(kommuner.values())
        rows.append(("land", "000", None, year, land))
    return pd.DataFrame(rows, columns=["niveau", "kode", "region_kode", "aar", "antal"])


GROUPINGS = [["gruppe_region", "aar"], ["gruppe_land", "aar"]]


def _with_group_keys(df: pd.DataFrame) -> pd.DataFrame:
    """The two groupings of a geography table as key columns (None: not in that grouping)."""
    rows = list(zip(df["niveau"], df["kode"], df["region_kode"]))
    reg = [r if n == "kommune" else k if n == "region" else None for n, k, r in rows]
    land = [None if n == "kommune" else "land" for n, _, _ in rows]
    return df.assign(gruppe_region=pd.Series(reg, index=df.index, dtype=object),
                     gruppe_land=pd.Series(land, index=df.index, dtype=object))


def test_suppress_long_output_format():
    t = _with_group_keys(_geo_table({"R1": {"k1": 10, "k2": 3, "k3": 20}, "R2": {"k4": 30, "k5": 40}}))
    out = d.suppress_long(t, "antal", GROUPINGS)
    assert out is not t and t["antal"].dtype == "int64"  # the input is untouched
    assert str(out["antal"].dtype) == "Int64"
    assert out["antal_undertrykt"].dtype == bool
    assert out["antal"].isna().tolist() == out["antal_undertrykt"].tolist()
    supp = dict(zip(out["kode"], out["antal_undertrykt"]))
    # in R1, 3 is primary and 10 its complement; R1's total (33) and the rest stay published
    assert [k for k, s in supp.items() if s] == ["k1", "k2"]
    assert out.loc[out["kode"] == "R1", "antal"].item() == 33


def test_suppression_propagates_up_and_down_the_hierarchy():
    # R1 = 4 is primary -> all of R1 (zeros too); in the country group R1 then needs a complement
    # region, the smaller R2 (= 12); inside R2 that suppressed total needs two more kommuner
    cells = {"R1": {"k1": 4, "k2": 0}, "R2": {"k3": 5, "k4": 7}, "R3": {"k5": 50, "k6": 60}}
    out = d.suppress_geography(_geo_table(cells), "antal", by=["aar"])
    supp = set(out.loc[out["antal_undertrykt"], "kode"])
    assert supp == {"k1", "k2", "R1", "R2", "k3"}
    assert not out.loc[out["kode"] == "000", "antal_undertrykt"].item()
    assert d.check_published(_with_group_keys(out), "antal", GROUPINGS) == []


def test_single_grouping_and_group_list_forms_agree():
    t = pd.DataFrame({"aar": [1, 1, 1, 1], "antal": [10, 3, 20, 33]})
    a = d.suppress_long(t, "antal", ["aar"])
    b = d.suppress_long(t, "antal", [["aar"]])
    pd.testing.assert_frame_equal(a, b)
    assert a["antal_undertrykt"].tolist() == [True, True, False, False]


def test_suppress_long_errors():
    t = pd.DataFrame({"aar": [1, 1], "antal": [3, 3]})
    with pytest.raises(UnknownColumnError):
        d.suppress_long(t, "personer", ["aar"])
    with pytest.raises(UnknownColumnError):
        d.suppress_long(t, "antal", ["region"])
    with pytest.raises(InvalidValueError):
        d.suppress_long(t.assign(antal=[3, -1]), "antal", ["aar"])
    with pytest.raises(InvalidValueError):
        d.suppress_geography(_geo_table({"R": {"k": 1}}).assign(niveau="sogn"), "antal", by=["aar"])


# ---------------------------------------------------------------- using the result

def test_apply_to_rates_and_publishable():
    t = pd.DataFrame({"aar": [1, 1, 1, 1], "antal": [10, 3, 20, 33], "befolkning": [1000, 900, 2000, 3900]})
    out = d.suppress_long(t, "antal", ["aar"])
    out["pr_1000"] = t["antal"] / t["befolkning"] * 1000
    rated = d.apply_to_rates(out, "antal_undertrykt", ["pr_1000"])
    assert rated["pr_1000"].isna().tolist() == [True, True, False, False]
    assert rated["befolkning"].tolist() == [1000, 900, 2000, 3900]  # public counts are never suppressed
    assert out["pr_1000"].notna().all()  # copy
    shown = d.publishable(out, "antal")
    assert shown["antal"].tolist() == [SUPPRESSED, SUPPRESSED, "20", "33"]
    shown = d.publishable(out.assign(antal=[None, None, 2000, 2033]), "antal", into="vis")
    assert shown["vis"].tolist() == ["<5", "<5", "2.000", "2.033"]
    with pytest.raises(InvalidValueError):  # an unsuppressed 1-4 is never turned into text
        d.publishable(t, "antal")
    with pytest.raises(UnknownColumnError):
        d.apply_to_rates(out, "antal_undertrykt", ["andel"])


def test_check_published_finds_problems():
    unsafe = pd.DataFrame({"aar": [1, 1, 1, 1], "antal": pd.array([10, None, 20, 33], dtype="Int64")})
    problems = d.check_published(unsafe, "antal", groups=[["aar"]])
    assert len(problems) == 1 and "genberegnes" in problems[0]
    leaked = pd.DataFrame({"aar": [1, 1, 1], "antal": [3, 20, 23]})
    problems = d.check_published(leaked, "antal", groups=[["aar"]])
    assert len(problems) == 1 and "1–4" in problems[0]
    as_text = pd.DataFrame({"aar": [1, 1, 1, 1], "antal": ["<5", "<5", "1.020", "4"]})
    assert len(d.check_published(as_text, "antal", groups=[["aar"]])) == 1  # the "4"
    safe = pd.DataFrame({"aar": [1, 1, 1, 1], "antal": ["<5", "<5", "1.020", "1.033"]})
    assert d.check_published(safe, "antal", groups=[["aar"]]) == []


# ---------------------------------------------------------------- properties on random tables

def _is_safe_group(orig: np.ndarray, supp: np.ndarray, total_pos: int) -> list[str]:
    """Problems in one relation ``sum(cells) == total`` (the total at ``total_pos``)."""
    cells = np.delete(np.arange(orig.size), total_pos)
    problems = []
    n_cells = int(supp[cells].sum())
    n_nonzero = int((supp[cells] & (orig[cells] > 0)).sum())
    if not supp[total_pos]:
        recovered = orig[total_pos] - orig[cells][~supp[cells]].sum()  # what anyone can compute
        assert recovered == orig[cells][supp[cells]].sum()
        if n_cells == 1:
            problems.append("one suppressed cell with a published total")
        if n_nonzero == 1:
            problems.append("the recovered sum is a single non-zero cell")
    elif n_cells == 0:
        problems.append("a suppressed total with all cells published")
    return problems


counts = st.one_of(st.integers(0, 6), st.integers(0, 50))  # many small counts


@st.composite
def geo_tables(draw):
    """A random kommune/region/land table and its relations ``(positions, position of the total)``."""
    n_years = draw(st.integers(1, 2))
    shape = [draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 4)))]  # kommuner per region
    rows, relations = [], []
    for year in range(2020, 2020 + n_years):
        regions, land = [], 0
        for r, n_kom in enumerate(shape):
            values = [draw(counts) for _ in range(n_kom)]
            first = len(rows)
            rows += [("kommune", f"k{r}.{k}", f"R{r}", year, v) for k, v in enumerate(values)]
            rows.append(("region", f"R{r}", f"R{r}", year, sum(values)))
            relations.append((np.arange(first, len(rows)), n_kom))
            regions.append(len(rows) - 1)
            land += sum(values)
        rows.append(("land", "000", None, year, land))
        relations.append((np.array([*regions, len(rows) - 1]), len(regions)))
    t = pd.DataFrame(rows, columns=["niveau", "kode", "region_kode", "aar", "antal"])
    return t, relations


@SETTINGS
@given(geo_tables())
def test_properties_of_geography_suppression(table):
    t, relations = table
    out = d.suppress_geography(t, "antal", by=["aar"])
    orig = t["antal"].to_numpy()
    supp = out["antal_undertrykt"].to_numpy()
    # (a) no published cell is in 1..4, and published cells keep their value
    assert not (~supp & (orig >= 1) & (orig < d.THRESHOLD)).any()
    assert (out["antal"][~supp].to_numpy() == orig[~supp]).all()
    assert out["antal"].isna().to_numpy().tolist() == supp.tolist()
    # (b) every relation: 0 or >= 2 suppressed cells when its total is published, and the
    #     recoverable sum (total - published cells) never is a single non-zero cell
    assert len(relations) == t["niveau"].isin(["region", "land"]).sum()
    for members, total_pos in relations:
        assert _is_safe_group(orig[members], supp[members], total_pos) == []
    # (c) deterministic
    again = d.suppress_geography(t.copy(), "antal", by=["aar"])
    assert out.equals(again) and list(out.dtypes) == list(again.dtypes)
    # (d) the audit agrees
    assert d.check_published(_with_group_keys(out), "antal", GROUPINGS) == []


@SETTINGS
@given(geo_tables(), st.data())
def test_audit_catches_an_unsafe_table(table, data):
    t, relations = table
    raw = _with_group_keys(t)
    # unsuppressed raw counts with a small cell always fail the audit
    if ((t["antal"] >= 1) & (t["antal"] < d.THRESHOLD)).any():
        assert any("1–4" in p for p in d.check_published(raw, "antal", GROUPINGS))
    out = _with_group_keys(d.suppress_geography(t, "antal", by=["aar"]))
    supp = out["antal_undertrykt"].to_numpy()
    hit = [members for members, _ in relations if supp[members].any()]
    if not hit:
        return
    # publish every suppressed member of one relation but one: now it can be recomputed
    members = data.draw(st.sampled_from(hit))
    keep = data.draw(st.sampled_from(members[supp[members]].tolist()))
    republish = [int(p) for p in members if supp[p] and p != keep]
    unsafe = out.copy()
    unsafe.loc[unsafe.index[republish], "antal"] = t["antal"].iloc[republish].to_numpy()
    unsafe.loc[unsafe.index[republish], "antal_undertrykt"] = False
    problems = d.check_published(unsafe, "antal", GROUPINGS)
    assert any("genberegnes" in p for p in problems)
    small = [p for p in republish if 1 <= t["antal"].iloc[p] < d.THRESHOLD]
    assert sum("1–4" in p for p in problems) == len(small)


@SETTINGS
@given(st.lists(counts, min_size=1, max_size=8), st.integers(0, 3))
def test_properties_of_suppress_series(values, extra):
    total = sum(values) + extra  # extra > 0: a non-additive total such as "any service"
    mask, total_supp = ss(values, total)
    orig = np.array(values)
    m = mask.to_numpy()
    assert not (~m & (orig >= 1) & (orig < 5)).any()
    if 1 <= total < 5:
        assert m.all() and total_supp
    if extra == 0:
        members = np.append(orig, total)
        assert _is_safe_group(members, np.append(m, total_supp), len(values)) == []
    elif not total_supp:
        assert int((m & (orig > 0)).sum()) != 1
    assert ss(values, total)[0].equals(mask)  # deterministic


@SETTINGS
@given(st.lists(st.integers(0, 50), min_size=2, max_size=8))
def test_suppress_long_on_one_group_equals_suppress_series(values):
    total = sum(values)
    t = pd.DataFrame({"g": 1, "antal": [*values, total]})
    out = d.suppress_long(t, "antal", ["g"])
    mask, total_supp = ss(values, total)
    assert out["antal_undertrykt"].tolist() == [*mask.tolist(), total_supp]


# ---------------------------------------------------------------- protection intervals (the LP attack)

def _kinds(shown_text):
    return [d.PRIMARY if s == "<5" else d.SECONDARY if s == "x" else d.PUBLISHED for s in shown_text]


def test_lp_interval_pins_two_small_cells_under_a_published_total():
    """Region Syddanmark, §107, 2019: the region shows 482, its published kommuner add up to 480, two <5."""
    shown = ["482", "240", "240", "<5", "<5"]
    values = [482, 240, 240, 0, 0]
    bad = d.unsafe_cells(_kinds(shown), values, [(0, [1, 2, 3, 4])])
    assert sorted(bad) == [3, 4]
    assert all(iv.low == pytest.approx(1) and iv.high == pytest.approx(1) for iv in bad.values())
    # "at least two hidden per relation" is not enough; a hidden complement that can give or take 3 is
    ok = d.intervals(_kinds(["482", "240", "x", "<5", "<5"]), values, [(0, [1, 2, 3, 4])])
    assert all(iv.safe and iv.low == pytest.approx(1) and iv.high == pytest.approx(4) for iv in ok.values())


def test_lp_interval_across_two_relations_and_contradictions():
    # k1 + k2 = R (<5 each, R hidden x), R + R2 = L = 10 published, R2 = 8 published: R = 2, so k1 = k2 = 1
    kinds = _kinds(["<5", "<5", "x", "8", "10"])
    bad = d.unsafe_cells(kinds, [0, 0, 0, 8, 10], [(2, [0, 1]), (4, [2, 3])])
    assert sorted(bad) == [0, 1] and bad[0].high == pytest.approx(1)
    # a <5 that equals a published 10 is a contradiction, reported as unsafe
    bad = d.unsafe_cells(_kinds(["<5", "10"]), [0, 10], [(1, [0])])
    assert list(bad) == [0] and not bad[0].feasible


def test_suppression_protects_the_syddanmark_example():
    kommuner = [1, 1] + [24] * 20
    rows = [("kommune", f"k{i}", "083", 2019, v) for i, v in enumerate(kommuner)]
    rows.append(("region", "083", "083", 2019, sum(kommuner)))
    t = pd.DataFrame(rows, columns=["niveau", "kode", "region_kode", "aar", "antal"])
    out = d.suppress_geography(t, "antal", by=["aar"])
    supp = out["antal_undertrykt"].to_numpy()
    assert supp[:2].all() and supp[2:].sum() >= 1  # a complement that carries value, not only the two <5
    shown = np.where(supp, np.where(out["antal_primaer"], d.PRIMARY, d.SECONDARY), d.PUBLISHED)
    assert d.unsafe_cells(shown, t["antal"].to_numpy(), [(22, list(range(22)))]) == {}


def test_a_small_total_over_several_small_cells_is_shown_x():
    """Two <5 under a <5 would each be at most 3: the mark of the total would narrow them down."""
    t = pd.DataFrame({"g": ["a", "a", "a"], "antal": [1, 3, 4]})
    out = d.suppress_long(t, "antal", ["g"])
    assert out["antal_undertrykt"].all()
    assert out["antal_primaer"].tolist() == [True, True, False]
    shown = np.where(out["antal_primaer"], d.PRIMARY, d.SECONDARY)
    assert d.unsafe_cells(shown, [1, 3, 4], [(2, [0, 1])]) == {}
