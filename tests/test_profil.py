"""Kommune profiles, the verdict rule, the kommune map and the reports' landing page (unit level, no browser)."""

import math
import re

import pytest

from vidensdata import geography
from vidensdata.presentation import kort
from vidensdata.themes import profil, sammenligning
from vidensdata.themes.sammenligning import vurder


@pytest.mark.parametrize("args, expected", [
    ((14.2, 12.1, 16.4, 10.6), "hoejere"),
    ((8.0, 6.0, 9.9, 10.0), "lavere"),
    ((10.0, 9.0, 11.0, 10.0), "som"),
    ((10.0, 10.0, 11.0, 10.0), "som"),  # the national value on the limit: not outside the interval
    ((None, 1.0, 2.0, 1.5), "ikke-vurderet"),  # suppressed
    ((1.5, None, None, 1.0), "ikke-vurderet"),  # no interval
    ((1.5, math.nan, 2.0, 1.0), "ikke-vurderet"),
    ((1.5, 1.2, 2.0, None), "ikke-vurderet"),  # no national value
])
def test_vurder_fingertips_rule(args, expected):
    assert vurder(*args) == expected
    assert sammenligning.TEKST[expected]


def test_every_kommune_has_three_headline_indicators_consistent_with_its_verdict():
    alle = profil.alle_kommuner()
    assert sorted(alle) == sorted(g.kode for g in geography.kommuner())
    for inds in alle.values():
        assert [i.tema for i in inds] == list(profil.TEMA_RAEKKEFOELGE)
        for i in inds:
            assert i.land is not None and i.region is not None
            assert i.vurdering == vurder(i.vaerdi, i.nedre, i.oevre, i.land)
            if i.vaerdi is not None:
                assert i.nedre <= i.vaerdi <= i.oevre
    verdicts = {i.vurdering for inds in alle.values() for i in inds}
    assert {"hoejere", "som", "lavere"} <= verdicts


def test_profile_matches_the_theme_result_and_hides_suppressed_values():
    from vidensdata.parameters import read_parameter_file
    from vidensdata.themes import TEMAER

    res = TEMAER["maalgruppe"].beregn(**{**read_parameter_file("maalgruppe"), "geografi": "Aarhus"})
    i = {x.tema: x for x in profil.profil("aarhus kommune")}["maalgruppe"]
    assert i.vaerdi == pytest.approx(res.noegletal["pr_1000"])
    laesoe = {x.tema: x for x in profil.profil("Læsø")}
    smr = TEMAER["overdoedelighed"].beregn(geografi="Læsø").noegletal["smr"]
    if smr is None:  # suppressed in the theme report: not shown in the profile either
        assert laesoe["overdoedelighed"].vaerdi is None and laesoe["overdoedelighed"].vurdering == "ikke-vurderet"


def test_choropleth_has_all_98_kommuner_as_links_with_text_alternatives():
    v = profil.kommunevaerdier("serviceudvikling")
    values = dict(zip(v["kommune_kode"], v["vaerdi"]))
    values["825"] = None  # a suppressed kommune is hatched
    html = kort.choropleth(values, titel="Test", enhed="pr. 1.000", decimaler=1, kilde="Kilde: test",
                           href=lambda k: f"{k}.html", valgt=("751",))
    codes = re.findall(r'data-kommune-kode="(\d{3})"', html)
    assert sorted(codes) == sorted(g.kode for g in geography.kommuner())
    assert 'href="101.html"' in html and 'aria-label="Læsø: skjult' in html
    assert "url(#vd-skravering)" in html and "Skjult eller ingen værdi (1 kommuner)" in html
    assert kort.KILDE in html and "Kilde: test" in html
    assert html.count("vd-kort-valgt") >= 2  # style + the outline of the chosen kommune
    assert all(c in html for c in kort.FARVER)


