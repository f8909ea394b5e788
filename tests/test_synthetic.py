"""The synthetic register extract: determinism, planted parameters, calibration to published figures."""

import pandas as pd
import pytest

import vidensdata as vd
from vidensdata.sources import register, synthetic


def recipients(forloeb: pd.DataFrame, year: int, services=None) -> int:
    f = forloeb if services is None else forloeb[forloeb["ydelse"].isin(services)]
    active = (f["start_dato"].dt.year <= year) & (f["slut_dato"].isna() | (f["slut_dato"].dt.year >= year))
    return f.loc[active, "person_id"].nunique()


@pytest.fixture(scope="module")
def extract():
    return register.load_extract()


def test_deterministic_for_a_seed():
    p = synthetic.SyntheticParams(seed=7)
    a_pers, a_ep = synthetic.generate(p)
    b_pers, b_ep = synthetic.generate(p)
    pd.testing.assert_frame_equal(a_pers, b_pers)
    pd.testing.assert_frame_equal(a_ep, b_ep)
    c_pers, _ = synthetic.generate(synthetic.SyntheticParams(seed=8))
    assert not c_pers["kommune_kode"].equals(a_pers["kommune_kode"])


def test_calibrated_to_published_2016_levels(extract):
    f = extract.forloeb
    # KL (2018) via social.dk: ~31,000 adults with services, ~21,500 § 85, ~6,000 botilbud
    assert recipients(f, 2016) == pytest.approx(31_000, rel=0.03)
    assert recipients(f, 2016, ["§85"]) == pytest.approx(21_500, rel=0.03)
    assert recipients(f, 2016, ["§107", "§108"]) == pytest.approx(6_000, rel=0.03)


@pytest.mark.parametrize("services, growth", [
    (None, 17.0), (["§85"], 24.0), (["§107"], 5.0), (["§103"], 20.0), (["§108"], -13.0),
])
def test_calibrated_to_published_growth_2014_2017(extract, services, growth):
    f = extract.forloeb
    measured = (recipients(f, 2017, services) / recipients(f, 2014, services) - 1) * 100
    assert measured == pytest.approx(growth, abs=1.0 if services else 1.5)


def test_persons_with_any_service_are_not_the_sum_over_services(extract):
    f = extract.forloeb
    per_service = sum(recipients(f, 2016, [s]) for s in synthetic.YDELSER)
    assert per_service > recipients(f, 2016) * 1.1


def test_planted_parameters_recorded(extract):
    assert extract.synthetic
    assert extract.parametre["recipients_2016"]["§85"] == 21_500
    assert extract.parametre["any_service_2016"] == 31_000
    assert extract.parametre["seed"] == 2024
    for value, source in synthetic.CALIBRATION.values():
        assert "KL" in source and value


def test_kommuner_proportional_and_laesoe_small(extract):
    per = extract.personer["kommune_kode"].value_counts()
    k = vd.load("kommuner").set_index("kommune_kode")["indbyggere"]
    share = per.reindex(k.index, fill_value=0) / per.sum()
    pop_share = k / k.sum()
    corr = share.corr(pop_share)
    assert corr > 0.95
    assert 0 < per.get("825", 0) < 150  # Læsø: 1,786 inhabitants
    ratio = (share / pop_share)
    assert ratio.std() > 0.05  # realistic variation, not exact proportionality


def test_adults_only_and_dates_consistent(extract):
    p, f = extract.personer, extract.forloeb
    assert (p["indgang_dato"].dt.year - p["foedselsaar"] >= 18).all()
    assert (f["slut_dato"].isna() | (f["slut_dato"] >= f["start_dato"])).all()
    first = f.groupby("person_id")["start_dato"].min()
    entry = p.set_index("person_id")["indgang_dato"]
    assert (entry.loc[first.index] <= first).all()


def test_ydelsesmodtagere_matches_extract(extract):
    y = vd.load("ydelsesmodtagere", aar=2016)
    alle = y[y["ydelse"] == "alle"]["antal"].sum()
    assert alle == recipients(extract.forloeb, 2016)
    sel85 = y[y["ydelse"] == "§85"]["antal"].sum()
    assert sel85 == recipients(extract.forloeb, 2016, ["§85"])
    assert len(vd.load("ydelsesmodtagere")) == 98 * 11 * 7 * 2 * 6  # complete grid, zeros included


def test_persons_seen_only_by_registers_enter_when_first_seen(extract):
    """No immortal time: a person seen only by psykiatri/misbrug enters the extract on 1 January of the first year a
    register sees them, so their follow-up for mortality holds no years they were bound to survive."""
    p = extract.personer
    pool = p[p["person_id"].str.startswith("M")].set_index("person_id")
    first_seen = extract.kontakter.groupby("person_id")["aar"].min().reindex(pool.index)
    assert (pool["indgang_dato"].dt.year == first_seen).all()
    assert (pool["indgang_dato"].dt.dayofyear == 1).all()
    assert not (pool["doedsdato"] < pool["indgang_dato"]).any()


def test_planted_mortality_recorded_with_the_extract(extract):
    from vidensdata.sources import synthetic_mortality

    truth = extract.doedelighed_sandhed
    assert list(truth.columns) == ["kommune_kode", "aar", "koen", "aldersgruppe", "personaar",
                                   "forventede_befolkning", "forventede_plantet"]
    assert truth["aar"].between(2010, 2021).all() and (truth["personaar"] > 0).all()
    # the planted rate ratio of a cell is the planted MRR averaged over its ages: inside the planted range
    ratio = truth["forventede_plantet"] / truth["forventede_befolkning"]
    mrr = extract.parametre["mrr"]
    adults = truth["aldersgruppe"].isin(["20-24", "40-44", "60-64", "80-84"])
    assert ratio[adults].between(min(min(v) for v in mrr.values()) - 1e-9,
                                 max(max(v) for v in mrr.values()) + 1e-9).all()
    again = synthetic_mortality.planted_expected_deaths(extract.personer, mrr, extract.parametre["mrr_ages"],
                                                        extract.last_year)
    pd.testing.assert_frame_equal(again, truth)
