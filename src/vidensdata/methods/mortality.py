"""Mortality measures: person-years, SMR, rate ratios, life tables and life-years lost.

Pure functions (no I/O) on arrays and tidy DataFrames with the package's Danish column
names. The usual flow for a theme:

1. :func:`lexis_split` turns person-level follow-up (entry, exit, birth, died) into
   person-years (``personaar``) and deaths (``doede``) by ``aar`` x ``aldersgruppe``
   (x any by-columns such as ``koen`` and ``kommune_kode``).
2. :func:`expected_deaths` applies the national rates of ``doedelighed_land``
   (indirect standardisation) and :func:`smr` gives the SMR with an exact Poisson CI.
3. :func:`rate_ratio` fits a Poisson GLM (target group and population stacked,
   log person-years offset, adjusted for age group, sex and calendar year).
4. :func:`life_table` / :func:`life_expectancy` / :func:`life_expectancy_gap` (abridged
   Chiang life tables) and :func:`excess_life_years_lost` (Andersen 2013) give the
   gap in years. The population's rates they are compared with are standardised to the
   target group's person-years by calendar year (:func:`year_matched_reference`).
5. :func:`funnel_limits` / :func:`funnel_data` compare kommuner.

Time is measured in days and converted to years by dividing by 365.25
(``DAYS_PER_YEAR``). Formulas and references are in ``docs/metoder.md``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from ._lazy import lazy
from ._resultat import Resultatvisning

stats = lazy("scipy.stats")

__all__ = [
    "AGE_GROUPS", "AGE_STARTS", "DAYS_PER_YEAR", "TAU",
    "Estimate", "SMRResult", "RateRatioResult", "GapResult", "LYLResult",
    "aldersgruppe", "lexis_split", "smr", "reference_rates", "expected_deaths", "rate_ratio",
    "life_table", "life_expectancy", "life_expectancy_gap", "life_years_lost", "survival_curve",
    "excess_life_years_lost", "excess_life_years_lost_table", "year_matched_reference", "funnel_limits",
    "funnel_data",
]

#: The 5-year age groups of ``doedelighed_land``; the last one (95+) is open.
AGE_GROUPS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 95, 5)) + ("95+",)
#: Start age of each group in AGE_GROUPS (0, 5, ..., 95).
AGE_STARTS: np.ndarray = np.arange(0, 100, 5)
#: Width of each closed group; the open group has width inf.
AGE_WIDTHS: np.ndarray = np.r_[np.full(19, 5.0), np.inf]
DAYS_PER_YEAR = 365.25
#: Upper age for life-years lost (Andersen 2013 uses a fixed upper limit; 95 is the start of the open group).
TAU = 95.0
#: Fraction of the 0-4 interval lived by those who die in it (a_0-4 / 5). ASSUMPTION: most deaths under
#: five in Denmark are infant deaths, which occur early in the first year (Chiang's infant fraction is
#: about 0.1); we use 0.1 of the 5-year interval, i.e. 0.5 years. Changing it to 0.5 moves e0 by < 0.01 year.
A_FRACTION_0_4 = 0.1
_GROUP_INDEX = {g: i for i, g in enumerate(AGE_GROUPS)}


# =========================================================================== results


@dataclass(frozen=True)
class Estimate(Resultatvisning):
    """A point estimate with a confidence interval at ``level``."""

    value: float
    lower: float
    upper: float
    level: float = 0.95

    def __iter__(self):  # value, lower, upper = estimate
        return iter((self.value, self.lower, self.upper))


@dataclass(frozen=True)
class SMRResult(Estimate):
    """SMR = observed / expected with an exact Poisson CI (Breslow & Day 1987).

    For array input, ``value``, ``lower``, ``upper``, ``observed``, ``expected`` are arrays.
    """

    observed: float = 0.0
    expected: float = 0.0


@dataclass(frozen=True)
class RateRatioResult(Estimate):
    """Mortality rate ratio (target group vs population) from a Poisson GLM.

    ``result`` is the fitted statsmodels GLM result; ``data`` the stacked table it was fitted on
    (columns ``maalgruppe`` 0/1, ``aar``, ``koen``, ``aldersgruppe``, ``doede``, ``personaar``).
    """

    result: object = field(default=None, repr=False)
    data: pd.DataFrame | None = field(default=None, repr=False)


@dataclass(frozen=True)
class GapResult(Estimate):
    """Difference reference - target (years), with the two parts and the standard error."""

    target: float = math.nan
    reference: float = math.nan
    se: float = math.nan
    method: str = "delta"


@dataclass(frozen=True)
class LYLResult(GapResult):
    """Excess life-years lost: LYL(target) - LYL(reference) between ``age`` and ``tau``.

    ``target`` / ``reference`` are the two LYLs; ``target_mean`` / ``reference_mean`` the restricted
    mean lifetimes (tau - age - LYL).
    """

    age: float = 0.0
    tau: float = TAU
    target_mean: float = math.nan
    reference_mean: float = math.nan


# =========================================================================== helpers


def _fmt(value) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.10g}"
    return repr(value)


def _check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise InvalidValueError(f"level must be a number between 0 and 1 (e.g. 0.95), got {_fmt(level)}",
                                dansk=f"Konfidensniveauet skal være mellem 0 og 1, ikke {_fmt(level)}.")
    return float(level)


def _floats(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be numbers, got {x!r}", dansk=f"{name} skal være tal.") from None
    if np.isnan(arr).any():
        raise InvalidValueError(f"{name} contains missing values (NaN)", dansk=f"{name} mangler værdier.")
    return arr


def _nonnegative(x, name: str) -> np.ndarray:
    arr = _floats(x, name)
    bad = arr[(arr < 0) | np.isinf(arr)]
    if bad.size:
        raise InvalidValueError(f"{name} must be >= 0 and finite, got {_fmt(bad.ravel()[0])}",
                                dansk=f"{name} kan ikke være negativ ({_fmt(bad.ravel()[0])}).")
    return arr


def aldersgruppe(age):
    """The 5-year age group label ("0-4", ..., "90-94", "95+") of an age in completed years.

    Vectorised: a scalar gives a str, an array an ndarray of str (object), a Series a Series
    with the same index. Negative or missing ages are errors.
    """
    scalar = np.ndim(age) == 0
    a = _floats(age, "age")
    if (a < 0).any():
        raise InvalidValueError(f"age must be >= 0, got {_fmt(a[a < 0].ravel()[0])}",
                                dansk="Alderen kan ikke være negativ.")
    idx = np.minimum(np.floor(a / 5).astype(np.int64), 19)
    labels = np.asarray(AGE_GROUPS, dtype=object)[idx]
    if scalar:
        return str(labels)
    if isinstance(age, pd.Series):
        return pd.Series(labels, index=age.index, name="aldersgruppe")
    return labels


def _group_index(groups) -> np.ndarray:
    """Indices into AGE_GROUPS for an iterable of labels; unknown labels are errors."""
    out = []
    for g in groups:
        if g not in _GROUP_INDEX:
            from ..errors import suggestion  # local: keeps module import light

            raise InvalidValueError(f"unknown aldersgruppe {g!r}; expected one of {', '.join(AGE_GROUPS)}"
                                    + suggestion(g, AGE_GROUPS),
                                    dansk=f"Ukendt aldersgruppe: {g!r}.")
        out.append(_GROUP_INDEX[g])
    return np.asarray(out, dtype=np.int64)


# =========================================================================== Lexis splitting


def _days(x, name: str) -> np.ndarray:
    """datetime-like array -> int64 days since 1970-01-01 (NaT -> INT64 min)."""
    raw = x.to_numpy() if isinstance(x, (pd.Series, pd.Index)) else np.asarray(x)
    if raw.dtype.kind == "M":  # fast path: numpy datetimes of any unit
        return raw.astype("datetime64[D]").astype(np.int64)
    try:
        arr = pd.to_datetime(pd.Series(np.asarray(x) if not isinstance(x, pd.Series) else x.to_numpy()))
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be dates, got {x!r:.80}: {exc}",
                                dansk=f"{name} skal være datoer.") from None
    return arr.to_numpy().astype("datetime64[D]").astype(np.int64)


_NAT = np.iinfo(np.int64).min


def _ymd(days: np.ndarray):
    """(year, month, day) of int64 days since 1970-01-01 (H. Hinnant's civil_from_days, integer-only)."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def _date_days(y, m, d) -> np.ndarray:
    """Days since 1970-01-01 of y-m-d (Hinnant's days_from_civil); a day past the month's end rolls
    over, so 29 February of a non-leap year is 1 March."""
    y = np.asarray(y, dtype=np.int64)
    m = np.asarray(m, dtype=np.int64)
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + np.asarray(d, dtype=np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _jan1(year) -> np.ndarray:
    return _date_days(year, 1, 1)


def _bound(value, name: str, is_end: bool):
    """start/end: an int year (start: 1 Jan; end: through 31 Dec, i.e. 1 Jan of the next year) or a date."""
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(_jan1(int(value) + (1 if is_end else 0)))
    try:
        return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be a year (int) or a date, got {value!r}",
                                dansk=f"{name} skal være et årstal eller en dato.") from None


def _by_frame(by, n: int) -> pd.DataFrame:
    if by is None:
        return pd.DataFrame(index=range(n))
    if isinstance(by, pd.Series):
        frame = by.to_frame(name=by.name or "gruppe")
    elif isinstance(by, pd.DataFrame):
        frame = by
    elif isinstance(by, Mapping):
        frame = pd.DataFrame({k: np.asarray(v) for k, v in by.items()})
    else:
        raise InvalidValueError(f"by must be None, a Series, a DataFrame or a dict of arrays, got {type(by).__name__}",
                                dansk="Grupperingen (by) har en ukendt form.")
    if len(frame) != n:
        raise InvalidValueError(f"by has {len(frame)} rows but there are {n} persons",
                                dansk="Grupperingen har ikke samme længde som personerne.")
    clash = {"aar", "aldersgruppe", "personaar", "doede"} & set(frame.columns)
    if clash:
        raise InvalidValueError(f"by must not contain the output columns {sorted(clash)}",
                                dansk=f"Grupperingen må ikke indeholde kolonnerne {sorted(clash)}.")
    return frame.reset_index(drop=True)


def lexis_split(entry, exit, birth, died, by=None, start=None, end=None) -> pd.DataFrame:
    """Person-years and deaths by calendar year and 5-year age group (Lexis splitting).

    Parameters
    ----------
    entry, exit, birth:
        Array-likes (or Series) of dates, one per person. Follow-up is the half-open interval
        ``[entry, exit)`` measured in whole days; a person contributes ``(exit - entry)`` days.
        If only the birth year is known, pass 1 July of that year. A missing ``exit`` (NaT)
        means "alive at the end of follow-up" and needs ``end``.
    died:
        Booleans: the person died at ``exit``. The death is counted in the year and age group of
        the last day of follow-up (the day before ``exit``; with ``entry == exit`` the day itself).
    by:
        Optional extra grouping columns: a DataFrame, a dict of arrays or a Series with one row per
        person (e.g. ``koen``, ``kommune_kode``).
    start, end:
        Optional window: an int year (``start=2010`` is 1 Jan 2010; ``end=2021`` means through
        31 Dec 2021) or a date (``end`` is then exclusive). Follow-up outside is cut off; a death at or
        after the end of the window (exit later than ``end``) is censored.

    Returns
    -------
    DataFrame with the by-columns, ``aar`` (int), ``aldersgruppe`` (str, AGE_GROUPS, 95+ open),
    ``personaar`` (float, days / 365.25) and ``doede`` (int), one row per cell with follow-up or a
    death, sorted by the by-columns, ``aar`` and age order. Age groups change on the exact
    birthday (a 29 February birthday falls on 1 March in non-leap years). Total ``personaar``
    equals the total follow-up time exactly (up to float rounding).
    """
    fu = _follow_up(entry, exit, birth, died, by)
    lo, hi = _window(start, end)
    _check_no_missing_dates(fu)
    fu = _censor_missing_exits(fu, hi)
    _check_date_order(fu)
    fu = _clip_to_window(fu, lo, hi)
    # Per-person work uses integer calendar arithmetic; per-segment work only table look-ups
    # (a register of a million persons has ~10 million segments).
    cal = _calendar(fu)
    pieces = _split_at_group_birthdays(_split_at_new_year(fu, cal), cal)
    return _tabulate(pieces, fu.by)


@dataclass(frozen=True)
class _FollowUp:
    """Follow-up of each person: ``[entry, exit)``, ``birth`` (int64 days since 1970-01-01), ``died``
    at exit (bool), and the by-columns (one row per person, index 0..n-1)."""

    entry: np.ndarray
    exit: np.ndarray
    birth: np.ndarray
    died: np.ndarray
    by: pd.DataFrame


def _follow_up(entry, exit, birth, died, by) -> _FollowUp:
    """The inputs of :func:`lexis_split` as days and booleans, checked to have one value per person."""
    ent = _days(entry, "entry")
    ext = _days(exit, "exit")
    bir = _days(birth, "birth")
    n = ent.size
    dead = _died(died)
    if not (ext.size == n and bir.size == n and dead.size == n):
        raise InvalidValueError(f"entry, exit, birth and died must have the same length, got {n}, {ext.size}, "
                                f"{bir.size}, {dead.size}", dansk="entry, exit, birth og died har ikke samme længde.")
    return _FollowUp(ent, ext, bir, dead, _by_frame(by, n))


def _died(died) -> np.ndarray:
    """``died`` as booleans; 0/1 numbers are accepted."""
    dead = np.asarray(died)
    if dead.dtype != bool:
        try:
            dead_f = _floats(dead, "died")
        except InvalidValueError:
            raise InvalidValueError("died must be booleans (True = died at exit)",
                                    dansk="died skal være sand/falsk.") from None
        if not np.isin(dead_f, (0, 1)).all():
            raise InvalidValueError("died must be booleans or 0/1", dansk="died skal være sand/falsk.")
        dead = dead_f.astype(bool)
    return dead


def _window(start, end) -> tuple[int | None, int | None]:
    """The window ``[lo, hi)`` in days (None: open on that side); ``start`` must come before ``end``."""
    lo, hi = _bound(start, "start", False), _bound(end, "end", True)
    if lo is not None and hi is not None and lo >= hi:
        raise InvalidValueError(f"start ({start}) must be before end ({end})", dansk="Start skal ligge før slut.")
    return lo, hi


def _check_no_missing_dates(fu: _FollowUp) -> None:
    """Every person has an entry and a birth date (a missing exit is handled by :func:`_censor_missing_exits`)."""
    for arr, name in ((fu.entry, "entry"), (fu.birth, "birth")):
        if (arr == _NAT).any():
            raise InvalidValueError(f"{name} has missing dates (row {int(np.argmax(arr == _NAT))})",
                                    dansk=f"{name} mangler datoer.")


def _censor_missing_exits(fu: _FollowUp, hi: int | None) -> _FollowUp:
    """A missing exit means alive at the end of the window ``hi`` (which must then be given)."""
    missing_exit = fu.exit == _NAT
    if not missing_exit.any():
        return fu
    if hi is None:
        raise InvalidValueError("exit has missing dates; give end= to censor them at the end of follow-up",
                                dansk="Slutdato mangler for nogle personer.")
    if fu.died[missing_exit].any():
        raise InvalidValueError("a person marked as dead has no exit date",
                                dansk="En død person mangler dødsdato.")
    # entry after the window: dropped by _clip_to_window
    return replace(fu, exit=np.where(missing_exit, np.maximum(hi, fu.entry), fu.exit))


def _check_date_order(fu: _FollowUp) -> None:
    """birth <= entry <= exit for every person."""
    ent, ext = fu.entry, fu.exit
    bad = ext < ent
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidValueError(f"exit before entry for {int(bad.sum())} person(s), first at row {i}: "
                                f"entry {ent[i].astype('datetime64[D]')}, exit {ext[i].astype('datetime64[D]')}",
                                dansk="Slutdatoen ligger før startdatoen for nogle personer.")
    bad = fu.birth > ent
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidValueError(f"entry before birth for {int(bad.sum())} person(s), first at row {i}",
                                dansk="Startdatoen ligger før fødselsdatoen for nogle personer.")


def _clip_to_window(fu: _FollowUp, lo: int | None, hi: int | None) -> _FollowUp:
    """Follow-up cut to ``[lo, hi)``; persons without follow-up in it are dropped, and a death at or after
    ``hi`` is censored. Zero-length follow-up (entry == exit) is kept only if it lies inside."""
    ent, ext, dead = fu.entry, fu.exit, fu.died
    keep = np.ones(ent.size, dtype=bool)
    if lo is not None:
        keep = (ext > lo) | ((ent == ext) & (ent >= lo))
        ent = np.maximum(ent, lo)
    if hi is not None:
        dead = dead & (ext <= hi)  # died on the last day inside the window (exit = the day after)
        keep &= (ent < hi)
        ext = np.minimum(ext, hi)
    idx_keep = np.flatnonzero(keep)
    return _FollowUp(ent[idx_keep], ext[idx_keep], fu.birth[idx_keep], dead[idx_keep],
                     fu.by.iloc[idx_keep].reset_index(drop=True))


@dataclass(frozen=True)
class _Calendar:
    """Calendar facts of each person, and a table of 1 January for every year ``ylo..yhi`` a segment or
    birthday can fall in (``jan1[y - ylo]``, ``leap[y - ylo]``: is year y a leap year)."""

    entry_year: np.ndarray
    last_year: np.ndarray  # year of the last day of follow-up
    birth_year: np.ndarray
    age_at_entry: np.ndarray  # completed years on the entry day
    born_jan1: np.ndarray
    birthday_common: np.ndarray  # day of the year (0-based) of the birthday in a non-leap year
    birthday_leap: np.ndarray  # ... and in a leap year (29 February falls on 1 March otherwise)
    ylo: int
    yhi: int
    jan1: np.ndarray
    leap: np.ndarray


def _calendar(fu: _FollowUp) -> _Calendar:
    """The per-person calendar arithmetic, done once so the segments need only table look-ups."""
    ey, em, ed = _ymd(fu.entry)
    y1 = _ymd(np.maximum(fu.exit - 1, fu.entry))[0]
    by_, bm, bd = _ymd(fu.birth)
    ylo = int(min(by_.min(initial=1970), ey.min(initial=1970)))
    yhi = int(max(y1.max(initial=1970), by_.max(initial=1970) + 100)) + 2
    jan1_tab = _jan1(np.arange(ylo, yhi + 1))
    leap_tab = (jan1_tab[1:] - jan1_tab[:-1]) == 366
    off_common = _date_days(1970, bm, bd) - _date_days(1970, 1, 1)
    off_leap = _date_days(1972, bm, bd) - _date_days(1972, 1, 1)
    age_entry = ey - by_ - ((em < bm) | ((em == bm) & (ed < bd)))
    born_jan1 = (bm == 1) & (bd == 1)
    return _Calendar(ey, y1, by_, age_entry, born_jan1, off_common, off_leap, ylo, yhi, jan1_tab, leap_tab)


@dataclass(frozen=True)
class _Segments:
    """Pieces of follow-up ``[start, end)`` in days, each within one calendar ``year`` (and, after
    :func:`_split_at_group_birthdays`, one age group ``group``); ``pid`` is the person's row, ``first``
    marks a person's first piece, ``died`` a death at the end of the piece."""

    pid: np.ndarray
    year: np.ndarray
    start: np.ndarray
    end: np.ndarray
    died: np.ndarray
    first: np.ndarray | None = None
    group: np.ndarray | None = None


def _split_at_new_year(fu: _FollowUp, cal: _Calendar) -> _Segments:
    """One segment per person and calendar year of follow-up; the death goes to the last one."""
    nseg = (cal.last_year - cal.entry_year + 1).astype(np.int64)
    total = int(nseg.sum())
    pid = np.repeat(np.arange(fu.entry.size), nseg)
    offset = np.arange(total) - np.repeat(np.cumsum(nseg) - nseg, nseg)
    year = cal.entry_year[pid] + offset
    first = offset == 0
    s = np.where(first, fu.entry[pid], cal.jan1[year - cal.ylo])
    e = np.minimum(fu.exit[pid], cal.jan1[year + 1 - cal.ylo])
    last = offset == nseg[pid] - 1
    return _Segments(pid, year, s, e, fu.died[pid] & last, first=first)


def _split_at_group_birthdays(seg: _Segments, cal: _Calendar) -> _Segments:
    """Each year segment split at the birthday that starts the next 5-year group (at most one per year).

    The pieces before the birthday keep the order of ``seg``; the pieces after it follow, in the same order.
    """
    pid, year, s, e = seg.pid, seg.year, seg.start, seg.end
    pby = cal.birth_year[pid]
    age = np.where(seg.first, cal.age_at_entry[pid], year - pby - 1 + cal.born_jan1[pid])
    g0 = np.minimum(age // 5, 19)
    bday_year = pby + 5 * (g0 + 1)
    bday_year = np.minimum(bday_year, cal.yhi - 1)  # beyond the table only for 95+, where it is unused
    birthday = cal.jan1[bday_year - cal.ylo] + np.where(cal.leap[bday_year - cal.ylo], cal.birthday_leap[pid],
                                                         cal.birthday_common[pid])
    split = (g0 < 19) & (birthday < e)
    e1 = np.where(split, birthday, e)
    return _Segments(
        pid=np.concatenate([pid, pid[split]]),
        year=np.concatenate([year, year[split]]),
        start=np.concatenate([s, birthday[split]]),
        end=np.concatenate([e1, e[split]]),
        died=np.concatenate([seg.died & ~split, seg.died[split]]),
        group=np.concatenate([g0, g0[split] + 1]),
    )


@dataclass(frozen=True)
class _ByCodes:
    """The by-columns encoded as one integer per person (``codes``, 0..n-1) and decodable back:
    ``combos[code]`` mixes the sorted per-column codes with radices ``len(uniques[i])``."""

    columns: list
    uniques: list
    combos: np.ndarray | None
    codes: np.ndarray
    n: int

    def decode(self, code: np.ndarray) -> dict:
        """The by-column values of the combination numbers ``code``."""
        out = {}
        rest = self.combos[code]
        for c, uu in reversed(list(zip(self.columns, self.uniques))):
            out[c] = np.asarray(uu)[rest % len(uu)]
            rest = rest // len(uu)
        return {c: out[c] for c in self.columns}


def _encode_by(frame: pd.DataFrame) -> _ByCodes:
    """Integer codes of the by-combinations (sorted per column); missing values are errors."""
    by_cols = list(frame.columns)
    col_codes, col_uniques = [], []
    for c in by_cols:
        cc, uu = pd.factorize(frame[c], sort=True)
        if (cc < 0).any():
            raise InvalidValueError(f"the by-column {c!r} has missing values",
                                    dansk=f"Grupperingskolonnen {c!r} mangler værdier.")
        col_codes.append(cc.astype(np.int64))
        col_uniques.append(uu)
    if not by_cols:
        return _ByCodes(by_cols, col_uniques, None, np.zeros(len(frame), dtype=np.int64), 1)
    mixed = np.zeros(len(frame), dtype=np.int64)
    for cc, uu in zip(col_codes, col_uniques):
        mixed = mixed * len(uu) + cc
    combos, codes = np.unique(mixed, return_inverse=True)
    return _ByCodes(by_cols, col_uniques, combos, codes, combos.size)


def _tabulate(pieces: _Segments, by: pd.DataFrame) -> pd.DataFrame:
    """Person-years and deaths summed per by-combination x year x age group (integer keys and
    bincount), one row per cell with a piece, sorted by the by-columns, ``aar`` and age order."""
    enc = _encode_by(by)
    if pieces.pid.size == 0:
        return pd.DataFrame({**{c: pd.Series(dtype=by[c].dtype) for c in enc.columns},
                             "aar": pd.Series(dtype="int64"), "aldersgruppe": pd.Series(dtype=object),
                             "personaar": pd.Series(dtype=float), "doede": pd.Series(dtype="int64")})
    yrs, grp = pieces.year, pieces.group
    ymin = int(yrs.min())
    n_years = int(yrs.max()) - ymin + 1
    key = (np.asarray(enc.codes, dtype=np.int64)[pieces.pid] * n_years + (yrs - ymin)) * 20 + grp
    size = enc.n * n_years * 20
    py = np.bincount(key, weights=pieces.end - pieces.start, minlength=size)
    dd = np.bincount(key, weights=pieces.died, minlength=size)
    cells = np.flatnonzero(np.bincount(key, minlength=size) > 0)
    g_out = cells % 20
    out = enc.decode(cells // (20 * n_years)) if enc.columns else {}
    out["aar"] = ((cells // 20) % n_years + ymin).astype(np.int64)
    out["aldersgruppe"] = np.asarray(AGE_GROUPS, dtype=object)[g_out]
    out["personaar"] = py[cells] / DAYS_PER_YEAR
    out["doede"] = np.rint(dd[cells]).astype(np.int64)
    result = pd.DataFrame(out)
    result["_g"] = g_out
    return result.sort_values(enc.columns + ["aar", "_g"], kind="stable").drop(columns="_g").reset_index(drop=True)


# =========================================================================== SMR


def smr(observed, expected, level=0.95) -> SMRResult:
    """Standardised mortality ratio ``observed / expected`` with an exact Poisson CI.

    The CI treats ``observed`` as Poisson and ``expected`` as fixed (Breslow & Day 1987, eq. 2.11;
    Ulm 1990): lower = chi2(alpha/2; 2 O) / (2 E), upper = chi2(1 - alpha/2; 2 O + 2) / (2 E).
    With O = 0 the lower limit is 0. Scalars give floats; arrays give arrays.
    """
    level = _check_level(level)
    o = _nonnegative(observed, "observed")
    e = _floats(expected, "expected")
    if (e <= 0).any() or np.isinf(e).any():
        raise InvalidValueError(f"expected must be > 0 and finite, got {_fmt(e[(e <= 0) | np.isinf(e)].ravel()[0])}",
                                dansk="Det forventede antal døde skal være større end 0.")
    try:
        o, e = np.broadcast_arrays(o, e)
    except ValueError:
        raise InvalidValueError("observed and expected do not have matching shapes",
                                dansk="Observerede og forventede har ikke samme længde.") from None
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * np.where(o > 0, o, 1)) / (2 * e), 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / (2 * e)
    value = o / e
    if value.ndim == 0:
        return SMRResult(float(value), float(lower), float(upper), level, float(o), float(e))
    return SMRResult(value, lower, upper, level, o, e)


# =========================================================================== indirect standardisation


_KEYS = ("aar", "koen", "aldersgruppe")


def _require(df: pd.DataFrame, cols, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InvalidValueError(f"{what} must be a DataFrame, got {type(df).__name__}",
                                dansk=f"{what} skal være en tabel.")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InvalidValueError(f"{what} lacks the column(s) {missing}; it has {list(df.columns)}",
                                dansk=f"{what} mangler kolonnerne {missing}.")


def reference_rates(doedelighed_land: pd.DataFrame) -> pd.DataFrame:
    """National rates from the dataset ``doedelighed_land``.

    Input columns ``aar``, ``koen``, ``aldersgruppe``, ``doede``, ``befolkning``. Returns those keys with
    ``doede``, ``personaar`` (= ``befolkning``, the mean of the four quarterly counts, used as
    the person-years of the year) and ``rate`` (deaths per person-year). A table that already has
    ``personaar`` is used as it is.
    """
    py_col = "personaar" if "personaar" in doedelighed_land.columns else "befolkning"
    _require(doedelighed_land, [*_KEYS, "doede", py_col], "reference_rates")
    out = doedelighed_land[[*_KEYS, "doede", py_col]].rename(columns={py_col: "personaar"}).copy()
    _nonnegative(out["doede"], "doede")
    pyv = _nonnegative(out["personaar"], "personaar")
    if (pyv == 0).any():
        raise InvalidValueError("reference population (befolkning/personaar) has cells with 0",
                                dansk="Referencebefolkningen har celler med 0 personer.")
    out["rate"] = out["doede"] / out["personaar"]
    return out.reset_index(drop=True)


_rates = reference_rates


def expected_deaths(py_table: pd.DataFrame, reference_rates: pd.DataFrame, by=("koen",)) -> pd.DataFrame:
    """Indirect standardisation: expected deaths = sum(personaar x national rate).

    ``py_table`` has ``aar``, ``koen``, ``aldersgruppe``, ``personaar`` (and optionally ``doede``, the
    observed deaths), e.g. the output of :func:`lexis_split` or the dataset ``doedelighed_maalgruppe``.
    ``reference_rates`` is ``doedelighed_land`` (or the output of the function ``reference_rates``); rows are joined on
    ``aar``, ``koen``, ``aldersgruppe`` and a cell without a reference rate is an error.

    Returns one row per combination of ``by`` (``by=()`` or ``None``: one row for everything) with
    ``personaar``, ``doede`` (observed; only if ``py_table`` has it) and ``forventede`` (expected).
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _require(py_table, [*_KEYS, "personaar", *by], "py_table")
    _nonnegative(py_table["personaar"], "personaar")
    rates = reference_rates if "rate" in reference_rates.columns else _rates(reference_rates)
    merged = py_table.merge(rates[[*_KEYS, "rate"]], on=list(_KEYS), how="left", validate="many_to_one")
    missing = merged["rate"].isna() & (merged["personaar"] > 0)
    if missing.any():
        cells = merged.loc[missing, list(_KEYS)].drop_duplicates().head(5).to_dict("records")
        raise InvalidValueError(f"no reference rate for {int(missing.sum())} cell(s), e.g. {cells}; the reference "
                                f"covers the years {int(rates['aar'].min())}-{int(rates['aar'].max())}",
                                dansk="Der mangler referencedødelighed for nogle år, køn eller aldersgrupper.")
    merged["forventede"] = merged["personaar"] * merged["rate"].fillna(0.0)
    cols = ["personaar"] + (["doede"] if "doede" in merged.columns else []) + ["forventede"]
    if by:
        out = merged.groupby(by, sort=True, observed=True)[cols].sum().reset_index()
    else:
        out = merged[cols].sum().to_frame().T
    if "doede" in out.columns:
        out["doede"] = out["doede"].round().astype(np.int64)
    return out


# =========================================================================== rate ratio (Poisson GLM)


def rate_ratio(target_table: pd.DataFrame, reference_table: pd.DataFrame, level=0.95,
               adjust=("aldersgruppe", "koen", "aar")) -> RateRatioResult:
    """Mortality rate ratio of the target group vs the population from a Poisson GLM.

    Model (Plana-Ripoll et al. 2019): ``log E[doede] = log(personaar) + b0 + b1*maalgruppe +
    age group + sex + calendar year`` (main effects, categorical), fitted with statsmodels on the two
    tables stacked; the rate ratio is exp(b1) with a Wald CI.

    ``target_table``: ``aar``, ``koen``, ``aldersgruppe``, ``doede``, ``personaar`` (other columns are
    summed over). ``reference_table``: ``doedelighed_land`` (``befolkning`` is used as the person-years;
    the mid-year population approximates the person-years lived in the year) or a table with
    ``personaar``. The reference is restricted to the years, sexes and age groups present in the
    target table. The population includes the target group, so with a real extract the ratio is
    against everyone (including the target group); for a group of <1 % of the population the
    difference is negligible.
    """
    import statsmodels.api as sm

    level = _check_level(level)
    adjust = [adjust] if isinstance(adjust, str) else list(adjust)
    unknown = [a for a in adjust if a not in _KEYS]
    if unknown:
        raise InvalidValueError(f"adjust must be among {list(_KEYS)}, got {unknown}", dansk="Ukendt justering.")
    _require(target_table, [*_KEYS, "doede", "personaar"], "target_table")
    ref = _rates(reference_table)
    tgt = target_table.groupby(list(_KEYS), observed=True)[["doede", "personaar"]].sum().reset_index()
    _nonnegative(tgt["doede"], "doede")
    _nonnegative(tgt["personaar"], "personaar")
    tgt = tgt[tgt["personaar"] > 0]
    if tgt.empty or tgt["doede"].sum() == 0:
        raise InvalidValueError("the target group has no deaths (or no person-years); "
                                "the rate ratio cannot be estimated",
                                dansk="Målgruppen har ingen dødsfald, så dødelighedsratioen kan ikke beregnes.")
    for k in _KEYS:
        ref = ref[ref[k].isin(tgt[k].unique())]
    missing = set(map(tuple, tgt[list(_KEYS)].to_numpy())) - set(map(tuple, ref[list(_KEYS)].to_numpy()))
    if missing:
        raise InvalidValueError(f"the reference lacks {len(missing)} cell(s) of the target group, e.g. "
                                f"{sorted(missing)[:3]}", dansk="Referencedødeligheden dækker ikke alle år/aldre.")
    data = pd.concat([tgt.assign(maalgruppe=1), ref[[*_KEYS, "doede", "personaar"]].assign(maalgruppe=0)],
                     ignore_index=True)
    # design matrix: intercept, the group indicator and treatment-coded dummies (first level = reference)
    parts = [pd.DataFrame({"const": 1.0, "maalgruppe": data["maalgruppe"].astype(float)})]
    for a in adjust:
        levels = sorted(data[a].unique(), key=lambda v: _GROUP_INDEX.get(v, v) if a == "aldersgruppe" else v)
        if len(levels) > 1:
            cat = pd.Categorical(data[a], categories=levels)
            parts.append(pd.get_dummies(cat, prefix=a, drop_first=True, dtype=float).set_axis(data.index))
    X = pd.concat(parts, axis=1)
    model = sm.GLM(data["doede"].astype(float), X, family=sm.families.Poisson(),
                   offset=np.log(data["personaar"].to_numpy(float)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit()
    b = float(res.params["maalgruppe"])
    se = float(res.bse["maalgruppe"])
    z = stats.norm.ppf(0.5 + level / 2)
    return RateRatioResult(math.exp(b), math.exp(b - z * se), math.exp(b + z * se), level, result=res, data=data)


# =========================================================================== life tables


def _by_age(values, age_groups, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values aligned to AGE_GROUPS order: returns (values, group indices)."""
    if isinstance(values, pd.Series) and all(isinstance(i, str) for i in values.index):
        gi = _group_index(values.index)
        vals = _nonnegative(values.to_numpy(), name)
    else:
        groups = list(age_groups)
        vals = _nonnegative(values, name).ravel()
        if vals.size != len(groups):
            raise InvalidValueError(f"{name} has {vals.size} values but there are {len(groups)} age groups",
                                    dansk=f"{name} har ikke én værdi pr. aldersgruppe.")
        gi = _group_index(groups)
    order = np.argsort(gi)
    return vals[order], gi[order]


def _prepare(deaths, person_years, age_groups, age) -> tuple:
    d, gi = _by_age(deaths, age_groups, "deaths")
    p, gi2 = _by_age(person_years, age_groups, "person_years")
    if not np.array_equal(gi, gi2):
        raise InvalidValueError("deaths and person_years cover different age groups",
                                dansk="Døde og personår dækker ikke de samme aldersgrupper.")
    start = float(age)
    if start not in AGE_STARTS:
        raise InvalidValueError(f"age must be the start of a 5-year group (0, 5, ..., 95), got {_fmt(age)}",
                                dansk=f"Alderen skal være starten på en 5-års aldersgruppe, ikke {_fmt(age)}.")
    first = int(start // 5)
    need = np.arange(first, 20)
    have = dict(zip(gi.tolist(), range(gi.size)))
    lacking = [AGE_GROUPS[i] for i in need if i not in have]
    if lacking:
        raise InvalidValueError(f"the life table from age {int(start)} needs the age groups {lacking}",
                                dansk=f"Dødelighedstavlen mangler aldersgrupperne {', '.join(lacking)}.")
    sel = np.array([have[i] for i in need])
    d, p = d[sel], p[sel]
    empty = [AGE_GROUPS[i] for i, pp, dd in zip(need, p, d) if pp <= 0]
    if empty:
        raise InvalidValueError(f"no person-years in the age group(s) {empty}",
                                dansk=f"Ingen personår i {', '.join(empty)}.")
    if d[-1] <= 0:
        raise InvalidValueError("no deaths in the open age group 95+, so its life expectancy is undefined",
                                dansk="Ingen dødsfald i aldersgruppen 95+, så middellevetiden kan ikke beregnes.")
    return d, p, need


def _table_arrays(m: np.ndarray, need: np.ndarray, radix: float):
    n = AGE_WIDTHS[need]
    a = np.where(need == 0, A_FRACTION_0_4, 0.5) * np.where(np.isinf(n), 0, n)  # years lived by those dying
    q = np.empty_like(m)
    closed = ~np.isinf(n)
    q[closed] = n[closed] * m[closed] / (1 + (n[closed] - a[closed]) * m[closed])
    # Chiang's q exceeds 1 when m > 1 / (n - a) (e.g. 0.4 for a 5-year group): there, and only there,
    # use the constant-hazard conversion, q = 1 - exp(-n m), a = 1/m - n exp(-n m) / q.
    high = closed & (q >= 1)
    if high.any():
        q[high] = -np.expm1(-n[high] * m[high])
        a[high] = 1 / m[high] - n[high] * np.exp(-n[high] * m[high]) / q[high]
    q[~closed] = 1.0
    lx = radix * np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
    dx = lx * q
    Lx = np.empty_like(m)
    Lx[closed] = n[closed] * (lx[closed] - dx[closed]) + a[closed] * dx[closed]
    Lx[~closed] = lx[~closed] / m[~closed]
    a[~closed] = 1 / m[~closed]
    Tx = np.cumsum(Lx[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(lx > 0, Tx / np.where(lx > 0, lx, 1), 0.0)
    return n, a, q, lx, dx, Lx, Tx, ex


def life_table(deaths, person_years, age_groups=AGE_GROUPS, age=0, radix=100_000) -> pd.DataFrame:
    """Abridged period life table (Chiang 1984) in 5-year groups with an open 95+ group.

    ``deaths`` and ``person_years`` are aligned with ``age_groups`` (arrays), or Series indexed by
    ``aldersgruppe`` labels. ``age`` (a group start) is where the table starts, with lx = ``radix``.
    mx = D / PY; a_x = n/2 except 0-4 (``A_FRACTION_0_4`` x 5 years); qx = n mx / (1 + (n - a_x) mx);
    the open group has qx = 1 and Lx = lx / mx. Where Chiang's qx would reach 1 (mx > 1 / (n - a_x),
    only for very high rates in small groups) the constant-hazard conversion qx = 1 - exp(-n mx) is used.

    Returns columns ``aldersgruppe``, ``alder`` (start), ``n``, ``doede``, ``personaar``, ``mx``,
    ``ax``, ``qx``, ``lx``, ``dx``, ``Lx``, ``Tx``, ``ex``.
    """
    d, p, need = _prepare(deaths, person_years, age_groups, age)
    m = d / p
    n, a, q, lx, dx, Lx, Tx, ex = _table_arrays(m, need, float(radix))
    return pd.DataFrame({
        "aldersgruppe": [AGE_GROUPS[i] for i in need], "alder": AGE_STARTS[need], "n": n,
        "doede": d, "personaar": p, "mx": m, "ax": a, "qx": q, "lx": lx, "dx": dx, "Lx": Lx, "Tx": Tx, "ex": ex,
    })


def _ex_variance(d, p, need) -> float:
    """Chiang's variance of e_x (at the table start), with the open-interval term (Silcocks et al. 2001)."""
    m = d / p
    n, a, q, lx, dx, Lx, Tx, ex = _table_arrays(m, need, 1.0)
    closed = ~np.isinf(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_q = np.where(d > 0, q ** 2 * (1 - q) / np.where(d > 0, d, 1), 0.0)
    f = a / np.where(closed, n, 1)  # fraction of the interval
    e_next = np.r_[ex[1:], 0.0]
    terms = lx[closed] ** 2 * ((1 - f[closed]) * n[closed] + e_next[closed]) ** 2 * var_q[closed]
    open_term = lx[~closed] ** 2 / m[~closed] ** 4 * (d[~closed] / p[~closed] ** 2)
    return float((terms.sum() + open_term.sum()) / lx[0] ** 2)


def life_expectancy(deaths, person_years, age=0, age_groups=AGE_GROUPS) -> float:
    """Life expectancy at ``age`` (a group start) from the abridged life table of :func:`life_table`."""
    return float(life_table(deaths, person_years, age_groups=age_groups, age=age)["ex"].iloc[0])


def _poisson_boot(d, rng, n_boot):
    return rng.poisson(np.broadcast_to(d, (n_boot, d.size)))


def life_expectancy_gap(target_deaths, target_py, ref_deaths, ref_py, age=0, level=0.95, method="delta",
                        n_boot=1000, seed=0, age_groups=AGE_GROUPS) -> GapResult:
    """Gap in life expectancy at ``age``: e(reference) - e(target), in years, with a CI.

    ``method="delta"``: Chiang's variance of each life expectancy (deaths Poisson, independent groups),
    the two variances added, normal CI. ``method="bootstrap"``: parametric bootstrap, deaths redrawn
    as Poisson(D) in every age group of both tables (person-years fixed), percentile CI; replicates
    without deaths in 95+ are dropped.
    """
    level = _check_level(level)
    dt, pt, need = _prepare(target_deaths, target_py, age_groups, age)
    dr, pr, _ = _prepare(ref_deaths, ref_py, age_groups, age)
    et = float(_table_arrays(dt / pt, need, 1.0)[-1][0])
    er = float(_table_arrays(dr / pr, need, 1.0)[-1][0])
    value = er - et
    z = stats.norm.ppf(0.5 + level / 2)
    if method == "delta":
        se = math.sqrt(_ex_variance(dt, pt, need) + _ex_variance(dr, pr, need))
        return GapResult(value, float(value - z * se), float(value + z * se), level, et, er, se, "delta")
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        bt, br = _poisson_boot(dt, rng, n_boot), _poisson_boot(dr, rng, n_boot)
        ok = (bt[:, -1] > 0) & (br[:, -1] > 0)
        gaps = np.array([_table_arrays(r / pr, need, 1.0)[-1][0] - _table_arrays(t / pt, need, 1.0)[-1][0]
                         for t, r in zip(bt[ok], br[ok])])
        lo, hi = np.quantile(gaps, [(1 - level) / 2, (1 + level) / 2])
        return GapResult(value, float(lo), float(hi), level, et, er, float(gaps.std(ddof=1)), "bootstrap")
    raise InvalidValueError(f"method must be 'delta' or 'bootstrap', got {method!r}",
                            dansk=f"Ukendt metode: {method!r}.")


# =========================================================================== life-years lost


def _hazards(deaths, person_years, age_groups, age, tau):
    """Piecewise-constant hazards over [age, tau): (lengths, hazards, deaths, person-years)."""
    age, tau = float(age), float(tau)
    if not 0 <= age < tau <= TAU:
        raise InvalidValueError(f"need 0 <= age < tau <= {TAU:g}, got age {_fmt(age)}, tau {_fmt(tau)}",
                                dansk=f"Alderen skal ligge mellem 0 og {TAU:g}.")
    d, gi = _by_age(deaths, age_groups, "deaths")
    p, gi2 = _by_age(person_years, age_groups, "person_years")
    if not np.array_equal(gi, gi2):
        raise InvalidValueError("deaths and person_years cover different age groups",
                                dansk="Døde og personår dækker ikke de samme aldersgrupper.")
    starts = AGE_STARTS[:19].astype(float)
    lengths = np.clip(np.minimum(starts + 5, tau) - np.maximum(starts, age), 0, None)
    need = np.flatnonzero(lengths > 0)
    have = dict(zip(gi.tolist(), range(gi.size)))
    lacking = [AGE_GROUPS[i] for i in need if i not in have or p[have[i]] <= 0]
    if lacking:
        raise InvalidValueError(f"life-years lost from age {age:g} to {tau:g} needs person-years in {lacking}",
                                dansk=f"Der mangler personår i aldersgrupperne {', '.join(lacking)}.")
    sel = np.array([have[i] for i in need])
    return lengths[need], d[sel] / p[sel], d[sel], p[sel]


def _restricted_mean(lengths, m) -> float:
    """Integral of S over the piecewise-constant hazard intervals."""
    cum = np.concatenate([[0.0], np.cumsum(m * lengths)[:-1]])
    s0 = np.exp(-cum)
    with np.errstate(divide="ignore", invalid="ignore"):
        piece = np.where(m > 0, (1 - np.exp(-m * lengths)) / np.where(m > 0, m, 1), lengths)
    return float((s0 * piece).sum())


def _rm_gradient(lengths, m) -> np.ndarray:
    """d(restricted mean) / d(m_k), analytic."""
    cum = np.concatenate([[0.0], np.cumsum(m * lengths)[:-1]])
    s0 = np.exp(-cum)
    with np.errstate(divide="ignore", invalid="ignore"):
        piece = np.where(m > 0, (1 - np.exp(-m * lengths)) / np.where(m > 0, m, 1), lengths)
        dpiece = np.where(m > 0, (lengths * m * np.exp(-m * lengths) - (1 - np.exp(-m * lengths))) /
                          np.where(m > 0, m, 1) ** 2, -lengths ** 2 / 2)
    contrib = s0 * piece
    # m_k enters its own piece and multiplies -lengths_k into every later s0
    later = np.concatenate([np.cumsum(contrib[::-1])[::-1][1:], [0.0]])
    return s0 * dpiece - lengths * later


def life_years_lost(deaths, person_years, age=20, tau=TAU, age_groups=AGE_GROUPS) -> float:
    """Life-years lost between ``age`` and ``tau`` (Andersen 2013), all causes, piecewise-constant hazards.

    LYL = integral_age^tau F(t) dt = (tau - age) - integral_age^tau S(t) dt, with S from the age-group
    rates D / PY assumed constant within each 5-year group.
    """
    lengths, m, _, _ = _hazards(deaths, person_years, age_groups, age, tau)
    return float(lengths.sum() - _restricted_mean(lengths, m))


def survival_curve(deaths, person_years, age=0, tau=TAU, step=0.5, age_groups=AGE_GROUPS) -> pd.DataFrame:
    """S(t | alive at ``age``) on a grid from ``age`` to ``tau`` (piecewise-constant hazards).

    Returns columns ``alder`` and ``overlevelse`` (0-1).
    """
    lengths, m, _, _ = _hazards(deaths, person_years, age_groups, age, tau)
    edges = float(age) + np.concatenate([[0.0], np.cumsum(lengths)])
    grid = np.unique(np.r_[np.arange(float(age), float(tau), step), float(tau)])
    k = np.clip(np.searchsorted(edges, grid, side="right") - 1, 0, m.size - 1)
    cum = np.concatenate([[0.0], np.cumsum(m * lengths)])
    surv = np.exp(-(cum[k] + m[k] * (grid - edges[k])))
    return pd.DataFrame({"alder": grid, "overlevelse": surv})


def excess_life_years_lost(target_deaths, target_py, ref_deaths, ref_py, age=20, tau=TAU, level=0.95,
                           method="delta", n_boot=1000, seed=0, age_groups=AGE_GROUPS) -> LYLResult:
    """Excess life-years lost between ``age`` and ``tau``: LYL(target) - LYL(reference).

    Andersen (2013) life-years lost, as in the R package lillies (Plana-Ripoll et al. 2020) but
    from aggregated rates: the hazard is constant within each 5-year group (D / PY of the group), so
    S(t) = exp(-sum m_k * time in group k) and integral S is closed-form. CI: ``method="delta"``
    treats each group's deaths as Poisson, Var(m_k) = D_k / PY_k^2, and propagates with the analytic
    gradient of the restricted mean (target and reference independent); ``method="bootstrap"`` redraws
    the deaths as Poisson(D) (parametric bootstrap) and takes percentiles. Both are CIs for rates; a
    bootstrap over persons (lillies) additionally reflects within-person clustering, which is absent
    with a single death per person.
    """
    level = _check_level(level)
    lt, mt, dt, pt = _hazards(target_deaths, target_py, age_groups, age, tau)
    lr, mr, dr, pr = _hazards(ref_deaths, ref_py, age_groups, age, tau)
    rm_t, rm_r = _restricted_mean(lt, mt), _restricted_mean(lr, mr)
    width = lt.sum()
    lyl_t, lyl_r = width - rm_t, width - rm_r
    value = lyl_t - lyl_r
    z = stats.norm.ppf(0.5 + level / 2)
    if method == "delta":
        var = float((_rm_gradient(lt, mt) ** 2 * dt / pt ** 2).sum() + (_rm_gradient(lr, mr) ** 2 * dr / pr ** 2).sum())
        se = math.sqrt(var)
        lo, hi = value - z * se, value + z * se
    elif method == "bootstrap":
        rng = np.random.default_rng(seed)
        bt, br = _poisson_boot(dt, rng, n_boot), _poisson_boot(dr, rng, n_boot)
        reps = np.array([_restricted_mean(lr, r / pr) - _restricted_mean(lt, t / pt) for t, r in zip(bt, br)])
        lo, hi = (float(v) for v in np.quantile(reps, [(1 - level) / 2, (1 + level) / 2]))
        se = float(reps.std(ddof=1))
    else:
        raise InvalidValueError(f"method must be 'delta' or 'bootstrap', got {method!r}",
                                dansk=f"Ukendt metode: {method!r}.")
    return LYLResult(float(value), float(lo), float(hi), level, float(lyl_t), float(lyl_r), float(se), method,
                     float(age), float(tau), rm_t, rm_r)


def _sum_by_age(table: pd.DataFrame, what: str) -> tuple[pd.Series, pd.Series]:
    py_col = "personaar" if "personaar" in table.columns else "befolkning"
    _require(table, ["aldersgruppe", "doede", py_col], what)
    g = table.groupby("aldersgruppe", observed=True)[["doede", py_col]].sum()
    return g["doede"].astype(float), g[py_col].astype(float)


def _year_weights(ref: pd.DataFrame, tgt: pd.DataFrame, by: list) -> pd.DataFrame:
    """The reference cells (``by``, ``aar``, ``aldersgruppe``, ``doede``, ``P``) with the weight ``w``: the target
    group's person-years in the cell, or, in an age group it never reached, its person-years in the year."""
    keys = [*by, "aar", "aldersgruppe"]
    missing = tgt[tgt["w"] > 0].merge(ref[keys], on=keys, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        raise InvalidValueError(f"the reference lacks {len(missing)} cell(s) with target person-years, e.g. "
                                f"{missing[keys].head(3).to_dict('records')}",
                                dansk="Referencedødeligheden dækker ikke alle år, køn og aldersgrupper i målgruppen.")
    cells = ref.merge(tgt, on=keys, how="left")
    cells["w"] = cells["w"].fillna(0.0)
    # age groups the target group never reached: its person-years per year over all age groups
    per_year = tgt.groupby([*by, "aar"], observed=True)["w"].sum().rename("w_alle").reset_index()
    cells = cells.merge(per_year, on=[*by, "aar"], how="left")
    cells["w_alle"] = cells["w_alle"].fillna(0.0)
    group = [*by, "aldersgruppe"]
    total = cells.groupby(group, observed=True)["w"].transform("sum")
    cells["w"] = np.where(total > 0, cells["w"], cells["w_alle"])
    if (cells.groupby(group, observed=True)["w"].transform("sum") <= 0).any():
        raise InvalidValueError("the target group has no person-years in the reference's years",
                                dansk="Målgruppen har ingen personår i referencens år.")
    return cells


def year_matched_reference(target_table: pd.DataFrame, reference_table: pd.DataFrame, by=("koen",)) -> pd.DataFrame:
    """The population's rates standardised to the target group's person-years by calendar year.

    For each combination of ``by`` and age group *k* (and within sex, when both tables have ``koen``)
    the reference rate is

        m_ref(k) = sum_y PY_t(y, k) * D(y, k) / P(y, k)  /  sum_y PY_t(y, k)

    where ``PY_t`` are the target group's person-years (``target_table``: ``aar``, ``aldersgruppe``,
    ``personaar`` and the ``by`` columns; anything else is summed over) and ``D``/``P`` the
    population's deaths and person-years (``reference_table``: ``aar``, ``aldersgruppe``, ``doede``
    and ``personaar`` or ``befolkning``, e.g. ``doedelighed_land``). That is, it is the rate the
    population would have if it had the target group's spread over calendar years: the expected
    deaths of indirect standardisation over the target group's person-years. Pooling the population
    evenly over the years instead is biased when the target group's person-years are not spread like
    the population's and mortality changes over the years.

    An age group where the target group has no person-years (e.g. 95+) is weighted by the target
    group's person-years per year over all its age groups. Every age group of the reference is
    returned. The sampling variance of the rate, ``sum_y w_y^2 D_y / P_y^2`` with ``w_y`` the
    weights (summing to 1), is carried as effective counts with the same rate and variance:
    ``personaar = rate / var`` and ``doede = rate^2 / var`` (``doede`` 0 and ``personaar`` the
    weighted population where the rate is 0), so the result can go straight into
    :func:`excess_life_years_lost` or :func:`life_expectancy_gap`.

    Returns the ``by`` columns, ``aldersgruppe``, ``rate``, ``doede``, ``personaar`` and
    ``maalgruppe_personaar`` (the target group's person-years, the weights' total), in age order.
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _require(target_table, ["aar", "aldersgruppe", "personaar", *by], "target_table")
    py_col = "personaar" if "personaar" in reference_table.columns else "befolkning"
    _require(reference_table, ["aar", "aldersgruppe", "doede", py_col, *by], "reference_table")
    _nonnegative(target_table["personaar"], "personaar")
    # always within sex when both tables have it (then summed over the sexes if koen is not in by)
    strata = [*by, *(c for c in ("koen",) if c not in by and c in target_table and c in reference_table)]
    keys = [*strata, "aar", "aldersgruppe"]
    ref = reference_table[[*keys, "doede", py_col]].rename(columns={py_col: "P"})
    ref = ref[ref["aar"].isin(target_table["aar"].unique())]
    _nonnegative(ref["doede"], "doede")
    if (_nonnegative(ref["P"], py_col) == 0).any():
        raise InvalidValueError("reference population (befolkning/personaar) has cells with 0",
                                dansk="Referencebefolkningen har celler med 0 personer.")
    tgt = target_table.groupby(keys, observed=True)["personaar"].sum().rename("w").reset_index()
    cells = _year_weights(ref, tgt, strata)
    group = [*by, "aldersgruppe"]
    cells["rate_y"] = cells["doede"] / cells["P"]
    cells["wr"] = cells["w"] * cells["rate_y"]
    cells["wv"] = cells["w"] ** 2 * cells["doede"] / cells["P"] ** 2
    cells["wp"] = cells["w"] * cells["P"]
    g = cells.groupby(group, observed=True)[["w", "wr", "wv", "wp"]].sum()
    out = g.reset_index()
    out["rate"] = out["wr"] / out["w"]
    var = out["wv"] / out["w"] ** 2
    pos = var > 0
    out["personaar"] = np.where(pos, out["rate"] / var.where(pos, 1.0), out["wp"] / out["w"])
    out["doede"] = np.where(pos, out["rate"] ** 2 / var.where(pos, 1.0), 0.0)
    reached = tgt.groupby(group, observed=True)["w"].sum().rename("maalgruppe_personaar").reset_index()
    out = out.merge(reached, on=group, how="left").fillna({"maalgruppe_personaar": 0.0})
    out["_g"] = out["aldersgruppe"].map(_GROUP_INDEX)
    out = out.sort_values([*by, "_g"], kind="stable").reset_index(drop=True)
    return out[[*group, "rate", "doede", "personaar", "maalgruppe_personaar"]]


def excess_life_years_lost_table(target_table: pd.DataFrame, reference_table: pd.DataFrame, by=("koen",),
                                 age=20, tau=TAU, level=0.95, method="delta", year_matched=True,
                                 **kwargs) -> pd.DataFrame:
    """:func:`excess_life_years_lost` for each group of ``by`` (default: per sex).

    Tables have ``aldersgruppe``, ``doede`` and ``personaar`` (the reference may have ``befolkning``
    instead, e.g. ``doedelighed_land``) plus the ``by`` columns; everything else (years, kommuner) is
    summed over. If both tables have ``aar``, the reference is restricted to the target's years and,
    with ``year_matched=True`` (the default), its rates are standardised to the target group's
    person-years by calendar year within each age group (:func:`year_matched_reference`);
    ``year_matched=False`` pools the population's deaths and person-years over those years, which
    is biased when mortality changes over the years and the target group is not spread over them
    like the population. Returns ``by`` columns + ``lyl_maalgruppe``, ``lyl_befolkning``,
    ``overskydende_lyl``, ``nedre``, ``oevre``.
    """
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    ref = reference_table
    has_years = "aar" in target_table.columns and "aar" in ref.columns
    if has_years:
        ref = ref[ref["aar"].isin(target_table["aar"].unique())]
    if has_years and year_matched:
        ref = year_matched_reference(target_table, ref, by=by)
    groups = [()] if not by else sorted(target_table[by].drop_duplicates().itertuples(index=False, name=None))
    rows = []
    for key in groups:
        t, r = target_table, ref
        for col, v in zip(by, key):
            t, r = t[t[col] == v], r[r[col] == v]
        td, tp = _sum_by_age(t, "target_table")
        rd, rp = _sum_by_age(r, "reference_table")
        res = excess_life_years_lost(td, tp, rd, rp, age=age, tau=tau, level=level, method=method, **kwargs)
        rows.append({**dict(zip(by, key)), "lyl_maalgruppe": res.target, "lyl_befolkning": res.reference,
                     "overskydende_lyl": res.value, "nedre": res.lower, "oevre": res.upper})
    return pd.DataFrame(rows)


# =========================================================================== funnel plots


def _level_label(level: float) -> str:
    """0.95 -> '95', 0.998 -> '998' (column suffixes)."""
    return f"{level * 100:g}".replace(".", "")


def _poisson_limit(p: float, mu: np.ndarray) -> np.ndarray:
    """Spiegelhalter (2005) interpolated exact Poisson quantile (a continuous count)."""
    r = stats.poisson.ppf(p, mu)
    f_r = stats.poisson.cdf(r, mu)
    f_r1 = stats.poisson.cdf(r - 1, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(f_r > f_r1, (f_r - p) / (f_r - f_r1), 0.0)
    return np.maximum(r - alpha, 0.0)


def funnel_limits(expected, target=1.0, levels=(0.95, 0.998)) -> pd.DataFrame:
    """Control limits of observed/expected around ``target`` for a funnel plot.

    Under the null the observed count is Poisson(target x E); the limits are its exact quantiles at
    (1 -/+ level)/2, interpolated between integers as in Spiegelhalter (2005), divided by E.
    Returns ``forventede`` and ``nedre_<l>``/``oevre_<l>`` per level (0.95 -> ``95``, 0.998 -> ``998``).
    """
    e = _floats(expected, "expected").ravel()
    if (e <= 0).any():
        raise InvalidValueError("expected must be > 0", dansk="Det forventede antal døde skal være større end 0.")
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or not float(target) > 0:
        raise InvalidValueError(f"target must be a number > 0, got {_fmt(target)}",
                                dansk="Målværdien skal være over 0.")
    out = {"forventede": e}
    for level in levels:
        level = _check_level(level)
        mu = float(target) * e
        out[f"nedre_{_level_label(level)}"] = _poisson_limit((1 - level) / 2, mu) / e
        out[f"oevre_{_level_label(level)}"] = _poisson_limit((1 + level) / 2, mu) / e
    return pd.DataFrame(out)


def funnel_data(observed_by_unit, expected_by_unit, target=1.0, levels=(0.95, 0.998), level=0.95) -> pd.DataFrame:
    """Each unit's SMR, its exact CI and whether it lies outside the funnel limits.

    ``observed_by_unit`` and ``expected_by_unit`` are Series (or mappings) indexed by unit, e.g.
    ``kommune_kode``, with the same units. Returns one row per unit (index kept as a column named
    after the index, default ``enhed``) with ``doede``, ``forventede``, ``smr``, ``nedre``, ``oevre``
    (CI at ``level``), the limits of :func:`funnel_limits` and ``uden_for_<l>`` per level:
    ``"over"``, ``"under"`` or ``""``.
    """
    obs = pd.Series(observed_by_unit) if not isinstance(observed_by_unit, pd.Series) else observed_by_unit
    exp = pd.Series(expected_by_unit) if not isinstance(expected_by_unit, pd.Series) else expected_by_unit
    if set(obs.index) != set(exp.index) or obs.index.has_duplicates or exp.index.has_duplicates:
        raise InvalidValueError("observed and expected must have the same, unique units",
                                dansk="Observerede og forventede dækker ikke de samme enheder.")
    name = obs.index.name or "enhed"
    exp = exp.reindex(obs.index)
    res = smr(obs.to_numpy(float), exp.to_numpy(float), level=level)
    lim = funnel_limits(exp.to_numpy(float), target=target, levels=levels)
    out = pd.DataFrame({name: obs.index.to_numpy(), "doede": obs.to_numpy(), "forventede": exp.to_numpy(float),
                        "smr": res.value, "nedre": res.lower, "oevre": res.upper})
    for lv in levels:
        lab = _level_label(float(lv))
        lo, hi = lim[f"nedre_{lab}"].to_numpy(), lim[f"oevre_{lab}"].to_numpy()
        out[f"nedre_{lab}"], out[f"oevre_{lab}"] = lo, hi
        out[f"uden_for_{lab}"] = np.where(res.value > hi, "over", np.where(res.value < lo, "under", ""))
    return out
