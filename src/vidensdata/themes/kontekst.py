"""What every view and report of a theme depends on besides its parameters: the theme's context.

:func:`theme_context` is the notebook's cells, the provenance of every dataset the theme reads (source,
date, fingerprint), the package's version and source hash and the numerical libraries' versions. It keys
the report cache (:mod:`vidensdata.reporting.provenance`) and the apps' view cache
(:mod:`vidensdata.presentation.visningscache`), so a data refresh or a code change never serves an old
report or view. It is read afresh for every view (a few milliseconds: file metadata and hashes, no data).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from .. import __version__
from ..config import PACKAGE_DIR, synthetic_seed
from ..datasets import registry
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
    from . import tema as find  # the registry (this package's __init__), which imports the themes

    return find(tema).datasaet


def dataset_provenance(navn: str) -> dict:
    """Source, retrieval date, fingerprint and synthetic flag of one dataset (cheap: no data is read)."""
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
        record["seed"] = synthetic_seed()  # the generator's seed: provenance, never the source line
    return record


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
    from . import tema as find

    t = find(tema)
    data = [dataset_provenance(n) for n in t.datasaet]
    nb = t.notebook
    return {"notebook": notebook_hash(nb), "data": data, "version": __version__, "pakke": package_hash(),
            "biblioteker": library_versions()}
