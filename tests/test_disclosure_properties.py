"""Property-based tests (hypothesis) of the invariants of vidensdata.disclosure on random tables.

(tests/test_disclosure.py holds the hand examples and the basic properties; these add
the two-dimensional table with margins, "every suppressed cell is primary or needed",
and the region-minus-kommuner attack computed numerically.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidensdata import disclosure as d

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small_or_any = st.one_of(st.integers(0, 6), st.integers(0, 40))


def _safe(values: np.ndarray, mask: np.ndarray) -> bool:
    """The rule for one relation (cells + total): all hidden, or not a small group and neither exactly one
    hidden member nor exactly one hidden non-zero member."""
    if mask.all():
        return True
    if 1 <= values.max() < d.THRESHOLD:
        return False
    return int(mask.sum()) != 1 and int((mask & (values > 0)).sum()) != 1


@st.composite
def tables_2d(draw):
    """A random rows x columns table of counts with a total column, a total row and the grand total (long form)."""
    n_r, n_c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    cells = np.array([[draw(small_or_any) for _ in range(n_c)] for _ in range(n_r)])
    full = np.zeros((n_r + 1, n_c + 1), dtype=int)
    full[:n_r, :n_c] = cells
    full[:n_r, n_c] = cells.sum(axis=1)
    full[n_r, :] = full[:n_r, :].sum(axis=0)
    rows = [(f"r{i}" if i < n_r else "I alt", f"c{j}" if j < n_c else "I alt", int(full[i, j]))
            for i in range(n_r + 1) for j in range(n_c + 1)]
    return pd.DataFrame(rows, columns=["raekke", "kolonne", "antal"]), full


@SETTINGS
@given(tables_2d())
def test_two_dimensional_table_with_margins(table):
    t, full = table
    out = d.suppress_long(t, "antal", [["raekke"], ["kolonne"]])
    supp = out["antal_undertrykt"].to_numpy().reshape(full.shape)
    # no published cell in 1..4
    assert not (~supp & (full >= 1) & (full < d.THRESHOLD)).any()
    # every row and every column with a published total has 0 or >= 2 suppressed cells, and what can be
    # recovered (total - published cells) is never a single non-zero cell
    for line, hidden in [(full[i, :], supp[i, :]) for i in range(full.shape[0])] + \
                        [(full[:, j], supp[:, j]) for j in range(full.shape[1])]:
        cells, total_hidden = hidden[:-1], hidden[-1]
        if not total_hidden:
            assert int(cells.sum()) != 1
            assert int((cells & (line[:-1] > 0)).sum()) != 1
            recovered = line[-1] - line[:-1][~cells].sum()
            assert recovered == line[:-1][cells].sum()
        else:
            assert cells.any()  # a hidden total with every cell published would be their sum
    # every secondary cell is needed by its row or column (or is a zero hidden with a whole line)
    lines = [np.arange(i * full.shape[1], (i + 1) * full.shape[1]) for i in range(full.shape[0])] + \
            [np.arange(j, full.size, full.shape[1]) for j in range(full.shape[1])]
    _assert_needed(full.ravel(), supp.ravel(), lines, out["antal_primaer"].to_numpy())
    # the audit of the published table agrees
    assert d.check_published(out, "antal", [["raekke"], ["kolonne"]]) == []


def _lp_unsafe(values: np.ndarray, supp: np.ndarray, groups: list[np.ndarray], shown: np.ndarray) -> dict:
    """What the audit's attacker learns: hidden <5 cells whose LP interval is narrower than [1, 4]."""
    kind = np.where(supp, np.where(shown, d.PRIMARY, d.SECONDARY), d.PUBLISHED)
    return d.unsafe_cells(kind, values, [(int(g[-1]), [int(c) for c in g[:-1]]) for g in groups])


