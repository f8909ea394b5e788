"""The drawing half of each theme: key figures, figures, tables and the notebook/app view.

One module per theme in :data:`vidensdata.themes.TEMAER`, registered here under the same
name in :data:`TEGNINGER`. A drawing module takes the typed result of its theme's
``beregn`` and draws it with the shared components (:mod:`..komponenter`, :mod:`..plots`);
it computes nothing itself. ``TABELLER`` in each module names the renderers whose
published tables are the theme's approved tables.
"""

from __future__ import annotations

from types import ModuleType

from ...themes import Tema, tema
from . import maalgruppe, overdoedelighed, serviceudvikling

#: The drawing module of every theme, by theme name (the same keys as ``TEMAER``).
TEGNINGER: dict[str, ModuleType] = {m.TEMA.navn: m for m in (serviceudvikling, overdoedelighed, maalgruppe)}


def tegning(navn: str | Tema) -> ModuleType:
    """The drawing module of a theme (by name or :class:`~vidensdata.themes.Tema`)."""
    return TEGNINGER[tema(navn).navn]


__all__ = ["TEGNINGER", "tegning"]
