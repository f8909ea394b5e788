"""Serve the theme notebooks as Voila apps (``vidensdata app`` / ``make app``).

Voila runs with the project's template (``app_template/voila/templates/vidensdata``:
a Danish landing page and error page, ``lang="da"``), without source code, and with
``VIDENSDATA_INTERAKTIV=1`` so the notebooks show their widgets.

The served ("tuned") configuration, :func:`voila_command` with ``tuned=True``:

* preheated kernels: ``--preheat_kernel=True`` with a pool of :data:`POOL_SIZE`
  kernels per theme notebook (``VoilaKernelManager.kernel_pools_config``). A pooled
  kernel has already imported the package, loaded the data and computed the
  default view before any request; the page then sends its own query string
  (deep link) to the kernel, which switches the view (:mod:`vidensdata.presentation.deeplink`);
* idle culling: kernels without a connection (tab closed) that are idle for
  :data:`CULL_IDLE_TIMEOUT` s are shut down (checked every :data:`CULL_INTERVAL` s),
  so live kernels return to the pool size; pooled kernels are never culled;
* a cap on live kernels (:data:`MAX_KERNELS`, :class:`vidensdata.app_server.BegraensetKernelManager`);
* a time limit per cell (:data:`CELL_TIMEOUT` s, ``VoilaExecutor.timeout``): a page whose
  computation hangs shows the Danish error message instead of holding a kernel forever;
* a kernel websocket that passes only widget messages
  (:class:`vidensdata.app_server.WidgetKunForbindelse`): no ``execute_request`` from outside, and
  limits per kernel on widgets, message size and rate; kernels idle in an open tab are culled after
  :data:`vidensdata.app_server.INAKTIV_GRAENSE` s;
* kernels talk to the server over IPC (Unix sockets in Voila's private 0700 connection folder),
  not loopback TCP;
* Danish messages instead of tracebacks, on every route (Voila runs as
  :class:`vidensdata.app_server.VidensdataVoila`); notebooks and ``.py`` files are never served;
* the generated ``reports/`` folder served read-only at ``rapporter/`` (report file types only,
  :class:`vidensdata.app_server.RapportFiler`); the landing page links to ``rapporter/index.html``.

:func:`serve` (``vidensdata app``) stops Voila and every kernel within seconds on SIGTERM/SIGINT/SIGHUP,
and Voila dies with it even when ``vidensdata app`` is killed (``PR_SET_PDEATHSIG``).

``tuned=False`` is Voila's defaults with the same template, used as the baseline
in ``benchmarks/bench_apps.py``.
"""

from __future__ import annotations

import html
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from .config import PACKAGE_DIR, paths

TEMPLATE_ROOT = PACKAGE_DIR / "app_template"

#: Preheated kernels kept ready per theme notebook.
POOL_SIZE = 2  # per notebook: a pooled kernel preheats in ~1.5 s (cached default view); raise it on bigger hosts
#: Seconds between checks for idle kernels, and idle time before a kernel without a connection is shut down.
CULL_INTERVAL = 15
CULL_IDLE_TIMEOUT = 45
#: Memory a live app kernel is planned with (MiB): ~120 MB of its own while it shows cached views, up to ~450 MB
#: after it computed and drew a view live (docs/apps.md, "Many users on one machine").
KERNE_MB = 250
#: Share of the memory available at start that the app kernels may take together.
KERNE_ANDEL = 0.6


def max_kerner(tilgaengelig: int | None = None) -> int:
    """The cap on live kernels (pools included), sized from the memory available now (bytes; default: measured
    with psutil): beyond it pages get the Danish "try again" page (HTTP 503) instead of the host running out
    of memory. At least 8, at most 400 (24 GiB with ~20 GiB free: 49)."""
    if tilgaengelig is None:
        import psutil

        tilgaengelig = psutil.virtual_memory().available
    return max(8, min(400, int(tilgaengelig * KERNE_ANDEL / (KERNE_MB * 2**20))))


