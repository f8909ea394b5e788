"""Shared fixtures. Tests run against the repository's own data; caches go to a per-session folder."""

from __future__ import annotations

import os
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
