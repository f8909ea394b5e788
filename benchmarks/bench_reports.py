"""Benchmark of report generation (issue 6): papermill baseline vs ``vidensdata run`` vs in-process floor.

Run with ``make bench-reports`` (or ``.venv/bin/python benchmarks/bench_reports.py [--quick]``).
In one run on the same machine it times

(a) the baseline: a sequential loop of ``papermill`` command-line runs (default
    engine, a new kernel per report) over a sample of reports spread over the themes;
(b) ``vidensdata run --force`` over the full set (every theme × Hele landet,
    5 regions and 98 kommuner) into a temporary folder;
(c) the floor: the same notebook code executed in-process (no papermill, no
    kernel, no HTML export) for the same full set, with as many worker processes
    as (b) uses, so the ratio b/c compares like with like (a sequential floor
    would flatter (b) by the number of cores);

and prints seconds per report, the ratios a/b and b/c, the peak memory of
(b) (resident memory of the whole process tree) and whether the published tables
of the sample are identical in (a) and (b). ``--quick`` uses only the sample's
geographies for (b) and (c) instead of all 104 (fixed start-up costs then weigh
much more, so (b) looks slower than in a full run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from vidensdata import publish, report
from vidensdata.config import paths
from vidensdata.themes import TEMAER
from vidensdata.reporting import inprocess

SAMPLE_GEOS = ["Hele landet", "Region Syddanmark", "Aarhus", "Læsø"]


class PeakMemory:
    """Peak resident memory of this process and all its descendants, sampled every 0.2 s."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def baseline(jobs, out: Path) -> float:
    """Sequential papermill CLI runs; returns seconds per report."""
    papermill = Path(sys.executable).with_name("papermill")
    t0 = time.perf_counter()
    for job in jobs:
        args = [str(papermill), str(paths().theme_notebook(job.tema)), str(out / f"{job.tema}-{job.slug}.ipynb"),
                "--cwd", str(paths().themes), "-k", "python3", "--no-progress-bar"]
        for k, v in job.parametre.items():
            args += ["-y", json.dumps({k: v}, ensure_ascii=False)]
        subprocess.run(args, check=True, capture_output=True)
    return (time.perf_counter() - t0) / len(jobs)


def _run_args(temaer, geos, out: Path, workers: int, force: bool = True) -> list[str]:
    exe = Path(sys.executable).with_name("vidensdata")
    args = [str(exe), "run", "--no-progress", "--workers", str(workers), "--output", str(out)]
    if force:
        args.append("--force")
    for t in temaer:
        args += ["--tema", t]
    for g in geos or []:
        args += ["--geografi", g]
    return args


def fast(temaer, geos, out: Path, workers: int) -> tuple[float, int, int]:
    """``vidensdata run --force`` in a subprocess; returns (seconds per report, reports, peak bytes)."""
    args = _run_args(temaer, geos, out, workers)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True)
        secs = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"vidensdata run failed:\n{done.stdout}\n{done.stderr}")
    n = sum(1 for t in temaer for _ in (out / t).glob("*.html"))
    return secs / n, n, mem.peak


def rerun(temaer, geos, out: Path, workers: int) -> tuple[float, str]:
    """``vidensdata run`` again with nothing changed; returns (seconds, its summary line)."""
    t0 = time.perf_counter()
    done = subprocess.run(_run_args(temaer, geos, out, workers, force=False), capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"vidensdata run failed:\n{done.stdout}\n{done.stderr}")
    line = next((ln for ln in done.stdout.splitlines() if " reports made in " in ln), done.stdout.strip())
    return secs, line


def floor(jobs, workers: int) -> float:
    """In-process runs spread over ``workers`` processes (started inside the timing, as (b)'s are)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    if workers == 1:
        for job in jobs:
            inprocess.run_job(job)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            list(pool.map(inprocess.run_job, report._interleave(jobs, workers), chunksize=1))
    return (time.perf_counter() - t0) / len(jobs)


def tables_identical(sample, base_dir: Path, fast_dir: Path) -> tuple[bool, list[str]]:
    import nbformat

    diffs = []
    for job in sample:
        nb = nbformat.read(base_dir / f"{job.tema}-{job.slug}.ipynb", as_version=4)
        base = publish.extract_tables(nb)
        folder = fast_dir / job.tema / f"{job.slug}.tabeller"
        with tempfile.TemporaryDirectory() as tmp:
            publish.write_tables(base, Path(tmp))
            for f in sorted(Path(tmp).glob("*.csv")):
                other = folder / f.name
                if not other.exists() or other.read_bytes() != f.read_bytes():
                    diffs.append(f"{job.tema}/{job.slug}/{f.name}")
            if not base:
                diffs.append(f"{job.tema}/{job.slug}: no published tables")
    return not diffs, diffs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the sample geographies for (b) and (c)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="worker processes for (b) and (c) (default: all cores)")
    args = ap.parse_args()
    temaer = list(TEMAER)
    report._prepare_data(report.plan(temaer, ["Hele landet"]))  # shared caches built once, for every phase
    sample = report.plan(temaer, SAMPLE_GEOS)
    full_geos = SAMPLE_GEOS if args.quick else None
    full = report.plan(temaer, full_geos)
    print(f"vidensdata report benchmark: {len(temaer)} themes ({', '.join(temaer)}), "
          f"{os.cpu_count()} cores, {args.workers} workers for (b) and (c); "
          f"sample {len(sample)} reports, full set {len(full)} reports", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "a").mkdir()
        a = baseline(sample, tmp / "a")
        print(f"(a) papermill CLI loop:      {a:7.2f} s per report ({len(sample)} reports)", flush=True)
        b, n, peak = fast(temaer, full_geos, tmp / "b", args.workers)
        print(f"(b) vidensdata run --force:  {b:7.2f} s per report ({n} reports)", flush=True)
        d, summary = rerun(temaer, full_geos, tmp / "b", args.workers)
        print(f"(d) re-run, nothing changed: {d:7.2f} s in all (goal < 5): {summary}", flush=True)
        c = floor(full, args.workers)
        print(f"(c) in-process floor:        {c:7.2f} s per report ({len(full)} reports, {args.workers} workers)",
              flush=True)
        same, diffs = tables_identical(sample, tmp / "a", tmp / "b")
    print(f"a/b = {a / b:.1f}   (goal >= 10)")
    print(f"b/c = {b / c:.2f}   (goal <= 3)")
    print(f"peak memory of (b): {peak / 2**30:.2f} GiB   (goal < 6)")
    print(f"published tables of the sample identical in (a) and (b): {'yes' if same else 'NO: ' + ', '.join(diffs)}")


if __name__ == "__main__":
    main()
