import json

import numpy as np
import pandas as pd
import pytest

import vidensdata as vd
from vidensdata.datasets import registry as cat
from vidensdata.datasets.schema import Column, Schema
from vidensdata.errors import (InvalidValueError, InvalidYearsError, SchemaError, UnknownColumnError,
                               UnknownDatasetError, UnknownGeographyError)

CATALOG_COLUMNS = ["navn", "titel", "beskrivelse", "enhed", "kilde", "licens", "hentet", "syntetisk", "noegle",
                   "tilgaengelig", "hentes_fra"]


def test_catalog_lists_every_dataset_with_metadata():
    c = vd.catalog()
    assert list(c.columns) == CATALOG_COLUMNS
    assert {"kommuner", "regioner", "doedelighed_land", "ydelsesmodtagere"} <= set(c["navn"])
    assert c["navn"].is_unique
    assert c["syntetisk"].dtype == bool
    row = c.set_index("navn").loc["ydelsesmodtagere"]
    assert bool(row["syntetisk"]) is True and "Syntetisk" in row["kilde"]
    row = c.set_index("navn").loc["kommuner"]
    assert bool(row["syntetisk"]) is False and "FOLK1A" in row["kilde"] and row["hentet"]
    assert all(isinstance(k, list) and k for k in c["noegle"])


def test_kommuner_real_figures():
    k = vd.load("kommuner")
    assert k.shape == (98, 5)
    assert list(k.columns) == ["kommune_kode", "kommune_navn", "region_kode", "region_navn", "indbyggere"]
    assert k["indbyggere"].sum() == 5_822_679  # FOLK1A 2020K1, Christiansø excluded
    assert k["kommune_kode"].str.len().eq(3).all() and k["kommune_kode"].is_monotonic_increasing
    assert k.set_index("kommune_navn").loc["Læsø", "indbyggere"] == 1786
    assert k.set_index("kommune_kode").loc["101", "kommune_navn"] == "København"


def test_regioner_sum_of_kommuner(repo):
    r = vd.load("regioner").set_index("region_navn")["indbyggere"]
    assert len(r) == 5
    # the real StatBank sample: regions 2020K1, where Hovedstaden includes Christiansø's 84
    sample = pd.read_csv(repo / "tests/data/statbank/folk1a_labels_area_2020k1.csv", sep=";")
    sample = sample[(sample["CIVILSTAND"] == "I alt") & sample["OMRÅDE"].str.startswith("Region")]
    published = sample.set_index("OMRÅDE")["INDHOLD"]
    for name, value in published.items():
        expected = value - 84 if name == "Region Hovedstaden" else value
        assert r[name] == expected


def test_doedelighed_land_matches_published_check():
    d = vd.load("doedelighed_land", aar=2019)
    assert len(d) == 40
    assert d["doede"].sum() == 53_959 and d["befolkning"].sum() == 5_814_856
    assert round(d["doede"].sum() / d["befolkning"].sum() * 1000, 2) == 9.28
    full = vd.load("doedelighed_land")
    assert sorted(full["aar"].unique()) == list(range(2008, 2022))
    assert list(full["aldersgruppe"].iloc[:3]) == ["0-4", "5-9", "10-14"]  # sorted in age order


def test_filters_by_geography_and_values():
    y = vd.load("ydelsesmodtagere", geografi="Region Nordjylland", aar=[2016, 2017], ydelse="alle")
    assert set(y["aar"]) == {2016, 2017} and set(y["ydelse"]) == {"alle"}
    assert set(y["kommune_kode"]) == set(vd.resolve("Region Nordjylland")[0].kommune_koder)
    k = vd.load("kommuner", kommune_kode=["Aarhus", "København"])
    assert list(k["kommune_kode"]) == ["101", "751"]
    assert len(vd.load("kommuner", region_kode="Midtjylland")) == 19


def test_loaders_are_sorted_and_unique_on_key():
    for name in cat.DATASETS:
        if not cat.get(name).tilgaengelig():  # StatBank-only datasets (tests/test_statbank.py refreshes them)
            from vidensdata.errors import DataError

            with pytest.raises(DataError, match="vidensdata data refresh"):
                vd.load(name)
            continue
        df = vd.load(name)
        key = cat.get(name).noegle
        assert not df.duplicated(key).any(), name
        assert len(df) > 0


