"""A papermill engine that reuses one warm Jupyter kernel per worker process.

A plain papermill run starts a kernel and imports pandas, matplotlib and
statsmodels for every report; the analysis itself takes a fraction of that. The
``vidensdata`` engine keeps one kernel alive per worker process and, before each
notebook, resets the kernel's user namespace (``InteractiveShell.reset`` with a
new session, so execution counts start at 1 again and no variable survives) and
closes any open figures. Imported modules stay imported: that is the saving.
Papermill still injects the parameters, records cell timings and writes a
normal papermill output notebook, so a report made this way has the same
content as one made by plain papermill.

The engine is registered under the ``papermill.engine`` entry point as
``vidensdata`` (``papermill --engine vidensdata in.ipynb out.ipynb``) and is
what ``vidensdata run`` uses.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading

import functools

from jupyter_core.utils import run_sync

ENGINE_NAME = "vidensdata"

# Run in the kernel before each notebook: a clean namespace, counts from 1, no open figures.
RESET_CODE = """\
get_ipython().reset(new_session=True, aggressive=False)
import sys as _sys
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
del _sys
get_ipython().execution_count = 1
"""

_lock = threading.Lock()
_kernels: dict[tuple[str, str], tuple] = {}  # (kernel_name, cwd) -> (manager, client)


_socket_dir: list[str] = []


def socket_dir() -> str:
    """This process's private folder (mode 0700, removed at exit) for its kernels' IPC sockets."""
    if not _socket_dir:
        import shutil
        import tempfile

        path = tempfile.mkdtemp(prefix="vd-kerne-")  # short: a Unix socket path has at most 107 bytes
        atexit.register(shutil.rmtree, path, True)
        _socket_dir.append(path)
    return _socket_dir[0]


async def _astart(kernel_name: str, cwd: str | None):
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    # IPC (Unix sockets in a 0700 folder) rather than loopback TCP: no other user can reach the kernel,
    # and ipykernel does not warn "Kernel is running over TCP without encryption" on every start
    km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc",
                            connection_file=os.path.join(socket_dir(), f"kernel-{uuid.uuid4().hex[:12]}.json"))
    await km.start_kernel(cwd=cwd, env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)
    return km, kc


def _start(kernel_name: str, cwd: str | None):
    return run_sync(_astart)(kernel_name, cwd)


def warm_kernel(kernel_name: str = "python3", cwd: str | None = None):
    """The worker's kernel (manager, client), started on first use and restarted if it died."""
    key = (kernel_name, cwd or "")
    with _lock:
        entry = _kernels.get(key)
        if entry is not None and not run_sync(entry[0].is_alive)():
            _stop(entry)
            entry = None
        if entry is None:
            entry = _start(kernel_name, cwd)
            _kernels[key] = entry
        return entry


async def _areset(kc, timeout: float):
    # a hard bound around the whole call: a kernel whose channels went quiet must not hang the run
    return await asyncio.wait_for(
        kc.execute_interactive(RESET_CODE, store_history=False, silent=True, timeout=timeout), timeout + 5)


def reset(kc, timeout: float = 60) -> None:
    reply = run_sync(_areset)(kc, timeout)
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"Den genbrugte kerne kunne ikke nulstilles: {reply['content'].get('evalue', '')}")


def ready_kernel(kernel_name: str, cwd: str | None, timeout: float = 60):
    """A warm kernel, reset for the next notebook; one that does not answer the reset in ``timeout``
    seconds (its channels broken, or busy for good) is replaced by a fresh one."""
    km, kc = warm_kernel(kernel_name, cwd)
    try:
        reset(kc, timeout)
        return km, kc
    except (TimeoutError, RuntimeError):  # (asyncio.wait_for raises the built-in TimeoutError)
        key = (kernel_name, cwd or "")
        with _lock:
            entry = _kernels.pop(key, None)
        if entry is not None:
            try:
                _stop(entry)
            except Exception:  # noqa: BLE001 - the old kernel is being thrown away either way
                pass
        km, kc = warm_kernel(kernel_name, cwd)
        reset(kc, timeout)
        return km, kc


def _stop(entry) -> None:
    km, kc = entry
    try:
        kc.stop_channels()
    finally:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)


def shutdown_all() -> None:
    """Stop every warm kernel of this process (registered at exit)."""
    with _lock:
        for entry in list(_kernels.values()):
            try:
                _stop(entry)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        _kernels.clear()


def kill_all() -> None:
    """Kill every warm kernel of this process at once (from a signal handler: no event loop needed)."""
    import signal as _signal

    for km, _kc in list(_kernels.values()):
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            try:
                os.kill(proc.pid, _signal.SIGKILL)
            except OSError:
                pass


atexit.register(shutdown_all)


@functools.lru_cache(maxsize=1)
def _engine_class():
    # Built on first use: papermill.engines loads its entry points (this module) while it is
    # being imported, so this module must not import papermill.engines at import time.
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        """Papermill engine: like the default nbclient engine, on a reused, reset kernel."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            from papermill.engines import logger

            kwargs = remove_args(["input_path"], **kwargs)
            cwd = kwargs.pop("cwd", None)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            km, kc = ready_kernel(kernel_name, cwd)
            client = PapermillNotebookClient(nb_man, km=km, **final_kwargs)
            client.kc = kc  # reuse the open channels; nbclient keeps them open because it does not own km
            return client.execute()

    WarmKernelEngine.__module__ = __name__
    return WarmKernelEngine


def __getattr__(name: str):
    if name == "WarmKernelEngine":  # the papermill.engine entry point
        return _engine_class()
    raise AttributeError(name)


def register() -> None:
    """Register the engine in this process (the entry point does it for papermill's CLI)."""
    from papermill.engines import papermill_engines

    papermill_engines.register(ENGINE_NAME, _engine_class())
