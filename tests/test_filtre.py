"""Every control changes what it claims to (issue 15, item 2): the sex filter hides the other sex,
the services filter changes the key figures' labels to say exactly what they count, and a changed
control shows a busy state until the view is updated. Tables scroll in their own container."""

from __future__ import annotations

from vidensdata.presentation import komponenter as k
from vidensdata.presentation import widgets
from vidensdata.presentation.temaer import overdoedelighed as tegn_od
from vidensdata.presentation.widgets import som_html
from vidensdata.themes import overdoedelighed, serviceudvikling


def test_kvinder_hides_the_mens_cards_rows_and_life_years():
    res = overdoedelighed.beregn("Aarhus", koen="K")
    ids = [i for i, _label, _v in overdoedelighed.noegletal_vist(res)]
    assert "noegletal-lyl-kvinder" in ids and "noegletal-lyl-maend" not in ids
    table = som_html(tegn_od.vis_tabel(res))
    assert "Kvinder" in table and "Mænd" not in table and "I alt" not in table
    life = som_html(tegn_od.vis_leveaar(res))
    assert "Kvinder" in life and "Mænd" not in life
    download = overdoedelighed.tabel_til_download(res)
    assert set(download["koen"]) == {"Kvinder"}
    both = overdoedelighed.beregn("Aarhus")
    ids = [i for i, _label, _v in overdoedelighed.noegletal_vist(both)]
    assert {"noegletal-lyl-kvinder", "noegletal-lyl-maend"} <= set(ids)
    assert "Mænd" in som_html(tegn_od.vis_tabel(both)) and "I alt" in som_html(tegn_od.vis_tabel(both))


def test_choosing_some_services_makes_the_key_figures_say_what_they_count():
    some = serviceudvikling.beregn("Aarhus", ydelser=["§85", "§108"])
    every = serviceudvikling.beregn("Aarhus")
    shown_some = {i: (label, v) for i, label, v in serviceudvikling.noegletal_vist(some)}
    shown_all = {i: (label, v) for i, label, v in serviceudvikling.noegletal_vist(every)}
    for testid in ("noegletal-antal", "noegletal-pr1000", "noegletal-trend"):
        assert shown_some[testid][1] == shown_all[testid][1]  # the same number (any of all services) …
        assert "ikke kun de valgte" in shown_some[testid][0]  # … labelled as what it counts
        assert "ikke kun de valgte" not in shown_all[testid][0]


def test_busy_state_has_text_and_aria_busy():
    assert 'aria-busy="true"' in widgets.OPDATERER and "Opdaterer visningen" in widgets.OPDATERER
    assert 'role="status"' in widgets.OPDATERER


def test_tables_scroll_inside_their_own_focusable_container():
    import pandas as pd

    html = k.tabel_html(pd.DataFrame({"a": ["1"], "b": ["2"]}), "Tabel over x")
    assert html.startswith('<div class="vd-tabel-rulle" role="region" aria-label="Tabel over x" tabindex="0"')
    assert "overflow-x:auto" in html
