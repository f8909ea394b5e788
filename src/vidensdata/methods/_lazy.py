"""Modules imported on first use.

The methods need scipy and statsmodels, which take about a second and some 40–80 MB to import.
An app kernel that shows views from the view cache never computes anything, so the theme
modules must not import them up front: ``stats = lazy("scipy.stats")`` is a stand-in that
imports the module the first time one of its attributes is used.
"""

from __future__ import annotations

import importlib


class _Lazy:
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy(name: str) -> _Lazy:
    return _Lazy(name)
