"""The apps' geography widgets, shared by every theme's drawing."""

from __future__ import annotations

from ... import geography
from ...errors import VidensdataError
from ..widgets import Kontrol


def geografi_kontroller() -> list[Kontrol]:
    """The two geography widgets every theme app starts with: one area, plus optional extra kommuner."""
    return [
        Kontrol("geografi", "Geografi", "dropdown", [(g.navn, g.navn) for g in geography.report_geographies()]),
        Kontrol("flere_kommuner", "Læg flere kommuner til (valgfrit)", "flere",
                [(g.navn, g.navn) for g in geography.kommuner()]),
    ]


def start_geografi(parametre: dict, geografi) -> None:
    """Set the widgets' start geography from a notebook's ``geografi``: the first area in the dropdown,
    further kommuner in the second list; an unknown geography starts at the whole country."""
    try:
        geos = geography.resolve(geografi)
        parametre["geografi"] = geos[0].navn
        parametre["_flere_kommuner"] = [g.navn for g in geos[1:]]
    except VidensdataError:
        parametre["geografi"] = geography.LAND_NAVN
