"""Helpers shared by the theme modules: parameter validation and the suppression pattern."""

from __future__ import annotations

import html
import sys

import pandas as pd

from .. import disclosure, geography
from ..errors import InvalidValueError, InvalidYearsError, ParameterError
from ..memo import Memo
from ..storage import cached_tables, code_fingerprint, fingerprint


def as_year(value, name: str) -> int:
    """A year given as int (or a whole-number string/float); anything else is a ParameterError."""
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a year (whole number), got {value!r}",
                             dansk=f"{name} skal være et årstal, ikke {value!r}.")
    try:
        year = int(value)
        if float(value) != year:
            raise ValueError
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a year (whole number), got {value!r}",
                             dansk=f"{name} skal være et årstal, ikke {value!r}.") from None
    return year


def check_years(startaar, slutaar, first: int, last: int, min_span: int = 0) -> tuple[int, int]:
    """Validate a year range against the data's coverage ``first``..``last``."""
    start, end = as_year(startaar, "startaar"), as_year(slutaar, "slutaar")
    if start > end:
        raise InvalidYearsError(
            f"startaar {start} is after slutaar {end}; choose startaar <= slutaar",
            dansk=f"Startåret ({start}) ligger efter slutåret ({end}).",
        )
    if start < first or end > last:
        raise InvalidYearsError(
            f"years {start}-{end} are outside the data, which cover {first}-{last}",
            dansk=f"Årene {start}–{end} ligger uden for data, som dækker {first}–{last}.",
        )
    if end - start < min_span:
        raise InvalidYearsError(
            f"the period {start}-{end} is too short: at least {min_span + 1} years are needed",
            dansk=f"Perioden {start}–{end} er for kort; vælg mindst {min_span + 1} år.",
        )
    return start, end


def normalise_choice(values, valid: dict[str, str], name: str, alle: str | None = None) -> tuple[str, ...]:
    """Codes from ``values`` (code, label, or list), in the order of ``valid``; ``None``/``"alle"`` means all."""
    if values is None or (isinstance(values, str) and alle and values.strip().lower() == alle):
        return tuple(valid)
    items = [values] if isinstance(values, (str, int)) else list(values)
    if not items:
        raise InvalidValueError(f"{name}: choose at least one of {', '.join(valid)}",
                                dansk=f"Vælg mindst én værdi for {name}.")
    lookup = {}
    for code, label in valid.items():
        for key in (code, label, code.replace("§", ""), code.replace("§", "§ ")):
            lookup[str(key).strip().lower()] = code
    chosen = []
    for item in items:
        code = lookup.get(str(item).strip().lower())
        if code is None:
            from ..errors import suggestion

            raise InvalidValueError(
                f"unknown {name} {item!r}; valid values: {', '.join(valid)}{suggestion(item, list(valid))}",
                dansk=f"Ukendt værdi for {name}: {item!r}. Gyldige: {', '.join(valid)}.",
            )
        chosen.append(code)
    return tuple(c for c in valid if c in chosen)


def geography_table(kommune_df: pd.DataFrame, value_cols: list[str], by: list[str]) -> pd.DataFrame:
    """Add region and national rows to a kommune table (summing ``value_cols`` over kommuner).

    Returns long rows with ``niveau`` (kommune/region/land) and ``kode``.
    """
    k = kommune_df.copy()
    reg = {g.kode: g.region_kode for g in geography.kommuner()}
    k["region_kode"] = k["kommune_kode"].map(reg)
    kom = k.assign(niveau="kommune", kode=k["kommune_kode"])
    regi = k.groupby(["region_kode", *by], as_index=False)[value_cols].sum()
    regi = regi.assign(niveau="region", kode=regi["region_kode"])
    land = k.groupby(by, as_index=False)[value_cols].sum().assign(niveau="land", kode=geography.LAND_KODE,
                                                                    region_kode=None)
    cols = ["niveau", "kode", "region_kode", *by, *value_cols]
    return pd.concat([kom[cols], regi[cols], land[cols]], ignore_index=True)


#: Suppression patterns in memory, keyed on the data version and the grouping.
_MOENSTRE: Memo[pd.DataFrame] = Memo("temaer.moenstre", stoerrelse=8)


def suppression_pattern(frame: pd.DataFrame, by: tuple[str, ...], key: str) -> pd.DataFrame:
    """Primary and secondary suppression of a kommune-level count table over the geography hierarchy.

    ``frame`` has ``kommune_kode``, the ``by`` columns and ``antal``. Returns rows for
    every kommune, region and the country (``niveau``, ``kode``) with ``antal``
    (nullable, <NA> where suppressed) and ``antal_undertrykt``. Computed once per
    data version ``key`` (in memory, and on disk keyed also on the code that suppresses).
    """
    def build():
        table = geography_table(frame, ["antal"], list(by))
        out = disclosure.suppress_geography(table, "antal", by=list(by))  # antal_primaer: the cells shown <5
        return {"moenster": out}

    def read():
        # the pattern is the same for every report on the same data: computed once, then read from the cache
        code = code_fingerprint(disclosure, sys.modules[__name__])
        return cached_tables("diskretionering", fingerprint(key, list(by), code), build)[0]["moenster"]

    return _MOENSTRE.hent((key, tuple(by)), read)


def geografi_metadata(valg) -> str | list[str]:
    """The area of a theme's choice (``valg.omraade``) for the published tables' metadata:
    a single geography code, or the list of the parts' codes."""
    omr = valg.omraade
    return omr.enkelt.kode if omr.enkelt is not None else [d.kode for d in omr.dele]


def resume_html(titel: str, noegletal: list[tuple[str, str, str]], noter: list[str]) -> str:
    """A result's readable Danish summary in a notebook: its key figures as shown, then notes and source.

    ``noegletal`` holds ``(testid, label, value as shown)``, the same figures the reports and apps show.
    """
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                   f"<td style='text-align:right'>{html.escape(value)}</td></tr>" for _, label, value in noegletal)
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in noter if n)
    return f"<div><p><b>{html.escape(titel)}</b></p><table>{rows}</table>{notes}</div>"


def resume_tekst(titel: str, noegletal: list[tuple[str, str, str]], noter: list[str]) -> str:
    """The same summary as :func:`resume_html`, as plain Danish text (a theme result's ``summary()``)."""
    width = max((len(label) for _, label, _ in noegletal), default=0)
    lines = [titel, "=" * len(titel), *(f"{label:<{width}}  {value}" for _, label, value in noegletal)]
    return "\n".join([*lines, "", *(n for n in noter if n)]).rstrip()


class Resume:
    """A theme result that explains itself: ``_repr_html_`` in a notebook and ``summary()`` as text,
    both from the result's ``_resume()``: ``(titel, noegletal, noter)`` as :func:`resume_html` takes them."""

    def _resume(self) -> tuple[str, list, list]:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return resume_html(*self._resume())

    def summary(self) -> str:
        return resume_tekst(*self._resume())
