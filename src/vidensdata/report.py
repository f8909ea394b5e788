"""The report runner: theme notebooks × geographies -> ``reports/<tema>/<slug>.html``.

Each report is the theme notebook executed by papermill (``geografi`` injected,
the other parameters from ``parameters/<tema>.yaml``) and exported to a light,
code-free Danish HTML page with an "Om rapporten" provenance section. Fast path:

* warm kernels: papermill's ``vidensdata`` engine (:mod:`.reporting.engine`)
  reuses one kernel per worker, reset to a clean namespace before each report;
* parallel workers (local processes, or a Dask cluster with ``executor="dask"``);
* incremental: a report is re-executed only when its cache key (notebook cells,
  parameters, fingerprints of the data the theme reads, package version and
  source hash; :mod:`.reporting.provenance`) differs from the one recorded in
  ``<slug>.json`` beside it. ``force=True`` re-runs everything.

Safety: a report's page, provenance record and tables are written into a
temporary folder and swapped in with one atomic rename only when the report
succeeded (:mod:`.reporting.swap`), so a failed or killed run leaves the old
report or the new one, never a partial one or a mix; a lock file stops two runs
writing to the same folder at once.
"""

from __future__ import annotations

import contextlib
import errno
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import geography
from .config import paths
from .datasets.cache import atomic_write_text
from .errors import ReportError
from .parameters import read_parameter_file
from .reporting import provenance

LOCK_NAME = ".vidensdata-run.lock"


@dataclass(frozen=True)
class Job:
    tema: str
    geografi: str  # display name, injected as the notebook's `geografi`
    slug: str
    niveau: str
    parametre: dict
    noegle: str = ""
    kontekst: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class JobResult:
    job: Job
    ok: bool
    sekunder: float
    fejl: str = ""
    uaendret: bool = False  # skipped: the report is up to date


@dataclass
class Summary:
    results: list[JobResult] = field(default_factory=list)
    sekunder: float = 0.0
    profiler: str = ""

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def made(self) -> list[JobResult]:
        return [r for r in self.results if r.ok and not r.uaendret]

    @property
    def unchanged(self) -> list[JobResult]:
        return [r for r in self.results if r.uaendret]

    def text(self) -> str:
        n = len(self.made)
        per = self.sekunder / n if n else 0.0
        lines = [f"{n} of {len(self.results)} reports made in {self.sekunder:.1f} s ({per:.2f} s per report); "
                 f"{len(self.unchanged)} unchanged, {len(self.failed)} failed"]
        if self.profiler:
            lines.append(self.profiler)
        for r in self.failed:
            lines.append(f"  FAILED {r.job.tema} / {r.job.geografi}: {r.fejl}")
        return "\n".join(lines)


def plan(temaer=None, geografier=None) -> list[Job]:
    """The jobs for the given themes (default all) and geographies (default the 104), with cache keys."""
    from .themes import tema as find
    from .themes import til_stede

    chosen = [find(t).navn for t in temaer] if temaer else [t.navn for t in til_stede()]
    geos = geography.resolve(geografier) if geografier else geography.report_geographies()
    jobs = []
    for tema in chosen:
        params = read_parameter_file(tema)
        ctx = provenance.theme_context(tema)
        for g in geos:
            p = {**params, "geografi": g.navn}
            jobs.append(Job(tema, g.navn, g.slug, g.niveau, p, provenance.job_key(ctx, p), ctx))
    return jobs


def paths_of(job: Job, output: Path) -> dict[str, Path]:
    folder = Path(output) / job.tema
    return {"html": folder / f"{job.slug}.html", "json": folder / f"{job.slug}.json",
            "tabeller": folder / f"{job.slug}.tabeller"}


def up_to_date(job: Job, output: Path) -> bool:
    p = paths_of(job, output)
    rec = provenance.read_record(p["json"])
    return bool(rec) and rec.get("noegle") == job.noegle and p["html"].exists()