#: The cap when none is given (``max_kernels`` of :func:`voila_command`; :func:`max_kerner` at import).
MAX_KERNELS = max_kerner()
#: Seconds a notebook cell may run while a page is rendered before it is stopped with the Danish error message.
CELL_TIMEOUT = 120
#: Seconds :func:`serve` gives Voila to shut its kernels down after SIGTERM before it kills what is left.
STOP_GRACE = 5

#: Files Voila's ``/voila/files/`` never serves (regular expressions on the path): notebooks, code, config, hidden.
FILE_DENYLIST = (r".*\.(ipynb|py|pyc|yaml|yml|json|toml|cfg|ini|sh|env|txt)$", r"(^|.*/)\..*")

FEJL_INSTRUKTION = "Der opstod en fejl i appen. Prøv at genindlæse siden, eller kontakt os, hvis fejlen fortsætter."


def voila_command(port: int = 8866, ip: str = "127.0.0.1", tuned: bool = True, pool_size: int = POOL_SIZE,
                  max_kernels: int = MAX_KERNELS, kernel_pools: dict | None = None,
                  cell_timeout: int = CELL_TIMEOUT, root=None, cull_interval: int = CULL_INTERVAL,
                  cull_connected_timeout: int | None = None, cull_idle_timeout: int = CULL_IDLE_TIMEOUT) -> list[str]:
    """The Voila command line: the served configuration (``tuned``) or Voila's defaults (baseline).

    ``root`` is the folder of notebooks to serve (default: the theme notebooks);
    ``cull_connected_timeout`` the seconds a kernel may idle in an open tab (default
    :data:`vidensdata.app_server.INAKTIV_GRAENSE`)."""
    from .app_server import FEJL_TEKST, INAKTIV_GRAENSE

    cmd = [
        sys.executable, "-m", "vidensdata.app_server" if tuned else "voila", str(root or paths().themes),
        f"--port={port}", f"--Voila.ip={ip}", "--no-browser", "--template=vidensdata",
        "--Voila.port_retries=0",  # the given port or fail: never serve silently on another one
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.classic_tree=True",
        "--VoilaExporter.language_code=da",
        # no ?template= / ?theme= from the URL: other templates could show code and bypass the kernel pool
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        f"--VoilaExecutor.cell_error_instruction={FEJL_INSTRUKTION}",
        f"--VoilaExecutor.cell_timeout_instruction={FEJL_INSTRUKTION}",
    ]
    # nothing but images below the notebook folder is served; notebooks and Python never. One flag per item:
    # traitlets 5 deprecated a whole list in one flag (``--X.list=[...]``).
    cmd += [f"--VoilaConfiguration.file_denylist={pattern}" for pattern in FILE_DENYLIST]
    # deployment-specific flags (e.g. --Voila.base_url=/services/vidensdata-apps/ behind JupyterHub)
    cmd += shlex.split(os.environ.get("VIDENSDATA_VOILA_ARGS", ""))
    if not tuned:
        return cmd
    pools = {"default": {"pool_size": pool_size}}
    pools.update(kernel_pools or {})
    return cmd + [
        "--preheat_kernel=True", f"--pool_size={pool_size}",
        # the whole dict as JSON: traitlets 5 deprecates that form, but its ``key=value`` form keeps values as
        # strings and the pool configs are dicts (tests/test_internals.py checks the parsed value)
        f"--VoilaKernelManager.kernel_pools_config={json.dumps(pools)}",
        "--VoilaConfiguration.multi_kernel_manager_class=vidensdata.app_server.BegraensetKernelManager",
        f"--BegraensetKernelManager.max_kernels={max_kernels}",
        f"--VoilaExecutor.timeout={cell_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        f"--BegraensetKernelManager.cull_connected_timeout={cull_connected_timeout or INAKTIV_GRAENSE}",
        "--Voila.kernel_websocket_connection_class=vidensdata.app_server.WidgetKunForbindelse",
        # no traceback over the websocket (our connection class also drops stderr and cleans widget outputs)
        "--MappingKernelManager.allow_tracebacks=False",
        f"--MappingKernelManager.traceback_replacement_message={FEJL_TEKST}",
        # kernels on Unix sockets in Voila's private connection folder (mode 0700), not loopback TCP
        "--KernelManager.transport=ipc",
    ]


