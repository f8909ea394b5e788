"""Excess mortality: synthetic deaths, the dataset doedelighed_maalgruppe and the theme overdoedelighed."""

import time

import numpy as np
import pandas as pd
import pytest

import vidensdata as vd
from vidensdata import disclosure, geography
from vidensdata.errors import InvalidValueError, InvalidYearsError, UnknownGeographyError
from vidensdata.methods import mortality
from vidensdata.sources import register, synthetic_mortality
from vidensdata.themes import overdoedelighed as tema
from vidensdata.presentation.temaer import overdoedelighed as tegn


@pytest.fixture(scope="module")
def extract():
    return register.load_extract()


@pytest.fixture(scope="module")
def data():
    return vd.load("doedelighed_maalgruppe")


@pytest.fixture(scope="module")
def reference():
    return vd.load("doedelighed_land")


# ---------------------------------------------------------------- synthetic deaths

def _cohort(seed, n=30_000, mrr=None):
    rng = np.random.default_rng(seed)
    fob = rng.integers(1935, 1990, n)
    male = rng.random(n) < 0.55
    start = np.datetime64("2010-01-01") + rng.integers(0, 3000, n).astype("timedelta64[D]")
    mrr = mrr or {"M": (2.5, 2.5, 2.5, 2.5), "K": (2.5, 2.5, 2.5, 2.5)}
    death = synthetic_mortality.simulate_deaths(start, fob, male, 2021, mrr, (18, 40, 60, 80), rng)
    died = ~np.isnat(death)
    exit_ = pd.Series(death).astype("datetime64[ns]") + pd.Timedelta(days=1)
    birth = pd.to_datetime(pd.Series(fob).astype(str) + "-07-01")
    table = mortality.lexis_split(start, exit_.to_numpy(), birth.to_numpy(), died,
                                  by={"koen": np.where(male, "M", "K")}, start=2010, end=2021)
    return table


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_rate_ratio_recovered_inside_ci(seed, reference):
    table = _cohort(seed)
    e = mortality.expected_deaths(table, reference, by=())
    res = mortality.smr(int(e["doede"].iloc[0]), float(e["forventede"].iloc[0]))
    assert res.lower <= 2.5 <= res.upper, res
    assert res.upper - res.lower < 0.25  # a real test: the interval is narrow


def test_age_pattern_of_planted_rate_ratio_recovered(reference):
    mrr = {"M": (6.0, 4.0, 2.0, 1.5), "K": (6.0, 4.0, 2.0, 1.5)}
    table = _cohort(4, n=60_000, mrr=mrr)
    ages = table["aldersgruppe"].map(dict(zip(mortality.AGE_GROUPS, mortality.AGE_STARTS)))
    for lo, hi, planted in ((40, 45, 4.0), (60, 65, 2.0)):  # the groups starting at a knot age
        part = table[(ages >= lo) & (ages < hi)]
        e = mortality.expected_deaths(part, reference, by=())
        res = mortality.smr(int(e["doede"].iloc[0]), float(e["forventede"].iloc[0]), level=0.99)
        # the MRR changes log-linearly inside the group; it is within 10 % of the knot value there
        assert res.lower * 0.9 <= planted <= res.upper * 1.1, (lo, res)
    young = table[(ages >= 20) & (ages < 40)]
    old = table[ages >= 70]
    s_young = mortality.expected_deaths(young, reference, by=())
    s_old = mortality.expected_deaths(old, reference, by=())
    assert (s_young["doede"] / s_young["forventede"]).iloc[0] > 2 * (s_old["doede"] / s_old["forventede"]).iloc[0]


def test_deaths_consistent_with_episodes(extract):
    p, f = extract.personer, extract.forloeb
    register.check_consistency(p, f)
    death = f["person_id"].map(p.set_index("person_id")["doedsdato"])
    assert p["doedsdato"].notna().sum() > 5_000
    assert not (f["start_dato"] > death).any()  # no episode starts after death
    assert not (death.notna() & (f["slut_dato"].isna() | (f["slut_dato"] > death))).any()  # ongoing end at death
    assert (p["doedsdato"].dropna() >= pd.Timestamp(synthetic_mortality.FOLLOWUP_START)).all()
    assert p["doedsdato"].dt.year.max() == extract.last_year