def _assert_needed(values: np.ndarray, supp: np.ndarray, groups: list[np.ndarray], shown: np.ndarray) -> None:
    """Every relation is safe (step 2 and the LP intervals), and every secondary cell is needed by one of them."""
    assert all(_safe(values[g], supp[g]) for g in groups)
    assert _lp_unsafe(values, supp, groups, shown) == {}
    assert not (shown & ~(supp & d.primary_mask(values))).any()  # <5 only on hidden 1-4 counts
    for pos in np.flatnonzero(supp & ~d.primary_mask(values)):
        if values[pos] == 0:
            continue  # a zero hidden with its whole group (rules 2a/2c; pruning may publish the group's others)
        trial = supp.copy()
        trial[pos] = False
        needed = any(not _safe(values[g], trial[g]) for g in groups if pos in g) or \
            bool(_lp_unsafe(values, trial, groups, shown & trial))
        assert needed, f"cell {pos} is not needed"


@st.composite
def geo_tables(draw):
    """kommuner / regions / country for one or two years, with the relations as (positions, total position)."""
    shape = [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 4)))]
    rows, groups = [], []
    for year in range(2020, 2020 + draw(st.integers(1, 2))):
        regions, land = [], 0
        for r, n in enumerate(shape):
            values = [draw(small_or_any) for _ in range(n)]
            first = len(rows)
            rows += [("kommune", f"k{r}.{k}", f"R{r}", year, v) for k, v in enumerate(values)]
            rows.append(("region", f"R{r}", f"R{r}", year, sum(values)))
            groups.append(np.arange(first, len(rows)))
            regions.append(len(rows) - 1)
            land += sum(values)
        rows.append(("land", "000", None, year, land))
        groups.append(np.array([*regions, len(rows) - 1]))
    return pd.DataFrame(rows, columns=["niveau", "kode", "region_kode", "aar", "antal"]), groups


@SETTINGS
@given(geo_tables())
def test_every_suppressed_cell_is_primary_or_needed(table):
    """Secondary suppression hides nothing it does not need: publishing any one secondary cell breaks a relation.

    The one exception by design: a zero hidden together with its whole group (module docstring, rules 2a and 2c).
    """
    t, groups = table
    out = d.suppress_geography(t, "antal", by=["aar"])
    values = t["antal"].to_numpy()
    supp = out["antal_undertrykt"].to_numpy()
    _assert_needed(values, supp, groups, out["antal_primaer"].to_numpy())


@SETTINGS
@given(geo_tables())
def test_region_minus_other_kommuner_never_reveals_a_cell(table):
    t, groups = table
    out = d.suppress_geography(t, "antal", by=["aar"])
    values = t["antal"].to_numpy()
    supp = out["antal_undertrykt"].to_numpy()
    for g in groups:
        cells, total = g[:-1], g[-1]
        if supp[total]:
            continue
        hidden = cells[supp[cells]]
        # what an attacker computes from the published numbers
        recovered = int(out["antal"].iloc[total]) - int(out["antal"].iloc[cells[~supp[cells]]].sum())
        assert recovered == values[hidden].sum()
        nonzero_hidden = hidden[values[hidden] > 0]
        assert len(hidden) != 1 and len(nonzero_hidden) != 1  # the difference is never one person count


@SETTINGS
@given(st.lists(small_or_any, min_size=1, max_size=10))
def test_suppression_is_idempotent_on_its_own_output_pattern(values):
    """Running the rule again on a table whose suppressed cells are forced stays stable (a fixpoint)."""
    total = sum(values)
    t = pd.DataFrame({"g": 1, "antal": [*values, total]})
    out = d.suppress_long(t, "antal", ["g"])
    mask = out["antal_undertrykt"].to_numpy()
    assert _safe(np.array([*values, total]), mask)
    assert d.suppress_long(t, "antal", ["g"]).equals(out)


@SETTINGS
@given(geo_tables())
def test_no_hidden_small_count_can_be_narrowed_down(table):
    """The audit's attack (LP over region = kommuner, country = regions): every <5 keeps its whole [1, 4]."""
    t, groups = table
    out = d.suppress_geography(t, "antal", by=["aar"])
    values = t["antal"].to_numpy()
    supp = out["antal_undertrykt"].to_numpy()
    shown = out["antal_primaer"].to_numpy()
    assert not (~supp & d.primary_mask(values)).any()
    assert _lp_unsafe(values, supp, groups, shown) == {}
