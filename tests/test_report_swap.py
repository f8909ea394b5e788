"""A report's page, record and tables are replaced in one step (reporting.swap): a kill at any moment leaves the
old report or the new one, never a mix (issue 19, item 3)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vidensdata.reporting import swap

WRITER = r"""
import sys, time
from pathlib import Path
from vidensdata.reporting import swap
folder, n = Path(sys.argv[1]), int(sys.argv[2])
def tables(n):
    def write(f):
        for i in range(30):
            (f / f"t{i}.csv").write_text(f"version;{n}\n")
        (f / "tabeller.json").write_text('{"version": %d}' % n)
    return write
print("start", flush=True)
while True:  # publish version after version until killed
    n += 1
    swap.publish(folder, "samsoe", f"<html>version {n}</html>", '{"version": %d}' % n, tables(n))
"""


def _version(folder: Path) -> tuple:
    """(page, record, manifest, tables) versions of the report as a reader sees it now."""
    page = (folder / "samsoe.html").read_text()
    rec = json.loads((folder / "samsoe.json").read_text())["version"]
    tab = folder / "samsoe.tabeller"
    man = json.loads((tab / "tabeller.json").read_text())["version"]
    csvs = {p.read_text().split(";")[1].strip() for p in tab.glob("t*.csv")}
    return int(page.split("version ")[1].split("<")[0]), rec, man, csvs


def _tables(n: int):
    def write(f: Path) -> None:
        for i in range(3):
            (f / f"t{i}.csv").write_text(f"version;{n}\n")
        (f / "tabeller.json").write_text('{"version": %d}' % n)
    return write


def test_publish_replaces_page_record_and_tables_together(tmp_path):
    swap.publish(tmp_path, "samsoe", "<html>version 1</html>", '{"version": 1}', _tables(1))
    assert _version(tmp_path) == (1, 1, 1, {"1"})
    swap.publish(tmp_path, "samsoe", "<html>version 2</html>", '{"version": 2}', _tables(2))
    assert _version(tmp_path) == (2, 2, 2, {"2"})
    assert os.readlink(tmp_path / "samsoe.html") == "samsoe.tabeller/.rapport.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samsoe.html", "samsoe.json", "samsoe.tabeller"]


def test_a_report_of_the_old_layout_is_adopted_then_replaced(tmp_path):
    """Plain files from an older version: the same content stays served until the new report is swapped in."""
    (tmp_path / "samsoe.html").write_text("<html>version 1</html>")
    (tmp_path / "samsoe.json").write_text('{"version": 1}')
    (tmp_path / "samsoe.tabeller").mkdir()
    _tables(1)(tmp_path / "samsoe.tabeller")
    swap._adopt_old_layout(tmp_path / "samsoe.tabeller", tmp_path / "samsoe.html", tmp_path / "samsoe.json")
    assert _version(tmp_path) == (1, 1, 1, {"1"}) and (tmp_path / "samsoe.html").is_symlink()
    swap.publish(tmp_path, "samsoe", "<html>version 2</html>", '{"version": 2}', _tables(2))
    assert _version(tmp_path) == (2, 2, 2, {"2"})


def test_a_failure_between_the_writes_keeps_the_old_report(tmp_path):
    swap.publish(tmp_path, "samsoe", "<html>version 1</html>", '{"version": 1}', _tables(1))

    def half(f: Path) -> None:
        _tables(2)(f)
        raise OSError(28, "No space left on device")  # the tables are written, the page never is

    with pytest.raises(OSError):
        swap.publish(tmp_path, "samsoe", "<html>version 2</html>", '{"version": 2}', half)
    assert _version(tmp_path) == (1, 1, 1, {"1"})
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_killing_the_writer_at_any_moment_never_leaves_a_mix(tmp_path):
    """SIGKILL a process that publishes version after version, at random moments, 12 times: every time the report
    on disk is entirely one version (page, record, manifest and every table), and never an older one."""
    import shutil

    swap.publish(tmp_path, "samsoe", "<html>version 0</html>", '{"version": 0}', _tables(0))
    rng = random.Random(19)
    current = 0
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(current)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        page, rec, man, csvs = _version(tmp_path)
        assert page == rec == man and csvs == {str(page)}, (page, rec, man, csvs)
        assert page >= current
        current = page
        for leftover in tmp_path.glob(".*.tmp"):  # what the next run removes first
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    assert current > 12  # the writer got through many versions: the kills fell mid-publish many times over
