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
def run(temaer, geografier, workers, output, no_progress) -> None:
    """Regenerate theme reports (HTML) and reports/index.html."""
    from . import report

    summary = report.run(list(temaer) or None, list(geografier) or None, workers=workers, output=output,
                         progress=not no_progress)
    click.echo(summary.text())


@main.command()
@click.option("--port", type=int, default=8866, show_default=True)
@click.option("--no-browser", is_flag=True, default=True, hidden=True)
def app(port: int, no_browser: bool) -> None:
    """Serve the theme notebooks as Voila apps with a Danish landing page."""
    from .app import serve

    serve(port=port)


@main.group()
def data() -> None:
    """Datasets: list and status."""


@data.command("list")
def data_list() -> None:
    """The catalog: every dataset with its source."""
    from .datasets import catalog

    df = catalog()
    for row in df.itertuples():
        flag = " [SYNTETISK]" if row.syntetisk else ""
        click.echo(f"{row.navn:20s} {row.titel}{flag}\n{'':20s} kilde: {row.kilde}; nøgle: {', '.join(row.noegle)}")


@data.command("status")
def data_status() -> None:
    """Where each dataset comes from now (snapshot, synthetic or a real register extract)."""
    from .datasets import registry as cat
    from .sources import register

    src = register.current_source()
    for ds in cat.DATASETS.values():
        if ds.personhenfoerbar:
            where = "synthetic register extract" if src["synthetic"] else f"real register extract ({src['kilde']})"
        else:
            where = "embedded snapshot"
        click.echo(f"{ds.navn:20s} {where}; kilde: {ds.kilde()}")


@main.command("eksporter-register")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def export_register(folder: Path, fmt: str) -> None:
    """Write the synthetic register extract in the real-extract format (a template for real data)."""
    from .sources import register

    ext = register.load_extract()
    register.write_extract(ext.personer, ext.forloeb, folder, fmt=fmt)
    click.echo(f"wrote {len(ext.personer)} persons and {len(ext.forloeb)} episodes to {folder} (SYNTHETIC)")


if __name__ == "__main__":  # pragma: no cover
    main()
