"""The apps' geography control: a type-ahead search and removable chips for extra kommuner (real ipywidgets)."""

import ipywidgets as w

from vidensdata.presentation.widgets import GeografiVaelger, geografi_valgmuligheder


def _vaelger(value="Hele landet"):
    v = GeografiVaelger(w, "Geografi", value, {"description_width": "initial"}, w.Layout())
    calls = []
    v.observe(lambda change: calls.append(change["new"]))
    return v, calls


def test_options_alphabetical_within_level():
    opts = geografi_valgmuligheder()
    assert len(opts) == 1 + 5 + 98 and opts[0] == "Hele landet"
    regions, kommuner = opts[1:6], opts[6:]
    assert regions == sorted(regions) and all(r.startswith("Region ") for r in regions)
    assert kommuner.index("Aabenraa") < kommuner.index("Aarhus") < kommuner.index("Vordingborg")
    assert kommuner[-1] == "Ærø"  # æ after z, as in Danish
    assert kommuner.index("Læsø") < kommuner.index("Mariagerfjord")


def test_typing_a_name_in_any_spelling_chooses_it():
    v, calls = _vaelger()
    v.hoved.value = "laesoe kommune"
    assert v.hoved.value == "Læsø" and v.value == "Læsø" and calls == ["Læsø"]
    v.hoved.value = "region midtjylland"
    assert v.value == "Region Midtjylland" and len(calls) == 2


def test_official_names_choose_the_kommune():
    v, calls = _vaelger()
    v.hoved.value = "Københavns Kommune"
    assert v.value == "København" and v.hoved.value == "København"
    v.hoved.value = "bornholms regionskommune"
    assert v.value == "Bornholm"
    v.tilfoej.value = "KOEBENHAVNS KOMMUNE"
    v.tilfoej.value = "Frederiksbergs Kommune"
    assert v.value == "Bornholm,København,Frederiksberg"
    assert calls == ["København", "Bornholm", "Bornholm,København", "Bornholm,København,Frederiksberg"]


def test_unknown_name_says_so_in_danish_and_keeps_the_value_for_validation():
    v, calls = _vaelger("Aarhus")
    v.hoved.value = "Atlantis"
    assert 'role="alert"' in v.besked.value and "Atlantis" in v.besked.value
    assert calls == ["Atlantis"]  # the view validates it and shows its own Danish message


def test_chips_add_and_remove_kommuner_without_ctrl_click():
    v, calls = _vaelger("Aarhus")
    v.tilfoej.value = "skanderborg"
    assert v.value == "Aarhus,Skanderborg" and v.tilfoej.value == ""
    v.tilfoej.value = "Odder"
    assert v.value == "Aarhus,Skanderborg,Odder" and v.ekstra == ("Skanderborg", "Odder")
    chips = v.chips.children
    assert [c.description for c in chips] == ["Skanderborg ×", "Odder ×"]
    assert chips[0].tooltip == "Fjern Skanderborg fra valget"
    v.tilfoej.value = "Odder"  # already chosen: nothing changes
    assert len(calls) == 2 and "allerede valgt" in v.besked.value
    chips[0].click()
    assert v.value == "Aarhus,Odder" and [c.description for c in v.chips.children] == ["Odder ×"]
    assert calls == ["Aarhus,Skanderborg", "Aarhus,Skanderborg,Odder", "Aarhus,Odder"]


def test_setting_the_value_draws_chips_and_notifies_once():
    v, calls = _vaelger()
    v.value = "Aarhus,Skanderborg"
    assert v.hoved.value == "Aarhus" and v.ekstra == ("Skanderborg",) and len(v.chips.children) == 1
    assert calls == ["Aarhus,Skanderborg"]
    v.value = "Aarhus,Skanderborg"  # no change: no notification
    v.value = "Atlantis"  # an invalid value: the whole country
    assert v.value == "Hele landet" and calls == ["Aarhus,Skanderborg", "Hele landet"]
