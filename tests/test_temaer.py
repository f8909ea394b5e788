"""The theme registry, the split between computing and drawing, and the shared presentation components."""

import ast
import dataclasses
from pathlib import Path

import pytest

from vidensdata import geography
from vidensdata.errors import UnknownDatasetError, UnknownGeographyError
from vidensdata.presentation import komponenter as k
from vidensdata.presentation.temaer import TEGNINGER, tegning
from vidensdata.themes import TEMAER, Tema, tema, til_stede

SRC = Path(__file__).resolve().parents[1] / "src" / "vidensdata"


def test_every_theme_has_one_registry_entry_notebook_parameter_file_and_drawing(repo):
    assert list(TEMAER) == ["serviceudvikling", "overdoedelighed", "maalgruppe"]
    assert list(TEGNINGER) == list(TEMAER)
    assert [t.navn for t in til_stede()] == list(TEMAER)
    for navn, t in TEMAER.items():
        assert isinstance(t, Tema) and t.navn == navn and tema(navn) is t and tema(t) is t
        assert t.notebook == repo / "notebooks" / "temaer" / f"{navn}.ipynb" and t.notebook.exists()
        assert t.parameterfil.exists()
        assert set(t.parametre) == set(t.standardvaerdier()), navn  # registry and notebook agree
        assert t.titel and t.spoergsmaal.endswith("?")
        assert tegning(navn).TEMA is t
        for name in tegning(navn).TABELLER:
            assert callable(getattr(tegning(navn), name))


def test_unknown_theme_names_the_valid_ones():
    with pytest.raises(UnknownDatasetError, match="serviceudvikling") as info:
        tema("serviceudvikl")
    assert "Gyldige" in info.value.dansk


def test_a_theme_object_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TEMAER["maalgruppe"].titel = "Noget andet"


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            out.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("navn", list(TEMAER))
def test_computing_knows_nothing_of_html_or_widgets(navn):
    imports = _imports(SRC / "themes" / f"{navn}.py")
    assert not any("widgets" in i or "publish" in i or "plots" in i or "ipywidgets" in i or "komponenter" in i
                   for i in imports), imports
    text = (SRC / "themes" / f"{navn}.py").read_text(encoding="utf-8")
    assert "<div" not in text and "<style" not in text and "vd-kort" not in text


def test_one_stylesheet_and_one_secondary_mark():
    sheets = [p for p in SRC.rglob("*.py") if ".vd-kort-tal{" in p.read_text(encoding="utf-8")]
    assert sheets == [SRC / "presentation" / "komponenter.py"]
    assert [p.name for p in SRC.rglob("*.py") if 'SEKUNDAER = "x"' in p.read_text(encoding="utf-8")] == \
        ["vocabulary.py"]


def test_components_draw_cards_notes_and_marks():
    cards = [k.Kort("a", "Modtagere i 2024", "40.771"), k.Kort("b", "Døde", k.vist_antal(3, True, True))]
    page = k.noegletal_html(cards, ["Kilde: X"])
    assert page.startswith(k.STIL) and page.count('class="vd-kort"') == 2
    assert 'data-testid="b"><5</div>' in page
    assert '<p class="vd-note">Kilde: X</p>' in page
    assert k.vist_antal(None, True, False) == "x" and k.vist_antal(1234, False, False) == "1.234"
    assert list(k.noegletal_tabel(cards).columns) == ["Modtagere i 2024", "Døde"]
    assert "<5 betyder 1–4 døde; x er skjult" in k.diskretionering_note("døde")


@pytest.mark.parametrize("navn, kwargs", [
    ("serviceudvikling", {"geografi": "Læsø", "startaar": 2014, "slutaar": 2024}),
    ("overdoedelighed", {"geografi": "Aarhus"}),
    ("maalgruppe", {"geografi": "Region Nordjylland", "aar": 2020}),
])
def test_a_result_reads_as_a_danish_summary_in_a_notebook(navn, kwargs):
    t = TEMAER[navn]
    res = t.beregn(**kwargs)
    again = t.beregn_valg(t.valider(**kwargs))
    assert type(again) is type(res) and again.noegletal == res.noegletal
    summary = res._repr_html_()
    assert t.titel in summary and geography.omraade(kwargs["geografi"]).navn in summary
    module = __import__(f"vidensdata.themes.{navn}", fromlist=["noegletal_vist"])
    for _, label, value in module.noegletal_vist(res):
        assert label.replace("<", "&lt;") in summary and value.replace("<", "&lt;") in summary
    assert "Syntetiske data (demo)" in summary
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.valg = None


