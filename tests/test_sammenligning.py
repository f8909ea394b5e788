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


# ---------------------------------------------------------------- the themes' comparisons (real data)

import importlib  # noqa: E402

from vidensdata import geography  # noqa: E402
from vidensdata.themes.comparison import decimaler_for_land  # noqa: E402

TEMAER = ("serviceudvikling", "overdoedelighed", "maalgruppe")
HOVEDTAL = {"serviceudvikling": "noegletal-pr1000", "overdoedelighed": "noegletal-smr",
            "maalgruppe": "noegletal-pr1000"}


def _tema(navn):
    return importlib.import_module(f"vidensdata.themes.{navn}")


@pytest.mark.parametrize("navn", TEMAER)
def test_every_kommune_compared_and_hidden_never_assessed(navn):
    t = _tema(navn)
    res = t.beregn(geografi="Aarhus")
    sml = t.kommuner_sammenlignet(res)
    tab = sml.tabel
    assert len(tab) == 98 and set(tab["kommune_kode"]) == {g.kode for g in geography.kommuner()}
    hidden = tab[tab["undertrykt"]]
    # a hidden count: no value, no interval, never assessed (the verdict would depend on the hidden count)
    assert hidden[["vaerdi", "nedre", "oevre"]].isna().all().all()
    assert (hidden["vurdering"] == IKKE_VURDERET).all() and hidden["antal"].isna().all()
    shown = tab[~tab["undertrykt"] & tab["vaerdi"].notna()]
    assert len(shown) >= 90
    for _, r in shown.iterrows():
        assert r["nedre"] <= r["vaerdi"] <= r["oevre"]
        assert r["vurdering"] == vurder(r["vaerdi"], r["nedre"], r["oevre"], sml.land)
    assert shown["vaerdi"].is_monotonic_decreasing  # sorted, hidden rows last
    assert {HOEJERE, LAVERE} <= set(tab["vurdering"]) or navn == "overdoedelighed"


@pytest.mark.parametrize("navn", TEMAER)
def test_key_figure_verdict_uses_the_ci_and_the_countrys_figure(navn):
    t = _tema(navn)
    land = t.beregn(geografi="Hele landet")
    assert t.sammenligninger(land) == {}  # the country is the counterpart itself
    for g in ("Aarhus", "København", "Læsø", "Samsø", "Region Midtjylland", "Aarhus,Skanderborg"):
        res = t.beregn(geografi=g)
        m = t.sammenligninger(res)[HOVEDTAL[navn]]
        assert m.vurdering in VURDERINGER
        omr = geography.omraade(g)
        assert (m.region_navn is None) == (omr.enkelt is not None and omr.enkelt.niveau == "region")
        assert m.land not in ("", None)


def test_serviceudvikling_rate_ci_is_exact_poisson_and_verdicts_match():
    from scipy import stats

    t = _tema("serviceudvikling")
    res = t.beregn(geografi="Læsø")
    n = res.noegletal
    lo = stats.chi2.ppf(0.025, 2 * n["antal"]) / 2 / res.befolkning * 1000
    hi = stats.chi2.ppf(0.975, 2 * n["antal"] + 2) / 2 / res.befolkning * 1000
    assert n["pr_1000_nedre"] == pytest.approx(lo) and n["pr_1000_oevre"] == pytest.approx(hi)
    land = t.beregn(geografi="Hele landet").noegletal["pr_1000"]
    assert t.sammenligninger(res)["noegletal-pr1000"].vurdering == vurder(n["pr_1000"], lo, hi, land)
    vist = dict((i, v) for i, _, v in t.noegletal_vist(res))
    assert "(" in vist["noegletal-pr1000"]  # the interval is shown beside the rate


def test_suppressed_area_is_not_assessed():
    o = _tema("overdoedelighed")
    res = o.beregn(geografi="Læsø")
    assert res.noegletal["undertrykt"]
    assert all(m.vurdering == IKKE_VURDERET for m in o.sammenligninger(res).values())
    m = _tema("maalgruppe")
    # Læsø's count (10) is published with its register histories hidden; Samsø's is hidden (secondary)
    res = m.beregn(geografi="Samsø")
    assert res.observeret is None and res.observeret_undertrykt
    assert m.sammenligninger(res)["noegletal-pr1000"].vurdering == IKKE_VURDERET


def test_maalgruppe_compares_an_area_per_1000_adults_not_with_the_national_count():
    m = _tema("maalgruppe")
    vist = {i: (label, v) for i, label, v in m.noegletal_vist(m.beregn(geografi="Aarhus"))}
    label, value = vist["noegletal-publiceret"]
    assert "pr. 1.000 voksne" in label and "32.000" not in value
    voksne = m.publiceret_voksne(2024, ("serviceloven", "psykiatri", "misbrug"))
    assert value == f"{32_000 / voksne * 1000:.1f}–{40_000 / voksne * 1000:.1f}".replace(".", ",")
    land = {i: v for i, _, v in m.noegletal_vist(m.beregn(geografi="Hele landet"))}
    assert land["noegletal-publiceret"] == "32.000–40.000"