@contextlib.contextmanager
def run_lock(output: Path):
    """An exclusive lock on ``output`` for the whole run (released even if the process is killed)."""
    import fcntl

    output.mkdir(parents=True, exist_ok=True)
    fh = open(output / LOCK_NAME, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise ReportError(f"another `vidensdata run` is writing to {output} right now (lock {output / LOCK_NAME}); "
                          "wait for it to finish",
                          dansk="En anden kørsel skriver allerede rapporter i denne mappe.") from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


class _Terminated(Exception):
    pass


@contextlib.contextmanager
def _sigterm_as_exception():
    """Turn SIGTERM into an exception so workers and kernels are stopped and the lock released."""
    def handler(signum, frame):
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(temaer=None, geografier=None, workers: int | None = None, output: Path | None = None,
        progress: bool = True, force: bool = False, executor: str = "local", scheduler: str | None = None,
        profiles: bool | None = None) -> Summary:
    """Run the jobs that are not up to date; raise :class:`ReportError` naming failures after writing the good ones.

    ``profiles`` (default: on a full run, all themes and geographies) also writes the 98 kommune profiles."""
    jobs = plan(temaer, geografier)
    out = Path(output) if output else paths().reports
    start = time.perf_counter()
    summary = Summary()
    with run_lock(out), _sigterm_as_exception():
        for stale in sorted(out.rglob(".*.tmp"), reverse=True):  # left by a killed run (we hold the lock)
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        todo = []
        for job in jobs:
            if not force and up_to_date(job, out):
                summary.results.append(JobResult(job, True, 0.0, uaendret=True))
            else:
                todo.append(job)
        if todo:
            _prepare_data(todo)
            bar = _progress(len(todo), progress)
            try:
                if executor == "dask":
                    results = _run_dask(todo, out, scheduler, bar)
                elif executor == "local":
                    results = _run_local(todo, out, workers, bar)
                else:
                    raise ReportError(f"unknown executor {executor!r}; use 'local' or 'dask'",
                                      dansk=f"Ukendt executor {executor!r}; vælg 'local' eller 'dask'.")
            except _Terminated:
                raise ReportError("the run was stopped (SIGTERM); finished reports are kept, the rest are unchanged",
                                  dansk="Kørslen blev stoppet.") from None
            finally:
                bar.close()
            summary.results.extend(results)
        summary.sekunder = time.perf_counter() - start
        order = {(j.tema, j.slug): i for i, j in enumerate(jobs)}
        summary.results.sort(key=lambda r: order[(r.job.tema, r.job.slug)])
        if profiles if profiles is not None else (temaer is None and geografier is None):
            summary.profiler = write_profiles(out, force=force, progress=False)
        try:
            write_index(out, summary)
        except OSError as exc:  # the landing page could not be written: the old one is kept (atomic write)
            if not summary.failed:
                raise ReportError(f"cannot write the landing page {out / 'index.html'}: {exc.strerror}",
                                  dansk="Forsiden kunne ikke skrives; den gamle er bevaret.") from None
    if summary.failed:
        navne = [f"{r.job.tema} / {r.job.geografi}" for r in summary.failed]
        flere = f" og {len(navne) - 10} flere" if len(navne) > 10 else ""
        raise ReportError(summary.text(),
                          dansk=f"{len(navne)} af {len(summary.results)} rapporter kunne ikke laves: "
                                f"{'; '.join(navne[:10])}{flere}. De tidligere udgaver er bevaret.")
    return summary


def _run_local(jobs: list[Job], out: Path, workers: int | None, bar) -> list[JobResult]:
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results = []
    if workers == 1:
        _worker_init()
        for job in jobs:
            results.append(run_job(job, str(out)))
            bar.update(1)
        return results
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    try:
        futures = [pool.submit(run_job, job, str(out)) for job in _interleave(jobs, workers)]
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.update(1)
    except BaseException:
        for p in list(getattr(pool, "_processes", {}).values()):
            p.terminate()  # workers stop their kernels in their SIGTERM finaliser
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def _interleave(jobs: list[Job], workers: int) -> list[Job]:
    """Spread the big geographies (country, regions) over the workers first."""
    rank = {"land": 0, "region": 1, "kommune": 2}
    return sorted(jobs, key=lambda j: rank.get(j.niveau, 3))


def _run_dask(jobs: list[Job], out: Path, scheduler: str | None, bar) -> list[JobResult]:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise ReportError("the Dask executor needs the 'distributed' package",
                          dansk="Dask-kørsel kræver pakken distributed; installér den eller brug "
                                "`--executor local`.") from None
    if not scheduler:
        raise ReportError("--executor dask needs --scheduler tcp://HOST:PORT (the address of a Dask scheduler)",
                          dansk="`--executor dask` kræver `--scheduler tcp://VÆRT:PORT` (adressen på en "
                                "Dask-scheduler).")
    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise ReportError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                          dansk=f"Kan ikke forbinde til Dask-klyngen på {scheduler}.") from None
    results = []
    try:
        client.run(_worker_init)
        futures = client.map(run_job, jobs, [str(out)] * len(jobs), pure=False)
        for fut in dask_completed(futures):
            results.append(fut.result())
            bar.update(1)
        client.run(_worker_shutdown)
    finally:
        client.close()
    return results


def _worker_init() -> None:
    """Runs once in every worker: register the warm-kernel engine and stop kernels on exit or SIGTERM."""
    from multiprocessing import util

    from .reporting import engine

    engine.register()
    os.environ.setdefault("MPLBACKEND", "Agg")
    util.Finalize(None, engine.shutdown_all, exitpriority=100)
    if multiprocessing.parent_process() is not None:  # a pool worker: SIGTERM stops its kernel too
        def on_term(signum, frame):
            try:
                engine.kill_all()
            finally:
                os._exit(128 + signum)

        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, on_term)
        _die_with_parent()


