"""How an area compares with the whole country: the Fingertips rule, in one place.

An area's value is *higher than the country* when its whole 95 % confidence interval lies
above the national value, *lower* when the whole interval lies below it, and *like the
country* when the interval contains it. Where no test applies (the value is suppressed,
there are too few cases for an interval, or no interval exists) the verdict is
*ikke vurderet*. This is the rule of Public Health England's Fingertips profiles
("compared with England", 95 % CI); see docs/metoder.md.

>>> vurder(14.2, 12.1, 16.4, 10.6)
'hoejere'

The verdict codes are ASCII (they go into ``data-sammenligning`` attributes and tests);
:data:`TEKST` holds the Danish words shown beside the colour.
"""

from __future__ import annotations

import math

HOEJERE, SOM, LAVERE, IKKE_VURDERET = "hoejere", "som", "lavere", "ikke-vurderet"
#: Every verdict code, in the order a legend lists them.
VURDERINGER = (HOEJERE, SOM, LAVERE, IKKE_VURDERET)
#: The verdict in Danish words (never colour alone).
TEKST = {HOEJERE: "Højere end landet", SOM: "Som landet", LAVERE: "Lavere end landet",
         IKKE_VURDERET: "Ikke vurderet"}
#: One sentence on the method, for the method sections of reports and the profile.
METODE = ("Sammenligningen med hele landet følger Fingertips-reglen: et område er højere (lavere) end landet, "
          "når hele dets 95 %-konfidensinterval ligger over (under) landets værdi, og som landet, når "
          "intervallet indeholder landets værdi. Er tallet skjult, eller findes der intet interval, "
          "vurderes det ikke.")


def _number(x) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def vurder(estimat, lower, upper, national) -> str:
    """The verdict of an area's value against the national value: ``hoejere``, ``som``, ``lavere`` or
    ``ikke-vurderet`` (estimate, either limit or the national value missing or NaN: suppressed or no CI)."""
    est, lo, hi, nat = (_number(v) for v in (estimat, lower, upper, national))
    if est is None or lo is None or hi is None or nat is None:
        return IKKE_VURDERET
    if lo > hi:
        lo, hi = hi, lo
    if lo > nat:
        return HOEJERE
    if hi < nat:
        return LAVERE
    return SOM


def tekst(vurdering: str) -> str:
    """The Danish words of a verdict code."""
    return TEKST[vurdering]


__all__ = ["HOEJERE", "SOM", "LAVERE", "IKKE_VURDERET", "VURDERINGER", "TEKST", "METODE", "vurder", "tekst"]
