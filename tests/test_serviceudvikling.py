"""The theme serviceudvikling: the trend's t interval and the statement when the straight trend does not fit."""

import pandas as pd
import pytest

from vidensdata.methods import growth
from vidensdata.presentation.temaer import serviceudvikling as tegn
from vidensdata.themes import serviceudvikling as tema


@pytest.fixture(scope="module")
def land():
    return tema.beregn("Hele landet")


def test_national_trend_uses_t_and_states_the_curvature(land):
    t = land.trend
    assert t.quantile == "t" and t.df_resid == land.valg.slutaar - land.valg.startaar + 1 - 2
    c = t.curvature
    assert c is not None and c.curved and c.quadratic < 0  # the planted growth slows after 2017
    assert "aftaget" in land.krumning_note and "bredere" in land.krumning_note
    html = tegn.vis_noegletal(land).data
    assert land.krumning_note in html
    detaljer = tegn.vis_trend_metode(land).data
    assert "F = " in detaljer and "frihedsgrader" in detaljer and "t-fordelingen" in detaljer
    # the projection interval is the union with the bent trend's: wider below than the straight one alone
    alle = land.serie[land.serie["ydelse"] == "alle"].set_index("aar")["antal"].astype(float)
    straight = growth._projection(growth._fit_trend(growth._check_counts(alle), "poisson"), 3, 0.95)
    assert (t.projection["nedre"] <= straight["nedre"]).all() and (t.projection["nedre"] < straight["nedre"]).any()
    pd.testing.assert_series_equal(t.projection["forventet"], straight["forventet"])


def test_no_statement_when_the_straight_trend_fits():
    res = tema.beregn("Aarhus")
    assert res.trend is not None and res.trend.curvature is not None and not res.trend.curvature.curved
    assert res.krumning_note == ""
    assert "intet tegn på" in tema.krumning_detaljer(res.trend)
    assert tema.krumning_tekst(None) == ""
