"""Publish a report's files so that a kill at any moment leaves the old report or the new one, never a mix.

A report is three things beside each other: ``<slug>.html``, its provenance record ``<slug>.json`` and its
published tables ``<slug>.tabeller/`` (read by the disclosure audit). Written one after another, a kill in
between left new tables beside the old page. So all three live in one folder, swapped in one step:

* ``<slug>.tabeller/`` holds the tables and manifest as before, plus ``.rapport.html`` and ``.rapport.json``;
* ``<slug>.html`` and ``<slug>.json`` are relative symbolic links to those two files (the addresses of the
  reports, and everything that reads them, are unchanged);
* a new version is written into ``.<slug>.ny.tmp/`` and exchanged with ``<slug>.tabeller/`` by one
  ``renameat2(RENAME_EXCHANGE)`` (Linux): every path of the report switches from the old files to the new
  ones at once. The old folder (now under the temporary name) is then removed.

Where the exchange is not available (another OS, a file system without it) the fallback is two renames with
a moment in between where the report is missing (its links dangle): still never a mix. A report written
by an older version (plain files) is first moved into the folder without changing what is served.
Leftover ``.*.tmp`` folders from a killed run are removed by the next run (:func:`vidensdata.report.run`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..storage import atomic_write_text

HTML = ".rapport.html"
RECORD = ".rapport.json"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); False when the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _link(path: Path, target: str) -> None:
    """Make ``path`` a symbolic link to ``target`` (relative), replacing a file or link atomically."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = path.with_name(f".{path.name}.link.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _adopt_old_layout(live: Path, html: Path, record: Path) -> None:
    """Move a report of the old layout (plain files) into its folder without changing what is served."""
    if html.is_symlink() and record.is_symlink():
        return
    live.mkdir(parents=True, exist_ok=True)
    for plain, inside in ((html, HTML), (record, RECORD)):
        if plain.exists() and not plain.is_symlink():
            shutil.copy2(plain, live / inside)
            _link(plain, f"{live.name}/{inside}")


def publish(folder: Path, slug: str, page: str, record_json: str, write_tables: Callable[[Path], None]) -> None:
    """Write the report ``slug`` in ``folder``: ``write_tables(tmp_folder)`` writes its tables, then the page and
    the record go beside them and the whole set replaces the old one in one step."""
    folder = Path(folder)
    live, html, record = folder / f"{slug}.tabeller", folder / f"{slug}.html", folder / f"{slug}.json"
    new = folder / f".{slug}.ny.tmp"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    try:
        write_tables(new)
        atomic_write_text(new / HTML, page)
        atomic_write_text(new / RECORD, record_json)
        if live.exists() or html.exists():
            _adopt_old_layout(live, html, record)
        if live.exists():
            if not _exchange(new, live):
                old = folder / f".{slug}.gammel.tmp"
                shutil.rmtree(old, ignore_errors=True)
                os.rename(live, old)  # from here until the next rename the report is missing, never mixed
                os.rename(new, live)
                new = old
        else:
            _link(html, f"{live.name}/{HTML}")  # dangling until the rename below: no report, then the new one
            _link(record, f"{live.name}/{RECORD}")
            os.rename(new, live)
            return
        _link(html, f"{live.name}/{HTML}")
        _link(record, f"{live.name}/{RECORD}")
    finally:
        shutil.rmtree(new, ignore_errors=True)  # the old version after the exchange, or an unfinished new one
