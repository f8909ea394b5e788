"""Deep links (``?geografi=Aarhus&startaar=2016``) and the served Voila configuration, without a server."""

import pytest

from vidensdata import app, app_server
from vidensdata.presentation import deeplink
from vidensdata.presentation.widgets import Kontrol, Visning

KONTROLLER = [
    Kontrol("geografi", "Geografi", "geografi"),
    Kontrol("aar", "År", "aarinterval", min=2014, max=2024),
    Kontrol("ydelser", "Ydelser", "multi", [("§ 85 Socialpædagogisk støtte", "§85"), ("§ 107 Botilbud", "§107")]),
    Kontrol("koen", "Køn", "dropdown", [("Alle", "alle"), ("Kvinder", "K"), ("Mænd", "M")]),
]


def test_valid_link_selects_the_view():
    link = deeplink.tolk("geografi=aarhus&startaar=2016&ydelser=85,%C2%A7107&koen=kvinder", KONTROLLER)
    assert link.gyldig, link.besked
    assert link.parametre == {"geografi": "Aarhus", "startaar": 2016, "ydelser": ["§85", "§107"], "koen": "K"}
    params = deeplink.beregn_parametre(link, {"geografi": "Hele landet", "startaar": None, "slutaar": None})
    assert params == {"geografi": "Aarhus", "startaar": 2016, "slutaar": None, "ydelser": ["§85", "§107"],
                      "koen": "K"}


def test_kommune_code_and_several_kommuner_become_the_area_s_one_string_form():
    for query in ("geografi=751,Skanderborg", "geografi=skanderborg&geografi=Aarhus+Kommune",
                  "geografi=Skanderborg,751,aarhus"):
        link = deeplink.tolk(query, KONTROLLER)
        assert link.parametre == {"geografi": "Aarhus,Skanderborg"}, query


@pytest.mark.parametrize("query", ["geografi=Region+Midtjylland,Aarhus", "geografi=081,082", "geografi=kommuner"])
def test_an_area_is_the_country_one_region_or_kommuner(query):
    link = deeplink.tolk(query, KONTROLLER)
    assert not link.gyldig and "én region eller en eller flere kommuner" in link.besked


@pytest.mark.parametrize("query, words", [
    ("geografi=Aarhuz", ["Aarhuz"]),
    ("startaar=1990", ["1990", "2014–2024"]),
    ("startaar=2020&slutaar=2016", ["2020", "2016"]),
    ("startaar=tyve", ["tyve", "årstal"]),
    ("hack=1", ["hack", "kendte felter"]),
    ("ydelser=999", ["999"]),
    ("geografi=", ["mangler"]),
    ("geografi=" + "x" * 3000, ["for langt"]),
])
def test_invalid_link_gives_a_danish_message_and_no_parameters(query, words):
    link = deeplink.tolk(query, KONTROLLER)
    assert not link.gyldig and link.parametre == {}
    assert link.besked.startswith("Linket kunne ikke bruges") and "Standardvisningen" in link.besked
    for w in words:
        assert w in link.besked, (w, link.besked)


def test_link_round_trip():
    query = deeplink.link({"geografi": "Aarhus", "startaar": 2016, "slutaar": 2024, "ydelser": ["§85"]})
    assert query.startswith("?geografi=Aarhus&startaar=2016")
    assert deeplink.tolk(query, KONTROLLER).parametre == {"geografi": "Aarhus", "startaar": 2016, "slutaar": 2024,
                                                           "ydelser": ["§85"]}


def _beregn(geografi="Hele landet", startaar=None, slutaar=None, ydelser=None, koen="alle"):
    from vidensdata.errors import InvalidYearsError

    if startaar is not None and startaar == 2023 and slutaar == 2023:
        raise InvalidYearsError("too short", dansk="Perioden er for kort.")
    return {"geografi": geografi, "startaar": startaar}


