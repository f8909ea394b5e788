"""The preheated kernel pools come back after the kernel cap was hit (issue 19, item 1).

Voila refills a pool only when a page takes a kernel from it; a refill that met the cap failed, and the pool
stayed empty until a restart. ``BegraensetKernelManager.fyld_puljer`` refills the pools on every culling round.
A real Voila server with the served configuration, a cap of 2 kernels and a one-widget notebook.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import psutil
import pytest

pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def _kerner(pid: int) -> int:
    n = 0
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(p.cmdline()):
                n += 1
        except psutil.Error:
            continue
    return n


def _vent(betingelse, sekunder: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < sekunder:
        if betingelse():
            return time.monotonic() - t0
        time.sleep(0.5)
    return None


def test_the_pool_is_refilled_after_the_cap_was_hit(tmp_path):
    import nbformat

    from vidensdata.app import Server

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import ipywidgets as w\nw.Dropdown(options=['a', 'b'], description='Valg')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "proeve.ipynb")
    log = tmp_path / "voila.log"
    server = Server(tuned=True, log=log, root=tmp_path, pool_size=1, max_kernels=2, cull_interval=2,
                    cull_idle_timeout=4)
    with server as url:
        pid = server.proc.pid
        assert _vent(lambda: "is filled with" in log.read_text(), 120) is not None
        page = url + "/voila/render/proeve.ipynb"
        statuses = [_get(page)[0] for _ in range(4)]  # pages without a websocket: their kernels idle at once
        assert statuses[:2] == [200, 200] and 503 in statuses, statuses  # the cap was hit
        # the pages' kernels are culled (no connection, idle > 4 s); then the pool must be full again
        back = _vent(lambda: _kerner(pid) == 1 and "refilling the kernel pool" in log.read_text(), 60)
        assert back is not None, (_kerner(pid), log.read_text()[-3000:])
        assert _vent(lambda: log.read_text().count("is filled with") >= 2, 30) is not None
        # and a page takes a preheated kernel again
        status, body = _get(page)
        assert status == 200
        assert log.read_text().count("Using pre-heated kernel") >= 3


def test_the_kernel_cap_is_sized_from_the_memory_available():
    from vidensdata import app

    gib = 2**30
    assert app.max_kerner(20 * gib) == int(20 * gib * app.KERNE_ANDEL / (app.KERNE_MB * 2**20)) == 49
    assert app.max_kerner(1 * gib) == 8 and app.max_kerner(10_000 * gib) == 400  # the floor and the ceiling
    assert f"--BegraensetKernelManager.max_kernels={app.MAX_KERNELS}" in app.voila_command(9999)


def test_a_kernel_taken_from_the_pool_is_not_culled_before_its_page_connects(tmp_path):
    """A pooled kernel idles from its preheating on; a page that takes it connects its websocket seconds later.
    A culling round in between saw "0 connections, idle 240 s" and shut the page's kernel down (full test suite,
    2026-12-02: the map test's page never got its widgets). Idle now counts from when a page took it."""
    import re

    import nbformat
    from websockets.sync.client import connect

    from vidensdata.app import Server

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import ipywidgets as w\nw.Dropdown(options=['a'])")
                                         ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "proeve.ipynb")
    log = tmp_path / "voila.log"
    with Server(tuned=True, log=log, root=tmp_path, pool_size=1, cull_interval=1, cull_idle_timeout=3) as url:
        assert _vent(lambda: "is filled with" in log.read_text(), 120) is not None
        time.sleep(6)  # the pooled kernel has now idled twice the limit
        status, body = _get(url + "/voila/render/proeve.ipynb")
        assert status == 200
        kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', body).group(1)
        time.sleep(2.5)  # two culling rounds, as a slow page would take to connect
        assert f"({kernel})" not in log.read_text(), log.read_text()[-2000:]
        with connect(url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels", open_timeout=30) as ws:
            ws.ping().wait(10)  # the page's websocket reaches a live kernel
