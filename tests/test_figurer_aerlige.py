"""Charts never mislead (issue 15, item 1): suppressed values are gaps with a marker, a chart with
nothing publishable is one Danish sentence, ticks never repeat, a service keeps its colour."""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from vidensdata.presentation import plots  # noqa: E402
from vidensdata.presentation.temaer import maalgruppe as tegn_maal  # noqa: E402
from vidensdata.presentation.temaer import serviceudvikling as tegn  # noqa: E402
from vidensdata.presentation.widgets import figur_html  # noqa: E402
from vidensdata.themes import maalgruppe, serviceudvikling  # noqa: E402
from vidensdata.vocabulary import YDELSE_NAVNE  # noqa: E402

KILDE = "Test"


def _line(ax, label):
    return next(ln for ln in ax.get_lines() if ln.get_label() == label)


def test_a_line_breaks_at_a_suppressed_value_and_marks_it():
    d = pd.DataFrame({"aar": [2018, 2019, 2020, 2021, 2022], "antal": [0.0, np.nan, np.nan, np.nan, 7.0],
                      "Ydelse": "A", "skjult": [False, True, True, True, False]})
    fig = plots.line_plot(d, x="aar", y="antal", hue="Ydelse", title="T", xlabel="År", ylabel="Antal",
                          kilde=KILDE, skjult="skjult")
    ax = fig.axes[0]
    line = _line(ax, "A")
    ys = np.asarray(line.get_ydata(), float)
    # no segment joins 2018 and 2022: the points in between are NaN, so matplotlib breaks the line
    assert list(np.asarray(line.get_xdata(), float)) == [2018, 2019, 2020, 2021, 2022]
    assert np.isnan(ys[1:4]).all() and ys[0] == 0 and ys[4] == 7
    labels = [" ".join(t.get_text().split()) for t in ax.get_legend().get_texts()]  # legend labels wrap
    assert plots.SKJULT_LABEL in labels
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == plots.SKJULT_MARKER and len(ln.get_xdata()) == 3]
    assert len(markers) == 1


def test_a_line_breaks_at_a_missing_year_of_its_own():
    d = pd.DataFrame({"aar": [2018, 2019, 2020, 2018, 2020], "antal": [1.0, 2.0, 3.0, 5.0, 6.0],
                      "Ydelse": ["A", "A", "A", "B", "B"]})
    fig = plots.line_plot(d, x="aar", y="antal", hue="Ydelse", title="T", xlabel="År", ylabel="Antal",
                          kilde=KILDE)
    ys = np.asarray(_line(fig.axes[0], "B").get_ydata(), float)
    assert ys[0] == 5 and np.isnan(ys[1]) and ys[2] == 6


def test_laesoe_service_chart_has_gaps_where_its_table_shows_suppression():
    res = serviceudvikling.beregn("Læsø", 2014, 2024)
    hidden = res.serie[res.serie["undertrykt"].astype(bool)]
    assert len(hidden), "Læsø should have suppressed cells"
    ax = tegn.figur_antal(res).axes[0]
    for code, grp in hidden.groupby("ydelse"):
        line = _line(ax, YDELSE_NAVNE[code])
        xs = list(np.asarray(line.get_xdata(), float))
        ys = np.asarray(line.get_ydata(), float)
        for year in grp["aar"]:
            assert np.isnan(ys[xs.index(float(year))]), (code, year)


def test_a_service_keeps_its_colour_across_charts():
    res = serviceudvikling.beregn("Aarhus", 2014, 2024)
    colours = plots.ydelse_farver()
    assert len(set(colours.values())) == len(colours)  # one colour per service
    for fig in (tegn.figur_antal(res), tegn.figur_indeks(res)):
        for line in fig.axes[0].get_lines():
            if line.get_label() in colours:
                assert to_hex(line.get_color()) == colours[line.get_label()].lower(), line.get_label()


@pytest.mark.parametrize("top", [1.0, 1.15, 3.0, 0.5])
def test_tick_labels_never_repeat(top):
    fig, ax = plots.new_figure("T", "x", "y", KILDE)
    ax.set_ylim(0, top)
    plots.danish_axis(ax, "y", decimals=0)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(labels) == len(set(labels)), labels


def test_a_chart_with_nothing_publishable_is_one_danish_sentence():
    d = pd.DataFrame({"aar": [2020, 2021], "antal": [np.nan, np.nan], "Ydelse": "A", "skjult": [True, True]})
    fig = plots.line_plot(d, x="aar", y="antal", hue="Ydelse", title="Modtagere, Læsø", xlabel="År",
                          ylabel="Antal", kilde=KILDE, skjult="skjult")
    assert plots.er_tom(fig)
    shown = figur_html(fig)
    assert "<img" not in shown and plots.INGEN_TAL_TEKST in shown and "Modtagere, Læsø" in shown


def test_laesoe_overlap_chart_is_replaced_by_a_sentence_and_aarhus_keeps_its_chart():
    laesoe = tegn_maal.figur_overlap(maalgruppe.beregn("Læsø"))
    assert isinstance(laesoe, plots.IngenFigur)
    assert "ingen tal at vise" in laesoe._repr_html_()
    assert hasattr(tegn_maal.figur_overlap(maalgruppe.beregn("Aarhus")), "savefig")