def test_visning_applies_the_query_string(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "geografi=Aarhus&startaar=2016")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    v = Visning(_beregn, {"geografi": "Hele landet", "startaar": None, "slutaar": None}, KONTROLLER, interaktiv_=True)
    assert v.resultat == {"geografi": "Aarhus", "startaar": 2016} and v.link.besked is None
    # a link that parses but that beregn rejects: Danish message, default view
    monkeypatch.setenv("QUERY_STRING", "startaar=2023&slutaar=2023")
    v = Visning(_beregn, {"geografi": "Hele landet", "startaar": None, "slutaar": None}, KONTROLLER, interaktiv_=True)
    assert v.resultat == {"geografi": "Hele landet", "startaar": None}
    assert "Perioden er for kort." in v.link.besked
    # a static report ignores the query string
    monkeypatch.setenv("QUERY_STRING", "geografi=Aarhus")
    v = Visning(_beregn, {"geografi": "Hele landet"}, KONTROLLER, interaktiv_=False)
    assert v.resultat["geografi"] == "Hele landet"


def test_kernel_websocket_filter_allows_only_widget_messages():
    assert app_server.tilladt("comm_msg", None)
    assert app_server.tilladt("comm_open", {"target_name": "jupyter.widget"})
    for bad in ("execute_request", "complete_request", "inspect_request", "history_request", "shutdown_request",
                "input_reply", None):
        assert not app_server.tilladt(bad, {})
    assert not app_server.tilladt("comm_open", {"target_name": "some.other.target"})


def test_served_configuration_is_tuned_and_the_baseline_is_not():
    tuned = " ".join(app.voila_command(9999))
    base = " ".join(app.voila_command(9999, tuned=False))
    for flag in ("--preheat_kernel=True", "cull_idle_timeout", "cull_interval", "kernel_pools_config",
                 "WidgetKunForbindelse", "BegraensetKernelManager.max_kernels"):
        assert flag in tuned and flag not in base
    for flag in ("show_tracebacks=False", "language_code=da", "file_denylist"):
        assert flag in tuned and flag in base


def test_link_arriving_after_render_switches_widgets_and_sections(monkeypatch):
    """Preheated kernels render the default view first; the deep link then switches the live page."""
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    params = {"geografi": "Hele landet", "startaar": 2014, "slutaar": 2024, "koen": "alle"}
    v = Visning(_beregn, params, KONTROLLER, interaktiv_=True)
    v.kontroller()
    v.vis(lambda res: f"<p>{res['geografi']} fra {res['startaar']}</p>")
    calls = []
    original = v._beregn
    v._beregn = lambda **kw: calls.append(kw) or original(**kw)
    v._link_live("geografi=Aarhus,Skanderborg&startaar=2016&koen=M")
    assert len(calls) == 1  # one recomputation, not one per widget
    assert v._widgets["geografi"].value == "Aarhus,Skanderborg"
    assert v._widgets["geografi"].hoved.value == "Aarhus" and v._widgets["geografi"].ekstra == ("Skanderborg",)
    assert v._widgets["aar"].value == (2016, 2024) and v._widgets["koen"].value == "M"
    assert v._sektioner[0][1].value == "<p>Aarhus,Skanderborg fra 2016</p>"
    assert "?geografi=Aarhus%2CSkanderborg&amp;startaar=2016" in v._del.value
    v._link_live("geografi=Atlantis")
    assert "Atlantis" in v._status.value and 'role="alert"' in v._status.value
    assert v._widgets["geografi"].value == "Aarhus,Skanderborg"  # the view on screen stays as it was


