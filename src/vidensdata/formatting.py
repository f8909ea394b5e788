"""Danish number, date and source formatting for everything a stakeholder sees.

All numbers go through Babel with locale ``da_DK`` (thousands ``.``, decimal
``,``, minus ``-`` as CLDR gives it for Danish); nothing here swaps characters in
English-formatted strings.

Conventions
-----------
* Missing values (``None``, ``NaN``, ``pd.NA``, ``NaT``) are shown as ``"–"``
  (:data:`MISSING`, an en dash).
* Rounding is Babel's: *round half to even* on the value's shortest decimal
  representation (``2.25 -> "2,2"``, ``2.35 -> "2,4"``, ``2.5 -> "2"``,
  ``1234.5 -> "1.234"``). A value that rounds to zero is shown without sign
  (``-0.04 -> "0,0"``, never ``"-0,0"``).
* Percent: the value is already in percent; a plain space (U+0020) separates
  the number and ``%`` (``"12,5 %"``), as in Danish typesetting.
* Infinite values are a programming error (e.g. a rate with a zero
  denominator) and raise :class:`~vidensdata.errors.InvalidValueError`.
* Suppressed counts (see :mod:`vidensdata.disclosure`) are shown as
  :data:`SUPPRESSED` (``"<5"``; :data:`vidensdata.vocabulary.PRIMAER`).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import numbers
import re
from collections.abc import Iterable, Mapping

import pandas as pd
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal

from .errors import InvalidValueError, UnknownColumnError
from .vocabulary import PRIMAER as SUPPRESSED

LOCALE = "da_DK"
MISSING = "–"  # en dash, U+2013
SYNTHETIC_NOTE = "Syntetiske data (demo)."

__all__ = [
    "LOCALE", "MISSING", "SUPPRESSED", "SYNTHETIC_NOTE",
    "fmt_int", "fmt_dec", "fmt_pct", "fmt_signed_pct", "fmt_interval", "fmt_count",
    "fmt_date", "source_line", "table_to_danish", "is_missing",
]


# ---------------------------------------------------------------- helpers

def is_missing(x: object) -> bool:
    """True for ``None``, ``NaN``, ``pd.NA`` and ``NaT`` (scalars only)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(pd.isna(x)) if not isinstance(x, (str, bytes)) else False
    except (TypeError, ValueError):  # array-likes are not missing scalars
        return False