def test_mortality_parameters_recorded(extract):
    assert extract.parametre["mrr"]["M"][0] > extract.parametre["mrr"]["M"][-1] > 1  # higher at young ages
    assert extract.parametre["mrr_ages"] == [18, 40, 60, 80]
    for _key, (value, source) in synthetic_mortality.CALIBRATION.items():
        assert value > 0 and ("Lancet" in source or "PLoS" in source)


def _planted_lyl(truth: pd.DataFrame) -> dict:
    """Excess LYL 20-95 from the planted hazards (planted expected deaths / person-years) against the population's
    rates weighted by the same person-years (year-matched), computed here from the truth table alone."""
    out = {}
    for k in ("M", "K"):
        g = truth[truth["koen"] == k].groupby("aldersgruppe")[
            ["personaar", "forventede_befolkning", "forventede_plantet"]].sum().reindex(mortality.AGE_GROUPS[4:19])
        py = pd.Series(1e9, index=g.index)
        planted = mortality.life_years_lost(g["forventede_plantet"] / g["personaar"] * 1e9, py, age=20)
        population = mortality.life_years_lost(g["forventede_befolkning"] / g["personaar"] * 1e9, py, age=20)
        out[k] = planted - population
    return out


def test_planted_truth_is_the_published_figures(extract, data):
    """The generator plants Erlangsen et al., Lancet Psychiatry 2017: 10.2 years (men) and 7.3 years (women)
    of excess life-years lost from 20 to 95, year-matched (see synthetic_mortality.CALIBRATION)."""
    truth = extract.doedelighed_sandhed
    assert truth is not None and (truth["forventede_plantet"] > truth["forventede_befolkning"]).all()
    lyl = _planted_lyl(truth)
    assert lyl["M"] == pytest.approx(synthetic_mortality.CALIBRATION["overdoedelighed_lyl_maend_aar"][0], abs=0.05)
    assert lyl["K"] == pytest.approx(synthetic_mortality.CALIBRATION["overdoedelighed_lyl_kvinder_aar"][0], abs=0.05)
    # the truth follows the dataset's follow-up exactly: the same person-years per kommune, year, sex and age
    key = ["kommune_kode", "aar", "koen", "aldersgruppe"]
    both = data.merge(truth, on=key, how="left", suffixes=("", "_sand")).fillna({"personaar_sand": 0.0})
    np.testing.assert_allclose(both["personaar_sand"], both["personaar"], rtol=1e-9, atol=1e-9)
    # and the deaths drawn are the planted ones up to chance (Poisson: within 3 standard deviations)
    for k in ("M", "K"):
        planted = truth.loc[truth["koen"] == k, "forventede_plantet"].sum()
        assert abs(data.loc[data["koen"] == k, "doede"].sum() - planted) < 3 * planted ** 0.5
    from vidensdata.datasets import registry

    pd.testing.assert_frame_equal(registry.plantet_doedelighed(), truth)


def test_excess_life_years_lost_estimate_covers_the_planted_truth(extract, data, reference):
    """Estimate (year-matched) against the planted truth, national 2010-2021."""
    lyl = mortality.excess_life_years_lost_table(data, reference, by=("koen",), age=20).set_index("koen")
    truth = _planted_lyl(extract.doedelighed_sandhed)
    for k in ("M", "K"):
        assert lyl.loc[k, "nedre"] <= truth[k] <= lyl.loc[k, "oevre"], (k, truth[k], lyl.loc[k].to_dict())
    rr = mortality.rate_ratio(data, reference)
    assert 1.92 <= rr.value <= 3.91  # Plana-Ripoll et al., Lancet 2019: MRR 1.92-3.91


# ---------------------------------------------------------------- dataset

def test_dataset_declared_and_complete(data):
    from vidensdata.datasets import registry

    ds = registry.get("doedelighed_maalgruppe")
    assert ds.personhenfoerbar and ds.syntetisk()
    assert ds.noegle == ["kommune_kode", "aar", "koen", "aldersgruppe"]
    assert len(data) == 98 * 12 * 2 * 20  # complete grid 2010-2021, zeros included
    assert data["aar"].min() == 2010 and data["aar"].max() == 2021
    cat = vd.catalog().set_index("navn")
    assert bool(cat.loc["doedelighed_maalgruppe", "syntetisk"])
    laesoe = vd.load("doedelighed_maalgruppe", geografi="Læsø")
    assert set(laesoe["kommune_kode"]) == {"825"}


