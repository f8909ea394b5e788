"""Cache keys and provenance of reports (the theme's context itself: :mod:`vidensdata.themes.kontekst`).

A report's cache key is a hash of everything that can change it: the theme
notebook's cells (sources, not outputs), the parameters, a fingerprint of every
dataset the theme reads, and the package (version and a hash of its source
files). ``vidensdata run`` re-executes a report only when its key changed, and
records the key with the report's provenance in ``<slug>.json`` beside the HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
from pathlib import Path

from ..config import paths
from ..themes.kontekst import _sha, theme_context, theme_datasets

__all__ = ["git_commit", "job_key", "read_record", "record", "theme_context", "theme_datasets"]


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The repository's commit (with ``+ændringer`` when the tree is dirty), or ``ukendt``."""
    root = paths().home
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+ændringer" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "ukendt"


def job_key(context: dict, parametre: dict) -> str:
    return _sha({"ctx": context, "parametre": parametre})[:32]


def record(context: dict, parametre: dict, key: str, sekunder: float) -> dict:
    """The provenance record written beside a report (``<slug>.json``)."""
    return {
        "noegle": key,
        "lavet": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "parametre": parametre,
        "data": context["data"],
        "version": context["version"],
        "biblioteker": context.get("biblioteker", {}),
        "git": git_commit(),
        "sekunder": round(sekunder, 3),
    }


def read_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
