"""Danish number, date and source formatting (exact strings, as Babel gives them for da_DK)."""

from __future__ import annotations

import datetime as dt
import decimal
import math

import numpy as np
import pandas as pd
import pytest

from vidensdata.errors import InvalidValueError, UnknownColumnError, VidensdataError
from vidensdata import formatting as f

EN_DASH = "\u2013"


@pytest.mark.parametrize(("x", "expected"), [
    (0, "0"),
    (7, "7"),
    (1234, "1.234"),
    (1234567, "1.234.567"),
    (-1234, "-1.234"),
    (np.int64(98765), "98.765"),
    (1234.0, "1.234"),
    # Babel rounds half to even
    (0.5, "0"),
    (1.5, "2"),
    (2.5, "2"),
    (1234.5, "1.234"),
    (1235.5, "1.236"),
    (-0.4, "0"),  # no "-0"
])
def test_fmt_int(x, expected):
    assert f.fmt_int(x) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, np.float64("nan")])
def test_missing_values_are_an_en_dash(missing):
    assert f.MISSING == EN_DASH
    assert f.fmt_int(missing) == EN_DASH
    assert f.fmt_dec(missing) == EN_DASH
    assert f.fmt_pct(missing) == EN_DASH
    assert f.fmt_signed_pct(missing) == EN_DASH
    assert f.fmt_interval(missing, 1, 2) == EN_DASH


@pytest.mark.parametrize(("x", "decimals", "expected"), [
    (12.5, 1, "12,5"),
    (1234.56, 1, "1.234,6"),
    (1234.56, 2, "1.234,56"),
    (1234.56, 0, "1.235"),
    (3, 1, "3,0"),
    (3, 3, "3,000"),
    (-3, 1, "-3,0"),
    (-1234.5, 2, "-1.234,50"),
    (0.05, 2, "0,05"),
    (1e-9, 1, "0,0"),
    (-0.04, 1, "0,0"),
    (-0.0, 1, "0,0"),
    # half to even on the shortest decimal representation of the float
    (2.25, 1, "2,2"),
    (2.35, 1, "2,4"),
    (2.45, 1, "2,4"),
    (0.15, 1, "0,2"),
    (2.675, 2, "2,68"),
    (decimal.Decimal("2.25"), 1, "2,2"),
    (np.float32(0.5), 1, "0,5"),
])
def test_fmt_dec(x, decimals, expected):
    assert f.fmt_dec(x, decimals) == expected


def test_fmt_dec_default_is_one_decimal():
    assert f.fmt_dec(2) == "2,0"


@pytest.mark.parametrize(("x", "decimals", "expected"), [
    (12.5, 1, "12,5 %"),
    (100, 1, "100,0 %"),
    (-3, 1, "-3,0 %"),
    (1234.5, 2, "1.234,50 %"),
    (33.333, 0, "33 %"),
    (2.25, 1, "2,2 %"),
])
def test_fmt_pct(x, decimals, expected):
    out = f.fmt_pct(x, decimals)
    assert out == expected
    assert out[-2:] == " %" and out[-2] == "\u0020"  # plain space, not a no-break space


@pytest.mark.parametrize(("x", "expected"), [
    (12.5, "+12,5 %"),
    (-3, "-3,0 %"),
    (0, "0,0 %"),
    (0.04, "0,0 %"),
    (-0.04, "0,0 %"),
    (0.05, "0,0 %"),  # half to even
    (0.051, "+0,1 %"),
    (1234.56, "+1.234,6 %"),
])
def test_fmt_signed_pct(x, expected):
    assert f.fmt_signed_pct(x) == expected


def test_fmt_signed_pct_decimals():
    assert f.fmt_signed_pct(-2.345, 2) == "-2,34 %"
    assert f.fmt_signed_pct(7, 0) == "+7 %"


def test_fmt_interval():
    assert f.fmt_interval(2.2, 1.9, 2.5) == "2,2 (1,9\u20132,5)"
    assert f.fmt_interval(2.2, 1.9, 2.5, pct=True) == "2,2 % (1,9\u20132,5 %)"
    assert f.fmt_interval(-1.25, -3.5, 1000.04, decimals=2) == "-1,25 (-3,50\u20131.000,04)"
    assert f.fmt_interval(1234, 1000, 1500, decimals=0) == "1.234 (1.000\u20131.500)"
    # a missing bound drops the interval
    assert f.fmt_interval(2.2, None, 2.5) == "2,2"
    assert f.fmt_interval(2.2, 1.9, float("nan"), pct=True) == "2,2 %"


