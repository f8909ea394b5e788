"""The house theme: Danish titles, labels, numbers and source line; palette; PNG output."""

from __future__ import annotations

import gc
import re
import weakref

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from vidensdata.errors import InvalidValueError, UnknownColumnError  # noqa: E402
from vidensdata.presentation import plots  # noqa: E402

KILDE = "Syntetisk registerudtræk (vidensdata)"


@pytest.fixture
def series() -> pd.DataFrame:
    return pd.DataFrame({
        "aar": [2018, 2019, 2020, 2021] * 2,
        "antal": [1200.0, 1350.5, 1500.0, 1620.0, 300.0, 310.0, 290.0, 305.0],
        "Ydelse": ["Bostøtte (§ 85)"] * 4 + ["Botilbud (§ 107)"] * 4,
    })


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _labels(ticklabels) -> list[str]:
    return [t.get_text() for t in ticklabels if t.get_text()]


def test_palette_is_okabe_ito():
    assert len(plots.PALETTE) == 8
    assert len(set(c.lower() for c in plots.PALETTE)) == 8
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in plots.PALETTE)
    okabe_ito = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}
    assert {c.lower() for c in plots.PALETTE} == okabe_ito


def test_set_theme_is_idempotent():
    plots.set_theme()
    first = dict(mpl.rcParams)
    plots.set_theme()
    assert dict(mpl.rcParams) == first
    cycle = [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle == [c.lower() for c in plots.PALETTE]
    assert mpl.rcParams["axes.formatter.use_locale"] is False
    assert mpl.rcParams["font.size"] >= 10


def test_new_figure_sets_danish_text_and_source_line():
    fig, ax = plots.new_figure("Modtagere efter ydelse, Århus", "År", "Antal personer",
                               ["Danmarks Statistik (FOLK1A)"], synthetic=True)
    assert ax.get_title() == "Modtagere efter ydelse, Århus"
    assert ax.get_xlabel() == "År"
    assert ax.get_ylabel() == "Antal personer"
    expected = "Kilde: Danmarks Statistik (FOLK1A). Syntetiske data (demo)."
    assert fig._vidensdata_kilde == expected
    assert [t.get_text() for t in fig.texts] == [expected]
    assert expected in fig._vidensdata_alt
    assert plt.get_fignums() == []  # not registered with pyplot: nothing to leak


def test_source_line_is_inside_the_figure_and_below_the_axes():
    fig, ax = plots.new_figure("Titel", "År", "Antal", "Kilde A")
    ax.plot([2018, 2019], [1, 2])
    renderer = _draw(fig)
    text_box = fig.texts[0].get_window_extent(renderer)
    fig_box = fig.bbox
    assert text_box.x0 >= fig_box.x0 and text_box.x1 <= fig_box.x1
    assert text_box.y0 >= fig_box.y0 and text_box.y1 <= fig_box.y1
    axes_box = ax.get_tightbbox(renderer)  # includes tick labels and the x label
    assert text_box.y1 <= axes_box.y0


@pytest.mark.parametrize(("decimals", "pct", "expected"), [
    (0, False, "1.234"),  # Babel: half to even
    (1, False, "1.234,5"),
    (2, False, "1.234,50"),
    (1, True, "1.234,5 %"),
])
def test_danish_axis_formatter(decimals, pct, expected):
    fig, ax = plots.new_figure("T", "x", "y", "K")
    formatter = plots.danish_axis(ax, "y", decimals=decimals, pct=pct)
    assert ax.yaxis.get_major_formatter() is formatter
    assert formatter(1234.5, 0) == expected
    assert formatter(-0.0, 0) in ("0", "0,0", "0,00", "0,0 %")


def test_danish_axis_rejects_unknown_axis():
    fig, ax = plots.new_figure("T", "x", "y", "K")
    with pytest.raises(InvalidValueError):
        plots.danish_axis(ax, "z")


def test_line_plot(series):
    fig = plots.line_plot(series, x="aar", y="antal", hue="Ydelse", title="Modtagere efter ydelse",
                          xlabel="År", ylabel="Antal personer", kilde=KILDE, synthetic=True,
                          legend_title="Ydelse")
    ax = fig.axes[0]
    _draw(fig)
    assert ax.get_title() == "Modtagere efter ydelse"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("År", "Antal personer")
    assert fig._vidensdata_kilde == "Kilde: Syntetisk registerudtræk (vidensdata). Syntetiske data (demo)."
    # whole years without thousands separator, Danish numbers on y
    xt = _labels(ax.get_xticklabels())
    assert "2019" in xt and all(re.fullmatch(r"\d{4}", t) for t in xt)
    yt = _labels(ax.get_yticklabels())
    assert "1.000" in yt or "1.500" in yt
    assert not any("," in t for t in yt) and ax.yaxis.get_major_formatter()(1234.5, 0) == "1.234"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Ydelse"
    assert [t.get_text() for t in legend.get_texts()] == ["Bostøtte (§ 85)", "Botilbud (§ 107)"]
    # the legend sits right of the axes, inside the figure
    renderer = fig.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    assert box.x0 >= ax.get_window_extent(renderer).x1 and box.x1 <= fig.bbox.x1
    # one line per service, with markers, in the first two palette colours
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 4]
    assert len(lines) == 2
    assert all(ln.get_marker() not in (None, "", "None") for ln in lines)
    assert {to_hex(ln.get_color()) for ln in lines} == {plots.PALETTE[0].lower(), plots.PALETTE[1].lower()}


