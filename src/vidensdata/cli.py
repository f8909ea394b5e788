"""The ``vidensdata`` command line.

Errors are printed as one clear line (no traceback) with a non-zero exit:
2 for bad input or data, 1 when report runs failed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .errors import ReportError, VidensdataError


def _fail(exc: VidensdataError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1 if isinstance(exc, ReportError) else 2)


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except VidensdataError as exc:
            _fail(exc)


@click.group(cls=_Group)
@click.version_option(package_name="vidensdata")
@click.option("--register", "register", type=click.Path(path_type=Path), default=None,
              help="Folder with a real register extract (same as VIDENSDATA_REGISTER).")
def main(register: Path | None) -> None:
    """vidensdata: datasets, reports and apps on Danish social psychiatry."""
    if register is not None:
        os.environ["VIDENSDATA_REGISTER"] = str(register.resolve())


@main.command()
@click.option("--tema", "temaer", multiple=True, help="Theme(s) to run (default: all).")
@click.option("--geografi", "geografier", multiple=True,
              help="Geography/ies: code, name or level (default: Hele landet, 5 regions, 98 kommuner).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Parallel workers (default: cores).")
@click.option("--output", type=click.Path(path_type=Path), default=None, help="Output folder (default reports/).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--force", is_flag=True, help="Re-run every report, also those that are up to date.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run reports in local worker processes or on a Dask cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://HOST:PORT) for --executor dask.")
def run(temaer, geografier, workers, output, no_progress, force, executor, scheduler) -> None:
    """Regenerate theme reports (HTML) and reports/index.html; only what changed unless --force."""
    from . import report

    summary = report.run(list(temaer) or None, list(geografier) or None, workers=workers, output=output,
                         progress=not no_progress, force=force, executor=executor, scheduler=scheduler)
    click.echo(summary.text())


@main.command()
@click.argument("reports_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
def audit(reports_dir: Path | None) -> None:
    """Check every published table under REPORTS_DIR (default reports/): no count 1-4, nothing recoverable."""
    from .audit import audit as run_audit
    from .config import paths

    folder = reports_dir or paths().reports
    if not folder.is_dir():
        raise click.UsageError(f"rapportmappen {folder} findes ikke; lav rapporterne med `vidensdata run`")
    result = run_audit(folder)
    click.echo(result.summary())
    sys.exit(0 if result.ok else 1)


@main.command()
@click.option("--tema", "temaer", multiple=True, help="Theme(s) to approve (default: every theme present).")
def godkend(temaer) -> None:
    """Approve the key tables of the national reports now (writes tests/approved/<tema>/<table>.csv)."""
    from .approved import approve

    for path, changed in approve(list(temaer) or None):
        click.echo(f"{'updated' if changed else 'unchanged'}: {path}")


@main.command()
@click.option("--port", type=int, default=8866, show_default=True)
@click.option("--no-browser", is_flag=True, default=True, hidden=True)
def app(port: int, no_browser: bool) -> None:
    """Serve the theme notebooks as Voila apps with a Danish landing page."""
    from .app import serve

    serve(port=port)


@main.group()
def data() -> None:
    """Datasets: list, status and refresh from Statistics Denmark."""


@data.command("list")
def data_list() -> None:
    """The catalog: every dataset with its source."""
    from .datasets import catalog

    df = catalog()
    for row in df.itertuples():
        flag = " [SYNTETISK]" if row.syntetisk else ""
        click.echo(f"{row.navn:20s} {row.titel}{flag}\n{'':20s} kilde: {row.kilde}; nøgle: {', '.join(row.noegle)}")


def _data_source(ds, src: dict) -> str:
    from .sources import statbank_mappings as sbm

    if ds.personhenfoerbar:
        return "synthetic register extract" if src["synthetic"] else f"real register extract ({src['kilde']})"
    if ds.navn in sbm.REFRESHABLE or ds.navn in sbm.ALIASES:
        if sbm.cached_meta(sbm.ALIASES.get(ds.navn, ds.navn)) is not None:
            return sbm.status_line(ds.navn)
    if not ds.tilgaengelig():
        return "not available until `vidensdata data refresh`"
    return "embedded snapshot"


@data.command("status")
def data_status() -> None:
    """Where each dataset comes from now (embedded snapshot, StatBank cache, synthetic or real register extract)."""
    from .datasets import registry as cat
    from .sources import register

    src = register.current_source()
    for ds in cat.DATASETS.values():
        click.echo(f"{ds.navn:20s} {_data_source(ds, src)}; kilde: {ds.kilde()}")


@data.command("refresh")
@click.option("--datasets", "datasets", multiple=True,
              help="Dataset(s) to fetch (default: all refreshable). Repeat or separate by commas.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def data_refresh(datasets, no_progress) -> None:
    """Fetch the newest numbers from Statistics Denmark's StatBank, validate them, then replace the cache."""
    from .datasets import registry as cat
    from .datasets.refresh import refresh
    from .sources import register
    from .sources import statbank_mappings as sbm
    from .sources.statbank import StatbankError, base_url

    names = [n.strip() for d in datasets for n in d.split(",") if n.strip()] or None
    try:
        records = refresh(names, progress=not no_progress)
    except VidensdataError as exc:
        src = register.current_source()
        kept = "; ".join(f"{ds.navn}: {_data_source(ds, src)}" for ds in cat.DATASETS.values()
                         if ds.navn in sbm.REFRESHABLE or ds.navn in sbm.ALIASES)
        failed = getattr(exc, "datasaet", None)
        hint = ""
        if failed and not isinstance(exc, StatbankError):
            others = [n for n in (names or sbm.REFRESHABLE) if sbm.ALIASES.get(n, n) not in failed]
            if others:
                hint = f"\nthe others can be refreshed alone: vidensdata data refresh --datasets {','.join(others)}"
        where = f" (while fetching {', '.join(failed)})" if failed else ""
        click.echo(f"error{where}: {exc.message}\nnothing was replaced; in use now: {kept}{hint}", err=True)
        sys.exit(2)
    for rec in records:
        click.echo(f"{rec['navn']:20s} {rec['raekker']:>8d} rows from {', '.join(rec['kilde'])} "
                   f"({rec.get('periode', '')}), hentet {rec['hentet']}")
    click.echo(f"StatBank: {base_url()}; cache: {sbm.cache_dir()}")


@main.command("eksporter-register")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def export_register(folder: Path, fmt: str) -> None:
    """Write the synthetic register extract in the real-extract format (a template for real data).

    The template passes the checks of a real extract as it is: its tables and ``parametre.json`` (the window).
    """
    from .sources import register

    ext = register.load_extract()
    register.write_extract(ext.personer, ext.forloeb, folder, fmt=fmt, kontakter=ext.kontakter,
                           parametre={"first_year": ext.first_year, "last_year": ext.last_year})
    click.echo(f"wrote {len(ext.personer)} persons, {len(ext.forloeb)} episodes and "
               f"{0 if ext.kontakter is None else len(ext.kontakter)} register contacts to {folder} (SYNTHETIC)")


if __name__ == "__main__":  # pragma: no cover
    main()
