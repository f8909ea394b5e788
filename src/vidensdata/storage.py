"""Files on disk: checksums, fingerprints, atomic writes and rebuildable caches.

Used by both the sources and the datasets (it imports only ``config``).

A cache entry is a folder ``<cache>/<name>/<fingerprint>/`` holding parquet files
and a ``meta.json`` with each file's SHA-256. It is written to a temporary folder
and renamed into place, so a crash never leaves a half-written entry; a file whose
checksum does not match is treated as missing (rebuilt, with a warning).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .config import paths


class CacheWarning(UserWarning):
    """A cache entry was corrupt and has been rebuilt."""


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(*parts) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def code_fingerprint(*modules) -> str:
    """A hash of the source files of ``modules``: the part of a derived cache's key that changes exactly
    when the code deriving it does (instead of a version number someone must remember to bump)."""
    return fingerprint(*(_module_hash(m.__name__, m.__file__) for m in modules))


@functools.lru_cache(maxsize=64)
def _module_hash(name: str, file: str) -> str:
    return name + ":" + sha256(Path(file))[:16]  # the loaded code does not change while the process runs


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def cached_tables(name: str, key: str, build: Callable[[], dict[str, pd.DataFrame]], extra_meta: dict | None = None
                  ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return the tables cached under ``name``/``key``, building and storing them when missing or corrupt."""
    folder = paths().cache / name / key
    meta_path = folder / "meta.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            tables = {}
            for tname, digest in meta["filer"].items():
                f = folder / f"{tname}.parquet"
                if sha256(f) != digest:
                    raise ValueError(f"Kontrolsummen passer ikke for {f}")
                tables[tname] = pd.read_parquet(f)
            return tables, meta
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            warnings.warn(f"cache {folder} is corrupt ({exc}); rebuilding it", CacheWarning, stacklevel=2)
    tables = build()
    meta = {"navn": name, "noegle": key, **(extra_meta or {}), "filer": {}}
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{key}."))
    try:
        for tname, df in tables.items():
            f = tmp / f"{tname}.parquet"
            df.to_parquet(f, index=False)
            meta["filer"][tname] = sha256(f)
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process won the race; its entry is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tables, meta