@pytest.mark.parametrize("query, kept, words", [
    ("geografi=Aarhus&startaar=1990", {"geografi": "Aarhus"}, ["startaar=1990", "2014–2024", "udeladt"]),
    ("geografi=Atlantis&startaar=2016", {"startaar": 2016}, ["geografi", "Atlantis", "udeladt"]),
    ("hack=1&geografi=Odder", {"geografi": "Odder"}, ["'hack'", "kendte felter: geografi"]),
    ("ydelser=999&koen=kvinder", {"koen": "K"}, ["ydelser", "999", "Gyldige: § 85 Socialpædagogisk støtte"]),
    ("koen=x&geografi=Aarhus&ydelser=85", {"geografi": "Aarhus", "ydelser": ["§85"]},
     ["koen", "Gyldige: Alle, Kvinder, Mænd"]),
    ("startaar=2020&slutaar=2016&geografi=Aarhus", {"geografi": "Aarhus"}, ["2020", "2016", "begge"]),
])
def test_a_bad_field_is_dropped_alone_and_named(query, kept, words):
    """Issue 15: ``?geografi=Aarhus&startaar=1990`` keeps Aarhus and says why the start year was dropped."""
    link = deeplink.tolk(query, KONTROLLER)
    assert link.parametre == kept and not link.gyldig
    assert link.besked.startswith("Linket kunne ikke bruges helt:") and "Resten af linket er brugt." in link.besked
    for w in words:
        assert w in link.besked, (w, link.besked)


def test_visning_keeps_the_valid_fields_of_a_partly_bad_link(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "geografi=Aarhus&startaar=1990")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    v = Visning(_beregn, {"geografi": "Hele landet", "startaar": None, "slutaar": None}, KONTROLLER, interaktiv_=True)
    assert v.resultat == {"geografi": "Aarhus", "startaar": None}
    assert "startaar=1990" in v.link.besked and "Resten af linket er brugt" in v.link.besked


def test_geography_suggestions_come_from_names_never_a_level():
    """``geografi=Atlantis`` answered "Mente du: landet?"; now only names that look alike are suggested."""
    from vidensdata import geography

    assert geography.forslag("Atlantis") == []
    assert "Mente du" not in deeplink.tolk("geografi=Atlantis", KONTROLLER).besked
    assert geography.forslag("Aarhuz") == ["Aarhus"] and geography.forslag("Region Midt") == ["Region Midtjylland"]
    assert geography.forslag("Sonderborg")[0] == "Sønderborg" and geography.forslag("kommunr") == ["kommuner"]
    for name in ("Atlantis", "Landsby", "Hele verden", "Randers Fjord"):
        assert not set(geography.forslag(name)) & set(geography.LEVELS), name


def test_a_pooled_kernel_takes_its_link_from_the_page_once(monkeypatch):
    """A preheated kernel draws the default view before any request; the page writes its query string into the
    hidden field (class ``deeplink.FELT_KLASSE``) and the view switches then, once. Its own environment is never
    read for the link: Voila's request hand-over to pooled kernels lost links on a loaded host (CI, 2026-12-02)."""
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("QUERY_STRING", "geografi=Odder")  # stale: a pooled kernel's environment is not the page's
    params = {"geografi": "Hele landet", "startaar": 2014, "slutaar": 2024, "koen": "alle"}
    v = Visning(_beregn, params, KONTROLLER, interaktiv_=True)
    assert v.resultat["geografi"] == "Hele landet"
    v.kontroller()
    v.vis(lambda res: f"<p>{res['geografi']} fra {res['startaar']}</p>")
    assert deeplink.FELT_KLASSE in v._lenke._dom_classes and v._lenke.layout.display == "none"
    calls = []
    original = v._beregn
    v._beregn = lambda **kw: calls.append(kw) or original(**kw)
    v._lenke.value = "?geografi=Aarhus&startaar=2016"
    assert v._widgets["geografi"].value == "Aarhus" and v._sektioner[0][1].value == "<p>Aarhus fra 2016</p>"
    v._lenke.value = "geografi=Aarhus&startaar=2016"  # the same link again (a re-sent field): nothing recomputed
    assert len(calls) == 1


def test_a_kernel_started_for_the_request_uses_its_environment_and_ignores_the_page_echo(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "geografi=Aarhus")
    v = Visning(_beregn, {"geografi": "Hele landet", "startaar": None, "slutaar": None}, KONTROLLER, interaktiv_=True)
    assert v.resultat["geografi"] == "Aarhus"
    v.kontroller()
    v.vis(lambda res: res["geografi"])
    calls = []
    original = v._beregn
    v._beregn = lambda **kw: calls.append(kw) or original(**kw)
    v._lenke.value = "?geografi=Aarhus"  # the page sends the link the kernel already drew
    assert calls == []
