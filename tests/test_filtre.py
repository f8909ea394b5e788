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


def _figure_texts(fig) -> list[str]:
    """Every text drawn in a figure: titles, axis labels, legend labels, the source line (whitespace joined)."""
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return [" ".join(t.split()) for t in texts if t.strip()]


def test_every_figure_text_about_services_says_what_it_counts_under_the_choice():
    """A text of the service theme that says "ydelse(r)" about a count of persons says which services it counts:
    "at least one service" is of all six (never of the chosen subset), and says so when a subset is chosen."""
    import re

    import matplotlib

    matplotlib.use("Agg")
    from vidensdata.presentation.temaer import serviceudvikling as tegn
    from vidensdata.vocabulary import YDELSE_NAVNE, YDELSER

    some = serviceudvikling.beregn("Aarhus", ydelser=["§85", "§108"])
    chosen_names = {YDELSE_NAVNE["§85"], YDELSE_NAVNE["§108"]}
    note = "alle 6 ydelser, ikke kun de valgte (§ 85, § 108)"
    assert serviceudvikling.alle_ydelser_note(some.valg) == f" – {note}"
    texts = []
    for figur in (tegn.figur_antal, tegn.figur_indeks, tegn.figur_sammenligning, tegn.figur_trend):
        texts += _figure_texts(figur(some))
    about_any = [t for t in texts if re.search(r"mindst én ydelse", t, re.I)]
    assert about_any, texts
    for t in about_any:
        assert note in t, t  # every "at least one service" says it counts all six, and names the chosen
    services = [t for t in texts if t in {*YDELSER.values()}]
    assert set(services) == chosen_names  # the other series are the chosen services, by name
    table = som_html(tegn.vis_tabel(some))
    assert f"Mindst én ydelse{serviceudvikling.alle_ydelser_note(some.valg)}".replace("–", "–") in table
    download = serviceudvikling.tabel_til_download(some)
    assert download.loc[download["ydelse"] == "alle", "ydelse_navn"].str.contains(note, regex=False).all()
    compare = serviceudvikling.kommuner_sammenlignet(some)
    assert note in compare.indikator
    every = serviceudvikling.beregn("Aarhus")
    assert serviceudvikling.alle_ydelser_note(every.valg) == ""
    for t in _figure_texts(tegn.figur_sammenligning(every)) + _figure_texts(tegn.figur_antal(every)):
        assert "ikke kun de valgte" not in t


def test_texts_that_count_the_services_say_how_many_there_are():
    """A text that names a number of services ("seks ydelser", "6 ydelser") names the real number, and the
    notebook's list of the services names each of them."""
    import json
    import re

    from vidensdata.config import paths
    from vidensdata.vocabulary import YDELSER

    ord_ = {"to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10,
            "five": 5, "six": 6, "seven": 7, "eight": 8}
    nb = json.loads((paths().notebooks / "temaer" / "serviceudvikling.ipynb").read_text(encoding="utf-8"))
    prose = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    import inspect

    from vidensdata.presentation.temaer import serviceudvikling as tegn

    texts = prose + inspect.getsource(serviceudvikling) + inspect.getsource(tegn)
    counts = re.findall(r"\b(\d+|" + "|".join(ord_) + r")\s+(?:af\s+)?(?:de\s+)?(?:ydelser|services)\b", texts, re.I)
    for c in counts:
        n = int(c) if c.isdigit() else ord_[c.lower()]
        assert n == len(YDELSER), f"a text counts {c} services; there are {len(YDELSER)}"
    listing = next(p for p in re.split(r"\n\s*\n", prose) if p.startswith("Ydelserne er"))
    for code in YDELSER:
        assert code.replace("§", "§ ") in listing, code


def test_busy_state_has_text_and_aria_busy():
    assert 'aria-busy="true"' in widgets.OPDATERER and "Opdaterer visningen" in widgets.OPDATERER
    assert 'role="status"' in widgets.OPDATERER


def test_tables_scroll_inside_their_own_focusable_container():
    import pandas as pd

    html = k.tabel_html(pd.DataFrame({"a": ["1"], "b": ["2"]}), "Tabel over x")
    assert html.startswith('<div class="vd-tabel-rulle" role="region" aria-label="Tabel over x" tabindex="0"')
    assert "overflow-x:auto" in html
