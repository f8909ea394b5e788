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


# the model-averaged estimate and the areas' coverage spread explain themselves the same way


def _rows(text: str) -> dict:
    """``summary()``'s rows as label -> value (the label and value are separated by two spaces or more)."""
    return dict(line.split("  ", 1) for line in text.splitlines()[2:])


def _danish(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}".replace(",", "X").replace(".", ",").replace("X", ".")


def test_model_average_shows_its_estimate_interval_method_and_models_in_danish():
    r = ps.model_average(CAPTURES)
    text, html = r.summary(), _notebook_bundle(r)["text/html"]
    assert text.splitlines()[0] == "Populationsstørrelse, modelgennemsnit"
    rows = {k: v.strip() for k, v in _rows(text).items()}
    estimate = _danish(r.n_hat, 0)
    assert rows["Estimeret størrelse"] == estimate
    ki = f"{_danish(r.lower, 0)}–{_danish(r.upper, 0)} (log-normalt)"
    assert rows["95 %-konfidensinterval"] == ki
    assert rows["Metode"].startswith("gennemsnit af log-lineære capture–recapture-modeller med AIC-vægte")
    assert rows["Set af mindst én liste"] == _danish(r.observed, 0) == "200"
    assert rows["Standardfejl"] == _danish(r.se, 1)
    assert rows["Bedste testbare model"].startswith(r.best.model + " (devians ")
    # every model with a visible weight, with its own estimate, interval and weight; the weights add up to 1
    shown = r.table[r.table["weight"] >= 0.0005]
    assert len(shown) >= 2
    for m in shown.itertuples():
        assert rows[f"Model {m.model}"] == (f"{_danish(m.n_hat, 0)} ({_danish(m.lower, 0)}–{_danish(m.upper, 0)}); "
                                            f"vægt {_danish(m.weight, 3)}")
    assert (sum(float(rows[f"Model {m.model}"].rsplit(" ", 1)[1].replace(",", ".")) for m in shown.itertuples())
            == pytest.approx(shown["weight"].sum(), abs=0.002))
    # the notebook table: the same rows, HTML-escaped, with inline styles only
    assert html.startswith("<table") and "<style" not in html
    assert "Populationsstørrelse, modelgennemsnit</caption>" in html
    assert f">{estimate}<" in html and f">{ki}<" in html
    assert html.count("<tr>") == len(rows)
    assert "nan" not in text.lower() and "inf" not in text.lower()


def test_model_average_names_the_criterion_and_the_models_left_out():
    r = ps.model_average(CAPTURES, criterion="bic")
    rows = _rows(r.summary())
    assert "med BIC-vægte" in rows["Metode"]
    hidden = int((r.table["weight"] < 0.0005).sum())
    if hidden:
        assert rows["Øvrige modeller"].strip() == f"{hidden} med vægt under 0,001 (se .table)"
    assert len(rows) == 7 + int((r.table["weight"] >= 0.0005).sum()) + bool(hidden)


def test_coverage_dispersion_shows_tau_the_test_and_its_inputs_in_danish():
    from scipy import stats

    rng = np.random.default_rng(7)
    base = np.array([0.4, 0.3, 0.25])
    hist = [format(i, "03b") for i in range(1, 8)]
    areas = {}
    for a in range(12):  # twelve areas whose coverage differs: each list's probability shifted per area
        p = np.clip(base * np.exp(rng.normal(0, 0.5)), 0.02, 0.95)
        probs = np.array([np.prod([p[j] if h[j] == "1" else 1 - p[j] for j in range(3)]) for h in ["000"] + hist])
        n = rng.multinomial(3_000, probs)
        areas[f"k{a}"] = dict(zip(hist, (int(c) for c in n[1:])))
    r = ps.coverage_dispersion(areas, min_seen=100)
    assert r.areas == 12 and r.tau > 0
    assert r.p_value == pytest.approx(stats.chi2.sf(r.q, 11))
    text, html = r.summary(), _notebook_bundle(r)["text/html"]
    rows = {k: v.strip() for k, v in _rows(text).items()}
    assert text.splitlines()[0] == "Forskelle mellem områder i registrenes dækning"
    assert rows["τ (spredning i log-dækning)"] == _danish(r.tau, 3)
    assert rows["Interval"].startswith("ikke beregnet")  # a moment estimate: said, not left out silently
    assert rows["Metode"].startswith("DerSimonian–Lairds momentestimat")
    p = "p < 0,001" if r.p_value < 0.001 else f"p = {_danish(r.p_value, 3)}"
    assert rows["Test for forskelle (Q)"] == f"{_danish(r.q, 1)} på 11 frihedsgrader, {p}"
    assert rows["Områder i beregningen"] == "12 (hver med mindst 100 personer set)"
    assert rows["Fælles afhængigheder"] == "uafhængighed"
    assert html.startswith("<table") and f">{_danish(r.tau, 3)}<" in html and "Test for forskelle (Q)" in html
    # with one interaction the model the areas share is named
    assert "1×2" in ps.coverage_dispersion(areas, interactions=[(1, 2)], min_seen=100).summary()
