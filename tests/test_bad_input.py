"""Every row of the bad-input table in docs/fejl.md has a test here (runner cases: tests/test_reports.py).

Each case gives a clear message naming the bad value (with close matches where that helps) and, on
the command line, a non-zero exit; nothing good is overwritten.
"""

from __future__ import annotations

import datetime
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
from vidensdata import snapshots
from vidensdata.sources import register
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
    assert e.value.evalue == "Ukendt geografi: »Aarhuus«. Mente du: Aarhus?"  # Danish for the analyst


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


# ---------------------------------------------------------------- register extract: impossible data (issue 17)

NEXT_YEAR = str(datetime.date.today().year + 1)


def _future(p, f):
    return p.assign(indgang_dato=["2099-01-01", *p["indgang_dato"][1:]]), f


@pytest.mark.parametrize("case, mutate, expected", [
    ("entry in the future", _future,
     r"personer\.csv: 1 indgang_dato date\(s\) in the future \(after \d{4}-\d\d-\d\d\); "
     r"first rows: \[\{'person_id': 'a', 'indgang_dato': '2099-01-01'\}\]"),
    ("birth in the future", lambda p, f: (p.assign(foedselsaar=["1980", "1975", NEXT_YEAR, "1960"]), f),
     rf"personer\.csv: 1 birth year\(s\) after this year \(\d{{4}}\); first rows: \[\{{'person_id': 'c', "
     rf"'foedselsaar': {NEXT_YEAR}\}}\]"),
    ("death before birth", lambda p, f: (p.assign(doedsdato=["", "", "", "1950-01-01"]), f),
     r"personer\.csv: 1 person\(s\) die before they are born; first rows: \[\{'person_id': 'd', "
     r"'foedselsaar': 1960, 'indgang_dato': '2015-01-01', 'doedsdato': '1950-01-01'\}\]"),
    ("birth after entry", lambda p, f: (p.assign(foedselsaar=["2016", "1975", "1990", "1960"]), f),
     r"personer\.csv: 1 person\(s\) enter the target group before they are born .*'person_id': 'a'"),
    ("episode before birth", lambda p, f: (p, f.assign(start_dato=["2015-02-01", "1970-05-01", *f["start_dato"][2:]])),
     r"ydelsesforloeb\.csv: 1 episode\(s\) start before the person is born; first rows: \[\{'person_id': 'b', "
     r"'ydelse': '§108', 'start_dato': '1970-05-01'"),
    ("episode after death", lambda p, f: (p, f.assign(start_dato=[*f["start_dato"][:3], "2019-01-05"])),
     r"ydelsesforloeb\.csv: 1 episode\(s\) start after the person's death; first rows: \[\{'person_id': 'd'"),
    ("unknown service", lambda p, f: (p, f.assign(ydelse=["§86", *f["ydelse"][1:]])),
     r"ydelsesforloeb\.csv: 1 row\(s\) where ydelse has unknown codes \['§86'\] \(outside the known codes: §85, "
     r".*first rows: \[\{'person_id': 'a', 'ydelse': '§86'\}\]"),
    ("unknown kommune", lambda p, f: (p, f.assign(handlekommune_kode=["752", *f["handlekommune_kode"][1:]])),
     r"ydelsesforloeb\.csv: 1 row\(s\) where handlekommune_kode has unknown kommune codes \['752'\].*"
     r"first rows: \[\{'person_id': 'a', 'handlekommune_kode': '752'\}\]"),
    ("no episodes", lambda p, f: (p, f.iloc[0:0]), r"ydelsesforloeb\.csv: the table has no rows"),
    ("no persons", lambda p, f: (p.iloc[0:0], f), r"personer\.csv: the table has no rows"),
])
def test_impossible_register_data_is_an_error(tmp_path, monkeypatch, case, mutate, expected):
    folder = tmp_path / "udtraek"
    _save(folder, *mutate(*_extract(folder)))
    with pytest.raises(errors.RegisterError, match=expected) as e:
        register.read_real_extract(folder)
    assert e.value.dansk.startswith("Registerudtrækket overholder ikke formatet: ")
    monkeypatch.delenv("VIDENSDATA_REGISTER", raising=False)
    r = _run("--register", str(folder), "data", "status")
    assert r.exit_code == 2 and r.output.startswith("error: register extract breaks the contract")


