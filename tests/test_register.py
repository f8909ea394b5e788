"""The register-extract contract: a real extract plugs in through VIDENSDATA_REGISTER."""

import pandas as pd
import pytest

import vidensdata as vd
from vidensdata.datasets import registry
from vidensdata.errors import RegisterError
from vidensdata.sources import register


@pytest.fixture()
def small_extract(tmp_path):
    personer = pd.DataFrame({
        "person_id": ["a", "b", "c", "d", "e", "f"],
        "koen": ["M", "K", "K", "M", "K", "M"],
        "foedselsaar": [1980, 1975, 1990, 1960, 1985, 1970],
        "kommune_kode": ["751", "751", "101", "101", "825", "751"],
        "indgang_dato": ["2015-01-01"] * 6,
        "doedsdato": ["", "", "", "2018-06-01", "", ""],
    })
    forloeb = pd.DataFrame({
        "person_id": ["a", "a", "b", "c", "d", "e", "f"],
        "ydelse": ["§85", "§104", "§108", "§85", "§85", "§85", "§107"],
        "start_dato": ["2015-02-01", "2016-03-01", "2015-05-01", "2016-01-10", "2015-01-05", "2017-01-01",
                       "2016-06-01"],
        "slut_dato": ["2017-12-31", "", "", "2016-10-01", "", "", "2016-12-01"],
        "handlekommune_kode": ["751", "751", "751", "101", "101", "825", "751"],
    })
    folder = tmp_path / "udtraek"
    folder.mkdir()
    personer.to_csv(folder / "personer.csv", index=False)
    forloeb.to_csv(folder / "ydelsesforloeb.csv", sep=";", index=False)
    return folder


def test_real_extract_replaces_the_synthetic_one(small_extract, monkeypatch):
    monkeypatch.setenv("VIDENSDATA_REGISTER", str(small_extract))
    c = vd.catalog().set_index("navn")
    assert not c.loc["ydelsesmodtagere", "syntetisk"]
    assert "Syntetisk" not in c.loc["ydelsesmodtagere", "kilde"]
    y = vd.load("ydelsesmodtagere", ydelse="alle")
    per_year = y.groupby("aar")["antal"].sum()
    # 2016: a, b, c, d (alive), f -> 5 ; 2018: a (§104 ongoing), b, d died mid-2018 counts, e -> 4
    assert per_year.loc[2016] == 5
    assert per_year.loc[2018] == 4
    aarhus = vd.load("ydelsesmodtagere", geografi="Aarhus", ydelse="alle", aar=2016)["antal"].sum()
    assert aarhus == 3


@pytest.mark.parametrize("mutate, text", [
    (lambda p, f: (p.drop(columns="koen"), f), "missing column"),
    (lambda p, f: (p, f.assign(start_dato=["2015-02-01", "x", *f["start_dato"][2:]])), "first offending rows"),
    (lambda p, f: (pd.concat([p, p.iloc[:1]]), f), "not unique"),
    (lambda p, f: (p, f.assign(slut_dato=["2014-01-01", *f["slut_dato"][1:]])), "end before they start"),
    (lambda p, f: (p, f.assign(person_id=["zz", *f["person_id"][1:]])), "not in personer"),
    (lambda p, f: (p.assign(kommune_kode=["999", *p["kommune_kode"][1:]]), f), "unknown kommune codes"),
    (lambda p, f: (p.assign(koen=["X", *p["koen"][1:]]), f), "outside"),
])
def test_broken_extracts_are_rejected_with_the_offending_rows(small_extract, mutate, text):
    p = pd.read_csv(small_extract / "personer.csv", dtype=str, keep_default_na=False)
    f = pd.read_csv(small_extract / "ydelsesforloeb.csv", sep=";", dtype=str, keep_default_na=False)
    p2, f2 = mutate(p, f)
    p2.to_csv(small_extract / "personer.csv", index=False)
    f2.to_csv(small_extract / "ydelsesforloeb.csv", index=False)
    with pytest.raises(RegisterError, match=text):
        register.read_real_extract(small_extract)


def test_unreadable_encoding_and_missing_table(small_extract, tmp_path):
    raw = (small_extract / "personer.csv").read_text(encoding="utf-8") + "g,M,1980,751,2015-01-01,Ærø\n"
    (small_extract / "personer.csv").write_bytes(raw.encode("latin-1"))
    with pytest.raises(RegisterError, match="UTF-8"):
        register.read_real_extract(small_extract)
    empty = tmp_path / "tom"
    empty.mkdir()
    with pytest.raises(RegisterError, match="no table 'personer'"):
        register.read_real_extract(empty)
    with pytest.raises(RegisterError, match="does not exist"):
        register.read_real_extract(tmp_path / "findes-ikke")


def test_synthetic_extract_roundtrips_through_the_contract(tmp_path):
    ext = register.load_extract()
    sample_ids = ext.forloeb["person_id"].drop_duplicates().iloc[:500]  # persons with episodes: none is an error
    p = ext.personer[ext.personer["person_id"].isin(sample_ids)]
    f = ext.forloeb[ext.forloeb["person_id"].isin(sample_ids)]
    register.write_extract(p, f, tmp_path / "x", fmt="csv")
    back = register.read_real_extract(tmp_path / "x")
    pd.testing.assert_frame_equal(back.personer.reset_index(drop=True), p.reset_index(drop=True),
                                  check_dtype=False)
    assert len(back.forloeb) == len(f) > 0


def test_cache_corruption_is_rebuilt_with_a_warning(tmp_path, monkeypatch):
    from vidensdata.datasets.cache import CacheWarning, cached_tables

    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"t": pd.DataFrame({"a": [1, 2, 3]})}

    first, _ = cached_tables("demo", "k1", build)
    again, _ = cached_tables("demo", "k1", build)
    assert len(calls) == 1 and again["t"].equals(first["t"])
    f = tmp_path / "demo" / "k1" / "t.parquet"
    f.write_bytes(f.read_bytes()[:20])  # truncated
    with pytest.warns(CacheWarning, match="corrupt"):
        rebuilt, _ = cached_tables("demo", "k1", build)
    assert len(calls) == 2 and rebuilt["t"]["a"].tolist() == [1, 2, 3]
    registry.invalidate()