def test_quintile_classes():
    assert kort.klasser([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [2, 4, 6, 8, 10]
    assert kort.klasser([1, 1, 1]) == [1]
    assert kort.klasser([]) == []


def test_landing_page_and_profiles_are_written_and_published(tmp_path):
    from vidensdata import audit, report
    from vidensdata.reporting import profil as side

    printed, same = side.skriv(tmp_path)
    assert len(printed) == 98 and same == 0
    page = (tmp_path / "profil" / "laesoe.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in page and "Kommuneprofil: Læsø" in page and "@media print" in page
    assert page.count("data-sammenligning=") >= 6 and kort.KILDE in page
    assert 'href="../serviceudvikling/laesoe.html"' in page and "voila/render/serviceudvikling.ipynb?geografi=L" in page
    assert (tmp_path / "profil" / "laesoe.tabeller" / "tabeller.json").exists()
    # the audit reads the profiles' tables and finds every number of the page published
    result = audit.audit(tmp_path)
    assert result.rapporter == 98 and result.ok, result.summary()
    again, same = side.skriv(tmp_path)
    assert same == 98 and len(again) == 98  # unchanged pages, but without a PDF yet: printed again
    index = report.write_index(tmp_path).read_text(encoding="utf-8")
    assert 'href="profil/laesoe.html"' in index and 'id="vd-soeg"' in index
    assert "Git-commit" not in index and "aar = 2024" not in index
    assert "<script>" in index and not re.search(r'src="https?:|<link', index)  # no outside request


def test_app_landing_page_links_to_the_reports_and_back(tmp_path, monkeypatch):
    from vidensdata import app
    from vidensdata.reporting import forside

    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path))
    monkeypatch.setenv("VIDENSDATA_RAPPORT_URL", "https://rapporter.example.dk/")
    monkeypatch.setenv("VIDENSDATA_APP_URL", "https://apps.example.dk/vd")
    page = (app.forside_temaer() / "voila/templates/vidensdata/temaer.html").read_text(encoding="utf-8")
    assert 'href="https://rapporter.example.dk/"' in page
    index = forside.side(tmp_path)
    assert 'href="https://apps.example.dk/vd/"' in index
    assert "https://apps.example.dk/vd/voila/render/maalgruppe.ipynb?geografi=L%C3%A6s%C3%B8" in index


# ------------------------------------------------------------------ the target group's trend (issue 14, item 5)

def _maalgruppe_valg():
    from vidensdata.parameters import read_parameter_file
    from vidensdata.themes import maalgruppe

    v = maalgruppe.valider(**{**read_parameter_file("maalgruppe"), "geografi": "Aarhus"})
    return v.aar, v.registre


def test_target_group_series_are_the_themes_own_yearly_estimates():
    """Each year of the series is the estimate per 1,000 adults that the theme shows for that year (real data)."""
    from vidensdata.themes import maalgruppe

    aar, registre = _maalgruppe_valg()
    d = maalgruppe.kommuner_over_aar(aar, registre)
    first, _ = maalgruppe.data_years()
    assert len(d) == 98 * (aar - first + 1) and set(d["aar"]) == set(range(first, aar + 1))
    for kommune, year in (("Aarhus", aar), ("Aarhus", first + 3), ("Læsø", aar), ("Læsø", first)):
        res = maalgruppe.beregn(geografi=kommune, aar=year, registre="alle")
        row = d[(d["kommune_kode"] == geography.resolve_one(kommune).kode) & (d["aar"] == year)].iloc[0]
        if res.noegletal["pr_1000"] is None:  # hidden in the theme: hidden in the series
            assert row["undertrykt"] and math.isnan(row["pr_1000"])
        else:
            assert not row["undertrykt"] and row["pr_1000"] == pytest.approx(res.noegletal["pr_1000"])
    assert (d["voksne"] > 0).all()
    assert d["undertrykt"].any() and d.loc[d["undertrykt"], "pr_1000"].isna().all()


@pytest.mark.parametrize("kommune", ["Aarhus", "København", "Læsø", "Samsø"])
def test_target_group_trend_is_growth_trend_of_the_shown_estimates(kommune):
    from vidensdata.methods import growth
    from vidensdata.themes import maalgruppe

    aar, registre = _maalgruppe_valg()
    kode = geography.resolve_one(kommune).kode
    udvikling, note, tr = profil.maalgruppe_udvikling(kode, aar, registre)
    d = maalgruppe.kommuner_over_aar(aar, registre)
    k = d[d["kommune_kode"] == kode]
    # the rate as persons among the last year's adults: the rate's growth, a count's Poisson floor
    serie = k[~k["undertrykt"]].set_index("aar")["pr_1000"] * float(k.sort_values("aar")["voksne"].iloc[-1]) / 1000
    if len(serie) < profil.MIN_AAR_TREND:
        assert (udvikling, tr) == (profil.INGEN_TREND, None) and "For få år" in note
        return
    expected = growth.trend(serie, horizon=0)
    assert (tr.annual_growth, tr.lower, tr.upper) == pytest.approx(
        (expected.annual_growth, expected.lower, expected.upper))
    assert tr.n_years == len(serie)
    if tr.lower > 0:
        assert udvikling == profil.STIGENDE
    elif tr.upper < 0:
        assert udvikling == profil.FALDENDE
    else:
        assert udvikling == profil.UAENDRET and profil.UDVIKLING_TEKST[udvikling] == "Ingen tydelig retning"
    assert note.startswith("Årlig ændring i skønnet pr. 1.000 voksne") and "(95 %-KI mod 0)" in note
    if len(serie) < aar - int(serie.index.min()) + 1:
        assert "år med skjult skøn er udeladt" in note


@pytest.mark.parametrize("vaekst, forventet", [(1.08, "stigende"), (0.92, "faldende"), (1.0, "uaendret")])
def test_target_group_trend_direction_words(monkeypatch, vaekst, forventet):
    """A clear rise or fall per 1,000 adults gets its word; a flat series 'Ingen tydelig retning'."""
    import pandas as pd

    from vidensdata.themes import maalgruppe

    aar = list(range(2014, 2025))
    serie = [200 * vaekst ** (a - 2014) * (1 + 0.01 * (-1) ** a) for a in aar]
    fake = pd.DataFrame({"kommune_kode": "751", "aar": aar, "voksne": 40_000, "pr_1000": [x / 40 for x in serie],
                         "undertrykt": False})
    monkeypatch.setattr(maalgruppe, "kommuner_over_aar", lambda til_aar, registre: fake)
    udvikling, note, tr = profil.maalgruppe_udvikling("751", 2024, ("serviceloven",))
    assert udvikling == forventet, (tr.annual_growth, tr.lower, tr.upper)
    assert profil.UDVIKLING_TEKST[udvikling] in {"Stigende", "Faldende", "Ingen tydelig retning"}


def test_profile_row_of_the_target_group_carries_its_trend():
    aar, registre = _maalgruppe_valg()
    for kommune in ("Aarhus", "Læsø"):
        i = {x.tema: x for x in profil.profil(kommune)}["maalgruppe"]
        if i.vaerdi is None:
            assert i.udvikling == profil.INGEN_TREND
            continue
        udvikling, note, _ = profil.maalgruppe_udvikling(geography.resolve_one(kommune).kode, aar, registre)
        assert (i.udvikling, i.udvikling_note) == (udvikling, note)
        assert i.udvikling_tekst in {"Stigende", "Faldende", "Ingen tydelig retning"}


def test_service_row_note_gives_the_growth_it_judges():
    """The service row's note carries the annual growth and its interval that decide Stigende/Faldende."""
    from vidensdata import formatting as fmt
    from vidensdata.parameters import read_parameter_file
    from vidensdata.themes import serviceudvikling

    for kommune in ("Aarhus", "Læsø"):
        i = {x.tema: x for x in profil.profil(kommune)}["serviceudvikling"]
        res = serviceudvikling.beregn(**{**read_parameter_file("serviceudvikling"), "geografi": kommune})
        if res.trend is None:
            assert i.udvikling == profil.INGEN_TREND and i.udvikling_note == (res.trend_note or "Ingen trend.")
            continue
        tr = res.trend
        assert fmt.fmt_interval(tr.annual_growth, tr.lower, tr.upper, decimals=1, pct=True) in i.udvikling_note
        assert i.udvikling_note.startswith(f"Årlig vækst i antal modtagere {res.valg.startaar}–{res.valg.slutaar}: ")
