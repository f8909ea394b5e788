"""Statistical disclosure control for counts of persons from person-level (register) data.

The rule (project convention)
-----------------------------
* **Primary suppression.** A count of persons between 1 and ``THRESHOLD - 1``
  (1–4) is never published; it is shown as ``"<5"``
  (:data:`vidensdata.vocabulary.PRIMAER`). Zero is publishable.
* **Derived figures.** Rates, shares and estimates whose numerator is a
  suppressed count are suppressed too (:func:`apply_to_rates`).
* **Secondary suppression.** A suppressed cell must not be recoverable from
  published totals (a total minus the published cells); the cells hidden for
  that are shown as ``"x"`` (:data:`vidensdata.vocabulary.SEKUNDAER`).
* **Public statistics** (population counts from Statistics Denmark and other
  published aggregates) are never suppressed: only pass counts derived from
  person-level data to this module.

The algorithm (a heuristic)
---------------------------
The input is a tidy long table of counts that already contains its margin rows
(e.g. every kommune, every region and the whole country, per year). A
*grouping* is a list of columns; rows with the same values in those columns
form one *group*, which must hold the cells of one additive relation together
with its total row (e.g. all kommuner of a region plus the region row, for one
year). Rows with a missing value in a grouping's columns are not part of that
grouping (that is how the country row is left out of the region groups).

1. Primary: mark every count in 1..4.
2. For every group (all groupings, in a fixed order), treat the total as one
   more member of the group and enforce:

   a. *Small group*: if the largest member (the total) is in 1..4, suppress
      the whole group, zeros included; publishing the zeros would locate the
      few persons.
   b. If exactly one member is suppressed, or exactly one *non-zero* member is
      suppressed, suppress one more: the smallest unsuppressed non-zero member
      (ties: the first row). Zero members are never chosen as complements,
      because a zero is often known (a service a kommune does not offer), so
      suppressing it protects nothing. Repeat until the group is safe.
   c. If no non-zero member is left to choose, suppress the whole group
      (with a series and its total this means: suppress the total).

   With a published total, a group therefore has 0 or at least 2 suppressed
   cells, and 0 or at least 2 suppressed non-zero cells, so
   ``total - sum(published cells)`` only reveals the *sum* of two or more
   cells. A suppressed total always comes with at least one other suppressed
   member of its group.
3. A cell suppressed in one grouping is a member of other groupings too (a
   region is a cell in the country group and the total of its kommune group),
   so step 2 is repeated over all groupings until nothing changes. Suppression
   only grows, so this terminates; the result depends only on the input
   (values and row order), never on chance.
4. *Pruning.* A complement chosen early can become superfluous when a later
   step suppresses another member of its group (e.g. a region hidden as the
   complement in the country group). Every non-zero secondary cell is
   therefore tried once more, largest first (ties: the first row), and
   published again when every group it belongs to stays safe by step 2
   without it. Zeros hidden with their whole group stay hidden (2a, 2c). So
   every suppressed cell is primary, needed by some relation, or a zero of a
   wholly suppressed group (tested with hypothesis).

Limits: this is the usual "at least two suppressed per relation" heuristic,
not an optimal cell-suppression solver such as tau-Argus. It neither minimises
the information lost nor proves that no cell can be narrowed down by combining
several relations (e.g. by linear programming over a multi-dimensional table),
and it does not enforce protection intervals. It is adequate for the
hierarchical tables of this project (kommune < region < land per year and
category); the audit :func:`check_published` checks every relation given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from babel.numbers import NumberFormatError, parse_decimal

from .errors import InvalidValueError, UnknownColumnError
from .formatting import LOCALE, MISSING, fmt_int
from .vocabulary import PRIMAER as SUPPRESSED
from .vocabulary import SEKUNDAER

THRESHOLD = 5
MASK_SUFFIX = "_undertrykt"

__all__ = [
    "THRESHOLD", "MASK_SUFFIX", "SeriesSuppression", "primary_mask", "suppress_series", "suppress_long",
    "suppress_geography", "apply_to_rates", "publishable", "check_published", "mask_column",
]


def sammensat(dele_undertrykt) -> tuple[bool, bool]:
    """``(undertrykt, primaer)`` of a cell summed over several published geographies (an area of kommuner).

    The sum is published only when every part is published: then it is a function of what is already
    published and reveals nothing new (published parts are 0 or at least 5, so the sum is never 1-4). When
    any part is hidden the sum is hidden with the secondary mark ``x``, whatever its value, so neither the
    number nor the choice of mark can tell an attacker anything about the hidden parts (a mark chosen by the
    sum, ``<5`` for 1-4, would answer "is this union of hidden kommuner at most 4?").
    """
    return bool(any(dele_undertrykt)), False


def vist_antal(antal, undertrykt: bool, primaer: bool) -> str:
    """A count as shown to people: ``<5`` (1-4, primary), ``x`` (hidden to protect another cell) or Danish digits."""
    if undertrykt:
        return SUPPRESSED if primaer else SEKUNDAER
    return fmt_int(int(antal))


def mask_column(value_col: str) -> str:
    """The name of the boolean suppression column for ``value_col`` (``antal -> antal_undertrykt``)."""
    return f"{value_col}{MASK_SUFFIX}"


# ---------------------------------------------------------------- validation

def _count_array(values, what: str) -> np.ndarray:
    """Counts as an int64 array; anything but whole numbers >= 0 is an InvalidValueError."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        raise InvalidValueError(f"{what}: counts must be numbers, got dtype {s.dtype}",
                                dansk="Antal skal være tal.")
    if s.isna().any():
        raise InvalidValueError(f"{what}: counts must not be missing (found {int(s.isna().sum())} missing)",
                                dansk="Der mangler antal i tabellen.")
    arr = s.to_numpy(dtype=float)
    bad = (arr < 0) | (arr != np.round(arr))
    if bad.any():
        raise InvalidValueError(f"{what}: counts must be whole numbers >= 0, got {arr[bad][:5].tolist()}",
                                dansk="Antal skal være hele tal, der er 0 eller større.")
    return arr.astype(np.int64)