def forside_temaer() -> Path:
    """Write the landing page's list of apps from the theme registry; returns the template root holding it.

    The template's ``tree.html`` includes ``temaer.html`` from this root (generated here, so the
    titles and questions are the registry's) and falls back to a plain list of the notebooks when
    it is missing (a bare ``voila --template=vidensdata``).
    """
    from .datasets.cache import atomic_write_text
    from .themes import til_stede

    from .app_vis import VIS_STI

    # the title opens the theme's page without a kernel (vidensdata.app_vis: the view cache, a form); the second
    # link the interactive app
    items = "".join(
        f'<li><a href="{{{{ base_url }}}}{VIS_STI}/{html.escape(t.navn)}">{html.escape(t.titel)}</a>'
        f"<br><span>{html.escape(t.spoergsmaal)}</span><br>"
        f'<a class="vd-app-link" href="{{{{ base_url }}}}voila/render/{html.escape(t.notebook.name)}">'
        f"Åbn den interaktive app</a></li>\n"
        for t in til_stede()
    )
    root = paths().cache / "app-skabelon"
    from .config import rapport_url

    # the reports this server serves at rapporter/ (vidensdata.app_server.RapportFiler), or VIDENSDATA_RAPPORT_URL
    href = html.escape(rapport_url("{{ base_url }}"))
    rapporter = (f'<p><a href="{href}">Rapporter og kommuneprofiler</a>: find din kommune, '
                 "se dens hovedtal ved siden af regionen og hele landet, og hent profilen som PDF.</p>\n")
    atomic_write_text(root / "voila" / "templates" / "vidensdata" / "temaer.html",
                      "{# generated by vidensdata.app.forside_temaer from vidensdata.themes.TEMAER #}\n"
                      f'<ul class="vd-apps">\n{items}</ul>\n{rapporter}')
    return root


def voila_env() -> dict[str, str]:
    env = os.environ.copy()
    roots = (str(forside_temaer()), str(TEMPLATE_ROOT), env.get("JUPYTER_PATH", ""))
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in roots if p)
    env["VIDENSDATA_INTERAKTIV"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def serve(port: int = 8866, tuned: bool = True) -> int:
    """Run Voila in the foreground until it exits or this process gets SIGTERM, SIGINT or SIGHUP.

    On a signal, Voila gets SIGTERM (it shuts its kernels down) and :data:`STOP_GRACE` seconds;
    whatever of its process tree is left then (kernels, workers) is killed. Voila is started with
    ``PR_SET_PDEATHSIG`` so it gets SIGTERM even if this process is killed outright."""
    print(f"vidensdata apps: http://localhost:{port}/  (Ctrl+C stopper)", flush=True)
    proc = subprocess.Popen(voila_command(port, tuned=tuned), env=voila_env(), preexec_fn=_die_with_parent)
    stop = []

    def on_signal(signum, frame):
        stop.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        while proc.poll() is None and not stop:
            time.sleep(0.2)
    finally:
        stop_tree(proc)
        for s, h in previous.items():
            signal.signal(s, h)
    return proc.returncode or 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """In the child: get SIGTERM when the parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid`` (children, kernels, their children), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_tree(proc: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """SIGTERM to ``proc`` (Voila stops its kernels), then SIGKILL to anything of its tree still alive."""
    tree = descendants(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    for pid in [*tree, *descendants(proc.pid)]:  # kernels are in their own sessions: kill them by id
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


class Server:
    """A Voila server in the background (tests and benchmarks): ``with Server(tuned=True) as url: ...``."""

    def __init__(self, tuned: bool = True, port: int | None = None, log=None, **kwargs):
        self.tuned, self.port, self.log, self.kwargs = tuned, port or free_port(), log, kwargs
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        import time
        import urllib.request

        out = open(self.log, "w") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed in __exit__
        self._out = out
        self.proc = subprocess.Popen(voila_command(self.port, tuned=self.tuned, **self.kwargs), env=voila_env(),
                                     stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return self.url
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"Voila startede ikke inden for 90 s på {self.url}")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            stop_tree(self.proc, grace=20)
            self.proc = None
        if self._out not in (None, subprocess.DEVNULL):
            self._out.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
