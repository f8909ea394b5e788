"""Shared fixtures. Tests run against the repository's own data; caches go to a per-session folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep test caches apart from a developer's data/cache, shared by the whole session."""
    if "VIDENSDATA_CACHE" not in os.environ:
        os.environ["VIDENSDATA_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop("VIDENSDATA_REGISTER", None)
    os.environ.setdefault("MPLBACKEND", "Agg")
    yield


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tuned_voila(tmp_path_factory):
    """The served Voila configuration (preheated pools, culling, websocket filter) on a free port: (url, log path)."""
    from vidensdata.app import Server
    from vidensdata.themes import serviceudvikling

    serviceudvikling.beregn()  # build the shared caches before the pooled kernels start
    log = tmp_path_factory.mktemp("voila-tuned") / "voila.log"
    with Server(tuned=True, log=log, pool_size=1) as url:
        yield url, log


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium for the browser tests (a test module that needs other flags defines its own)."""
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def cached_views(tmp_path_factory):
    """What ``make reports`` leaves for the apps, for two areas: the default view of the whole country and of
    Aarhus, for every theme, in the view cache (the kernel-less page ``vis/<tema>`` serves only cached views)."""
    from vidensdata import report
    from vidensdata.themes import TEMAER

    report.run(list(TEMAER), ["Hele landet", "Aarhus"], output=tmp_path_factory.mktemp("vis-reports"), progress=False)
