"""Rendered sections of the theme views, shared by the report run and the app kernels.

A theme view is a list of sections (key figures, figures, tables, download links), each
rendered to one HTML string. Drawing them is most of a view's cost (matplotlib figures),
and the same view is drawn again and again: by ``vidensdata run`` for the reports and by
every app kernel whose user picks that kommune. So each section's HTML is stored once,
content-addressed, in ``<cache>/visninger/<tema>/<key>/<n>.html.z`` (zlib-compressed,
written atomically), where the key is a hash of

* the validated choices (``repr`` of the theme's ``valider(**parametre)``: the same view
  however its parameters were spelled),
* the theme's context from :func:`vidensdata.reporting.provenance.theme_context`: the
  notebook's cells, the fingerprint of every dataset the theme reads, the package
  version and source hash and the versions of the numerical libraries — read afresh for
  every view, so a data refresh or a code change never serves an old view.

The report run fills the cache as a by-product (``make reports`` leaves every default
view of every geography ready for the apps); the app fills it with every view it draws.
A section missing from the cache is drawn live. Nothing here decides what may be
published: the cached HTML is exactly what the same code drew, disclosure control included.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from ..config import paths
from ..datasets.cache import atomic_write_bytes, fingerprint


def _context_key(tema: str) -> str:
    """The theme's context, read afresh for every view (a few milliseconds: file metadata and hashes, no
    data), so a data refresh or a changed notebook in a long-lived app process never serves an old view."""
    from ..reporting.provenance import theme_context

    return fingerprint(theme_context(tema))


def folder(tema, valg) -> Path:
    """The cache folder of one view: the theme (a :class:`~vidensdata.themes.Tema` or its name) and its
    validated choice."""
    navn = getattr(tema, "navn", tema)
    key = fingerprint(_context_key(navn), repr(valg))
    return paths().cache / "visninger" / navn / key


def has(mappe: Path, n: int) -> bool:
    return (mappe / f"{n}.html.z").is_file()


def read(mappe: Path, n: int) -> str | None:
    """Section ``n`` of a view, or None when it is not cached (or unreadable: then it is drawn again)."""
    try:
        return zlib.decompress((mappe / f"{n}.html.z").read_bytes()).decode("utf-8")
    except (OSError, zlib.error, UnicodeDecodeError):
        return None


def write(mappe: Path, n: int, html: str) -> None:
    """Store section ``n`` of a view; a cache that cannot be written is no error (the view is still shown)."""
    try:
        atomic_write_bytes(mappe / f"{n}.html.z", zlib.compress(html.encode("utf-8"), 6))
    except OSError:
        pass