def test_the_figure_shown_for_laesoe_names_the_hidden_values():
    html = figur_html(tegn.figur_antal(serviceudvikling.beregn("Læsø", 2014, 2024)))
    svg = base64.b64decode(re.search(r'base64,([^"]+)"', html).group(1)).decode()
    assert "Skjult værdi" in svg  # the legend entry is text in the SVG (svg.fonttype none)


def test_the_index_chart_breaks_at_hidden_counts_and_names_the_services_left_out():
    res = serviceudvikling.beregn("Solrød", 2014, 2024)
    hidden = res.serie[res.serie["undertrykt"].astype(bool)]
    fig = tegn.figur_indeks(res)
    ax = fig.axes[0]
    data, left_out = tegn.indeks_serier(res)
    drawn = {ln.get_label() for ln in ax.get_lines()}
    gaps = 0
    for code, grp in hidden.groupby("ydelse"):
        name = YDELSE_NAVNE[code]
        if name in left_out:
            assert name not in drawn
            continue
        line = _line(ax, name)
        xs = list(np.asarray(line.get_xdata(), float))
        ys = np.asarray(line.get_ydata(), float)
        for year in grp["aar"]:
            assert np.isnan(ys[xs.index(float(year))]), (code, year)  # a gap, never a line through it
            gaps += 1
    assert gaps, "Solrød should have a hidden count after a visible first year"
    assert "brudt" in fig._vidensdata_note and "brudt" in fig.texts[0].get_text()
    labels = [" ".join(t.get_text().split()) for t in ax.get_legend().get_texts()]
    assert plots.SKJULT_LABEL in labels


def test_the_index_chart_names_every_service_without_a_base():
    res = serviceudvikling.beregn("Læsø", 2014, 2024)
    data, left_out = tegn.indeks_serier(res)
    first = res.serie[res.serie["aar"] == 2014].set_index("ydelse")
    expected = [YDELSE_NAVNE[c] for c, r in first.iterrows() if r["undertrykt"] or not (r["antal"] > 0)]
    assert expected and left_out == expected
    fig = tegn.figur_indeks(res)
    for name in expected:
        assert name in fig._vidensdata_note
        assert name not in {ln.get_label() for ln in fig.axes[0].get_lines()}
    assert "Ikke vist:" in " ".join(fig.texts[0].get_text().split())


def test_the_age_chart_breaks_at_hidden_age_groups_with_a_marker_and_a_note():
    from vidensdata.presentation.temaer import overdoedelighed as tegn_od
    from vidensdata.themes import overdoedelighed

    res = overdoedelighed.beregn("Hele landet")
    rates = res.aldersrater
    hidden = rates[rates["skjult"].astype(bool)]
    assert len(hidden), "the national target group should have a hidden age group"
    fig = tegn_od.figur_aldersdoedelighed(res)
    ax = fig.axes[0]
    groups = [t.get_text() for t in ax.get_xticklabels()]
    for serie, grp in hidden.groupby("Serie"):
        line = _line(ax, serie)
        xs = list(np.asarray(line.get_xdata(), float))
        ys = np.asarray(line.get_ydata(), float)
        for group in grp["aldersgruppe"]:
            assert np.isnan(ys[xs.index(float(groups.index(group)))]), (serie, group)
        assert np.isfinite(ys).sum() >= 2  # the rest of the line is drawn
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == plots.SKJULT_MARKER and len(ln.get_xdata())]
    assert sum(len(m.get_xdata()) for m in markers) == len(hidden)
    assert tegn_od.ALDER_SKJULT_NOTE in fig._vidensdata_note
    assert "diskretionshensyn" in fig.texts[0].get_text()


def test_the_age_chart_of_a_small_kommune_shows_its_hidden_series_as_markers_only():
    from vidensdata.presentation.temaer import overdoedelighed as tegn_od
    from vidensdata.themes import overdoedelighed

    res = overdoedelighed.beregn("Læsø")
    ax = tegn_od.figur_aldersdoedelighed(res).axes[0]
    line = _line(ax, "Målgruppen, Læsø")
    assert np.isnan(np.asarray(line.get_ydata(), float)).all()


def test_no_chart_text_is_smaller_than_the_house_minimum():
    """Every text drawn in a theme's figures (ticks, labels, legends, notes, the source line) is at least
    plots.MIN_FONTSIZE pt: >= 12 px as shown (tests/test_figurtekst_browser.py measures it in Chromium)."""
    from matplotlib.text import Text

    from vidensdata.presentation.temaer import overdoedelighed as tegn_od
    from vidensdata.themes import overdoedelighed

    assert plots.MIN_FONTSIZE * 4 / 3 >= 13  # pt -> CSS px, with room for a figure shrunk a little to fit
    figures = [tegn.figur_antal(serviceudvikling.beregn("Aarhus", 2014, 2024)),
               tegn_maal.figur_kommuner(maalgruppe.beregn("Hele landet")),
               tegn_maal.figur_overlap(maalgruppe.beregn("Aarhus")),
               tegn_od.figur_tragt(overdoedelighed.beregn("Aarhus"))]
    for fig in figures:
        for wide_or_phone in (plots.til_bred, plots.til_smal):
            f = wide_or_phone(fig)
            f.canvas.draw()
            small = {(t.get_text()[:30], t.get_fontsize()) for t in f.findobj(Text)
                     if t.get_visible() and t.get_text().strip() and t.get_fontsize() < plots.MIN_FONTSIZE}
            assert not small, small
