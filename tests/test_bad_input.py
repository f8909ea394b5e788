"""Every row of the bad-input table in docs/fejl.md has a test here (runner cases: tests/test_reports.py).

Each case gives a clear message naming the bad value (with close matches where that helps) and, on
the command line, a non-zero exit; nothing good is overwritten.
"""

from __future__ import annotations

import os

import shutil
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

import vidensdata as vd
from vidensdata import errors
from vidensdata.cli import main
from vidensdata.datasets import registry
from vidensdata.datasets.cache import CacheWarning, cached_tables
from vidensdata.parameters import read_parameter_file
from vidensdata.sources import register, snapshots
from vidensdata.themes import serviceudvikling as tema


@pytest.fixture()
def home(repo, tmp_path, monkeypatch):
    """A copy of the project's inputs (one theme) as VIDENSDATA_HOME, with a good report already in place."""
    h = tmp_path / "home"
    (h / "notebooks" / "temaer").mkdir(parents=True)
    (h / "parameters").mkdir()
    shutil.copy(repo / "notebooks/temaer/serviceudvikling.ipynb", h / "notebooks/temaer")
    shutil.copy(repo / "parameters/serviceudvikling.yaml", h / "parameters")
    shutil.copytree(repo / "data" / "snapshots", h / "data" / "snapshots")
    good = h / "reports" / "serviceudvikling" / "laesoe.html"
    good.parent.mkdir(parents=True)
    good.write_text("<html>god rapport</html>", encoding="utf-8")
    monkeypatch.setenv("VIDENSDATA_HOME", str(h))
    return h


def _run(*args):
    """Invoke the CLI in-process; what it puts in os.environ (e.g. --register) must not leak into later tests."""
    saved = dict(os.environ)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _good_report_intact(home):
    return (home / "reports/serviceudvikling/laesoe.html").read_text(encoding="utf-8") == "<html>god rapport</html>"


# ---------------------------------------------------------------- geography

def test_unknown_geography_on_the_command_line(home):
    r = _run("run", "--tema", "serviceudvikling", "--geografi", "Aarhuus", "--no-progress")
    assert r.exit_code == 2
    assert "unknown geography 'Aarhuus'" in r.output and "Did you mean: Aarhus?" in r.output
    assert "Traceback" not in r.output and _good_report_intact(home)


def test_unknown_geography_in_the_parameter_file(home):
    (home / "parameters/serviceudvikling.yaml").write_text("geografi: Aarhuus\nstartaar: 2014\n", encoding="utf-8")
    with pytest.raises(errors.UnknownGeographyError, match="serviceudvikling.yaml.*Did you mean: Aarhus") as e:
        read_parameter_file("serviceudvikling")
    assert "Mente du: Aarhus" in e.value.dansk
    r = _run("run", "--tema", "serviceudvikling", "--geografi", "Læsø", "--no-progress")
    assert r.exit_code == 2 and "Aarhus" in r.output and _good_report_intact(home)


def test_unknown_geography_in_the_theme_functions():
    with pytest.raises(errors.UnknownGeographyError, match="Did you mean: Aarhus") as e:
        tema.beregn(geografi="Aarhuus")
    assert e.value.dansk == "Ukendt geografi: »Aarhuus«. Mente du: Aarhus?"


@pytest.mark.slow
def test_unknown_geography_as_notebook_parameter(repo, tmp_path):
    """A papermill run with a bad `geografi` fails in the theme's first cell, naming the value and the match."""
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(str(repo / "notebooks/temaer/serviceudvikling.ipynb"), str(tmp_path / "ud.ipynb"),
                            parameters={"geografi": "Aarhuus"}, kernel_name="python3", progress_bar=False,
                            cwd=str(repo / "notebooks/temaer"))
    assert e.value.ename == "UnknownGeographyError"
    assert "Aarhuus" in e.value.evalue and "Did you mean: Aarhus?" in e.value.evalue


# ---------------------------------------------------------------- years

def test_startaar_after_slutaar():
    with pytest.raises(errors.InvalidYearsError, match="startaar 2020 is after slutaar 2015") as e:
        tema.valider("Hele landet", startaar=2020, slutaar=2015)
    assert e.value.dansk == "Startåret (2020) ligger efter slutåret (2015)."


