"""The report runner: theme notebooks × geographies -> ``reports/<tema>/<geografi>.html``.

Each report is the theme notebook executed with papermill (``geografi`` injected,
the other parameters from ``parameters/<tema>.yaml``) and exported to HTML without
code cells. A report is written to a temporary file and renamed into place only
when its run succeeded, so a failed run never replaces an earlier good report.
``reports/index.html`` is a Danish landing page linking every report.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import geography
from .config import paths
from .datasets.cache import atomic_write_text
from .errors import ReportError
from .parameters import check_theme, read_parameter_file, themes

TITLER = {
    "serviceudvikling": "Udvikling i modtagere af sociale ydelser",
    "overdoedelighed": "Overdødelighed",
    "maalgruppe": "Målgruppens størrelse",
}


@dataclass(frozen=True)
class Job:
    tema: str
    geografi: str  # display name, injected as the notebook's `geografi`
    slug: str
    niveau: str
    parametre: dict


@dataclass
class JobResult:
    job: Job
    ok: bool
    sekunder: float
    fejl: str = ""


@dataclass
class Summary:
    results: list[JobResult] = field(default_factory=list)
    sekunder: float = 0.0

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    def text(self) -> str:
        ok = len(self.results) - len(self.failed)
        per = self.sekunder / len(self.results) if self.results else 0.0
        lines = [f"{ok} of {len(self.results)} reports made in {self.sekunder:.1f} s ({per:.2f} s per report)"]
        for r in self.failed:
            lines.append(f"  FAILED {r.job.tema} / {r.job.geografi}: {r.fejl}")
        return "\n".join(lines)


def plan(temaer=None, geografier=None) -> list[Job]:
    """The jobs for the given themes (default all) and geographies (default the 104)."""
    chosen = [check_theme(t) for t in (temaer or themes())]
    geos = geography.resolve(geografier) if geografier else geography.report_geographies()
    jobs = []
    for tema in chosen:
        params = read_parameter_file(tema)
        for g in geos:
            jobs.append(Job(tema, g.navn, g.slug, g.niveau, {**params, "geografi": g.navn}))
    return jobs


def run(temaer=None, geografier=None, workers: int | None = None, output: Path | None = None,
        progress: bool = True) -> Summary:
    """Run every job; raise :class:`ReportError` naming the failures after writing the good ones."""
    jobs = plan(temaer, geografier)
    out = Path(output) if output else paths().reports
    _prepare_data()
    start = time.perf_counter()
    summary = Summary()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = _progress(len(jobs), progress)
    if workers == 1:
        for job in jobs:
            summary.results.append(run_job(job, str(out)))
            bar.update(1)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(run_job, job, str(out)) for job in jobs]
            for fut in as_completed(futures):
                summary.results.append(fut.result())
                bar.update(1)
    bar.close()
    summary.sekunder = time.perf_counter() - start
    order = {(j.tema, j.slug): i for i, j in enumerate(jobs)}
    summary.results.sort(key=lambda r: order[(r.job.tema, r.job.slug)])
    write_index(out)
    if summary.failed:
        raise ReportError(summary.text(), dansk="En eller flere rapporter kunne ikke laves.")
    return summary


def _prepare_data() -> None:
    """Build shared caches once, before workers start (they then only read them)."""
    from .datasets import registry

    for name in registry.DATASETS:
        registry.frame(name)


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Rapporter", unit="rapport", disable=not enabled)


def run_job(job: Job, output: str) -> JobResult:
    """Execute one notebook and write its HTML report atomically (runs in a worker process)."""
    import papermill as pm

    t0 = time.perf_counter()
    p = paths()
    target = Path(output) / job.tema / f"{job.slug}.html"
    try:
        with tempfile.TemporaryDirectory(prefix="vidensdata-") as tmp:
            executed = Path(tmp) / f"{job.slug}.ipynb"
            pm.execute_notebook(
                str(p.theme_notebook(job.tema)), str(executed), parameters=job.parametre,
                kernel_name="python3", progress_bar=False, log_output=False, cwd=str(p.themes),
                request_save_on_cell_execute=False,
            )
            page = export_html(executed, f"{TITLER.get(job.tema, job.tema)} – {job.geografi}")
        atomic_write_text(target, page)
        return JobResult(job, True, time.perf_counter() - t0)
    except pm.PapermillExecutionError as exc:
        return JobResult(job, False, time.perf_counter() - t0, f"{exc.ename}: {_first_line(exc.evalue)}")
    except Exception as exc:  # noqa: BLE001 - reported in the summary, never swallowed
        return JobResult(job, False, time.perf_counter() - t0, f"{type(exc).__name__}: {_first_line(str(exc))}")


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def export_html(notebook: Path, title: str) -> str:
    """HTML of an executed notebook without code cells, in Danish (``lang="da"``)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, language_code="da")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def write_index(output: Path) -> Path:
    """The Danish landing page ``index.html`` linking every report found under ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    order = {g.slug: i for i, g in enumerate(geography.report_geographies())}
    names = {g.slug: g for g in geography.report_geographies()}
    sections = []
    for tema_dir in sorted(d for d in output.iterdir() if d.is_dir()):
        files = sorted(tema_dir.glob("*.html"), key=lambda f: order.get(f.stem, 10_000))
        if not files:
            continue
        groups = {"land": [], "region": [], "kommune": []}
        for f in files:
            g = names.get(f.stem)
            groups[g.niveau if g else "kommune"].append(
                f'<li><a href="{html.escape(tema_dir.name)}/{html.escape(f.name)}">'
                f"{html.escape(g.navn if g else f.stem)}</a></li>")
        parts = []
        for key, label in (("land", "Hele landet"), ("region", "Regioner"), ("kommune", "Kommuner")):
            if groups[key]:
                parts.append(f"<h3>{label}</h3><ul class=\"vd-liste\">{''.join(groups[key])}</ul>")
        titel = TITLER.get(tema_dir.name, tema_dir.name)
        sections.append(f"<section><h2>{html.escape(titel)}</h2>{''.join(parts)}</section>")
    body = "".join(sections) or "<p>Der er endnu ingen rapporter. Kør <code>make reports</code>.</p>"
    page = f"""<!DOCTYPE html>
<html lang="da">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vidensdata – rapporter om socialpsykiatri</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111;line-height:1.5}}
.vd-liste{{columns:4 14em;padding-left:1.2em}} a{{color:#0b57a4}} .vd-syntetisk{{color:#8a1c00;font-weight:600}}
</style></head>
<body>
<header><h1>vidensdata – rapporter om socialpsykiatri</h1>
<p>Tal for hele landet, de 5 regioner og de 98 kommuner. Hver rapport viser tallene med usikkerhed, metode og kilde.</p>
<p class="vd-syntetisk">Tal fra registerudtrækket er syntetiske (demo), medmindre rapporten siger andet.</p>
</header>
<main>{body}</main>
</body></html>
"""
    path = output / "index.html"
    atomic_write_text(path, page)
    return path
