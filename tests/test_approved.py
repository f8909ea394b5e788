"""Backtests: the national reports' key tables equal their approved versions, and are reproducible byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from vidensdata import approved
from vidensdata.cli import main
from vidensdata.themes import TEMAER


@pytest.mark.parametrize("tema", list(TEMAER))
def test_national_key_tables_equal_the_approved_versions(tema):
    """A changed number must be a deliberate change: review it, then run `vidensdata godkend`."""
    problems = approved.compare(tema)
    assert problems == [], "\n".join(problems)


def test_approved_files_exist_for_serviceudvikling(repo):
    folder = repo / "tests" / "approved" / "serviceudvikling"
    assert sorted(p.name for p in folder.glob("*.csv")) == ["noegletal.csv", "sammenlign.csv", "tabel.csv"]
    text = (folder / "tabel.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("Ydelse;2014;") and "Mindst én ydelse;" in text


@pytest.mark.slow
def test_two_computations_give_byte_identical_tables():
    """Once in this process, once in a fresh process with another hash seed (set and dict order, memo state).

    (That the synthetic data themselves are the same for a seed is tested in tests/test_synthetic.py.)
    """
    here = {tema: approved.national_csv(tema) for tema in ["serviceudvikling"]}
    code = ("import json, sys; from vidensdata import approved; "
            "json.dump({f: b.decode('utf-8') for f, b in approved.national_csv('serviceudvikling').items()}, "
            "sys.stdout)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("VIDENSDATA_REGISTER", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    import json

    there = {f: t.encode("utf-8") for f, t in json.loads(r.stdout).items()}
    assert there == here["serviceudvikling"]
    assert set(there) == {"noegletal.csv", "sammenlign.csv", "tabel.csv"}


def test_godkend_writes_and_compare_detects_a_changed_number(repo, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "notebooks" / "temaer").mkdir(parents=True)
    (home / "parameters").mkdir()
    shutil.copy(repo / "notebooks/temaer/serviceudvikling.ipynb", home / "notebooks/temaer")
    shutil.copy(repo / "parameters/serviceudvikling.yaml", home / "parameters")
    shutil.copytree(repo / "data" / "snapshots", home / "data" / "snapshots")
    monkeypatch.setenv("VIDENSDATA_HOME", str(home))
    assert approved.compare("serviceudvikling")[0].startswith("serviceudvikling: no approved tables")
    r = CliRunner().invoke(main, ["godkend"])
    assert r.exit_code == 0, r.output
    folder = home / "tests" / "approved" / "serviceudvikling"
    assert r.output.count("updated:") == 3
    assert (folder / "tabel.csv").read_bytes() == (repo / "tests/approved/serviceudvikling/tabel.csv").read_bytes()
    assert approved.compare("serviceudvikling") == []
    # a changed number is caught, named, and shown as a diff
    f = folder / "noegletal.csv"
    good = f.read_bytes()
    lines = good.decode("utf-8").splitlines()
    first = lines[1].split(";")
    first[0] = first[0] + "1"
    f.write_text("\n".join([lines[0], ";".join(first)]) + "\n", encoding="utf-8")
    (folder / "gammel.csv").write_text("a;b\n", encoding="utf-8")
    problems = approved.compare("serviceudvikling")
    assert len(problems) == 2
    assert "gammel.csv: approved but no longer published" in problems[0]
    assert "noegletal.csv: differs" in problems[1] and "+" + lines[1] in problems[1]
    r = CliRunner().invoke(main, ["godkend", "--tema", "serviceudvikling"])
    assert r.exit_code == 0 and "updated:" in r.output and "unchanged:" in r.output
    assert f.read_bytes() == good and not (folder / "gammel.csv").exists()
    # never from a real register extract
    from vidensdata.sources import register

    monkeypatch.setattr(register, "current_source", lambda: {"synthetic": False, "kilde": "x", "fingerprint": "x"})
    r = CliRunner().invoke(main, ["godkend"])
    assert r.exit_code == 1 and "synthetic extract only" in r.output
    assert f.read_bytes() == good
