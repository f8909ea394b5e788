"""Paths and configuration: the one place where paths are built.

Environment variables (all optional):

``VIDENSDATA_HOME``
    Root folder holding ``data/``, ``reports/``, ``notebooks/`` and ``parameters/``.
    Defaults to the repository root when the package runs from a checkout,
    otherwise to the current directory.
``VIDENSDATA_CACHE``
    Folder for rebuildable caches (default ``<home>/data/cache``).
``VIDENSDATA_REGISTER``
    Folder with a real register extract (see ``docs/registerudtraek.md``).
    When set, every loader and notebook uses it instead of the synthetic extract.
``VIDENSDATA_REGISTER_MAX_MB``
    Largest file of a register extract that is read, in MiB (default 2000); checked before reading.
``VIDENSDATA_VISNINGSCACHE_MB``
    Size bound of the apps' view cache in MiB (default 256); least recently used views are evicted.
``VIDENSDATA_SEED``
    Seed of the synthetic register extract (default 2024).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _find_home() -> Path:
    env = os.environ.get("VIDENSDATA_HOME")
    if env:
        return Path(env).expanduser().resolve()
    # src/vidensdata/config.py -> repository root two levels above src/
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists() and (candidate / "data" / "snapshots").is_dir():
        return candidate
    return Path.cwd().resolve()


@dataclass(frozen=True)
class Paths:
    """All folders and files the package reads or writes."""

    home: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def snapshots(self) -> Path:
        repo = self.data / "snapshots"
        if repo.is_dir():
            return repo
        return PACKAGE_DIR / "_snapshots"  # wheels carry a copy

    @property
    def cache(self) -> Path:
        env = os.environ.get("VIDENSDATA_CACHE")
        return Path(env).expanduser().resolve() if env else self.data / "cache"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def notebooks(self) -> Path:
        return self.home / "notebooks"

    @property
    def themes(self) -> Path:
        return self.notebooks / "temaer"

    @property
    def parameters(self) -> Path:
        return self.home / "parameters"

    @property
    def approved(self) -> Path:
        """Approved versions of key report tables (backtests)."""
        return self.home / "tests" / "approved"

    def snapshot(self, filename: str) -> Path:
        return self.snapshots / filename

    def theme_notebook(self, tema: str) -> Path:
        return self.themes / f"{tema}.ipynb"

    def parameter_file(self, tema: str) -> Path:
        return self.parameters / f"{tema}.yaml"


def paths() -> Paths:
    """The paths in force now (re-read from the environment on every call)."""
    return Paths(home=_find_home())


def register_path() -> Path | None:
    """The real register extract configured through ``VIDENSDATA_REGISTER``, if any."""
    env = os.environ.get("VIDENSDATA_REGISTER")
    return Path(env).expanduser().resolve() if env else None


def synthetic_seed() -> int:
    """Seed of the synthetic register extract."""
    raw = os.environ.get("VIDENSDATA_SEED", "2024")
    try:
        return int(raw)
    except ValueError:
        from .errors import ParameterError

        raise ParameterError(f"VIDENSDATA_SEED must be a whole number, got {raw!r}",
                             dansk=f"VIDENSDATA_SEED skal være et helt tal, ikke {raw!r}.") from None


#: Default largest size of one file of a register extract (MiB); ``VIDENSDATA_REGISTER_MAX_MB`` overrides it.
REGISTER_MAX_MB = 2000


def _positive_mib(variable: str, default: float) -> float:
    """A size in MiB from the environment variable ``variable`` (``default`` when unset); anything but a
    positive number is a :class:`ParameterError` naming the variable."""
    raw = os.environ.get(variable) or str(default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        from .errors import ParameterError

        raise ParameterError(f"{variable} must be a positive number of MiB, got {raw!r}",
                             dansk=f"{variable} skal være et positivt antal MiB, ikke {raw!r}.")
    return value


def register_max_mb() -> float:
    """The largest file of a register extract that is read (MiB), checked before the file is read."""
    return _positive_mib("VIDENSDATA_REGISTER_MAX_MB", REGISTER_MAX_MB)


def app_url() -> str:
    """Address of the Voila apps that reports link to (``VIDENSDATA_APP_URL``, default ``http://localhost:8866/``)."""
    url = os.environ.get("VIDENSDATA_APP_URL") or "http://localhost:8866/"
    return url if url.endswith("/") else url + "/"


def rapport_url(app_adresse: str | None = None) -> str:
    """Address of the reports' landing page that the apps link to: ``VIDENSDATA_RAPPORT_URL`` where another web
    server serves ``reports/``; by default the app server's own read-only copy, ``rapporter/index.html`` below
    ``app_adresse`` (default :func:`app_url`; the apps' landing page gives its own base URL)."""
    return os.environ.get("VIDENSDATA_RAPPORT_URL") or f"{app_adresse or app_url()}rapporter/index.html"


#: Default size bound of the view cache (MiB); ``VIDENSDATA_VISNINGSCACHE_MB`` overrides it.
VISNINGSCACHE_MB = 256


def visningscache_max_bytes() -> int:
    """The view cache's size bound in bytes (:mod:`vidensdata.presentation.visningscache`)."""
    return int(_positive_mib("VIDENSDATA_VISNINGSCACHE_MB", VISNINGSCACHE_MB) * 1024 * 1024)
