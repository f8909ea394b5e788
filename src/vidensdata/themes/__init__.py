"""The themes: one computing module each, registered in :data:`TEMAER`.

>>> from vidensdata.themes import TEMAER
>>> TEMAER["serviceudvikling"].beregn(geografi="Aarhus")   # the typed result of one view

A theme's computing module turns a validated choice into a typed result (no HTML,
no widgets); its drawing lives in :mod:`vidensdata.presentation.temaer`. The
runner, the index page, provenance, the approved tables, the view cache and the
apps read this registry. Adding a theme: ``docs/arkitektur.md``.
"""

from __future__ import annotations

from ..errors import UnknownDatasetError, suggestion
from . import maalgruppe, overdoedelighed, serviceudvikling
from .tema import Tema

#: Every theme by name, in the order they are shown.
TEMAER: dict[str, Tema] = {t.navn: t for t in (serviceudvikling.TEMA, overdoedelighed.TEMA, maalgruppe.TEMA)}


def tema(navn: str | Tema) -> Tema:
    """The theme called ``navn`` (a :class:`Tema` is returned as it is); unknown names name the valid ones."""
    if isinstance(navn, Tema):
        return navn
    try:
        return TEMAER[navn]
    except (KeyError, TypeError):
        raise UnknownDatasetError(
            f"unknown theme {navn!r}; valid themes: {', '.join(TEMAER)}.{suggestion(navn, TEMAER)}",
            dansk=f"Ukendt tema: {navn!r}. Gyldige: {', '.join(TEMAER)}.",
        ) from None


def til_stede() -> list[Tema]:
    """The themes whose notebook and parameter file are in this home (``VIDENSDATA_HOME``)."""
    return [t for t in TEMAER.values() if t.notebook.exists() and t.parameterfil.exists()]


__all__ = ["TEMAER", "Tema", "tema", "til_stede"]
