"""The verdict of an area's figure against the whole country (the Fingertips rule).

An area's estimate is *higher* than the country when its whole 95 % confidence
interval lies above the national value, *lower* when it lies wholly below, and *the
same* when the interval contains it. Without an interval (a suppressed count, too few
to estimate, no interval for the measure) it is not assessed. Pure: numbers in, a
word out; the caller passes ``None`` for anything hidden, so a verdict never depends
on a suppressed value.
"""

from __future__ import annotations

import math

HOEJERE, SOM, LAVERE, IKKE_VURDERET = "hoejere", "som", "lavere", "ikke-vurderet"
#: Every verdict, in display order.
VURDERINGER = (HOEJERE, SOM, LAVERE, IKKE_VURDERET)
#: The verdicts as shown to people.
TEKST = {HOEJERE: "Højere end landet", SOM: "Som landet", LAVERE: "Lavere end landet",
         IKKE_VURDERET: "Ikke vurderet"}


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def vurder(estimat, lower, upper, national) -> str:
    """``"hoejere"``, ``"som"``, ``"lavere"`` or ``"ikke-vurderet"`` for an area's estimate and 95 % CI
    (``lower``, ``upper``) against the ``national`` value; any of them missing (None, NaN, ``<NA>``)
    gives ``"ikke-vurderet"``."""
    if any(_missing(x) for x in (estimat, lower, upper, national)):
        return IKKE_VURDERET
    lo, hi, nat = float(lower), float(upper), float(national)
    if lo > hi:
        lo, hi = hi, lo
    if lo > nat:
        return HOEJERE
    if hi < nat:
        return LAVERE
    return SOM