def test_fmt_count():
    assert f.SUPPRESSED == "<5"
    assert f.fmt_count(1234) == "1.234"
    assert f.fmt_count(0) == "0"
    assert f.fmt_count(17, suppressed=True) == "<5"
    assert f.fmt_count("<5") == "<5"
    assert f.fmt_count(pd.NA) == "<5"  # suppressed cells are <NA> in Int64 columns
    assert f.fmt_count(None) == EN_DASH
    assert f.fmt_count(float("nan")) == EN_DASH


def test_fmt_date():
    assert f.fmt_date(dt.date(2026, 11, 22)) == "22. november 2026"
    assert f.fmt_date(dt.date(2026, 1, 2)) == "2. januar 2026"
    assert f.fmt_date(dt.datetime(2020, 2, 29, 23, 59)) == "29. februar 2020"
    assert f.fmt_date(pd.Timestamp("2024-05-01")) == "1. maj 2024"
    assert f.fmt_date(None) == EN_DASH
    assert f.fmt_date(pd.NaT) == EN_DASH
    with pytest.raises(InvalidValueError):
        f.fmt_date("2026-11-22")


def test_source_line():
    assert f.source_line("Danmarks Statistik (FOLK1A)") == "Kilde: Danmarks Statistik (FOLK1A)."
    assert f.source_line(["Danmarks Statistik (FOLK1A)", "Socialstyrelsen"]) == \
        "Kilde: Danmarks Statistik (FOLK1A); Socialstyrelsen."
    # a trailing period is not doubled, duplicates are dropped
    assert f.source_line(["A.", "B", "A"]) == "Kilde: A; B."
    assert f.source_line("Syntetisk registerudtræk (vidensdata)", synthetic=True) == \
        "Kilde: Syntetisk registerudtræk (vidensdata). Syntetiske data (demo)."
    assert f.source_line(("A", "B"), synthetic=True) == "Kilde: A; B. Syntetiske data (demo)."


@pytest.mark.parametrize("bad", [[], "", ["  "], [None]])
def test_source_line_needs_a_source(bad):
    with pytest.raises(InvalidValueError):
        f.source_line(bad)


@pytest.mark.parametrize("bad", ["12", True, [1], object()])
def test_non_numbers_are_rejected(bad):
    with pytest.raises(InvalidValueError) as info:
        f.fmt_dec(bad)
    assert isinstance(info.value, VidensdataError)
    assert info.value.dansk  # a Danish message for stakeholders


def test_infinity_and_bad_decimals_are_rejected():
    with pytest.raises(InvalidValueError):
        f.fmt_int(math.inf)
    with pytest.raises(InvalidValueError):
        f.fmt_pct(-np.inf)
    for bad in (-1, 1.5, "2", 11):
        with pytest.raises(InvalidValueError):
            f.fmt_dec(1, bad)


def test_table_to_danish():
    df = pd.DataFrame({
        "Område": ["Hele landet", "Region Nordjylland", None],
        "antal": pd.array([123456, None, 0], dtype="Int64"),
        "andel": [12.25, 3.0, float("nan")],
        "rate": [1234.567, 0.004, -1.5],
        "n": [1000, 5, 7],
        "tekst": pd.Series(["<5", 12, 0], dtype=object, index=[10, 11, 12]),
    }, index=[10, 11, 12])
    out = f.table_to_danish(df, {"antal": "count", "andel": "pct1", "rate": "dec2", "n": "int",
                                 "tekst": "count"})
    assert list(out.columns) == list(df.columns)
    assert list(out.index) == [10, 11, 12]
    assert out["Område"].tolist() == ["Hele landet", "Region Nordjylland", EN_DASH]
    assert out["antal"].tolist() == ["123.456", "<5", "0"]
    assert out["andel"].tolist() == ["12,2 %", "3,0 %", EN_DASH]
    assert out["rate"].tolist() == ["1.234,57", "0,00", "-1,50"]
    assert out["n"].tolist() == ["1.000", "5", "7"]
    assert out["tekst"].tolist() == ["<5", "12", "0"]
    assert all(isinstance(v, str) for col in out.columns for v in out[col])
    # the input is untouched (copy-on-write or not)
    assert df["antal"].dtype == "Int64" and df["andel"].iloc[0] == 12.25


def test_table_to_danish_other_specs_and_errors():
    df = pd.DataFrame({"a": [1.5, -2.25], "b": [2.0, None]})
    out = f.table_to_danish(df, {"a": "dec0", "b": "signed_pct1"})
    assert out["a"].tolist() == ["2", "-2"]
    assert out["b"].tolist() == ["+2,0 %", EN_DASH]
    with pytest.raises(UnknownColumnError):
        f.table_to_danish(df, {"c": "int"})
    with pytest.raises(InvalidValueError):
        f.table_to_danish(df, {"a": "float"})
    with pytest.raises(InvalidValueError):  # text other than "<5" is not a count
        f.table_to_danish(pd.DataFrame({"n": ["12"]}), {"n": "count"})