def _groupings(group_cols) -> list[list[str]]:
    """``["aar"]`` (one grouping) or ``[["aar", "region"], ["aar", "land"]]`` (several)."""
    if group_cols is None:
        return []
    if isinstance(group_cols, str):
        return [[group_cols]]
    items = list(group_cols)
    if items and all(isinstance(c, str) for c in items):
        return [items]
    out = []
    for g in items:
        cols = [g] if isinstance(g, str) else list(g)
        if not cols or not all(isinstance(c, str) for c in cols):
            raise InvalidValueError(f"a grouping must be a non-empty list of column names, got {g!r}",
                                    dansk="En gruppering skal være en liste af kolonnenavne.")
        out.append(cols)
    return out


def _require(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise UnknownColumnError(f"{what}: no column(s) {missing}; the table has {list(df.columns)}",
                                 dansk=f"Tabellen mangler kolonnen/kolonnerne {', '.join(map(str, missing))}.")


def _is_na(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and np.isnan(v))


def _groups_of(keys: list[list]) -> list[np.ndarray]:
    """Positions per distinct key (``keys`` are column lists), in order of first appearance.

    Rows with a missing value in any key column are in no group.
    """
    found: dict[tuple, list[int]] = {}
    for pos, key in enumerate(zip(*keys)):
        if not any(_is_na(v) for v in key):
            found.setdefault(key, []).append(pos)
    return [np.array(p, dtype=np.intp) for p in found.values()]


def _group_positions(df: pd.DataFrame, groupings: list[list[str]]) -> list[np.ndarray]:
    """Row positions of every group of every grouping, in a fixed order (grouping, then first row)."""
    groups: list[np.ndarray] = []
    for cols in groupings:
        _require(df, cols, "grouping")
        groups.extend(_groups_of([df[c].tolist() for c in cols]))
    return groups


# ---------------------------------------------------------------- the rule

def primary_mask(counts):
    """True where ``1 <= count < THRESHOLD`` (Series, DataFrame or array in, same shape out).

    Missing values give False (they are not published counts).
    """
    if isinstance(counts, pd.DataFrame):
        return counts.apply(primary_mask)
    if isinstance(counts, pd.Series):
        if pd.api.types.is_bool_dtype(counts.dtype) or not pd.api.types.is_numeric_dtype(counts.dtype):
            raise InvalidValueError(f"primary_mask: counts must be numbers, got dtype {counts.dtype}",
                                    dansk="Antal skal være tal.")
        hit = (counts >= 1) & (counts < THRESHOLD)
        return hit.fillna(False).astype(bool)
    arr = np.asarray(counts)
    if arr.dtype.kind not in "iuf":
        raise InvalidValueError(f"primary_mask: counts must be numbers, got dtype {arr.dtype}",
                                dansk="Antal skal være tal.")
    with np.errstate(invalid="ignore"):
        return (arr >= 1) & (arr < THRESHOLD)


def protect_group(values: np.ndarray, mask: np.ndarray) -> bool:
    """Apply step 2 of the algorithm to one group in place; True if ``mask`` changed.

    ``values`` are the group's counts with its total as one more member (usually the
    last); ``mask`` (booleans, same length) marks the suppressed ones and is widened
    in place so that no suppressed member can be recovered from the others and the
    total. For a theme that builds its own additive relation (e.g. the capture
    histories of the target group and their sum).
    """
    if mask.all():
        return False
    if 1 <= values.max() < THRESHOLD:  # small group
        mask[:] = True
        return True
    changed = False
    nonzero = values > 0
    while True:
        n_supp = int(mask.sum())
        n_nonzero = int((mask & nonzero).sum())
        if n_supp != 1 and n_nonzero != 1:
            return changed
        candidates = np.flatnonzero(~mask & nonzero)
        if candidates.size == 0:  # nothing non-zero left: suppress the whole group
            mask[:] = True
            return True
        mask[candidates[np.argmin(values[candidates])]] = True  # argmin: first of ties
        changed = True


class SeriesSuppression(NamedTuple):
    """The result of :func:`suppress_series`.

    ``mask`` is True for every suppressed cell; ``total_suppressed`` says that
    the total itself must not be published either (it is 1..4, or no non-zero
    cell was left to suppress as a complement).
    """

    mask: pd.Series
    total_suppressed: bool


def suppress_series(counts: pd.Series, total: float | None = None) -> SeriesSuppression:
    """Primary and secondary suppression of one dimension that adds up to ``total``.

    Without ``total`` only primary suppression applies. With it, the total is
    one more member of the relation (see the module docstring):
    ``[10, 3, 20]`` with total 33 suppresses 3 and 10; ``[0, 3, 20]`` with total
    23 suppresses 3 and 20 (a zero is no complement); a total in 1..4
    suppresses every cell and the total. ``total`` must be at least the
    largest cell (it may exceed the sum for a non-additive total such as
    "persons with any service").

    Returns ``SeriesSuppression(mask, total_suppressed)``.
    """
    s = counts if isinstance(counts, pd.Series) else pd.Series(counts)
    values = _count_array(s, "suppress_series")
    if total is None:
        return SeriesSuppression(pd.Series(primary_mask(values), index=s.index, name=s.name, dtype=bool), False)
    tot = _count_array(pd.Series([total]), "suppress_series total")[0]
    if values.size and tot < values.max():
        raise InvalidValueError(
            f"suppress_series: total {int(tot)} is smaller than the largest cell {int(values.max())}",
            dansk=f"Totalen ({int(tot)}) er mindre end den største celle ({int(values.max())}).",
        )
    members = np.append(values, tot)
    mask = primary_mask(members)
    protect_group(members, mask)
    return SeriesSuppression(pd.Series(mask[:-1], index=s.index, name=s.name, dtype=bool), bool(mask[-1]))


def _suppress(values: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Primary suppression, then step 2 over all groups until nothing changes, then pruning (steps 1-4)."""
    mask = primary_mask(values)
    groups = [g for g in groups if g.size > 1]  # a single row is no relation
    changed = True
    while changed:
        changed = False
        for g in groups:
            sub = mask[g]
            if protect_group(values[g], sub):
                mask[g] = sub
                changed = True
    return _prune(values, mask, groups)


def _prune(values: np.ndarray, mask: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Step 4: publish again every non-zero secondary cell that no relation needs (largest first)."""
    primary = primary_mask(values)
    member_of: dict[int, list[np.ndarray]] = {}
    for g in groups:
        for pos in g.tolist():
            member_of.setdefault(pos, []).append(g)
    candidates = np.flatnonzero(mask & ~primary & (values > 0))
    for pos in sorted(candidates.tolist(), key=lambda p: (-int(values[p]), p)):
        mask[pos] = False
        if any(protect_group(values[g], mask[g].copy()) for g in member_of.get(pos, ())):
            mask[pos] = True  # some relation needs it
    return mask


def _result(df: pd.DataFrame, value_col: str, values: np.ndarray, mask: np.ndarray) -> pd.DataFrame:
    out = df.copy()
    out[value_col] = pd.arrays.IntegerArray(values.copy(), mask.copy())  # <NA> where suppressed
    out[mask_column(value_col)] = mask.copy()
    return out


def suppress_long(df: pd.DataFrame, value_col: str, group_cols) -> pd.DataFrame:
    """Primary and secondary suppression of a tidy long table that includes its margin rows.

    ``group_cols`` is one grouping (a list of column names) or several (a
    list of lists); each group must be the cells of one additive relation plus
    its total row. Rows with a missing value in a grouping's columns are left
    out of that grouping. The rule is applied over all groupings until stable
    (see the module docstring).

    Returns a copy with ``value_col`` as nullable ``Int64`` (``<NA>`` where
    suppressed) and a boolean column ``<value_col>_undertrykt``.
    """
    _require(df, [value_col], "suppress_long")
    values = _count_array(df[value_col], f"suppress_long[{value_col}]")
    mask = _suppress(values, _group_positions(df, _groupings(group_cols)))
    return _result(df, value_col, values, mask)


def suppress_geography(table: pd.DataFrame, value_col: str, by: Sequence[str] = ()) -> pd.DataFrame:
    """:func:`suppress_long` over the geography hierarchy kommune < region < land.

    ``table`` has ``niveau`` (``"kommune"``, ``"region"``, ``"land"``), ``kode``,
    ``region_kode`` (the region of a kommune), the ``by`` columns (e.g. year and
    category; each combination is its own table) and ``value_col``. The
    relations are: the kommuner of a region add up to the region row, and the
    regions add up to the country row. Returns what :func:`suppress_long` returns.
    """
    by = [by] if isinstance(by, str) else list(by)
    _require(table, ["niveau", "kode", "region_kode", value_col, *by], "suppress_geography")
    niveau = table["niveau"].tolist()
    unknown = sorted({str(v) for v in niveau} - {"kommune", "region", "land"})
    if unknown:
        raise InvalidValueError(
            f"suppress_geography: niveau must be kommune, region or land, got {unknown}",
            dansk="Kolonnen niveau må kun indeholde kommune, region og land.",
        )
    values = _count_array(table[value_col], f"suppress_geography[{value_col}]")
    region_key = [r if n == "kommune" else k if n == "region" else None
                  for n, k, r in zip(niveau, table["kode"].tolist(), table["region_kode"].tolist())]
    land_key = [None if n == "kommune" else "land" for n in niveau]
    by_keys = [table[c].tolist() for c in by]
    groups = _groups_of([region_key, *by_keys]) + _groups_of([land_key, *by_keys])
    return _result(table, value_col, values, _suppress(values, groups))


# ---------------------------------------------------------------- using the result

def apply_to_rates(df: pd.DataFrame, mask_col: str, rate_cols: str | Sequence[str]) -> pd.DataFrame:
    """A copy with the derived columns ``rate_cols`` set to missing where ``mask_col`` is True."""
    rate_cols = [rate_cols] if isinstance(rate_cols, str) else list(rate_cols)
    _require(df, [mask_col, *rate_cols], "apply_to_rates")
    m = df[mask_col]
    if m.isna().any() or not pd.api.types.is_bool_dtype(m.dtype):
        raise InvalidValueError(f"apply_to_rates: {mask_col} must be a boolean column without missing values",
                                dansk=f"Kolonnen {mask_col} skal være sand/falsk for alle rækker.")
    m = m.astype(bool)
    out = df.copy()
    for c in rate_cols:
        out[c] = out[c].mask(m)
    return out


def _suppressed_rows(df: pd.DataFrame, value_col: str) -> np.ndarray:
    """Rows shown as suppressed: the mask column, ``<NA>`` or the text ``"<5"``."""
    col = df[value_col]
    text = np.array([isinstance(v, str) and v.strip() == SUPPRESSED for v in col.tolist()], dtype=bool)
    mcol = mask_column(value_col)
    if mcol in df.columns:
        flagged = df[mcol].fillna(True).to_numpy(dtype=bool)
    else:
        flagged = col.isna().to_numpy(dtype=bool)
    return text | flagged


def publishable(df: pd.DataFrame, value_col: str, into: str | None = None) -> pd.DataFrame:
    """A copy with Danish display text for ``value_col`` (``"<5"`` where suppressed).

    Suppressed are rows flagged in ``<value_col>_undertrykt`` (the output of
    :func:`suppress_long`), or, without that column, ``<NA>`` values. The text
    goes into ``into`` (default: replaces ``value_col``). A count in 1..4 that
    is not suppressed raises :class:`~vidensdata.errors.InvalidValueError`:
    run :func:`suppress_long` first.
    """
    _require(df, [value_col], "publishable")
    supp = _suppressed_rows(df, value_col)
    shown = df[value_col].where(~pd.Series(supp, index=df.index))
    try:
        numeric = pd.Series(pd.to_numeric(shown, errors="raise"), index=df.index, dtype="Float64")
    except (TypeError, ValueError):
        raise InvalidValueError(f"publishable: {value_col} must hold counts (numbers), or '{SUPPRESSED}'",
                                dansk=f"Kolonnen {value_col} skal indeholde antal.") from None
    leaks = primary_mask(numeric)
    if leaks.any():
        raise InvalidValueError(
            f"publishable: {int(leaks.sum())} count(s) in 1..{THRESHOLD - 1} are not suppressed; "
            "run disclosure.suppress_long first",
            dansk="Tabellen indeholder antal under 5, som ikke er diskretioneret.",
        )
    text = [SUPPRESSED if s else fmt_int(v) for s, v in zip(supp, shown.tolist())]
    out = df.copy()
    out[into or value_col] = pd.Series(text, index=df.index, dtype=object)
    return out


def _describe(df: pd.DataFrame, pos: int, cols: Sequence[str]) -> str:
    row = df.iloc[pos]
    return ", ".join(f"{c}={row[c]}" for c in cols)


def check_published(df: pd.DataFrame, value_col: str, groups=None) -> list[str]:
    """Audit a table as it will be published; a list of problems (Danish), empty when safe.

    ``value_col`` may hold numbers (``<NA>`` = suppressed), the text ``"<5"``,
    and/or come with a ``<value_col>_undertrykt`` column. ``groups`` are the
    groupings (as in :func:`suppress_long`) whose groups are additive
    relations including their total row. Problems reported:

    * a published count in 1..4;
    * a group with exactly one suppressed member (a cell with a published
      total, or a total with all cells published): it can be recomputed.
    """
    _require(df, [value_col], "check_published")
    d = df.reset_index(drop=True)
    labels = df.index.tolist()  # messages name rows by their index label
    supp = _suppressed_rows(d, value_col)
    problems: list[str] = []
    shown = d[value_col].tolist()
    for pos in np.flatnonzero(~supp):
        v = shown[pos]
        if isinstance(v, str):
            if v.strip() in ("", MISSING):
                continue
            try:
                v = parse_decimal(v.strip(), locale=LOCALE, strict=True)
            except NumberFormatError:
                problems.append(f"Række {labels[pos]}: værdien {v!r} er hverken et antal eller {SUPPRESSED}.")
                continue
        elif pd.isna(v):
            continue
        if 1 <= float(v) < THRESHOLD:
            problems.append(f"Række {labels[pos]}: antallet {fmt_int(v)} er offentliggjort, "
                            f"men ligger i 1–{THRESHOLD - 1}.")
    for cols in _groupings(groups):
        for g in _group_positions(d, [cols]):
            if g.size > 1 and int(supp[g].sum()) == 1:
                pos = int(g[supp[g]][0])
                problems.append(
                    f"Gruppe ({_describe(d, int(g[0]), cols)}): kun én undertrykt celle (række {labels[pos]}); "
                    "den kan genberegnes fra de offentliggjorte tal."
                )
    return problems
