import pytest

from vidensdata import geography as geo
from vidensdata.errors import UnknownGeographyError


@pytest.mark.parametrize("spec, kode", [
    ("Aarhus", "751"), ("aarhus", "751"), ("Århus Kommune", "751"), ("AARHUS KOMMUNE", "751"),
    ("751", "751"), (751, "751"), ("København", "101"), ("koebenhavn", "101"), ("Høje-Taastrup", "169"),
    ("hoeje taastrup", "169"), ("Læsø", "825"), ("laesoe kommune", "825"),
    ("Region Hovedstaden", "084"), ("hovedstaden", "084"), ("084", "084"), (84, "084"),
    ("region sjælland", "085"), ("Hele landet", "000"), ("landet", "000"), ("000", "000"),
])
def test_resolves_codes_and_names(spec, kode):
    (g,) = geo.resolve(spec)
    assert g.kode == kode


def test_levels_and_lists():
    assert len(geo.resolve("kommuner")) == 98
    assert [g.kode for g in geo.resolve("regioner")] == ["081", "082", "083", "084", "085"]
    assert [g.kode for g in geo.resolve(["Aarhus", "101", "aarhus"])] == ["751", "101"]
    assert len(geo.report_geographies()) == 104


def test_regions_contain_their_kommuner():
    hovedstaden = geo.resolve_one("Region Hovedstaden")
    assert "101" in hovedstaden.kommune_koder and "400" in hovedstaden.kommune_koder  # Bornholm
    assert len(hovedstaden.kommune_koder) == 29
    total = sum(len(r.kommune_koder) for r in geo.regioner())
    assert total == 98
    assert geo.region_of("825").navn == "Region Nordjylland"


@pytest.mark.parametrize("spec, kode", [
    ("Københavns Kommune", "101"), ("KØBENHAVNS KOMMUNE", "101"), ("koebenhavns kommune", "101"),
    ("Bornholms Regionskommune", "400"), ("bornholms regionskommune", "400"), ("Bornholms Kommune", "400"),
    ("BORNHOLMS KOMMUNE", "400"), ("Frederiksbergs Kommune", "147"), ("Høje-Taastrups Kommune", "169"),
    ("hoeje taastrups kommune", "169"), ("Læsøs Kommune", "825"), ("laesoes kommune", "825"),
    ("Aarhus' Kommune", "751"), ("Aarhus Kommune", "751"), ("Aarhus", "751"),  # a name ending in -s keeps it
    ("Horsens Kommune", "615"), ("Assens Kommune", "420"), ("Stevns Kommune", "336"),
    ("Nordfyns Kommune", "480"), ("Nordfyn Kommune", "480"), ("Vesthimmerlands Kommune", "820"),
    ("vesthimmerland", "820"),
])
def test_official_and_genitive_names(spec, kode):
    (g,) = geo.resolve(spec)
    assert g.kode == kode
    assert geo.omraade(spec).kommune_koder == (kode,)  # the apps' search and deep links go through omraade


def test_no_kommune_is_the_genitive_of_another():
    """Cutting a genitive -s can never turn one kommune's name into another's."""
    names = {geo._norm(g.navn) for g in geo.kommuner()}
    assert not {n for n in names if geo._uden_genitiv(n) in names}
    assert not {n for n in names if n + "s" in names}


@pytest.mark.parametrize("bad", ["Regions Hovedstaden", "landets", "kommuners", "Hele landets", "Atlantiss Kommune"])
def test_the_genitive_is_only_for_kommuner(bad):
    with pytest.raises(UnknownGeographyError):
        geo.resolve(bad)


@pytest.mark.parametrize("bad, hint", [("Aarhuus", "Aarhus"), ("Koebnhavn", "København"),
                                       ("Region Sjaeland", "Region Sjælland")])
def test_unknown_names_list_close_matches(bad, hint):
    with pytest.raises(UnknownGeographyError) as err:
        geo.resolve(bad)
    assert f"»{bad}«" in str(err.value) and repr(bad) in err.value.message  # Danish for people, English log
    assert hint in str(err.value)


@pytest.mark.parametrize("bad", ["Atlantis", "999", 411, "", [], None, 3.5, True])
def test_rejects_everything_else(bad):
    with pytest.raises(UnknownGeographyError):
        geo.resolve(bad)


def test_christiansoe_is_not_a_kommune():
    with pytest.raises(UnknownGeographyError, match="Christiansø"):
        geo.resolve("411")


def test_area_of_several_kommuner():
    omr = geo.omraade(["Aarhus", "Skanderborg"])
    assert omr.kommune_koder == ("746", "751")
    assert omr.navn == "Aarhus og Skanderborg"
    assert omr.region_koder == ("082",)
    assert geo.omraade("Region Nordjylland").kommune_koder == geo.resolve_one("081").kommune_koder


def test_slugs_are_ascii_and_unique():
    slugs = [g.slug for g in geo.report_geographies()]
    assert len(set(slugs)) == 104
    assert geo.resolve_one("Høje-Taastrup").slug == "hoeje-taastrup"
    assert geo.resolve_one("Hele landet").slug == "hele-landet"
    assert all(s.isascii() for s in slugs)
