"""Small, explicit table schemas: column types, allowed values, ranges and a unique key.

This is the contract both the raw sources (the register extract) and the
datasets are checked against. A schema both coerces (e.g. codes to 3-character strings, counts to int64) and
checks. Problems are collected and raised together in one :class:`SchemaError`
that names the column, the rule and the first offending rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import SchemaError

DTYPES = ("str", "int", "float", "bool", "date")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    beskrivelse: str = ""
    nullable: bool = False
    allowed: tuple | None = None
    min: float | None = None
    max: float | None = None
    width: int | None = None  # zero-padded code width for "str" code columns

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"Ukendt datatype {self.dtype!r} for kolonnen {self.name!r}; gyldige: {DTYPES}")


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sort_values: dict[str, Sequence] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def describe(self) -> pd.DataFrame:
        """The schema as a table (for docs and the catalog)."""
        return pd.DataFrame(
            {
                "kolonne": [c.name for c in self.columns],
                "type": [c.dtype for c in self.columns],
                "beskrivelse": [c.beskrivelse for c in self.columns],
                "noegle": [c.name in self.key for c in self.columns],
            }
        )

    def validate(self, df: pd.DataFrame, name: str = "table") -> pd.DataFrame:
        """Coerce ``df`` to the schema, check it, and return it sorted by the key."""
        problems: list[tuple[str, str]] = []  # (English, Danish)
        missing = [c for c in self.names if c not in df.columns]
        if missing:
            raise SchemaError(
                f"{name}: missing column(s) {missing}; expected columns {self.names}, got {list(df.columns)}",
                dansk=f"{name}: mangler kolonne(r) {', '.join(missing)}",
            )
        out = pd.DataFrame(index=df.index)
        for col in self.columns:
            try:
                out[col.name] = _coerce(df[col.name], col)
            except (ValueError, TypeError) as exc:
                bad = _first_bad_rows(df[col.name], col)
                problems.append((f"column {col.name!r} is not of type {col.dtype} ({exc}); first offending rows: {bad}",
                                 f"kolonnen {col.name} er ikke af typen {col.dtype} ({exc}); første rækker med fejl: "
                                 f"{bad}"))
                out[col.name] = df[col.name]
        if not problems:
            for col in self.columns:
                problems.extend(_check(out[col.name], col))
            dup = out.duplicated(list(self.key), keep=False)
            if dup.any():
                rows = out.loc[dup, list(self.key)].head(5).to_dict("records")
                n = int(dup.sum())
                problems.append((f"key {list(self.key)} is not unique ({n} rows); first duplicates: {rows}",
                                 f"nøglen {', '.join(self.key)} er ikke entydig ({n} rækker); "
                                 f"første dubletter: {rows}"))
        if problems:
            raise SchemaError(f"{name} does not match its schema:\n  - " + "\n  - ".join(en for en, _ in problems),
                              dansk=f"Data i {name} har fejl: " + "; ".join(da for _, da in problems))
        return self.sort(out)

    def sort(self, df: pd.DataFrame) -> pd.DataFrame:
        """Sort by the key; columns with a declared order use that order."""
        keys = []
        frame = df
        for k in self.key:
            if k in self.sort_values:
                order = {v: i for i, v in enumerate(self.sort_values[k])}
                frame = frame.assign(**{f"__ord_{k}": frame[k].map(order)})
                keys.append(f"__ord_{k}")
            else:
                keys.append(k)
        frame = frame.sort_values(keys, kind="mergesort").reset_index(drop=True)
        return frame.drop(columns=[k for k in keys if k.startswith("__ord_")])


def _coerce(s: pd.Series, col: Column) -> pd.Series:
    if col.dtype == "str":
        if col.width:
            if pd.api.types.is_numeric_dtype(s):
                if s.isna().any() and not col.nullable:
                    raise ValueError("manglende værdier")
                s = s.map(lambda v: pd.NA if pd.isna(v) else str(int(v)))
            return s.astype("string").str.strip().str.zfill(col.width)
        return s.astype("string")
    if col.dtype == "int":
        num = pd.to_numeric(s, errors="raise")
        if col.nullable:
            return num.astype("Int64")
        if num.isna().any():
            raise ValueError("manglende værdier")
        if not np.all(np.equal(np.mod(num, 1), 0)):
            raise ValueError("værdier, der ikke er hele tal")
        return num.astype("int64")
    if col.dtype == "float":
        return pd.to_numeric(s, errors="raise").astype("float64")
    if col.dtype == "bool":
        if s.dtype == bool:
            return s
        raise ValueError("ikke sand/falsk-værdier")
    if col.dtype == "date":
        return pd.to_datetime(s, errors="raise").astype("datetime64[ns]")
    raise AssertionError(col.dtype)


def _first_bad_rows(s: pd.Series, col: Column, n: int = 5) -> list:
    if col.dtype in ("int", "float"):
        bad = pd.to_numeric(s, errors="coerce").isna() & s.notna()
    elif col.dtype == "date":
        bad = pd.to_datetime(s, errors="coerce").isna() & s.notna()
    else:
        bad = s.isna()
    return [(int(i) if isinstance(i, (int, np.integer)) else i, s.loc[i]) for i in s.index[bad][:n]]


def _check(s: pd.Series, col: Column) -> list[tuple[str, str]]:
    """The column's problems, each as (English, Danish)."""
    problems = []
    c = col.name
    if not col.nullable and s.isna().any():
        rows, n = list(s.index[s.isna()][:5]), int(s.isna().sum())
        problems.append((f"column {c!r} has {n} missing value(s); first rows: {rows}",
                         f"kolonnen {c} mangler {n} værdi(er); første rækker: {rows}"))
    present = s.dropna()
    if col.allowed is not None:
        bad = ~present.isin(col.allowed)
        if bad.any():
            vals = sorted(set(map(str, present[bad].unique())))[:5]
            allowed = list(col.allowed)[:12]
            problems.append((f"column {c!r} has values outside {allowed}: {vals}",
                             f"kolonnen {c} har værdier uden for {allowed}: {vals}"))
    if col.min is not None:
        bad = present < col.min
        if bad.any():
            vals = present[bad].head(5).tolist()
            problems.append((f"column {c!r} has values below {col.min}: {vals}",
                             f"kolonnen {c} har værdier under {col.min}: {vals}"))
    if col.max is not None:
        bad = present > col.max
        if bad.any():
            vals = present[bad].head(5).tolist()
            problems.append((f"column {c!r} has values above {col.max}: {vals}",
                             f"kolonnen {c} har værdier over {col.max}: {vals}"))
    if col.width is not None:
        bad = present.str.len() != col.width
        if bad.any():
            vals = present[bad].head(5).tolist()
            problems.append((f"column {c!r} must be {col.width}-character codes: {vals}",
                             f"kolonnen {c} skal have koder på {col.width} tegn: {vals}"))
    return problems
