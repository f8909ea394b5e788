"""Typed comparisons against the region and the country, for key figures and the "compare kommuner" view.

A theme computes them (``sammenligninger(res)`` and ``kommuner_sammenlignet(res)`` in
each theme module); the drawing layer shows them. The verdict itself is
:func:`vidensdata.themes.sammenligning.vurder`. Disclosure: a hidden figure (its count
suppressed, ``<5`` or ``x``) is passed as missing, so its verdict is ``ikke-vurderet``
and depends on nothing hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import geography
from .sammenligning import IKKE_VURDERET, vurder


@dataclass(frozen=True)
class Modpart:
    """One key figure against its counterparts: the verdict and the region's and country's values as shown."""

    vurdering: str  # hoejere, som, lavere or ikke-vurderet (themes.sammenligning)
    land: str  # the country's value as shown
    region: str | None = None  # the region's value as shown (None: no single region to show)
    region_navn: str | None = None
    grund: str = ""  # why not assessed (Danish), empty when assessed


@dataclass(frozen=True)
class Kommunesammenligning:
    """One indicator with its 95 % CI for all 98 kommuner, each with its verdict against the country.

    ``tabel`` has ``kommune_kode``, ``kommune``, ``region_kode``, ``antal`` (Int64, <NA> hidden),
    ``undertrykt``, ``primaer`` (the count's marks), ``vaerdi``, ``nedre``, ``oevre`` (NaN where
    hidden or not estimable) and ``vurdering``; ``land`` is the national value compared with.
    """

    indikator: str  # Danish name of the indicator, e.g. "Modtagere pr. 1.000 indbyggere"
    antal_label: str  # Danish header of the count column, e.g. "Modtagere 2024"
    decimaler: int
    land: float
    land_label: str  # what the national value is, e.g. "Hele landet" or "Målgruppen i hele landet"
    tabel: pd.DataFrame
    kilde: tuple[str, ...]
    syntetisk: bool
    metode: str  # Danish: how the interval is computed


def vurder_raekker(vaerdi, nedre, oevre, skjult, national: float) -> list[str]:
    """The verdict of each row; a hidden row (``skjult``) is never assessed."""
    return [IKKE_VURDERET if s else vurder(v, lo, hi, national)
            for v, lo, hi, s in zip(vaerdi, nedre, oevre, skjult)]


def kommune_ramme(kommune_kode, antal, undertrykt, primaer, vaerdi, nedre, oevre, national: float) -> pd.DataFrame:
    """The standard table of :class:`Kommunesammenligning` from per-kommune arrays (values hidden with counts)."""
    navne = {g.kode: g.navn for g in geography.kommuner()}
    region = {g.kode: g.region_kode for g in geography.kommuner()}
    skjult = np.asarray(undertrykt, dtype=bool)
    hide = lambda x: np.where(skjult, np.nan, np.asarray(x, dtype=float))  # noqa: E731
    t = pd.DataFrame({"kommune_kode": list(kommune_kode)})
    t["kommune"] = t["kommune_kode"].map(navne)
    t["region_kode"] = t["kommune_kode"].map(region)
    t["antal"] = pd.array([pd.NA if s else int(a) for a, s in zip(antal, skjult)], dtype="Int64")
    t["undertrykt"] = skjult
    t["primaer"] = np.asarray(primaer, dtype=bool) & skjult
    t["vaerdi"], t["nedre"], t["oevre"] = hide(vaerdi), hide(nedre), hide(oevre)
    t["vurdering"] = vurder_raekker(t["vaerdi"], t["nedre"], t["oevre"], skjult, national)
    return t.sort_values(["vaerdi", "kommune"], ascending=[False, True], na_position="last").reset_index(drop=True)


def eneste_region(omr: geography.Omraade):
    """The region to show beside an area: its one region, or None (the country, a region itself, or several)."""
    if omr.er_landet or len(omr.region_koder) != 1:
        return None
    if omr.enkelt is not None and omr.enkelt.niveau == "region":
        return None
    kode = next(iter(omr.region_koder))
    return next(r for r in geography.regioner() if r.kode == kode)


def decimaler_for_land(national, nedre, oevre, decimaler: int) -> int:
    """Decimals to show the country's value with, so that it does not look equal to a bound of the area's
    interval it was compared with (then one or two more than ``decimaler``)."""
    bounds = [b for b in (nedre, oevre) if b is not None and b == b]
    d = decimaler
    while d < decimaler + 2 and national is not None and any(round(b, d) == round(national, d) for b in bounds):
        d += 1
    return d
