"""Approved versions of the key tables of the national reports (backtests).

For every theme present (a notebook in ``notebooks/temaer/`` with a parameter
file), the tables that the national report (*Hele landet*) publishes are
recomputed in-process - the theme's ``beregn`` with the parameter file's values,
then its published-table renderers (:func:`vidensdata.publish.publicer`) - and
stored as ``tests/approved/<tema>/<navn>.csv`` in exactly the bytes the report
writes (:func:`vidensdata.publish.csv_bytes`). A test recomputes them and
compares byte for byte, so a changed number is a deliberate, reviewed change:
``vidensdata godkend`` updates the approved files, and the diff goes into review.

A theme's drawing module (:data:`vidensdata.presentation.temaer.TEGNINGER`) lists
its published-table renderers in ``TABELLER`` (names of ``vis_*`` functions that
return :func:`~vidensdata.publish.publicer` results).
"""

from __future__ import annotations

from pathlib import Path

from . import geography
from .config import paths
from .errors import ReportError
from .publish import PubliceretTabel, csv_bytes


def national_tables(tema: str) -> dict[str, dict]:
    """The published tables (payloads) of the theme's national report, computed in-process."""
    from .parameters import read_parameter_file
    from .presentation.temaer import tegning
    from .themes import tema as find

    t = find(tema)
    tegn = tegning(t)
    params = {**read_parameter_file(t.navn), "geografi": geography.LAND_NAVN}
    res = t.beregn(**params)
    out: dict[str, dict] = {}
    for name in tegn.TABELLER:
        shown = getattr(tegn, name)(res)
        if isinstance(shown, PubliceretTabel):
            out.update({p["navn"]: p for p in shown.payloads})
    if not out:
        raise ReportError(f"theme {tema!r} publishes no tables through vidensdata.publish.publicer",
                          dansk=f"Temaet {tema} offentliggør ingen tabeller.")
    return out


def national_csv(tema: str) -> dict[str, bytes]:
    """``{file name: CSV bytes}`` of the national report's published tables."""
    from .publish import _file_name

    return {_file_name(navn): csv_bytes(p) for navn, p in national_tables(tema).items()}


def approved_dir(tema: str) -> Path:
    return paths().approved / tema


def approve(temaer=None) -> list[tuple[Path, bool]]:
    """Write the approved tables of ``temaer`` (default: every theme present); ``[(file, changed)]``."""
    from .datasets.cache import atomic_write_bytes
    from .sources import register
    from .themes import til_stede

    if not register.current_source()["synthetic"]:
        raise ReportError("approved tables are made from the synthetic extract only; unset VIDENSDATA_REGISTER "
                          "(tables from a real register extract must not go into the repository)",
                          dansk="Godkendte tabeller laves kun af de syntetiske data.")
    done = []
    for tema in temaer or [t.navn for t in til_stede()]:
        folder = approved_dir(tema)
        files = national_csv(tema)
        for fil, data in files.items():
            path = folder / fil
            changed = not path.exists() or path.read_bytes() != data
            if changed:
                atomic_write_bytes(path, data)
            done.append((path, changed))
        for old in sorted(folder.glob("*.csv")):
            if old.name not in files:
                old.unlink()
                done.append((old, True))
    return done


def compare(tema: str) -> list[str]:
    """Differences between the recomputed and the approved tables of ``tema`` (empty when identical)."""
    folder = approved_dir(tema)
    approved = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))} if folder.is_dir() else {}
    if not approved:
        return [f"{tema}: no approved tables in {folder}; run `vidensdata godkend --tema {tema}`"]
    now = national_csv(tema)
    problems = []
    for fil in sorted(set(approved) | set(now)):
        if fil not in now:
            problems.append(f"{tema}/{fil}: approved but no longer published")
        elif fil not in approved:
            problems.append(f"{tema}/{fil}: published but not approved")
        elif now[fil] != approved[fil]:
            problems.append(f"{tema}/{fil}: differs from the approved version:\n{_diff(approved[fil], now[fil])}")
    return problems


def _diff(old: bytes, new: bytes, n: int = 10) -> str:
    import difflib

    lines = difflib.unified_diff(old.decode("utf-8").splitlines(), new.decode("utf-8").splitlines(),
                                 "godkendt", "nu", lineterm="", n=0)
    return "\n".join(list(lines)[: 4 + n])