def test_line_plot_percent_axis_and_no_hue(series):
    d = series[series["Ydelse"] == "Bostøtte (§ 85)"].assign(andel=[10.0, 12.5, 15.25, 20.0])
    fig = plots.line_plot(d, x="aar", y="andel", title="Andel", xlabel="År", ylabel="Andel", kilde=KILDE,
                          pct=True, decimals=1)
    ax = fig.axes[0]
    assert ax.get_legend() is None
    assert ax.yaxis.get_major_formatter()(12.5, 0) == "12,5 %"


def test_line_plot_without_data_says_so():
    empty = pd.DataFrame({"aar": [], "indeks": [], "Ydelse": []})
    fig = plots.line_plot(empty, x="aar", y="indeks", hue="Ydelse", title="Indeks", xlabel="År", ylabel="Indeks",
                          kilde=KILDE)
    assert plots.EMPTY_TEXT in [t.get_text() for t in fig.axes[0].texts]
    assert plots.fig_to_png_bytes(fig).startswith(b"\x89PNG")


def test_unknown_column_is_a_clear_error(series):
    with pytest.raises(UnknownColumnError):
        plots.line_plot(series, x="aar", y="personer", title="T", xlabel="x", ylabel="y", kilde=KILDE)


@pytest.mark.parametrize("orient", ["v", "h"])
def test_bar_plot(series, orient):
    d = series[series["aar"] == 2021]
    x, y = ("Ydelse", "antal") if orient == "v" else ("antal", "Ydelse")
    fig = plots.bar_plot(d, x=x, y=y, orient=orient, title="Modtagere 2021", xlabel="Ydelse",
                         ylabel="Antal", kilde=KILDE)
    ax = fig.axes[0]
    _draw(fig)
    assert ax.get_title() == "Modtagere 2021"
    assert len(ax.patches) == 2
    value_axis = ax.yaxis if orient == "v" else ax.xaxis
    assert value_axis.get_major_formatter()(1234.5, 0) == "1.234"
    cat_labels = _labels(ax.get_xticklabels() if orient == "v" else ax.get_yticklabels())
    assert cat_labels == ["Bostøtte (§ 85)", "Botilbud (§ 107)"]


def test_bar_plot_rejects_unknown_orientation(series):
    with pytest.raises(InvalidValueError):
        plots.bar_plot(series, x="Ydelse", y="antal", orient="diagonal", title="T", xlabel="x", ylabel="y",
                       kilde=KILDE)