def test_person_years_and_deaths_add_up_exactly(extract, data):
    p = extract.personer
    start = p["indgang_dato"].clip(lower=pd.Timestamp("2010-01-01"))
    end = pd.Timestamp("2022-01-01")
    exit_ = (p["doedsdato"] + pd.Timedelta(days=1)).where(p["doedsdato"].notna(), end).clip(upper=end)
    days = (exit_ - start).dt.days.clip(lower=0)
    assert data["personaar"].sum() == pytest.approx(days.sum() / 365.25, rel=1e-9)
    in_window = p["doedsdato"].dt.year.between(2010, 2021)
    last_day = p["doedsdato"] == pd.Timestamp("2021-12-31")
    # every death in the window is counted (a death on the window's last day may count as censored)
    assert (in_window & ~last_day).sum() <= data["doede"].sum() <= in_window.sum()
    per_kommune = data.groupby("kommune_kode")["doede"].sum()
    expected = p[in_window & ~last_day].groupby("kommune_kode").size()
    assert (per_kommune.reindex(expected.index) >= expected).all()


# ---------------------------------------------------------------- theme

def test_valider_rejects_bad_parameters():
    with pytest.raises(InvalidValueError, match="koen"):
        tema.valider("Hele landet", 2010, 2021, "X")
    with pytest.raises(InvalidYearsError):
        tema.valider("Hele landet", 2005, 2021)
    with pytest.raises(UnknownGeographyError):
        tema.valider("Atlantis")
    assert tema.valider("Aarhus", 2010, 2021, "kvinder").koen == "K"
    assert tema.valider("Aarhus", koen="kvinder") == tema.valider("Aarhus", 2010, 2021, "K")


@pytest.mark.parametrize("start, end", [(2012, 2021), (2010, 2020), (2015, 2016)])
def test_the_period_is_fixed_so_no_two_periods_can_be_subtracted(start, end):
    with pytest.raises(InvalidYearsError) as info:
        tema.valider("Fanø", start, end)
    assert "2010–2021" in info.value.dansk and "trækkes fra" in info.value.dansk


def test_national_figures(data, reference):
    res = tema.beregn("Hele landet", 2010, 2021, "alle")
    e = mortality.expected_deaths(data, reference, by=())
    assert res.noegletal["doede"] == int(data["doede"].sum())
    assert res.noegletal["smr"].value == pytest.approx(e["doede"].iloc[0] / e["forventede"].iloc[0])
    for k in ("M", "K"):
        assert res.lyl[k]["lower"] < res.lyl[k]["value"] < res.lyl[k]["upper"]
        assert res.levetid[k]["lower"] < res.levetid[k]["value"] < res.levetid[k]["upper"]
    # the population's life expectancy at 20 is plausible for Denmark 2010-2021 (men ~58-60, women ~62-64)
    assert 57 < res.levetid["M"]["befolkning"] < 61 and 61 < res.levetid["K"]["befolkning"] < 65
    assert len(res.tragt) + res.tragt_skjult == 98


def _year_matched_lyl(data: pd.DataFrame, reference: pd.DataFrame, koen: str) -> float:
    """Excess LYL 20-95 computed independently of the theme: the target group's own rates against the population's
    rates of each calendar year weighted by the target group's person-years in that year and age group."""
    t = data[data["koen"] == koen]
    r = reference[(reference["koen"] == koen) & reference["aar"].between(t["aar"].min(), t["aar"].max())]
    cells = t.groupby(["aar", "aldersgruppe"], as_index=False)[["doede", "personaar"]].sum().merge(
        r[["aar", "aldersgruppe", "doede", "befolkning"]], on=["aar", "aldersgruppe"], suffixes=("", "_land"))
    cells["forventede"] = cells["personaar"] * cells["doede_land"] / cells["befolkning"]
    g = cells.groupby("aldersgruppe")[["doede", "personaar", "forventede"]].sum().reindex(
        mortality.AGE_GROUPS[4:19])
    py = pd.Series(1e9, index=g.index)
    own = mortality.life_years_lost(g["doede"] / g["personaar"] * 1e9, py, age=20)
    population = mortality.life_years_lost(g["forventede"] / g["personaar"] * 1e9, py, age=20)
    return own - population


