"""Results that explain themselves: method and theme results show as a small Danish table in a notebook
(``_repr_html_``) and have a ``summary()`` text, like statsmodels' results (issue 18, item 3)."""

import numpy as np
import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from vidensdata.methods import growth, mortality, population_size as ps

CAPTURES = {"100": 60, "010": 50, "001": 40, "110": 20, "101": 15, "011": 10, "111": 5}


def _notebook_bundle(obj) -> dict:
    """What Jupyter puts in the cell's output for ``obj`` (IPython's own display formatter)."""
    data, _meta = DisplayFormatter().format(obj)
    return data


def test_smr_shows_as_a_danish_html_table_in_a_notebook():
    """Issue 18's done-when: ``repr`` of ``smr(20, 10)`` in a notebook is an HTML table in Danish."""
    shown = _notebook_bundle(mortality.smr(20, 10))["text/html"]
    assert shown.startswith("<table") and "<style" not in shown  # inline styles: intact in an untrusted notebook
    for text in ("Standardiseret mortalitetsratio (SMR)", ">2,00<", "95 %-konfidensinterval", ">1,22–3,09<",
                 "eksakt Poisson-interval", "Observerede døde", ">20<", "Forventede døde", ">10,0<"):
        assert text in shown, text
    assert shown.count("<tr>") == 5 and shown.count('<th scope="row"') == 5


def _all_results():
    ages = len(mortality.AGE_GROUPS)
    target = (np.full(ages, 5.0), np.full(ages, 1000.0))
    ref = (np.full(ages, 3.0), np.full(ages, 1000.0))
    series = pd.Series([100, 110, 125, 130, 150], index=range(2018, 2023))
    return {
        "SMR": mortality.smr(20, 10),
        "Ekstra tabte leveår": mortality.excess_life_years_lost(*target, *ref),
        "Forskel i middellevetid": mortality.life_expectancy_gap(*target, *ref),
        "log-lineær capture–recapture": ps.loglinear(CAPTURES, interactions=[(1, 2)]),
        "to lister": ps.chapman(100, 80, 20),
        "Chaos nedre grænse": ps.chao_lower_bound(CAPTURES),
        "multiplikatormetoden": ps.multiplier(500, 0.25, 0.03),
        "Trend i antal": growth.trend(series, horizon=2),
    }


@pytest.mark.parametrize("titel, res", list(_all_results().items()))
def test_every_method_result_has_a_danish_table_and_summary(titel, res):
    html, text = res._repr_html_(), res.summary()
    assert titel in html and titel in text
    assert "konfidensinterval" in text and "Metode" in text
    # the estimate and its interval, as the summary says them, are the result's own numbers in Danish form
    first = text.splitlines()[2]
    assert "," in first or "." in first or first.split()[-1].isdigit()
    assert "nan" not in text.lower() and "inf" not in text.lower()


def test_summary_numbers_are_the_result_s_numbers():
    t = growth.trend(pd.Series([100, 110, 125, 130, 150], index=range(2018, 2023)), horizon=2)
    lines = dict(line.split("  ", 1) for line in t.summary().splitlines()[2:])
    assert lines["Årlig vækst"].strip() == f"{t.annual_growth:.1f} %".replace(".", ",")
    assert lines["95 %-konfidensinterval"].strip() == f"{t.lower:.1f}–{t.upper:.1f} %".replace(".", ",")
    r = ps.loglinear(CAPTURES)
    assert f"Estimeret størrelse      {r.n_hat:,.0f}".replace(",", ".") in r.summary()


def test_array_smr_lists_each_element():
    text = mortality.smr(np.array([20, 3]), np.array([10, 2.5])).summary()
    assert "SMR [0]  2,00 (1,22–3,09)" in text and "SMR [1]" in text


def test_theme_results_have_a_summary_like_their_table():
    from vidensdata.themes import serviceudvikling

    res = serviceudvikling.beregn("Læsø", 2018, 2024)
    text, html = res.summary(), res._repr_html_()
    assert text.startswith("Udvikling i modtagere af sociale ydelser: Læsø, 2018–2024")
    assert "Kilde:" in text
    for line in text.splitlines()[2:4]:
        label = line.split("  ")[0]
        assert label in html