def test_years_outside_the_data():
    first, last = tema.data_years()
    with pytest.raises(errors.InvalidYearsError, match=f"outside the data, which cover {first}-{last}"):
        tema.valider("Hele landet", startaar=first - 10, slutaar=last)
    with pytest.raises(errors.InvalidYearsError, match="outside the data"):
        tema.valider("Hele landet", startaar=first, slutaar=last + 1)


def test_a_year_that_is_not_a_year():
    with pytest.raises(errors.ParameterError, match="startaar must be a year"):
        tema.valider("Hele landet", startaar="2014x", slutaar=2020)


# ---------------------------------------------------------------- parameter file

@pytest.mark.parametrize("text, match", [
    ("startaar: [2014\nslutaar: 2024\n", r"not valid YAML at line \d+, column \d+"),
    ("startaar: '2014'\n", "parameter 'startaar' must be of type int"),
    ("startaar: 2014.5\n", "parameter 'startaar' must be of type int"),
    ("slutar: 2024\n", "unknown parameter 'slutar'.*Did you mean: slutaar"),
    ("- startaar\n- 2014\n", "must be a mapping"),
])
def test_malformed_or_wrongly_typed_parameter_file(home, text, match):
    (home / "parameters/serviceudvikling.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(errors.ParameterError, match=match):
        read_parameter_file("serviceudvikling")
    r = _run("run", "--tema", "serviceudvikling", "--geografi", "Læsø", "--no-progress")
    assert r.exit_code == 2 and "serviceudvikling.yaml" in r.output
    assert "Traceback" not in r.output and _good_report_intact(home)


# ---------------------------------------------------------------- theme and dataset names

def test_unknown_theme(home):
    r = _run("run", "--tema", "servicudvikling", "--no-progress")
    assert r.exit_code == 2
    assert "unknown theme 'servicudvikling'" in r.output and "Did you mean: serviceudvikling?" in r.output
    assert _good_report_intact(home)


def test_unknown_dataset():
    with pytest.raises(errors.UnknownDatasetError, match="Did you mean: befolkning") as e:
        vd.load("befolkninger")
    assert "Ukendt datasæt: 'befolkninger'" in e.value.dansk


# ---------------------------------------------------------------- snapshot and cache

def test_missing_snapshot(home, monkeypatch):
    (home / "data/snapshots/kommuner_folk1a_2020k1.csv").unlink()
    with pytest.raises(errors.DataError, match="snapshot file missing.*kommuner_folk1a_2020k1.csv.*Restore it"):
        snapshots.read_snapshot("kommuner_folk1a_2020k1.csv")
    registry.invalidate("kommuner")
    with pytest.raises(errors.DataError, match="kommuner_folk1a_2020k1.csv") as e:
        vd.load("kommuner")
    assert "mangler" in e.value.dansk


@pytest.mark.parametrize("damage", ["truncate", "flip", "meta"])
def test_corrupt_cache_is_detected_by_checksum_and_rebuilt(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path / "cache"))
    built = []
    table = pd.DataFrame({"kommune_kode": ["101", "825"], "antal": [1234, 17]})

    def build():
        built.append(1)
        return {"t": table}

    first, _ = cached_tables("proeve", "k1", build)
    f = tmp_path / "cache/proeve/k1/t.parquet"
    data = f.read_bytes()
    if damage == "truncate":
        f.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        f.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    else:
        (f.parent / "meta.json").write_text("{ikke json", encoding="utf-8")
    with pytest.warns(CacheWarning, match="corrupt.*rebuilding"):
        again, _ = cached_tables("proeve", "k1", build)
    assert len(built) == 2
    pd.testing.assert_frame_equal(again["t"], table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt entry is good again: no warning, no rebuild
        third, _ = cached_tables("proeve", "k1", build)
    assert len(built) == 2
    pd.testing.assert_frame_equal(third["t"], table)


# ---------------------------------------------------------------- real register extract

def _extract(folder):
    personer = pd.DataFrame({
        "person_id": ["a", "b", "c", "d"],
        "koen": ["M", "K", "K", "M"],
        "foedselsaar": ["1980", "1975", "1990", "1960"],
        "kommune_kode": ["751", "751", "101", "825"],
        "indgang_dato": ["2015-01-01"] * 4,
        "doedsdato": ["", "", "", "2018-06-01"],
    })
    forloeb = pd.DataFrame({
        "person_id": ["a", "b", "c", "d"],
        "ydelse": ["§85", "§108", "§85", "§85"],
        "start_dato": ["2015-02-01", "2015-05-01", "2016-01-10", "2015-01-05"],
        "slut_dato": ["2017-12-31", "", "2016-10-01", ""],
        "handlekommune_kode": ["751", "751", "101", "825"],
    })
    folder.mkdir(exist_ok=True)
    return personer, forloeb


def _save(folder, personer, forloeb):
    personer.to_csv(folder / "personer.csv", index=False)
    forloeb.to_csv(folder / "ydelsesforloeb.csv", sep=";", index=False)


def test_good_small_extract_is_accepted(tmp_path):
    folder = tmp_path / "udtraek"
    _save(folder, *_extract(folder))
    ext = register.read_real_extract(folder)
    assert len(ext.personer) == 4 and not ext.synthetic


@pytest.mark.parametrize("case, mutate, expected", [
    ("missing columns", lambda p, f: (p.drop(columns=["koen", "doedsdato"]), f),
     r"missing column\(s\) \['koen', 'doedsdato'\]"),
    ("bad date", lambda p, f: (p, f.assign(start_dato=["2015-02-01", "2015-02-30", *f["start_dato"][2:]])),
     r"(?s)start_dato.*first offending rows: \[\(1, '2015-02-30'\)\]"),
    ("Danish date format", lambda p, f: (p.assign(indgang_dato=["01-02-2015", *p["indgang_dato"][1:]]), f),
     r"indgang_dato.*YYYY-MM-DD.*first offending rows \(file line, value\): \[\(2, '01-02-2015'\)\]"),
    ("duplicate ids", lambda p, f: (pd.concat([p, p.iloc[[2]]]), f),
     r"not unique \(2 rows\); first duplicates: \[\{'person_id': 'c'\}, \{'person_id': 'c'\}\]"),
    ("exit before entry", lambda p, f: (p.assign(doedsdato=["", "", "", "2014-06-01"]), f),
     r"1 person\(s\) die before their entry date; first: \['d'\]"),
    ("episode ends before it starts", lambda p, f: (p, f.assign(slut_dato=["2014-12-31", "", "2016-10-01", ""])),
     r"1 episode\(s\) end before they start; first rows: \[\{'person_id': 'a'"),
])
def test_broken_register_extract_names_the_first_offending_rows(tmp_path, monkeypatch, case, mutate, expected):
    folder = tmp_path / "udtraek"
    _save(folder, *mutate(*_extract(folder)))
    with pytest.raises(errors.RegisterError, match=expected):
        register.read_real_extract(folder)
    # through the command line: one clear line, exit 2 (monkeypatch restores the variable the CLI sets)
    monkeypatch.delenv("VIDENSDATA_REGISTER", raising=False)
    r = _run("--register", str(folder), "data", "status")
    assert r.exit_code == 2 and r.output.startswith("error: ") and "Traceback" not in r.output


def test_register_extract_with_an_unreadable_encoding(tmp_path):
    folder = tmp_path / "udtraek"
    personer, forloeb = _extract(folder)
    _save(folder, personer, forloeb)
    lines = (folder / "personer.csv").read_text(encoding="utf-8").splitlines()
    text = "\n".join(lines) + "\ne,K,1985,751,2015-01-01,\nf,K,1985,Ærø,2015-01-01,\n"
    (folder / "personer.csv").write_bytes(text.encode("latin-1"))  # line 7 holds "Ærø" in Latin-1
    with pytest.raises(errors.RegisterError, match=r"not UTF-8.*first offending lines: \[\(7, 'f,K,1985,") as e:
        register.read_real_extract(folder)
    assert "linje 7" in e.value.dansk
