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
    from vidensdata.themes import kontekst

    valg = tema.valider("Aarhus", 2014, 2024, "alle")
    before = visningscache.folder("serviceudvikling", valg)
    real = kontekst.theme_context
    monkeypatch.setattr(kontekst, "theme_context",
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


def test_cache_is_bounded_and_evicts_the_least_recently_used_views(tmp_path, monkeypatch):
    """Over its bound, the cache drops the views used longest ago (a read counts as use) down to 90 %."""
    import os
    import time

    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path))
    monkeypatch.setenv("VIDENSDATA_VISNINGSCACHE_MB", "0.5")  # 524,288 bytes
    monkeypatch.setattr(visningscache, "_skrevet", 1)  # no automatic eviction during these 12 writes
    side = os.urandom(40_000).hex()  # incompressible: 80 KB per section as stored (hex of random bytes ~ 50 %)
    mapper = []
    for i in range(12):
        mappe = tmp_path / "visninger" / "tema" / f"v{i:02d}"
        visningscache.write(mappe, 0, side)
        os.utime(mappe, (time.time() - 1000 + i, time.time() - 1000 + i))  # v00 oldest ... v11 newest
        mapper.append(mappe)
    assert visningscache.read(mapper[0], 0) == side  # v00 is used now: the most recent
    before = visningscache.storrelse()
    assert before > 524_288
    removed = visningscache.ryd()
    after = visningscache.storrelse()
    assert removed > 0 and after <= 0.9 * 524_288 and before - removed == after
    kept = {m.name for m in mapper if m.exists()}
    assert "v00" in kept and "v11" in kept  # read just now / written last
    assert "v01" not in kept and "v02" not in kept  # least recently used went first
    gone = sorted(m.name for m in mapper if not m.exists())
    assert gone == [f"v{i:02d}" for i in range(1, 1 + len(gone))]  # strictly in order of last use
    assert visningscache.read(mapper[1], 0) is None  # an evicted view is simply drawn again


def test_writes_keep_the_cache_under_its_bound(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path))
    monkeypatch.setenv("VIDENSDATA_VISNINGSCACHE_MB", "1")
    side = os.urandom(30_000).hex()
    for i in range(4 * visningscache.RYD_HVER):
        visningscache.write(tmp_path / "visninger" / "tema" / f"v{i:03d}", 0, side)
    # every RYD_HVER writes the cache is measured: at most RYD_HVER views above the bound at any time
    assert visningscache.storrelse() <= 1024 * 1024 + visningscache.RYD_HVER * 65_000


def test_cache_bound_setting_is_checked(monkeypatch):
    from vidensdata.config import visningscache_max_bytes
    from vidensdata.errors import ParameterError

    monkeypatch.setenv("VIDENSDATA_VISNINGSCACHE_MB", "nul")
    with pytest.raises(ParameterError, match="VIDENSDATA_VISNINGSCACHE_MB"):
        visningscache_max_bytes()
    monkeypatch.delenv("VIDENSDATA_VISNINGSCACHE_MB")
    assert visningscache_max_bytes() == 256 * 1024 * 1024