@pytest.mark.parametrize("call, err, text", [
    (lambda: vd.load("befolkningen"), UnknownDatasetError, "kommuner"),
    (lambda: vd.load("kommuner", kommune="101"), UnknownColumnError, "kommune_kode"),
    (lambda: vd.load("kommuner", kommune_kode="Atlantis"), UnknownGeographyError, "Atlantis"),
    (lambda: vd.load("doedelighed_land", aar=1990), InvalidYearsError, "2008-2021"),
    (lambda: vd.load("ydelsesmodtagere", ydelse="§86"), InvalidValueError, "§85"),
])
def test_bad_input_names_the_problem(call, err, text):
    with pytest.raises(err) as e:
        call()
    assert text in str(e.value)


def test_schema_coerces_and_reports_problems():
    s = Schema((Column("kode", "str", width=3), Column("n", "int", min=0), Column("k", "str", allowed=("M", "K"))),
               key=("kode",))
    ok = s.validate(pd.DataFrame({"kode": [101, 5], "n": ["3", "4"], "k": ["M", "K"]}))
    assert list(ok["kode"]) == ["005", "101"] and ok["n"].dtype == np.int64
    with pytest.raises(SchemaError) as e:
        s.validate(pd.DataFrame({"kode": ["101", "101"], "n": [-1, 2], "k": ["X", "M"]}))
    msg = str(e.value)  # Danish for the analyst, naming the values; English for the CLI and logs
    assert msg.startswith("Data i table har fejl: ")
    assert "kolonnen n har værdier under 0: [-1]" in msg and "['X']" in msg and "nøglen kode er ikke entydig" in msg
    assert "below 0" in e.value.message and "not unique" in e.value.message
    with pytest.raises(SchemaError, match="missing column"):
        s.validate(pd.DataFrame({"kode": ["101"]}))
    with pytest.raises(SchemaError, match="first offending rows") as e:
        s.validate(pd.DataFrame({"kode": ["101"], "n": ["tre"], "k": ["M"]}))
    assert "kolonnen n er ikke af typen int" in str(e.value) and "første rækker med fejl: [(0, 'tre')]" in str(e.value)


def test_corrupt_snapshot_is_detected(tmp_path, monkeypatch, repo):
    import shutil

    from vidensdata.errors import DataError
    from vidensdata import snapshots

    home = tmp_path / "home"
    shutil.copytree(repo / "data" / "snapshots", home / "data" / "snapshots")
    (home / "pyproject.toml").write_text("")
    f = home / "data" / "snapshots" / "kommuner_folk1a_2020k1.csv"
    f.write_text(f.read_text(encoding="utf-8").replace("632340", "632341"), encoding="utf-8")
    monkeypatch.setenv("VIDENSDATA_HOME", str(home))
    with pytest.raises(DataError, match="corrupt"):
        snapshots.read_snapshot("kommuner_folk1a_2020k1.csv")
    f.unlink()
    with pytest.raises(DataError, match="missing"):
        snapshots.read_snapshot("kommuner_folk1a_2020k1.csv")


def test_manifest_checksums_match_committed_files(repo):
    from vidensdata.snapshots import manifest, sha256

    for name, info in manifest()["filer"].items():
        assert sha256(repo / "data" / "snapshots" / name) == info["sha256"], name
        for field in ("producent", "tabeller", "adresse", "hentet", "licens"):
            assert info[field], (name, field)


def test_year_span_is_kept_beside_the_data_and_read_without_loading_it():
    """``registry.aarspaend``: the widgets' years without holding the dataset in memory (app kernels)."""
    from vidensdata.config import paths
    from vidensdata.datasets import registry

    df = registry.frame("ydelsesmodtagere")
    assert registry.aarspaend("ydelsesmodtagere") == (int(df["aar"].min()), int(df["aar"].max()))
    fil = paths().cache / "aarspaend" / f"ydelsesmodtagere-aar-{registry.get('ydelsesmodtagere').fingerprint()}.json"
    assert json.loads(fil.read_text()) == list(registry.aarspaend("ydelsesmodtagere"))
    good = fil.read_text()
    try:
        registry._AARSPAEND.glem()
        registry.invalidate("ydelsesmodtagere")
        fil.write_text("[1999, 2001]")  # what the file says is what a new process uses: the data are not read
        assert registry.aarspaend("ydelsesmodtagere") == (1999, 2001)
        assert not any(k[0] == "ydelsesmodtagere" for k in registry._FRAMES)
        registry._AARSPAEND.glem()
        fil.write_text("{not json")  # a corrupt file is rebuilt from the data
        assert registry.aarspaend("ydelsesmodtagere") == (int(df["aar"].min()), int(df["aar"].max()))
        assert json.loads(fil.read_text()) == [int(df["aar"].min()), int(df["aar"].max())]
        with pytest.raises(UnknownColumnError, match="ingen kolonne"):
            registry.aarspaend("ydelsesmodtagere", "aargang")
    finally:
        fil.write_text(good)
        registry._AARSPAEND.glem()
