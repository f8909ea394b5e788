"""Committed snapshots in ``data/snapshots/``: read, checksum-verified.

``data/snapshots/manifest.json`` records for every file its SHA-256 and its
provenance (producer, tables, address, retrieval date, licence). A missing or
altered file gives a :class:`DataError` naming the file.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .config import paths
from .errors import DataError
from .storage import sha256


def manifest() -> dict:
    path = paths().snapshot("manifest.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"snapshot manifest missing: {path}", dansk=f"Manifestet over data mangler: {path}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"snapshot manifest {path} is not valid JSON: {exc}",
                        dansk=f"Manifestet over data ({path.name}) er ikke gyldig JSON: linje {exc.lineno}, "
                              f"kolonne {exc.colno}. Gendan det fra git.") from None


def snapshot_info(filename: str) -> dict:
    info = manifest().get("filer", {}).get(filename)
    if info is None:
        raise DataError(f"snapshot {filename!r} is not listed in {paths().snapshot('manifest.json')}",
                        dansk=f"Datafilen {filename!r} står ikke i manifestet over data (manifest.json).")
    return info


def read_snapshot(filename: str, dtype: dict | None = None) -> pd.DataFrame:
    """Read a committed ``;``-separated UTF-8 snapshot after checking its checksum."""
    path = paths().snapshot(filename)
    info = snapshot_info(filename)
    return _read_verified(str(path), info["sha256"], _mtime(path), tuple(sorted((dtype or {}).items()))).copy()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        raise DataError(
            f"snapshot file missing: {path}. Restore it from git (git checkout -- {path.name}).",
            dansk=f"Datafilen {path.name} mangler.",
        ) from None


def _check(path: str, expected: str) -> None:
    """Raise :class:`DataError` unless the file's SHA-256 is the manifest's."""
    actual = sha256(Path(path))
    if actual != expected:
        raise DataError(
            f"snapshot {path} is corrupt or was changed: SHA-256 {actual[:12]}… does not match the manifest's "
            f"{expected[:12]}…. Restore it from git, or update manifest.json if the change is deliberate.",
            dansk=f"Datafilen {Path(path).name} er beskadiget.",
        )


@lru_cache(maxsize=32)
def _read_verified(path: str, expected: str, mtime: float, dtype: tuple) -> pd.DataFrame:
    _check(path, expected)
    try:
        return pd.read_csv(path, sep=";", dtype=dict(dtype) or None, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"snapshot {path} cannot be parsed: {exc}",
                        dansk=f"Datafilen {Path(path).name} kan ikke læses som CSV ({exc}).") from None


def read_json_snapshot(filename: str) -> dict:
    """Read a committed JSON snapshot (e.g. the map geometry ``kommuner_kort.geojson``) after checking its checksum."""
    path = paths().snapshot(filename)
    info = snapshot_info(filename)
    return json.loads(_read_json_verified(str(path), info["sha256"], _mtime(path)))


@lru_cache(maxsize=4)
def _read_json_verified(path: str, expected: str, mtime: float) -> str:
    _check(path, expected)
    return Path(path).read_text(encoding="utf-8")