@pytest.mark.parametrize("case, parametre, expected, dansk", [
    ("window in the future", '{"first_year": 2015, "last_year": 2099}',
     r"parametre\.json: last_year 2099 is in the future", "ligger i fremtiden"),
    ("no episode in the window", '{"first_year": 1995, "last_year": 2000}',
     r"ydelsesforloeb\.csv: no episode overlaps the window 1995-2000", "alle tal ville være 0"),
    ("window before the datasets", '{"first_year": 1985, "last_year": 2018}',
     r"the window starts in 1985 \(first_year in parametre\.json\), before 1990", "vinduet starter i 1985"),
    ("not a window", '{"first_year": "2015", "last_year": 2018}',
     r"parametre\.json must be an object like .*whole years", "hele år"),
    ("first after last", '{"first_year": 2019, "last_year": 2018}', r"first_year <= last_year", "første før sidste"),
    ("not JSON", '{"first_year": 2015,', r"parametre\.json is not valid JSON", "ikke gyldig JSON"),
])
def test_a_bad_window_is_an_error(tmp_path, case, parametre, expected, dansk):
    folder = tmp_path / "udtraek"
    _save(folder, *_extract(folder))
    (folder / "parametre.json").write_text(parametre, encoding="utf-8")
    with pytest.raises(errors.RegisterError, match=expected) as e:
        register.read_real_extract(folder)
    assert dansk in e.value.dansk


def test_a_huge_or_sparse_register_file_fails_fast_with_bounded_memory(tmp_path, monkeypatch):
    import resource
    import time
    import tracemalloc

    folder = tmp_path / "udtraek"
    _save(folder, *_extract(folder))
    with open(folder / "personer.csv", "r+b") as fh:
        fh.truncate(2 * 1024 ** 3)  # 2 GiB, sparse: the rows, then a hole of NUL bytes (costs no disk)
    start = time.perf_counter()
    with pytest.raises(errors.RegisterError, match=r"personer\.csv is 2,048 MiB, more than the limit of 2,000 MiB"):
        register.read_real_extract(folder)
    assert time.perf_counter() - start < 1
    # above the limit it is not even opened; with a higher limit the streamed scan stops at the hole
    monkeypatch.setenv("VIDENSDATA_REGISTER_MAX_MB", "4000")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(errors.RegisterError, match=r"personer\.csv is not a CSV text table: file line 6 has "
                                                       r"a NUL byte .*first offending rows \(file line\): \[6\]"):
            register.read_real_extract(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss  # KiB on Linux
    print(f"2 GiB sparse personer.csv: rejected in {seconds:.3f} s, traced peak {peak / 2 ** 20:.1f} MiB, "
          f"max RSS grew {grown / 1024:.0f} MiB")
    assert seconds < 5 and peak < 100 * 2 ** 20 and grown < 300 * 1024


def test_register_file_limits(tmp_path, monkeypatch):
    folder = tmp_path / "udtraek"
    personer, forloeb = _extract(folder)
    _save(folder, personer.assign(person_id=["a", "b", "c", "x" * (2 * 1024 ** 2)]), forloeb)
    with pytest.raises(errors.RegisterError, match=r"file line 5 has a line longer than 1,048,576 bytes"):
        register.read_real_extract(folder)
    _save(folder, personer, forloeb)
    monkeypatch.setenv("VIDENSDATA_REGISTER_MAX_MB", "0.0001")
    with pytest.raises(errors.RegisterError, match=r"personer\.csv is 0 MiB, more than the limit of 0 MiB") as e:
        register.read_real_extract(folder)
    assert "VIDENSDATA_REGISTER_MAX_MB" in e.value.dansk
    monkeypatch.setenv("VIDENSDATA_REGISTER_MAX_MB", "lots")
    with pytest.raises(errors.ParameterError, match="VIDENSDATA_REGISTER_MAX_MB must be a positive number"):
        register.read_real_extract(folder)
    monkeypatch.delenv("VIDENSDATA_REGISTER_MAX_MB")
    (folder / "personer.csv").write_bytes(b"")
    with pytest.raises(errors.RegisterError, match=r"personer\.csv is empty \(0 bytes\)"):
        register.read_real_extract(folder)
    _save(folder, personer, forloeb)
    personer.to_parquet(folder / "personer.parquet")
    with pytest.raises(errors.RegisterError, match=r"has both personer\.parquet and personer\.csv; keep one"):
        register.read_real_extract(folder)