def test_decimaler_for_land():
    assert decimaler_for_land(7.505, 6.8, 7.46, 1) == 2  # 7,5 would look equal to the upper bound 7,5
    assert decimaler_for_land(7.0, 8.2, 8.9, 1) == 1
    assert decimaler_for_land(2.4301, 2.4299, 2.5, 2) == 4  # at most two more decimals


def test_card_carries_the_verdict_in_an_attribute_words_and_symbol_class():
    from vidensdata.presentation import komponenter as k
    from vidensdata.themes.comparison import Modpart

    cards = k.med_sammenligning([k.Kort("noegletal-pr1000", "Pr. 1.000", "8,6 (8,2–8,9)"), k.Kort("a", "Antal", "9")],
                                {"noegletal-pr1000": Modpart(HOEJERE, "7,0", "7,9", "Region Midtjylland")})
    page = k.noegletal_html(cards, [])
    assert page.count("data-sammenligning") == 1 and 'data-sammenligning="hoejere"' in page
    assert "Højere end landet" in page and "vd-v-hoejere" in page
    assert "Region Midtjylland: 7,9 · Hele landet: 7,0" in page
    hidden = k.noegletal_html([k.Kort("x", "SMR", "<5 døde", Modpart(IKKE_VURDERET, "2,43", grund="skjult"))], [])
    assert 'data-sammenligning="ikke-vurderet"' in hidden and "Ikke vurderet" in hidden and "(skjult)" in hidden


def test_compare_view_publishes_every_kommune_and_highlights_the_chosen():
    from vidensdata.presentation.temaer import serviceudvikling as tegning
    from vidensdata.publish import MIME

    res = _tema("serviceudvikling").beregn(geografi="Aarhus")
    shown = tegning.vis_sammenlign_kommuner(res)
    bundle = shown._repr_mimebundle_()
    payload, page = bundle[MIME], bundle["text/html"]
    assert payload["navn"] == "sammenlign" and len(payload["rows"]) == 98
    assert payload["antal_kolonner"] == ["Modtagere 2024"]
    assert page.count('aria-current="true"') == 2  # Aarhus in the region's table and in the table of all 98
    assert "<details><summary>Vis alle 98 kommuner</summary>" in page and page.count("<img") == 2
    assert "kommunerne i Region Midtjylland" in page


def _intro(page: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", page.split('<div class="vd-sml">', 1)[1].split("</p>", 1)[0])


@pytest.mark.parametrize("navn", TEMAER)
def test_compare_view_for_the_whole_country_speaks_of_all_98_and_no_region(navn):
    """Hele landet has no region: the view shows all 98 at once and its words say so (issue 14)."""
    import json

    from vidensdata.config import paths
    from vidensdata.presentation.temaer import _faelles
    from vidensdata.publish import MIME

    t = _tema(navn)
    res = t.beregn(geografi="Hele landet")
    shown = _faelles.vis_kommuner_sammenlignet(t.kommuner_sammenlignet(res), res.valg, res.kildelinje)
    page = shown._repr_mimebundle_()["text/html"]
    intro = _intro(page)
    assert intro.startswith("Hele landet er valgt, så alle 98 kommuner vises samlet."), intro
    invitation = "Vælg en region eller en kommune for at se kommunerne i én region."
    assert invitation in intro and "region" not in intro.replace(invitation, "").lower(), intro
    assert "valgte kommune" not in intro and "fremhævet" not in intro, intro
    assert "Vis alle 98 kommuner" not in page and "kommunerne i Region" not in page
    assert 'aria-current="true"' not in page and len(shown._repr_mimebundle_()[MIME]["rows"]) == 98
    # the notebook's own words before the view fit the whole country too
    nb = json.loads(paths().theme_notebook(navn).read_text(encoding="utf-8"))
    (tekst,) = ["".join(c["source"]) for c in nb["cells"] if "".join(c["source"]).startswith("## Sammenlign kommuner")]
    assert "områdets region" not in tekst and "for hele landet" in tekst and "alle 98 kommuner samlet" in tekst


@pytest.mark.parametrize("geografi, forventet", [
    ("Aarhus", "Her vises de 19 kommuner i Region Midtjylland, som Aarhus ligger i; under dem kan alle 98"),
    ("Region Nordjylland", "Her vises de 11 kommuner i Region Nordjylland; under dem kan alle 98 kommuner vises."),
    ("Aarhus,Læsø", "Her vises de 30 kommuner i Region Nordjylland og Region Midtjylland, som de valgte kommuner"),
])
def test_compare_view_names_the_region_it_shows(geografi, forventet):
    from vidensdata.presentation.temaer import serviceudvikling as tegning

    res = _tema("serviceudvikling").beregn(geografi=geografi)
    page = tegning.vis_sammenlign_kommuner(res)._repr_mimebundle_()["text/html"]
    assert _intro(page).startswith(forventet), _intro(page)
