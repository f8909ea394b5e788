"""Serve the theme notebooks as Voila apps (``vidensdata app`` / ``make app``).

Voila runs with the project's template (``app_template/voila/templates/vidensdata``:
a Danish landing page and error page, ``lang="da"``), without source code, and with
``VIDENSDATA_INTERAKTIV=1`` so the notebooks show their widgets.

The served ("tuned") configuration, :func:`voila_command` with ``tuned=True``:

* preheated kernels: ``--preheat_kernel=True`` with a pool of :data:`POOL_SIZE`
  kernels per theme notebook (``VoilaKernelManager.kernel_pools_config``). A pooled
  kernel has already imported the package, loaded the data and computed the
  default view; it then waits in :func:`voila.utils.wait_for_request` for the page
  request, so the query string (deep link) still reaches the notebook
  (:mod:`vidensdata.presentation.deeplink`);
* idle culling: kernels without a connection (tab closed) that are idle for
  :data:`CULL_IDLE_TIMEOUT` s are shut down (checked every :data:`CULL_INTERVAL` s),
  so live kernels return to the pool size; pooled kernels are never culled;
* a cap on live kernels (:data:`MAX_KERNELS`, :class:`vidensdata.app_server.BegraensetKernelManager`);
* a kernel websocket that passes only widget messages
  (:class:`vidensdata.app_server.WidgetKunForbindelse`): no ``execute_request`` from outside;
* Danish messages instead of tracebacks; notebooks and ``.py`` files are never served.

``tuned=False`` is Voila's defaults with the same template, used as the baseline
in ``benchmarks/bench_apps.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .config import PACKAGE_DIR, paths

TEMPLATE_ROOT = PACKAGE_DIR / "app_template"

#: Preheated kernels kept ready per theme notebook.
POOL_SIZE = 2
#: Seconds between checks for idle kernels, and idle time before a kernel without a connection is shut down.
CULL_INTERVAL = 15
CULL_IDLE_TIMEOUT = 45
#: Most live kernels at once (pools included); beyond it pages get the Danish "try again" page (HTTP 503).
MAX_KERNELS = 40

FEJL_INSTRUKTION = "Der opstod en fejl i appen. Prøv at genindlæse siden, eller kontakt os, hvis fejlen fortsætter."


def voila_command(port: int = 8866, ip: str = "127.0.0.1", tuned: bool = True, pool_size: int = POOL_SIZE,
                  max_kernels: int = MAX_KERNELS, kernel_pools: dict | None = None) -> list[str]:
    """The Voila command line: the served configuration (``tuned``) or Voila's defaults (baseline)."""
    cmd = [
        sys.executable, "-m", "voila", str(paths().themes),
        f"--port={port}", f"--Voila.ip={ip}", "--no-browser", "--template=vidensdata",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.classic_tree=True",
        "--VoilaExporter.language_code=da",
        f"--VoilaExecutor.cell_error_instruction={FEJL_INSTRUKTION}",
        f"--VoilaExecutor.cell_timeout_instruction={FEJL_INSTRUKTION}",
        # nothing but images below the notebook folder is served; notebooks and Python never
        "--VoilaConfiguration.file_denylist=['.*\\.(ipynb|py|pyc|yaml|yml|json|toml|cfg|ini|sh|env|txt)$', '(^|.*/)\\..*']",
    ]
    if not tuned:
        return cmd
    pools = {"default": {"pool_size": pool_size}}
    pools.update(kernel_pools or {})
    return cmd + [
        "--preheat_kernel=True", f"--pool_size={pool_size}",
        f"--VoilaKernelManager.kernel_pools_config={json.dumps(pools)}",
        "--VoilaConfiguration.multi_kernel_manager_class=vidensdata.app_server.BegraensetKernelManager",
        f"--BegraensetKernelManager.max_kernels={max_kernels}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        "--Voila.kernel_websocket_connection_class=vidensdata.app_server.WidgetKunForbindelse",
    ]


def voila_env() -> dict[str, str]:
    env = os.environ.copy()
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), env.get("JUPYTER_PATH", "")) if p)
    env["VIDENSDATA_INTERAKTIV"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def serve(port: int = 8866, tuned: bool = True) -> None:
    """Run Voila in the foreground until interrupted."""
    print(f"vidensdata apps: http://localhost:{port}/  (Ctrl+C stopper)", flush=True)
    try:
        subprocess.run(voila_command(port, tuned=tuned), env=voila_env(), check=False)
    except KeyboardInterrupt:
        pass
