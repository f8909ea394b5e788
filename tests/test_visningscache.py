"""The view cache: a report run stores each section's HTML; the app draws the same view from it without
computing, falls back to computing for what is missing or unreadable, and never serves a view made
from other data or other code."""

import dataclasses
import functools

import pytest

from vidensdata.presentation import visningscache
from vidensdata.themes import serviceudvikling as tema
from vidensdata.presentation.temaer import serviceudvikling as tegn

SEKTIONER = (tegn.vis_noegletal, tegn.figur_antal, tegn.vis_tabel)


@pytest.fixture
def counting(monkeypatch):
    """Count the theme's computations (``beregn_valg``, what a view computes from) while keeping what it computes."""
    calls = []
    original = tema.beregn_valg

    @functools.wraps(original)
    def beregn_valg(valg):
        calls.append(valg)
        return original(valg)

    # the drawing module's view binds its theme object: give it one whose computation counts
    monkeypatch.setattr(tegn, "TEMA", dataclasses.replace(tema.TEMA, beregn_valg=beregn_valg))
    return calls


def _report(geografi, startaar=2014):
    """What a report run does: the static view, every section displayed (and cached)."""
    from IPython.utils.capture import capture_output

    v = tegn.visning(geografi, startaar, 2024, "alle", interaktiv=False)
    with capture_output():
        v.kontroller()
        for render in SEKTIONER:
            v.vis(render)
    return v


def _app(geografi, startaar=2014):
    v = tegn.visning(geografi, startaar, 2024, "alle", interaktiv=True)
    v.kontroller()
    for render in SEKTIONER:
        v.vis(render)
    return v


def test_the_app_draws_a_reported_view_from_the_cache_without_computing(counting):
    report = _report("Vejle")
    folder = report._mappe
    assert folder is not None and sorted(p.name for p in folder.iterdir()) == ["0.html.z", "1.html.z", "2.html.z"]
    expected = [visningscache.read(folder, n) for n in range(3)]
    assert 'data-testid="noegletal-' in expected[0] and expected[1].startswith('<figure class="vd-figur"')
    counting.clear()

    app = _app("Vejle")
    assert counting == []  # nothing computed: every section came from the cache
    assert [out.value for _, out in app._sektioner] == expected
    # the same view however it is spelled (code, name, case)
    other = _app("630")
    assert counting == [] and other._mappe == folder

    app._widgets["geografi"].value = "Kolding"  # not cached yet: computed, then cached
    assert len(counting) == 1 and "Kolding" in app._sektioner[0][1].value
    app._widgets["geografi"].value = "Vejle"  # back: from the cache again
    assert len(counting) == 1 and [out.value for _, out in app._sektioner] == expected
    assert app.resultat.valg.omraade.navn == "Vejle" and len(counting) == 2  # computed only when asked for


def test_a_missing_or_corrupt_section_is_drawn_live_and_stored_again(counting):
    report = _report("Horsens")
    folder = report._mappe
    expected = [visningscache.read(folder, n) for n in range(3)]
    (folder / "1.html.z").unlink()
    (folder / "2.html.z").write_bytes(b"not zlib")
    counting.clear()
    app = _app("Horsens")
    assert len(counting) == 1  # one computation for the two sections that were not usable
    assert [out.value for _, out in app._sektioner] == expected
    assert [visningscache.read(folder, n) for n in range(3)] == expected


def test_other_data_or_code_never_gets_an_old_view(monkeypatch):
    from vidensdata.reporting import provenance

    valg = tema.valider("Aarhus", 2014, 2024, "alle")
    before = visningscache.folder("serviceudvikling", valg)
    real = provenance.theme_context
    monkeypatch.setattr(provenance, "theme_context",
                        lambda t: {**real(t), "data": [{"fingeraftryk": "opdateret"}]})
    try:
        assert visningscache.folder("serviceudvikling", valg) != before  # the same process sees the refresh
    finally:
        monkeypatch.undo()
    assert visningscache.folder("serviceudvikling", valg) == before
    assert visningscache.folder("serviceudvikling", tema.valider("Aarhus", 2015, 2024, "alle")) != before


def test_bad_parameters_are_not_cached_and_still_say_what_is_wrong(counting):
    app = tegn.visning("Atlantis", interaktiv=True)
    assert app.fejl is not None and "Atlantis" in app.fejl.dansk and app._mappe is None