def _to_decimal(x: object, what: str) -> decimal.Decimal:
    """The number as a Decimal (floats via their shortest repr, like Babel does)."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Number, decimal.Decimal)):
        raise InvalidValueError(
            f"{what}: expected a number, got {x!r} ({type(x).__name__})",
            dansk=f"Kan ikke vise {x!r} som et tal.",
        )
    if isinstance(x, decimal.Decimal):
        d = x
    elif isinstance(x, numbers.Integral):
        d = decimal.Decimal(int(x))
    else:
        f = float(x)  # numpy floats, fractions, ...
        if math.isinf(f):
            raise InvalidValueError(
                f"{what}: cannot format an infinite value ({x!r}); check for division by zero",
                dansk="Et tal er uendeligt (division med nul) og kan ikke vises.",
            )
        d = decimal.Decimal(repr(f))
    if not d.is_finite():
        raise InvalidValueError(f"{what}: cannot format {x!r}", dansk=f"Kan ikke vise {x!r} som et tal.")
    return d


def _check_decimals(decimals: int) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or not 0 <= decimals <= 10:
        raise InvalidValueError(
            f"decimals must be a whole number 0..10, got {decimals!r}",
            dansk=f"Antal decimaler skal være et helt tal fra 0 til 10, ikke {decimals!r}.",
        )
    return int(decimals)


def _pattern(decimals: int, signed: bool = False) -> str:
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f"+{body};-{body}" if signed else body


def _number(x: object, decimals: int, what: str, signed: bool = False) -> str:
    """Babel-formatted ``x`` with exactly ``decimals`` decimals (no sign on a rounded zero)."""
    d = _to_decimal(x, what)
    step = decimal.Decimal(1).scaleb(-decimals)
    if d.quantize(step, rounding=decimal.ROUND_HALF_EVEN).is_zero():
        d, signed = abs(d), False  # "0,0", not "-0,0" or "+0,0"
    return _babel_decimal(d, format=_pattern(decimals, signed), locale=LOCALE)


# ---------------------------------------------------------------- numbers

def fmt_int(x) -> str:
    """A whole number with thousands dots: ``1234 -> "1.234"``; missing -> ``"–"``."""
    if is_missing(x):
        return MISSING
    return _number(x, 0, "fmt_int")


def fmt_dec(x, decimals: int = 1) -> str:
    """Exactly ``decimals`` decimals: ``1234.56 -> "1.234,6"``; missing -> ``"–"``."""
    decimals = _check_decimals(decimals)
    if is_missing(x):
        return MISSING
    return _number(x, decimals, "fmt_dec")


def fmt_pct(x, decimals: int = 1) -> str:
    """A value already in percent: ``12.5 -> "12,5 %"`` (plain space before ``%``)."""
    decimals = _check_decimals(decimals)
    if is_missing(x):
        return MISSING
    return f"{_number(x, decimals, 'fmt_pct')} %"


def fmt_signed_pct(x, decimals: int = 1) -> str:
    """A change in percent with explicit sign: ``"+12,5 %"``, ``"-3,0 %"``; zero is ``"0,0 %"``."""
    decimals = _check_decimals(decimals)
    if is_missing(x):
        return MISSING
    return f"{_number(x, decimals, 'fmt_signed_pct', signed=True)} %"


def fmt_interval(value, lower, upper, decimals: int = 1, pct: bool = False) -> str:
    """An estimate with its interval: ``"2,2 (1,9–2,5)"``; ``pct=True``: ``"2,2 % (1,9–2,5 %)"``.

    A missing ``value`` gives ``"–"``; a missing bound drops the interval.
    """
    decimals = _check_decimals(decimals)
    if is_missing(value):
        return MISSING
    unit = " %" if pct else ""
    head = f"{_number(value, decimals, 'fmt_interval')}{unit}"
    if is_missing(lower) or is_missing(upper):
        return head
    lo = _number(lower, decimals, "fmt_interval")
    hi = _number(upper, decimals, "fmt_interval")
    return f"{head} ({lo}–{hi}{unit})"


def fmt_count(x, suppressed: bool = False) -> str:
    """A count of persons: like :func:`fmt_int`, but ``"<5"`` for a suppressed cell.

    A cell is suppressed when ``suppressed`` is true, when ``x`` already is the
    marker :data:`SUPPRESSED`, or when ``x`` is ``pd.NA`` (the suppression
    functions in :mod:`vidensdata.disclosure` mark cells as ``<NA>`` in nullable
    ``Int64`` columns). ``None``/``NaN`` are missing (``"–"``). The function does
    not apply the disclosure rule itself.
    """
    if suppressed or x is pd.NA or (isinstance(x, str) and x.strip() == SUPPRESSED):
        return SUPPRESSED
    return fmt_int(x)


# ---------------------------------------------------------------- dates and sources

def fmt_date(d) -> str:
    """A Danish long date: ``date(2026, 11, 22) -> "22. november 2026"``; missing -> ``"–"``."""
    if is_missing(d):
        return MISSING
    if isinstance(d, pd.Timestamp):
        d = d.to_pydatetime()
    if isinstance(d, _dt.datetime):
        d = d.date()
    if not isinstance(d, _dt.date):
        raise InvalidValueError(f"fmt_date: expected a date, got {d!r}", dansk=f"{d!r} er ikke en dato.")
    return _babel_date(d, format="long", locale=LOCALE)


def source_line(kilde: str | Iterable[str], synthetic: bool = False) -> str:
    """The source line under every table and figure.

    ``"Danmarks Statistik (FOLK1A)" -> "Kilde: Danmarks Statistik (FOLK1A)."``;
    several sources are joined by ``"; "`` (duplicates dropped, order kept);
    ``synthetic=True`` appends ``" Syntetiske data (demo)."``.
    """
    items = [kilde] if isinstance(kilde, str) else list(kilde)
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidValueError(f"source_line: a source must be text, got {item!r}",
                                    dansk=f"En kilde skal være tekst, ikke {item!r}.")
        name = item.strip().rstrip(".").strip()
        if name and name not in names:
            names.append(name)
    if not names:
        raise InvalidValueError("source_line: at least one non-empty source is required",
                                dansk="Der skal angives mindst én kilde.")
    text = f"Kilde: {'; '.join(names)}."
    return f"{text} {SYNTHETIC_NOTE}" if synthetic else text


# ---------------------------------------------------------------- tables

_SPEC = re.compile(r"^(int|count|dec(\d)|pct(\d)|signed_pct(\d))$")


def _formatter(spec: str):
    m = _SPEC.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise InvalidValueError(
            f"unknown format {spec!r}; use 'int', 'count', 'decN', 'pctN' or 'signed_pctN' (N = decimals)",
            dansk=f"Ukendt talformat: {spec!r}.",
        )
    kind = m.group(1)
    if kind == "int":
        return fmt_int
    if kind == "count":
        return fmt_count
    if m.group(2) is not None:
        n = int(m.group(2))
        return lambda x: fmt_dec(x, n)
    if m.group(3) is not None:
        n = int(m.group(3))
        return lambda x: fmt_pct(x, n)
    n = int(m.group(4))
    return lambda x: fmt_signed_pct(x, n)


def table_to_danish(df: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """A copy of ``df`` as Danish display strings.

    ``formats`` maps a column to a spec: ``"int"``, ``"count"`` (:func:`fmt_count`:
    ``"<5"``/``pd.NA`` -> ``"<5"``), ``"decN"`` (e.g. ``"dec1"``, ``"dec2"``),
    ``"pctN"`` (e.g. ``"pct1"``) or ``"signed_pctN"``. Other columns are kept as
    text (missing values as ``"–"``). The index is kept.
    """
    missing = [c for c in formats if c not in df.columns]
    if missing:
        raise UnknownColumnError(
            f"table_to_danish: no column(s) {missing}; the table has {list(df.columns)}",
            dansk=f"Tabellen har ikke kolonnen/kolonnerne {', '.join(map(str, missing))}.",
        )
    funcs = {c: _formatter(spec) for c, spec in formats.items()}
    columns = []
    for i, col in enumerate(df.columns):
        func = funcs.get(col)
        values = df.iloc[:, i].tolist()
        if func is None:
            columns.append([MISSING if is_missing(v) else str(v) for v in values])
        else:
            columns.append([func(v) for v in values])
    out = pd.DataFrame(dict(enumerate(columns)), index=df.index, dtype=object)
    out.columns = df.columns
    return out
