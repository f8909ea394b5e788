"""Cache keys and provenance of reports.

A report's cache key is a hash of everything that can change it: the theme
notebook's cells (sources, not outputs), the parameters, a fingerprint of every
dataset the theme reads, and the package (version and a hash of its source
files). ``vidensdata run`` re-executes a report only when its key changed, and
records the key with the report's provenance in ``<slug>.json`` beside the HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import subprocess
from pathlib import Path

from .. import __version__
from ..config import PACKAGE_DIR, paths
from ..parameters import notebook_celler


def _sha(payload) -> str:
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=1)
def package_hash() -> str:
    """Hash of the package's source files and templates (changes whenever the code does)."""
    h = hashlib.sha256(__version__.encode())
    for f in sorted(PACKAGE_DIR.rglob("*")):
        if f.is_file() and f.suffix in {".py", ".html", ".j2", ".json", ".css"} and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(PACKAGE_DIR)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def notebook_hash(notebook: Path) -> str:
    """Hash of a notebook's cell types and sources (outputs and metadata ignored).

    Read as plain JSON (:func:`vidensdata.parameters.notebook_celler`): every app kernel hashes its notebook
    for each view it shows."""
    return _sha([(c["cell_type"], c["source"]) for c in notebook_celler(notebook)])[:16]


def theme_datasets(tema) -> tuple[str, ...]:
    """The datasets a theme reads (its :class:`~vidensdata.themes.Tema` ``datasaet``)."""
    from ..themes import tema as find

    return find(tema).datasaet


def dataset_provenance(navn: str) -> dict:
    """Source, retrieval date, fingerprint and synthetic flag of one dataset (cheap: no data is read)."""
    from ..datasets import registry

    ds = registry.get(navn)
    record = {
        "navn": navn,
        "titel": ds.titel,
        "kilde": ds.kilde(),
        "hentet": ds.hentet(),
        "fingeraftryk": ds.fingerprint(),
        "syntetisk": bool(ds.syntetisk()),
    }
    if record["syntetisk"]:
        from ..config import synthetic_seed

        record["seed"] = synthetic_seed()  # the generator's seed: provenance, never the source line
    return record


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


#: The numerical libraries whose versions can change a number (part of every report's and view's key).
BIBLIOTEKER = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib")


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed versions of :data:`BIBLIOTEKER` (fixed for the life of a process)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in BIBLIOTEKER:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "mangler"
    return out


def theme_context(tema) -> dict:
    """What every report of a theme shares: notebook hash, data provenance, package, numerical libraries."""
    from ..themes import tema as find

    t = find(tema)
    data = [dataset_provenance(n) for n in t.datasaet]
    nb = t.notebook
    return {"notebook": notebook_hash(nb), "data": data, "version": __version__, "pakke": package_hash(),
            "biblioteker": library_versions()}


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
