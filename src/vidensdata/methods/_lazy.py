"""Modules imported on first use.

The methods need scipy and statsmodels, which take about a second and some 40–80 MB to import.
An app kernel that shows views from the view cache never computes anything, so the theme
modules must not import them up front: ``stats = lazy("scipy.stats")`` is a stand-in that
imports the module the first time one of its attributes is used.
"""

from __future__ import annotations

import importlib
import sys
import warnings


class _Lazy:
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        module = sys.modules.get(self._name)
        if module is None:
            # Importing statsmodels adds warning filters ("always" for its ModelWarning family). The first use
            # is often inside a method's ``warnings.catch_warnings()`` block that ignores the fit's warnings;
            # filters added there would override that "ignore" for the rest of the block, so a method's
            # first call would print warnings its later calls do not. The import's filters are not kept.
            with warnings.catch_warnings():
                module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy(name: str) -> _Lazy:
    return _Lazy(name)
