"""Serve the theme notebooks as Voila apps (``vidensdata app`` / ``make app``).

Voila runs with the project's template (``app_template/voila/templates/vidensdata``:
a Danish landing page), without source code, and with
``VIDENSDATA_INTERAKTIV=1`` so the notebooks show their widgets.
"""

from __future__ import annotations

import os
import subprocess
import sys

from .config import PACKAGE_DIR, paths

TEMPLATE_ROOT = PACKAGE_DIR / "app_template"


def voila_command(port: int = 8866, ip: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable, "-m", "voila", str(paths().themes),
        f"--port={port}", f"--Voila.ip={ip}", "--no-browser", "--template=vidensdata",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.classic_tree=True",
    ]


def voila_env() -> dict[str, str]:
    env = os.environ.copy()
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), env.get("JUPYTER_PATH", "")) if p)
    env["VIDENSDATA_INTERAKTIV"] = "1"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def serve(port: int = 8866) -> None:
    """Run Voila in the foreground until interrupted."""
    print(f"vidensdata apps: http://localhost:{port}/  (Ctrl+C stopper)", flush=True)
    try:
        subprocess.run(voila_command(port), env=voila_env(), check=False)
    except KeyboardInterrupt:
        pass