def test_an_area_has_one_rule_and_one_string_form():
    a = geography.omraade(["Skanderborg", "aarhus kommune", "Odder"])
    assert a.noegle == "Aarhus,Odder,Skanderborg" and a.navn == "Aarhus, Odder og Skanderborg"
    assert geography.omraade(a.noegle) == a == geography.omraade(["751", 727, "746"])
    assert a.slug == "aarhus+odder+skanderborg"
    assert geography.omraade("Region Hovedstaden").noegle == "Region Hovedstaden"
    assert geography.omraade(["Ærø", "Aabenraa", "Odense"]).noegle == "Aabenraa,Odense,Ærø"
    for bad in (["Region Hovedstaden", "Aarhus"], ["081", "082"], "kommuner", ["Hele landet", "Aarhus"]):
        with pytest.raises(UnknownGeographyError) as info:
            geography.omraade(bad)
        assert "én region eller en eller flere kommuner" in info.value.dansk
    # lists of geographies for datasets are not areas: several regions are fine there
    assert len(geography.kommune_koder(["081", "082"])) == 11 + 19
    assert geography.region_koder("kommuner") == ["081", "082", "083", "084", "085"]


def test_the_app_landing_page_lists_the_registry(tmp_path, monkeypatch):
    from vidensdata import app

    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path))
    root = app.forside_temaer()
    page = (root / "voila/templates/vidensdata/temaer.html").read_text(encoding="utf-8")
    for t in TEMAER.values():
        assert f'vis/{t.navn}">{t.titel}</a>' in page and t.spoergsmaal in page
        assert f'voila/render/{t.navn}.ipynb">Åbn den interaktive app</a>' in page
    assert str(root) == app.voila_env()["JUPYTER_PATH"].split(":")[0]


def test_one_memo_mechanism_keys_on_what_the_value_depends_on():
    from vidensdata import memo

    calls = []
    m = memo.Memo("test.lru", stoerrelse=2)
    try:
        assert m.hent(("data-1", 2020), lambda: calls.append(1) or "a") == "a"
        assert m.hent(("data-1", 2020), lambda: calls.append(2) or "b") == "a" and calls == [1]
        m.hent(("data-2", 2020), lambda: "c")  # a refreshed dataset is a new key, never the old value
        m.hent(("data-3", 2020), lambda: "d")
        assert ("data-1", 2020) not in m and len(m) == 2  # least recently used evicted
        memo.glem_alt()
        assert len(m) == 0
        with pytest.raises(ValueError, match="findes allerede en memo ved navn .test.lru."):
            memo.Memo("test.lru")
    finally:
        del memo.MEMOER["test.lru"]
    # every in-process cache of the package is one of these
    names = set(memo.MEMOER)
    assert {"datasets.frames", "register.udtraek", "statbank.filer", "temaer.moenstre", "maalgruppe.estimater",
            "overdoedelighed.perioder"} <= names


def test_derived_caches_are_keyed_on_the_code_that_derives_them(tmp_path, monkeypatch):
    import importlib.util

    from vidensdata import storage

    f = tmp_path / "afledt_modul.py"
    f.write_text("X = 1\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("afledt_modul", f)
    mod = importlib.util.module_from_spec(spec)
    before = storage.code_fingerprint(mod)
    assert storage.code_fingerprint(mod) == before
    f.write_text("X = 2\n", encoding="utf-8")
    storage._module_hash.cache_clear()
    assert storage.code_fingerprint(mod) != before
    src = (SRC / "sources" / "synthetic.py").read_text(encoding="utf-8")
    assert "GENERATOR_VERSION" not in src and '"-v1"' not in (SRC / "datasets" / "registry.py").read_text()
