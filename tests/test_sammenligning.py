"""The verdict against the whole country (Fingertips rule): the area's 95 % CI against the national value."""

import math

import pandas as pd
import pytest

from vidensdata.themes.sammenligning import HOEJERE, IKKE_VURDERET, LAVERE, SOM, TEKST, VURDERINGER, vurder


@pytest.mark.parametrize("args, expected", [
    ((12.0, 10.5, 13.8, 10.0), HOEJERE),  # whole interval above
    ((8.0, 6.1, 9.9, 10.0), LAVERE),  # whole interval below
    ((10.2, 8.0, 12.0, 10.0), SOM),  # contains the national value
    ((10.0, 10.0, 12.0, 10.0), SOM),  # touching the national value is "som": not clearly different
    ((9.0, 8.0, 10.0, 10.0), SOM),
    ((None, 1.0, 2.0, 1.5), IKKE_VURDERET),  # suppressed estimate
    ((1.5, None, None, 1.5), IKKE_VURDERET),  # no interval
    ((1.5, math.nan, 2.0, 1.5), IKKE_VURDERET),
    ((1.5, 1.0, 2.0, None), IKKE_VURDERET),  # no national value
    ((pd.NA, 1.0, 2.0, 1.5), IKKE_VURDERET),
])
def test_vurder(args, expected):
    assert vurder(*args) == expected


def test_vurder_words_and_order():
    assert VURDERINGER == ("hoejere", "som", "lavere", "ikke-vurderet")
    assert TEKST[HOEJERE] == "Højere end landet" and TEKST[IKKE_VURDERET] == "Ikke vurderet"
    assert vurder(2, 2.5, 1.5, 1.0) == HOEJERE  # reversed bounds are read as an interval
