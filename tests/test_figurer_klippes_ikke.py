"""Issue 15: titles, axes, tick labels, legends and source lines are never clipped, at the reports' width and in
the phone version, for every figure of every theme, for areas with long names, small counts and the country."""

import importlib
import inspect

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vidensdata.presentation import plots

pytestmark = pytest.mark.slow

TEMAER = ("serviceudvikling", "overdoedelighed", "maalgruppe")
OMRAADER = ("Hele landet", "Læsø", "Aarhus,Odder,Skanderborg", "Region Syddanmark")


def _figurer(tema: str):
    modul = importlib.import_module(f"vidensdata.presentation.temaer.{tema}")
    return [(navn, f) for navn, f in inspect.getmembers(modul, inspect.isfunction)
            if navn.startswith("figur_") and f.__module__ == modul.__name__]


def _udenfor(fig: Figure) -> list[str]:
    """What of the figure is drawn outside its canvas (more than 1 px), or over the axes, by artist."""
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    axes = [(ax, ax.get_tightbbox(r)) for ax in fig.axes if ax.get_visible()]
    parts = [(f"axes {ax.get_title()!r}", b) for ax, b in axes]
    parts += [(f"text {t.get_text()[:40]!r}", t.get_window_extent(r)) for t in fig.texts
              if t.get_visible() and t.get_text().strip()]
    parts += [("figure legend", lg.get_window_extent(r)) for lg in fig.legends]
    for t in fig.texts:  # the source line under the axes never runs into them (their x label, their legend)
        if t is not fig._suptitle and t.get_visible() and t.get_text().strip():
            tb = t.get_window_extent(r)
            if any(b is not None and tb.overlaps(b) for _, b in axes):
                out.append(f"text {t.get_text()[:40]!r} overlaps the axes {[round(v) for v in tb.extents]}")
    for navn, b in parts:
        if b is None:
            continue
        if b.x0 < box.x0 - 1 or b.y0 < box.y0 - 1 or b.x1 > box.x1 + 1 or b.y1 > box.y1 + 1:
            out.append(f"{navn}: {[round(v) for v in b.extents]} outside {[round(v) for v in box.extents]}")
    return out


@pytest.mark.parametrize("tema", TEMAER)
def test_nothing_of_a_figure_is_clipped(tema):
    beregn = importlib.import_module(f"vidensdata.themes.{tema}").beregn
    figurer = _figurer(tema)
    assert len(figurer) >= 3, figurer
    fundet = []
    tegnet = 0
    for omraade in OMRAADER:
        res = beregn(geografi=omraade)
        for navn, f in figurer:
            fig = f(res)
            if not isinstance(fig, Figure) or plots.er_tom(fig):
                continue
            for version, lay in (("bred", plots.til_bred), ("smal", plots.til_smal)):
                tegnet += 1
                fundet += [f"{omraade} {navn} ({version}) {x}" for x in _udenfor(lay(fig))]
    assert tegnet >= 3 * len(OMRAADER), tegnet
    assert not fundet, "\n".join(fundet[:12])
