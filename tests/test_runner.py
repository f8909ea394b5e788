"""The fast report runner (issue 6) and its failure behaviour (issue 8): warm kernels, incremental
re-runs, provenance, the lock, SIGTERM/SIGKILL, a full disk and the Dask executor."""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from vidensdata import publish, report
from vidensdata.errors import ReportError
from vidensdata.reporting import engine, provenance

pytestmark = pytest.mark.slow

TEMA = "serviceudvikling"
CLI = [sys.executable, "-m", "vidensdata.cli"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("runner")
    first = report.run([TEMA], ["Samsø", "Læsø"], workers=1, output=out, progress=False)
    return out, first


def test_warm_engine_output_is_a_normal_papermill_notebook(made):
    """Same cells and outputs as plain papermill, counts from 1, clean namespace between reports."""
    job = report.plan([TEMA], ["Samsø"])[0]
    engine.register()
    warm = report.execute(job)
    plain = report.execute(job, engine_name="nbclient")
    assert warm.metadata.papermill.parameters == plain.metadata.papermill.parameters
    code_w = [c for c in warm.cells if c.cell_type == "code"]
    code_p = [c for c in plain.cells if c.cell_type == "code"]
    assert [c.source for c in code_w] == [c.source for c in code_p]
    assert [c.execution_count for c in code_w] == [c.execution_count for c in code_p]
    assert code_w[0].execution_count == 1
    assert publish.extract_tables(warm) == publish.extract_tables(plain)
    # nothing of the previous report survives in the kernel's namespace, and counts restart at 1
    from jupyter_core.utils import run_sync

    _km, kc = engine.warm_kernel("python3", None)
    engine.reset(kc)
    seen = []
    run_sync(kc.execute_interactive)("print('visning' in dir(), get_ipython().execution_count)",
                                     output_hook=seen.append, store_history=False, timeout=60)
    assert [m["content"]["text"] for m in seen if m["msg_type"] == "stream"] == ["False 1\n"]


def test_provenance_is_stated_in_danish(made):
    out, first = made
    assert len(first.made) == 2 and not first.failed
    page = (out / TEMA / "samsoe.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in page and "Om rapporten" in page
    rec = json.loads((out / TEMA / "samsoe.json").read_text(encoding="utf-8"))
    assert rec["parametre"]["geografi"] == "Samsø" and rec["version"] and rec["git"]
    for d in rec["data"]:
        assert d["fingeraftryk"] and d["kilde"]
        assert d["fingeraftryk"] in page
    assert any(d["syntetisk"] for d in rec["data"]) and "Syntetiske data (demo)" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Seneste kørsel" in index and "samsoe.html" in index
    assert rec["git"] not in index and "startaar = " not in index  # provenance stays in each report


def test_rerun_with_nothing_changed_executes_nothing(made):
    out, _ = made
    before = {f: f.stat().st_mtime_ns for f in (out / TEMA).glob("*.html")}
    again = report.run([TEMA], ["Samsø", "Læsø"], workers=1, output=out, progress=False)
    assert len(again.unchanged) == 2 and not again.made
    assert {f: f.stat().st_mtime_ns for f in (out / TEMA).glob("*.html")} == before
    forced = report.run([TEMA], ["Samsø"], workers=1, output=out, progress=False, force=True)
    assert len(forced.made) == 1


def _bump_snapshot(home: Path, name: str, old: str, new: str) -> None:
    """A refreshed snapshot: new content and its checksum in the manifest."""
    from vidensdata.snapshots import sha256

    f = home / "data/snapshots" / name
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    manifest_path = home / "data/snapshots/manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entries = manifest.get("filer", manifest)
    entries[name]["sha256"] = sha256(f)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def test_changed_notebook_or_data_reruns_only_what_depends_on_it(tmp_path, monkeypatch, repo):
    home = tmp_path / "home"
    for sub in ("notebooks", "parameters", "data/snapshots"):
        shutil.copytree(repo / sub, home / sub)
    monkeypatch.setenv("VIDENSDATA_HOME", str(home))
    out = tmp_path / "out"
    both = [TEMA, "overdoedelighed"]
    assert "doedelighed_land" in provenance.theme_datasets("overdoedelighed")
    assert "doedelighed_land" not in provenance.theme_datasets(TEMA)

    def made():
        s = report.run(both, ["Samsø"], workers=1, output=out, progress=False)
        return sorted(r.job.tema for r in s.made)

    assert made() == sorted(both)
    assert made() == []  # nothing changed: nothing re-executed
    # a changed notebook re-runs that theme only
    nb_path = home / "notebooks/temaer" / f"{TEMA}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\n\nEn ekstra sætning."
    nbformat.write(nb, nb_path)
    assert made() == [TEMA]
    # refreshed national death rates re-run only the theme that reads them
    _bump_snapshot(home, "doedelighed_land_dodc1_folk1a.csv", "2008;K;0-4;127;", "2008;K;0-4;128;")
    assert made() == ["overdoedelighed"]
    # refreshed population (read by both) re-runs both
    _bump_snapshot(home, "kommuner_folk1a_2020k1.csv", "1786", "1787")
    assert made() == sorted(both)


def test_two_runs_at_once_are_refused(made):
    out, _ = made
    with report.run_lock(out):
        done = subprocess.run([*CLI, "run", "--tema", TEMA, "--geografi", "Samsø", "--output", str(out),
                               "--no-progress"], capture_output=True, text=True)
    assert done.returncode != 0 and "another `vidensdata run`" in done.stderr
    assert "Traceback" not in done.stderr


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_run_keeps_good_reports_and_leaves_no_kernels(made, tmp_path, sig):
    out, _ = made
    target = tmp_path / "out"
    shutil.copytree(out, target)
    good = (target / TEMA / "samsoe.html").read_bytes()
    proc = subprocess.Popen([*CLI, "run", "--tema", TEMA, "--geografi", "kommuner", "--output", str(target),
                             "--force", "--workers", "2", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    kernels: list[psutil.Process] = []
    while time.monotonic() < deadline:
        kernels = [p for p in _descendants(proc.pid) if "ipykernel" in " ".join(p.cmdline())]
        if len(list((target / TEMA).glob("*.json"))) > 2 and kernels:
            break
        time.sleep(0.2)
    others = _descendants(proc.pid)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) != 0
    # every report on disk is complete (atomic writes); the untouched one is byte-identical
    for page in (target / TEMA).glob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
    if (target / TEMA / "samsoe.json").stat().st_mtime < time.time() - 60:
        assert (target / TEMA / "samsoe.html").read_bytes() == good
    # workers and their kernels go away
    gone_by = time.monotonic() + 30
    while time.monotonic() < gone_by and any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                                             for p in others):
        time.sleep(0.5)
    assert not [p for p in others if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    # the lock is released and a new run completes
    again = report.run([TEMA], ["Samsø"], workers=1, output=target, progress=False)
    assert not again.failed and not list(target.rglob(".*.tmp"))


def test_full_disk_fails_clearly_and_keeps_the_old_report(made, tmp_path):
    out, _ = made
    target = tmp_path / "out"
    shutil.copytree(out, target)
    good = (target / TEMA / "samsoe.html").read_bytes()

    def small_files():  # a real write failure: files may not grow beyond 64 KB (EFBIG), like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    done = subprocess.run([*CLI, "run", "--tema", TEMA, "--geografi", "Samsø", "--output", str(target),
                           "--force", "--workers", "1", "--no-progress"],
                          capture_output=True, text=True, preexec_fn=small_files)
    assert done.returncode != 0
    assert "disk is full" in done.stderr and "Samsø" in done.stderr
    assert (target / TEMA / "samsoe.html").read_bytes() == good
    assert not list(target.rglob(".*.tmp"))


def test_dask_executor_makes_the_same_reports(made, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, _ = made
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        summary = report.run([TEMA], ["Samsø", "Læsø"], output=tmp_path, progress=False, executor="dask",
                             scheduler=cluster.scheduler_address)
    assert len(summary.made) == 2 and not summary.failed
    for slug in ("samsoe", "laesoe"):
        a = out / TEMA / f"{slug}.tabeller"
        b = tmp_path / TEMA / f"{slug}.tabeller"
        files = sorted(p.name for p in a.glob("*.csv"))
        assert files and files == sorted(p.name for p in b.glob("*.csv"))
        for name in files:
            assert (a / name).read_bytes() == (b / name).read_bytes()


def test_dask_executor_needs_a_reachable_scheduler(tmp_path):
    with pytest.raises(ReportError, match="scheduler"):
        report.run([TEMA], ["Samsø"], output=tmp_path, progress=False, executor="dask", scheduler=None)
