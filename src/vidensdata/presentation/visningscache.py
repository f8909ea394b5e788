"""Rendered sections of the theme views, shared by the report run and the app kernels.

A theme view is a list of sections (key figures, figures, tables, download links), each
rendered to one HTML string. Drawing them is most of a view's cost (matplotlib figures),
and the same view is drawn again and again: by ``vidensdata run`` for the reports and by
every app kernel whose user picks that kommune. So each section's HTML is stored once,
content-addressed, in ``<cache>/visninger/<tema>/<key>/<n>.html.z`` (zlib-compressed,
written atomically), where the key is a hash of

* the validated choices (``repr`` of the theme's ``valider(**parametre)``: the same view
  however its parameters were spelled),
* the theme's context from :func:`vidensdata.themes.kontekst.theme_context`: the
  notebook's cells, the fingerprint of every dataset the theme reads, the package
  version and source hash and the versions of the numerical libraries — read afresh for
  every view, so a data refresh or a code change never serves an old view.

The report run fills the cache as a by-product (``make reports`` leaves every default
view of every geography ready for the apps); the app fills it with every view it draws.
A section missing from the cache is drawn live. Nothing here decides what may be
published: the cached HTML is exactly what the same code drew, disclosure control included.

Size bound: the cache holds at most ``config.visningscache_max_bytes()`` (256 MiB by default,
``VIDENSDATA_VISNINGSCACHE_MB``; a view is ~46 KB, so ~5,000 views). A view folder's modification
time is its last use (set when a section is written or read). Every :data:`RYD_HVER` writes a
process measures the cache and, when it is over the bound, removes the least recently used views
until it is at 90 % of it (:func:`ryd`). A view removed while another process reads it is simply
drawn again.
"""

from __future__ import annotations

import os
import shutil
import zlib
from pathlib import Path

from ..config import paths, visningscache_max_bytes
from ..datasets.cache import atomic_write_bytes, fingerprint
from ..themes import kontekst

#: Writes between two measurements of the cache's size (per process).
RYD_HVER = 25
_skrevet = 0


def _context_key(tema: str) -> str:
    """The theme's context, read afresh for every view (a few milliseconds: file metadata and hashes, no
    data), so a data refresh or a changed notebook in a long-lived app process never serves an old view."""
    return fingerprint(kontekst.theme_context(tema))


def folder(tema, valg) -> Path:
    """The cache folder of one view: the theme (a :class:`~vidensdata.themes.Tema` or its name) and its
    validated choice."""
    navn = getattr(tema, "navn", tema)
    key = fingerprint(_context_key(navn), repr(valg))
    return tema_mappe(navn) / key


def tema_mappe(navn: str) -> Path:
    """The folder holding every cached view of the theme ``navn`` (one folder per view, named by its key)."""
    return paths().cache / "visninger" / navn


def has(mappe: Path, n: int) -> bool:
    return (mappe / f"{n}.html.z").is_file()


def read(mappe: Path, n: int) -> str | None:
    """Section ``n`` of a view, or None when it is not cached (or unreadable: then it is drawn again)."""
    try:
        html = zlib.decompress((mappe / f"{n}.html.z").read_bytes()).decode("utf-8")
    except (OSError, zlib.error, UnicodeDecodeError):
        return None
    try:
        os.utime(mappe)  # last use, for the least-recently-used eviction
    except OSError:
        pass
    return html


def write(mappe: Path, n: int, html: str) -> None:
    """Store section ``n`` of a view; a cache that cannot be written is no error (the view is still shown)."""
    global _skrevet
    try:
        atomic_write_bytes(mappe / f"{n}.html.z", zlib.compress(html.encode("utf-8"), 6))
        os.utime(mappe)
    except OSError:
        return
    _skrevet += 1
    if _skrevet % RYD_HVER == 0:
        ryd()


def _views(root: Path) -> list[tuple[float, int, Path]]:
    """(last use, bytes, folder) of every cached view under ``root``."""
    found = []
    for tema in (root.iterdir() if root.is_dir() else ()):
        for mappe in (tema.iterdir() if tema.is_dir() else ()):
            try:
                size = sum(f.stat().st_size for f in mappe.iterdir())
                found.append((mappe.stat().st_mtime, size, mappe))
            except OSError:
                continue  # removed meanwhile by another process
    return found


def storrelse() -> int:
    """Bytes held by the view cache now."""
    return sum(size for _, size, _ in _views(paths().cache / "visninger"))


def ryd(max_bytes: int | None = None) -> int:
    """Evict the least recently used views until the cache is at 90 % of its bound, when it is over the
    bound; returns the bytes removed."""
    bound = visningscache_max_bytes() if max_bytes is None else max_bytes
    views = _views(paths().cache / "visninger")
    total = sum(size for _, size, _ in views)
    if total <= bound:
        return 0
    removed = 0
    for _, size, mappe in sorted(views, key=lambda v: v[0]):
        if total - removed <= 0.9 * bound:
            break
        shutil.rmtree(mappe, ignore_errors=True)
        removed += size
    return removed