def test_national_excess_lyl_is_year_matched_and_covers_the_planted_truth(data, reference, extract):
    """Issue 16, done when: national 2010-2021, the theme's excess LYL equals a year-matched computation from
    doedelighed_maalgruppe and doedelighed_land within 0.05 years, and its 95 % CI covers the planted truth."""
    res = tema.beregn("Hele landet", 2010, 2021, "alle")
    truth = _planted_lyl(extract.doedelighed_sandhed)
    for k in ("M", "K"):
        assert res.lyl[k]["value"] == pytest.approx(_year_matched_lyl(data, reference, k), abs=0.05)
        assert res.lyl[k]["lower"] <= truth[k] <= res.lyl[k]["upper"], (k, truth[k], res.lyl[k])
        assert res.sandhed[k]["lyl"] == pytest.approx(truth[k], abs=1e-6)
        # pooling the population over 2010-2021 (the old reference) understates the excess
        pooled = mortality.excess_life_years_lost_table(data[data["koen"] == k], reference, year_matched=False)
        assert pooled["overskydende_lyl"].iloc[0] < res.lyl[k]["value"] - 0.2
    shown = dict((tid, value) for tid, _label, value in tema.noegletal_vist(res))
    assert shown["noegletal-lyl-sand"] == "Mænd: 10,2 · Kvinder: 7,3"
    table = tegn.vis_leveaar(res).data
    assert tegn.SAND_KOLONNE in table and "årsmatchet" in table


def test_small_area_has_wide_interval_and_region_narrow():
    land = tema.beregn("Hele landet", 2010, 2021).noegletal["smr"]
    region = tema.beregn("Region Nordjylland", 2010, 2021).noegletal["smr"]
    kommune = tema.beregn("Aarhus", 2010, 2021).noegletal["smr"]
    widths = [s.upper - s.lower for s in (land, region, kommune)]
    assert widths[0] < widths[1] < widths[2]


def test_disclosure_of_deaths():
    res_land = tema.beregn("Hele landet", 2010, 2021, "alle")
    per = tema._period(2010, 2021)
    pat = per["pattern"]
    shown = pat.assign(vist=pat["doede"].astype("Float64"))
    assert not disclosure.primary_mask(shown["vist"].fillna(0)).any()
    # every kommune whose deaths are hidden is absent from the funnel plot
    hidden = set(pat[(pat["niveau"] == "kommune") & (pat["koen"] == "alle") & pat["undertrykt"]]["kode"])
    assert hidden and not hidden & set(res_land.tragt["kommune_kode"])
    # a kommune with 1-4 deaths of one sex: <5 in the key figures, no SMR, no life-years lost
    primary = pat[(pat["niveau"] == "kommune") & pat["primaer"]].sort_values(["kode", "koen"]).iloc[0]
    code, koen = primary["kode"], primary["koen"]
    name = next(g.navn for g in geography.kommuner() if g.kode == code)
    res = tema.beregn(name, 2010, 2021, koen)
    assert res.noegletal["smr"] is None and res.noegletal["undertrykt"]
    if koen in ("M", "K"):
        assert res.lyl[koen] is None and res.levetid[koen] is None and res.sandhed[koen] is None
    html = tegn.vis_noegletal(res).data
    assert 'data-testid="noegletal-doede">&lt;5' in html or 'data-testid="noegletal-doede"><5' in html
    assert tema.tabel_til_download(res).set_index("koen").loc[tema.KOEN_NAVN[koen], "doede"] == "<5"
    # no area series in the age plot built on the hidden count
    assert not res.aldersrater["Serie"].str.contains(name).any() or \
        res.aldersrater.loc[res.aldersrater["Serie"].str.contains(name), "pr_1000"].isna().all()


def test_sex_relation_is_protected():
    """Men + women = all: a hidden count of one sex cannot be recomputed from the other two."""
    pat = tema._period(2010, 2021)["pattern"]
    for (niveau, kode), grp in pat.groupby(["niveau", "kode"]):
        assert int(grp["undertrykt"].sum()) != 1, (niveau, kode)


def test_several_kommuner_and_sex_choice():
    res = tema.beregn(["Læsø", "Frederikshavn"], 2010, 2021, "M")
    assert res.valg.koenner == ("M",)
    assert set(res.tragt.loc[res.tragt["valgt"], "kommune_navn"]) <= {"Læsø", "Frederikshavn"}
    assert "Kvinder" not in " ".join(res.overlevelse["Serie"].unique())