def _die_with_parent() -> None:
    """A worker whose runner was killed (even by SIGKILL) gets SIGTERM, so it and its kernel stop."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass

    def watch():  # portable fallback: poll the parent
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    import threading

    threading.Thread(target=watch, daemon=True, name="vidensdata-parent-watch").start()


def _worker_shutdown() -> None:
    from .reporting import engine

    engine.shutdown_all()


def _prepare_data(jobs: list[Job]) -> None:
    """Build the shared caches once, before workers start (they then only read them)."""
    from .datasets import registry

    for name in sorted({n for j in jobs for n in provenance.theme_datasets(j.tema)}):
        if registry.get(name).tilgaengelig():
            registry.frame(name)
    from .themes import profil

    if {j.tema for j in jobs} & set(profil.TEMA_RAEKKEFOELGE):
        profil.tabel()  # every kommune's headline indicators: the theme maps read them (cached on disk)


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Rapporter", unit="rapport", disable=not enabled)


def execute(job: Job, engine_name: str = "vidensdata"):
    """Execute the job's notebook with papermill and return the executed notebook node."""
    import papermill as pm

    p = paths()
    with tempfile.TemporaryDirectory(prefix="vidensdata-") as tmp:
        executed = Path(tmp) / f"{job.slug}.ipynb"
        return pm.execute_notebook(
            str(p.theme_notebook(job.tema)), str(executed), parameters=job.parametre, engine_name=engine_name,
            kernel_name="python3", progress_bar=False, log_output=False, cwd=str(p.themes),
            request_save_on_cell_execute=False, execution_timeout=900,
        )


def run_job(job: Job, output: str) -> JobResult:
    """Execute one notebook and write its report files atomically (runs in a worker)."""
    import papermill as pm

    from .reporting import export, swap

    t0 = time.perf_counter()
    target = paths_of(job, Path(output))
    try:
        nb = execute(job)
        rec = provenance.record(job.kontekst, job.parametre, job.noegle, time.perf_counter() - t0)
        page = export.render(nb, f"{_titel(job.tema)} – {job.geografi}", rec)
        # the page, its record and its tables replace the old ones in one step (reporting.swap)
        swap.publish(target["html"].parent, job.slug, page, json.dumps(rec, ensure_ascii=False, indent=1),
                     lambda folder: _write_tables(nb, folder))
        return JobResult(job, True, time.perf_counter() - t0)
    except pm.PapermillExecutionError as exc:
        return JobResult(job, False, time.perf_counter() - t0, f"{exc.ename}: {_first_line(exc.evalue)}")
    except OSError as exc:
        why = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else "cannot write"
        return JobResult(job, False, time.perf_counter() - t0, f"{why}: {exc}")
    except Exception as exc:  # noqa: BLE001 - reported in the summary, never swallowed
        return JobResult(job, False, time.perf_counter() - t0, f"{type(exc).__name__}: {_first_line(str(exc))}")


def _write_tables(nb, folder: Path) -> None:
    """The tables a report publishes, as data files beside it (for the disclosure audit)."""
    from . import publish

    tables = publish.extract_tables(nb)
    if tables:
        publish.write_tables(tables, folder)


def _titel(navn: str) -> str:
    """A theme's Danish title (the folder name for a folder that is no theme)."""
    from .themes import TEMAER

    return TEMAER[navn].titel if navn in TEMAER else navn


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def export_html(notebook: Path, title: str) -> str:
    """HTML of an executed notebook file without code cells, in Danish (no provenance section)."""
    import nbformat

    from .reporting import export

    return export.render(nbformat.read(notebook, as_version=4), title)


def write_index(output: Path, summary: Summary | None = None) -> Path:
    """The Danish landing page ``index.html``: search, the kommuner by region and on a map
    (:mod:`.reporting.forside`)."""
    from .formatting import fmt_dec, fmt_int
    from .reporting import forside

    output.mkdir(parents=True, exist_ok=True)
    run_text = ""
    if summary is not None:
        run_text = (f"Seneste kørsel: {fmt_int(len(summary.made))} rapporter lavet, "
                    f"{fmt_int(len(summary.unchanged))} uændrede, {fmt_int(len(summary.failed))} fejlede "
                    f"({fmt_dec(summary.sekunder, 1)} sekunder i alt).")
    path = output / "index.html"
    atomic_write_text(path, forside.side(output, run_text))
    return path


def write_profiles(output: Path, force: bool = False, progress: bool = True) -> str:
    """The 98 kommune profiles (``profil/<slug>.html`` and ``.pdf``); returns a one-line status for the summary."""
    from .reporting import profil

    t0 = time.perf_counter()
    printed, same = profil.skriv(output, force=force)
    pdf = profil.write_pdfs(printed)
    line = (f"kommune profiles: {len(printed)} written or printed again, {same} unchanged, "
            f"in {time.perf_counter() - t0:.1f} s"
            + (f"; {pdf}" if pdf else ""))
    if progress:
        print(line, flush=True)
    return line
