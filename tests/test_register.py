"""The register-extract contract: a real extract plugs in through VIDENSDATA_REGISTER."""

import json
import warnings

import pandas as pd
import pytest

import vidensdata as vd
from vidensdata.datasets import registry
from vidensdata.errors import RegisterError, RegisterWarning, SchemaError
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
    register.write_extract(p, f, tmp_path / "x", fmt="csv", parametre={"first_year": 2014, "last_year": 2024})
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


def _write(folder, personer=None, forloeb=None, parametre=None):
    if personer is not None:
        personer.to_csv(folder / "personer.csv", index=False)
    if forloeb is not None:
        forloeb.to_csv(folder / "ydelsesforloeb.csv", index=False)
    if parametre is not None:
        (folder / "parametre.json").write_text(parametre, encoding="utf-8")


def _tables(folder):
    return (pd.read_csv(folder / "personer.csv", dtype=str, keep_default_na=False),
            pd.read_csv(folder / "ydelsesforloeb.csv", sep=";", dtype=str, keep_default_na=False))


def test_usable_oddities_are_warnings_in_danish(small_extract):
    p, f = _tables(small_extract)
    f = f.assign(start_dato=["2014-06-01", *f["start_dato"][1:]],  # a: before the entry date 2015-01-01
                 slut_dato=[*f["slut_dato"][:4], "2018-07-01", *f["slut_dato"][5:]])  # d: after death 2018-06-01
    _write(small_extract, forloeb=f, parametre='{"first_year": 2015, "last_year": 2017}')
    (small_extract / "registerkontakter.csv").write_text("person_id,register,aar\n", encoding="utf-8")
    with pytest.warns(RegisterWarning) as caught:
        ext = register.read_real_extract(small_extract)
    text = str(caught[0].message)
    assert "ydelsesforloeb.csv: 1 episode(s) start before the person's entry date" in text
    assert "first rows: [{'person_id': 'a', 'ydelse': '§85', 'start_dato': '2014-06-01'" in text
    assert "ydelsesforloeb.csv: 1 episode(s) end after the person's death; they are counted until the death" in text
    assert "personer.csv: 1 doedsdato date(s) after the window's last year 2017 (parametre.json)" in text
    assert "registerkontakter.csv: the table has no rows" in text
    assert caught[0].message.dansk.startswith("Registerudtrækket kan bruges, men: ")
    assert "de tælles ikke med" in caught[0].message.dansk
    assert len(ext.advarsler) == 5 and ext.last_year == 2017


def test_fingerprint_covers_every_file_and_a_changed_window_changes_the_data(small_extract, monkeypatch, tmp_path):
    monkeypatch.setenv("VIDENSDATA_REGISTER", str(small_extract))
    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path / "cache"))
    _write(small_extract, parametre='{"first_year": 2015, "last_year": 2018}')
    before = register.current_source()["fingerprint"], registry.get("ydelsesmodtagere").fingerprint()
    assert vd.load("ydelsesmodtagere")["aar"].max() == 2018
    _write(small_extract, parametre='{"first_year": 2015, "last_year": 2016}')  # only the window changes
    with pytest.warns(RegisterWarning, match="after the window's last year 2016"):
        after = register.current_source()["fingerprint"], registry.get("ydelsesmodtagere").fingerprint()
    assert before[0] != after[0] and before[1] != after[1]
    assert vd.load("ydelsesmodtagere")["aar"].max() == 2016
    (small_extract / "parametre.json").unlink()
    assert register.current_source()["fingerprint"] not in (before[0], after[0])


def test_nothing_is_cached_before_the_extract_is_checked_and_a_fixed_extract_is_used(small_extract, monkeypatch,
                                                                                       tmp_path):
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIDENSDATA_REGISTER", str(small_extract))
    monkeypatch.setenv("VIDENSDATA_CACHE", str(cache))
    p, f = _tables(small_extract)
    starts = [*f["start_dato"][:4], "1979-03-18", *f["start_dato"][5:]]  # d (born 1960): the window from 1979
    _write(small_extract, forloeb=f.assign(start_dato=starts))
    for navn in ("ydelsesmodtagere", "registeroverlap", "doedelighed_maalgruppe"):
        with pytest.raises(RegisterError, match=r"the window starts in 1979 \(without parametre.json the earliest "
                                                r"start_dato\), before 1990"):
            vd.load(navn)
    assert not any(cache.glob("*/*/meta.json")), "a derived cache was written from an unchecked extract"
    with pytest.warns(RegisterWarning, match="before the person's entry date"):
        _write(small_extract, parametre='{"first_year": 2014, "last_year": 2020}')  # the fix: a window
        assert vd.load("ydelsesmodtagere")["aar"].min() == 2014
    assert any(cache.glob("ydelsesmodtagere/*/meta.json"))


def test_a_derived_table_that_breaks_its_schema_is_not_cached(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    monkeypatch.setenv("VIDENSDATA_CACHE", str(cache))
    from vidensdata.datasets import derive

    def derive_too_early(ext, codes):  # the real derivation, shifted to the years of a window begun in 1974
        return derive.ydelsesmodtagere(ext, codes).assign(aar=lambda d: d["aar"] - 40)

    with pytest.raises(SchemaError, match=r"ydelsesmodtagere does not match its schema:\n  - column 'aar' has "
                                          r"values below 1990: \[1974"):
        registry._derived("ydelsesmodtagere", derive_too_early)
    assert not (cache / "ydelsesmodtagere").exists() or not any((cache / "ydelsesmodtagere").iterdir())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_exported_template_passes_as_an_extract(tmp_path, monkeypatch, fmt):
    from click.testing import CliRunner

    from vidensdata.cli import main

    folder = tmp_path / "skabelon"
    r = CliRunner().invoke(main, ["eksporter-register", str(folder), "--format", fmt])
    assert r.exit_code == 0, r.output
    assert json.loads((folder / "parametre.json").read_text(encoding="utf-8")) == {"first_year": 2014,
                                                                                  "last_year": 2024}
    monkeypatch.setenv("VIDENSDATA_REGISTER", str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning
        ext = register.load_extract()
        assert not ext.synthetic and ext.advarsler == () and (ext.first_year, ext.last_year) == (2014, 2024)
        if fmt == "csv":
            y = vd.load("ydelsesmodtagere", ydelse="alle")
            assert (y["aar"].min(), y["aar"].max()) == (2014, 2024)