def test_beregn_fast_when_warm():
    tema.beregn("Hele landet", 2010, 2021)
    t0 = time.perf_counter()
    for g in ("Læsø", "Region Syddanmark", "København", "Hele landet"):
        tema.beregn(g, 2010, 2021)
    assert (time.perf_counter() - t0) / 4 < 1.0


def test_presentation_has_testids_sources_and_synthetic_label():
    res = tema.beregn("Aarhus", 2010, 2021)
    html = tegn.vis_noegletal(res).data
    for tid in ("noegletal-smr", "noegletal-lyl-maend", "noegletal-lyl-kvinder", "noegletal-levetid-forskel"):
        assert f'data-testid="{tid}"' in html
    assert "Syntetiske data (demo)" in html and "Kilde:" in html
    for fig in (tegn.figur_aldersdoedelighed(res), tegn.figur_overlevelse(res), tegn.figur_tragt(res)):
        assert fig._vidensdata_kilde.startswith("Kilde:") and "Syntetiske data (demo)" in fig._vidensdata_kilde
    ax = tegn.figur_aldersdoedelighed(res).axes[0]
    assert ax.get_yscale() == "log"
    assert "Syntetiske data (demo)" in tegn.vis_tabel(res).data
    assert "Aarhus" in tegn.vis_tragt_note(res).data or "kommuner" in tegn.vis_tragt_note(res).data


def test_visning_static_and_interactive():
    v = tegn.visning("Aarhus", 2010, 2021, "alle", interaktiv=False)
    assert v.resultat.valg.omraade.navn == "Aarhus"
    app = tegn.visning(["Aarhus", "Læsø"], None, None, "mænd", interaktiv=True)
    assert app.parametre["geografi"] == "Aarhus,Læsø"
    assert app.parametre["koen"] == "M" and app.parametre["startaar"] == 2010
    bad = tegn.visning("Atlantis", interaktiv=True)  # the app shows a Danish message instead of failing
    assert bad.fejl is not None and "Atlantis" in bad.fejl.dansk


# ---------------------------------------------------------------- reports (papermill with a real kernel)

@pytest.mark.slow
def test_reports_for_country_region_and_laesoe(tmp_path):
    from vidensdata import report

    summary = report.run(["overdoedelighed"], ["Hele landet", "Region Nordjylland", "Læsø"], workers=3,
                         output=tmp_path, progress=False)
    assert len(summary.results) == 3 and not summary.failed
    for slug in ("hele-landet", "region-nordjylland", "laesoe"):
        page = (tmp_path / "overdoedelighed" / f"{slug}.html").read_text(encoding="utf-8")
        assert '<html lang="da">' in page
        assert "Syntetiske data (demo)" in page and "Kilde:" in page
        assert "visning = tegn.visning" not in page  # no code cells
        for tid in ("noegletal-smr", "noegletal-lyl-maend", "noegletal-lyl-kvinder", "noegletal-levetid-forskel"):
            assert f'data-testid="{tid}"' in page
        assert "Traceback" not in page
    land = (tmp_path / "overdoedelighed" / "hele-landet.html").read_text(encoding="utf-8")
    assert "Overdødelighed i målgruppen" in land


def test_app_widgets_redraw_on_change():
    """The Voila pattern without a browser: widgets change, every section is redrawn in Danish, no traceback."""
    v = tegn.visning("Aarhus", 2010, 2021, "alle", interaktiv=True)
    v.kontroller()
    for render in (tegn.vis_noegletal, tegn.figur_aldersdoedelighed, tegn.figur_tragt, tegn.vis_tabel):
        v.vis(render)
    first = v._sektioner[0][1].value
    assert 'data-testid="noegletal-smr"' in first and "Aarhus" in first
    v._widgets["geografi"].value = "Læsø"
    v._widgets["koen"].value = "K"
    html = v._sektioner[0][1].value
    assert "Læsø" in html and "kvinder" in html and html != first
    assert v._sektioner[1][1].value.startswith('<figure class="vd-figur"')
    assert "Traceback" not in v._sektioner[2][1].value
    assert "aar" not in v._widgets  # no period to choose: one fixed period leaves nothing to subtract