@pytest.mark.parametrize("band", [True, False])
def test_interval_plot(band):
    d = pd.DataFrame({
        "aar": [2018, 2019, 2020, 2021, 2022, 2023],
        "vaerdi": [100.0, 110.0, 121.0, 133.0, 146.3, 161.0],
        "nedre": [np.nan, np.nan, np.nan, np.nan, 130.0, 140.0],
        "oevre": [np.nan, np.nan, np.nan, np.nan, 160.0, 180.0],
        "Serie": ["Observeret"] * 4 + ["Fremskrivning (95 %-prædiktionsinterval)"] * 2,
    })
    fig = plots.interval_plot(d, x="aar", y="vaerdi", lower="nedre", upper="oevre", hue="Serie",
                              title="Trend og fremskrivning", xlabel="År", ylabel="Modtagere", kilde=KILDE,
                              band=band, decimals=1)
    ax = fig.axes[0]
    _draw(fig)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[1] == "Fremskrivning (95\n%-prædiktionsinterval)"  # long labels are wrapped
    assert [t.replace("\n", " ") for t in texts] == ["Observeret", "Fremskrivning (95 %-prædiktionsinterval)"]
    assert ax.get_legend().get_title().get_text() == "Serie"
    if band:
        assert len(ax.collections) == 1  # one shaded band, only where there is an interval
        verts = ax.collections[0].get_paths()[0].vertices
        assert verts[:, 0].min() == 2022 and verts[:, 1].max() == 180.0
    else:
        assert len(ax.collections) >= 1  # error bars
    assert ax.yaxis.get_major_formatter()(1234.5, 0) == "1.234,5"
    assert all(re.fullmatch(r"\d{4}", t) for t in _labels(ax.get_xticklabels()))


def test_fig_to_png_bytes_and_memory():
    fig, ax = plots.new_figure("T", "x", "y", "K")
    ax.plot([1, 2], [3, 4])
    png = plots.fig_to_png_bytes(fig, dpi=50)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    big = plots.fig_to_png_bytes(fig, dpi=100)
    assert len(big) > len(png)
    # figures are not held by pyplot: dropping the last reference frees them
    ref = weakref.ref(fig)
    del fig, ax
    gc.collect()
    assert ref() is None
    assert plt.get_fignums() == []


def test_fig_to_png_bytes_can_close_pyplot_figures():
    fig = plt.figure()
    assert plt.get_fignums()
    assert plots.fig_to_png_bytes(fig, close=True).startswith(b"\x89PNG")
    assert plt.get_fignums() == []


def test_automatic_decimals_follow_the_ticks():
    formatter = plots.DanishFormatter(decimals=None)
    assert formatter.format_ticks([10, 12.5, 15]) == ["10,0", "12,5", "15,0"]
    assert formatter.format_ticks([0, 1000, 2000]) == ["0", "1.000", "2.000"]
    assert formatter.format_ticks([0.1 + 0.2, 0.4]) == ["0,3", "0,4"]  # float noise ignored
    assert plots.DanishFormatter(decimals=None, pct=True).format_ticks([0, 2.5]) == ["0,0 %", "2,5 %"]
    # called alone (no ticks known): as many decimals as the value needs, at most 3
    assert plots.DanishFormatter(decimals=None)(1234.5) == "1.234,5"
    assert plots.DanishFormatter(decimals=None)(1 / 3) == "0,333"


def test_line_plot_ticks_show_fractions_when_needed():
    d = pd.DataFrame({"aar": [2019, 2020, 2021], "pr_1000": [10.2, 12.9, 14.1]})
    fig = plots.line_plot(d, x="aar", y="pr_1000", title="Pr. 1.000", xlabel="År", ylabel="Pr. 1.000 indbyggere",
                          kilde=KILDE)
    _draw(fig)
    labels = _labels(fig.axes[0].get_yticklabels())
    values = [float(t.replace(".", "").replace(",", ".")) for t in labels]
    assert len(set(labels)) == len(labels)  # no two ticks share a label
    assert values == sorted(values)
    assert any("," in t for t in labels)


def test_counts_get_whole_number_ticks():
    d = pd.DataFrame({"aar": [2019, 2020, 2021], "antal": [12, 17, 14]})
    fig = plots.line_plot(d, x="aar", y="antal", title="Antal", xlabel="År", ylabel="Antal personer", kilde=KILDE)
    _draw(fig)
    labels = _labels(fig.axes[0].get_yticklabels())
    assert len(labels) >= 3 and all(re.fullmatch(r"\d+", t) for t in labels)


def test_interval_plot_rejects_inverted_intervals():
    d = pd.DataFrame({"aar": [2020, 2021], "v": [1.0, 2.0], "lo": [0.5, 3.0], "hi": [1.5, 2.5]})
    with pytest.raises(InvalidValueError):
        plots.interval_plot(d, x="aar", y="v", lower="lo", upper="hi", title="T", xlabel="x", ylabel="y",
                            kilde=KILDE)
