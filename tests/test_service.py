"""The apps as a service: ``vidensdata app`` starts and stops cleanly (SIGTERM/SIGINT stop Voila and every kernel
within seconds and free the port), the report runner's kernels use IPC sockets, and the deployment's systemd
unit is valid (issue 19, items 3 and 4)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _group(pgid: int) -> list[int]:
    """Living processes of a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _port_free(port: int) -> bool:
    """Nothing listens on the port (connections it served may linger in TIME_WAIT, as after any server)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_vidensdata_app_stops_every_child_on_a_signal(tmp_path, signum):
    """Start ``vidensdata app`` as a service manager would, wait for its kernel pools, send the signal: Voila and
    every kernel are gone within seconds, nothing of its process group is left and the port is free."""
    from vidensdata.app import descendants, free_port

    port = free_port()
    log = tmp_path / "app.log"
    exe = Path(sys.executable).with_name("vidensdata")
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "app", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ, "MPLBACKEND": "Agg"})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and log.read_text().count("is filled with") < 1:
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            assert r.status == 200
        tree = descendants(proc.pid)
        kernels = [p for p in tree if b"ipykernel" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(tree) >= 2 and kernels, tree  # Voila and at least one preheated kernel
        t0 = time.monotonic()
        os.kill(proc.pid, signum)
        proc.wait(timeout=30)
        while time.monotonic() - t0 < 30 and (any(_alive(p) for p in tree) or not _port_free(port)):
            time.sleep(0.1)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    left = [p for p in tree if _alive(p)]
    print(f"\n{signal.Signals(signum).name}: {len(tree)} processes ({len(kernels)} kernels) stopped in {took:.2f} s")
    assert not left, left
    assert _group(proc.pid) == []
    assert _port_free(port)
    assert took < 10, took
    assert "without encryption" not in log.read_text()


@pytest.mark.slow
def test_report_runner_kernels_use_ipc_sockets(capfd):
    """The warm kernel of ``vidensdata run`` listens on Unix sockets in a private folder, not on loopback TCP,
    so ipykernel's "running over TCP without encryption" warning is gone from the runner's output."""
    from vidensdata.reporting import engine

    km, kc = engine.warm_kernel("python3", str(REPO))
    try:
        engine.reset(kc)
        assert km.transport == "ipc"
        folder = Path(engine.socket_dir())
        assert stat.S_IMODE(folder.stat().st_mode) & 0o777 == 0o700
        sockets = [p for p in folder.iterdir() if stat.S_ISSOCK(p.stat().st_mode)]
        assert len(sockets) >= 5  # shell, iopub, stdin, control, heartbeat
    finally:
        engine.shutdown_all()
    assert "without encryption" not in capfd.readouterr().err


def test_systemd_unit_is_valid(tmp_path):
    """``systemd-analyze verify`` on the unit (as instance ``vidensdata-app@8866``) where systemd-analyze runs;
    the paths of the unit are those of a deployment (/opt/vidensdata), so they are pointed at this checkout first."""
    unit = (REPO / "deploy" / "systemd" / "vidensdata-app@.service").read_text()
    # structure that the shutdown and the proxy test rely on
    assert "KillMode=mixed" in unit and "TimeoutStopSec=" in unit  # SIGTERM to vidensdata app, SIGKILL after
    assert "ExecStart=/opt/vidensdata/.venv/bin/vidensdata app --port %i" in unit
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is not installed: install Debian's 'systemd' package to verify the unit")
    exe = Path(sys.executable).with_name("vidensdata")
    local = unit.replace("/opt/vidensdata/.venv/bin/vidensdata", str(exe)).replace("/opt/vidensdata", str(REPO))
    local = local.replace("User=vidensdata", "User=root")
    target = tmp_path / "vidensdata-app@8866.service"
    target.write_text(local)
    r = subprocess.run([analyze, "verify", "--man=no", str(target)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    problems = [line for line in (r.stdout + r.stderr).splitlines()
                if "vidensdata-app@" in line and "Failed to" not in line]
    assert r.returncode == 0 and not problems, r.stdout + r.stderr
