"""The apps' geography control, shared by every theme's drawing."""

from __future__ import annotations

from ... import geography
from ...errors import VidensdataError
from ..widgets import Kontrol


def geografi_kontroller() -> list[Kontrol]:
    """The geography control every theme app starts with: one area, plus optional extra kommuner."""
    return [Kontrol("geografi", "Geografi", "geografi")]


def start_geografi(parametre: dict, geografi) -> None:
    """The widgets' start area from a notebook's ``geografi`` (its one string form); an unknown or
    invalid area starts at the whole country."""
    try:
        parametre["geografi"] = geography.omraade(geografi).noegle
    except VidensdataError:
        parametre["geografi"] = geography.LAND_NAVN
