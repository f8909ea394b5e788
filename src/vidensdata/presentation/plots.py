"""The house theme for figures: colour-blind-safe colours, Danish labels and numbers, a source line.

Every figure is made by :func:`new_figure`, which applies the theme, sets the
Danish title and axis labels and writes the source line
(:func:`vidensdata.formatting.source_line`) at the bottom left.
Axis numbers use Danish decimal commas and thousands dots through
:func:`danish_axis` (a ``FuncFormatter`` built on :mod:`.formatting`; the
``axes.formatter.use_locale`` setting depends on the machine's locale and is not
used).

Figures are :class:`matplotlib.figure.Figure` objects on an Agg canvas, created
without pyplot, so pyplot's figure registry never holds on to them: a figure is
freed as soon as the caller drops it, and hundreds of reports do not leak
memory (no ``plt.close`` needed). Because no pyplot backend is involved, Jupyter's
inline backend never sees them either: they are :class:`Figur` objects, which display
themselves as a PNG image (``_repr_png_``) in any fresh kernel, with or without
``%matplotlib inline`` or an import of pyplot, so a cell ending in ``figur`` shows the figure.
"""

from __future__ import annotations

import functools

import io
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import transforms
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..errors import InvalidValueError, UnknownColumnError
from ..formatting import fmt_dec, fmt_int, fmt_pct, source_line
from ..vocabulary import ALLE, YDELSE_NAVNE, YDELSER

# Okabe, M. & Ito, K. (2008): "Color Universal Design (CUD): How to make figures and
# presentations that are friendly to colorblind people", https://jfly.uni-koeln.de/color/
# Their order is black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple;
# here black and the light yellow come last, so the first series are orange, sky blue, green, ...
PALETTE: list[str] = [
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
]

FONT_SCALE = 1.05
#: The smallest text of any chart (pt): a figure is shown at about its drawn size (1 pt = 4/3 CSS px) on a
#: report page and, in its phone version (:func:`til_smal`), on a 390 px screen, so 10 pt stays >= 12 px as
#: rendered even where the figure is shrunk a little to fit (tests/test_figurtekst_browser.py measures it).
MIN_FONTSIZE = 10
SOURCE_FONTSIZE = MIN_FONTSIZE
SOURCE_COLOUR = "#555555"
_SOURCE_SPACE_INCH = 0.35  # room kept free under the axes for the source line
EMPTY_TEXT = "Ingen data at vise"
#: The sentence that replaces a chart with nothing publishable (figur_html and the theme drawings use it).
INGEN_TAL_TEKST = ("Figuren vises ikke: der er ingen tal at vise, fordi alle værdier er skjult af "
                   "diskretionshensyn (færre end 5 personer) eller mangler.")
SKJULT_LABEL = "Skjult værdi (færre end 5 personer)"
SKJULT_MARKER = "v"
LEGEND_WRAP = 22  # characters per line in legend labels
_YEAR_NAMES = {"aar", "år", "year", "aarstal", "årstal"}


class Figur(Figure):
    """A house-style figure that Jupyter displays as an image (PNG at :data:`VIS_DPI`, tight bounding box)."""

    def _repr_png_(self) -> bytes:
        return fig_to_png_bytes(self, dpi=VIS_DPI)


#: Resolution of a figure shown in a notebook (sharp on high-density screens, still small).
VIS_DPI = 120


def set_theme() -> None:
    """Apply the house theme (seaborn ``whitegrid``, :data:`PALETTE`, readable fonts). Idempotent."""
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=PALETTE,
        font="DejaVu Sans",  # ships with matplotlib and has æ, ø, å
        font_scale=FONT_SCALE,
        rc={
            "axes.formatter.use_locale": False,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "figure.dpi": 100,
            "savefig.dpi": 100,
        },
    )


def _decimals_needed(values, most: int = 3) -> int:
    """The fewest decimals (at most ``most``) that show every value exactly."""
    vals = [float(v) for v in values if np.isfinite(v)]
    for d in range(most + 1):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in vals):
            return d
    return most


class DanishFormatter(FuncFormatter):
    """Tick labels in Danish (:mod:`.formatting`); ``decimals=None`` uses just enough for the ticks."""

    def __init__(self, decimals: int | None = 0, pct: bool = False):
        self.decimals = decimals
        self.pct = pct
        self._auto: int | None = None  # decimals for the current ticks (set_locs), None before
        super().__init__(self._text)

    def set_locs(self, locs):
        super().set_locs(locs)
        self._auto = _decimals_needed(locs) if len(locs) else None
        if self.decimals is not None and len(locs) and self._auto is not None and self._auto > self.decimals:
            shown = [_tick_text(float(v), self.decimals, self._auto, self.pct) for v in locs]
            if len(set(shown)) < len(shown):  # e.g. ticks 0, 0.2, ... 1 at 0 decimals: "0, 0, 0, 1, 1, 1"
                self._auto_override = True
                return
        self._auto_override = False

    _auto_override = False

    def _text(self, value: float, _pos=None) -> str:
        decimals = None if self._auto_override else self.decimals
        return _tick_text(float(value), decimals, self._auto, self.pct)


@functools.lru_cache(maxsize=4096)
def _tick_text(value: float, decimals_arg: int | None, auto: int | None, pct: bool) -> str:
    """Babel formatting is slow and the same ticks recur in every figure: memoised."""
    if decimals_arg is not None:
        decimals = decimals_arg
    else:
        decimals = auto if auto is not None else _decimals_needed([value])
    if pct:
        return fmt_pct(value, decimals)
    return fmt_int(value) if decimals == 0 else fmt_dec(value, decimals)


def danish_axis(ax, axis: str = "y", decimals: int | None = 0, pct: bool = False) -> FuncFormatter:
    """Show the numbers of ``axis`` (``"x"``, ``"y"`` or ``"both"``) in Danish; returns the formatter.

    ``decimals=None`` chooses the fewest decimals (at most 3) that show the
    ticks exactly, so ticks at 10, 12.5, 15 read ``10,0``, ``12,5``, ``15,0``.
    """
    if axis not in ("x", "y", "both"):
        raise InvalidValueError(f"danish_axis: axis must be 'x', 'y' or 'both', got {axis!r}",
                                dansk=f"Ukendt akse: {axis!r}.")
    formatter = DanishFormatter(decimals, pct)
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_formatter(formatter)
    return formatter


def year_axis(ax, axis: str = "x") -> None:
    """Whole years on ``axis`` without thousands separator (``2020``, not ``2.020``)."""
    target = getattr(ax, f"{axis}axis")
    target.set_major_locator(MaxNLocator(integer=True))
    target.set_major_formatter(FuncFormatter(lambda v, _pos=None: str(int(round(v)))))


def new_figure(title: str, xlabel: str, ylabel: str, kilde: str | Sequence[str], synthetic: bool = False,
               figsize: tuple[float, float] = (8, 4.5)):
    """A themed ``(fig, ax)`` with Danish title, axis labels and the source line at the bottom left.

    The source line is also kept as ``fig._vidensdata_kilde`` and a text
    alternative (title and source) as ``fig._vidensdata_alt``.
    """
    set_theme()
    text = source_line(kilde, synthetic=synthetic)
    fig = Figur(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # draws without pyplot or a GUI backend
    bottom = min(0.3, _SOURCE_SPACE_INCH / figsize[1])
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    ax = fig.subplots()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.text(0.01, 0.015, text, ha="left", va="bottom", fontsize=SOURCE_FONTSIZE, color=SOURCE_COLOUR, wrap=True)
    fig._vidensdata_kilde = text
    fig._vidensdata_alt = f"{title}. {text}"
    return fig, ax


# ---------------------------------------------------------------- helpers for the plot functions

def _require(df: pd.DataFrame, cols) -> None:
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise UnknownColumnError(f"plot: no column(s) {missing}; the data have {list(df.columns)}",
                                 dansk=f"Data mangler kolonnen/kolonnerne {', '.join(map(str, missing))}.")


def _is_years(df: pd.DataFrame, x: str) -> bool:
    """A year column: named like one, or whole numbers between 1900 and 2100."""
    if str(x).lower() in _YEAR_NAMES:
        return True
    s = pd.to_numeric(df[x], errors="coerce") if len(df) else df[x]
    if len(df) == 0 or s.isna().any():
        return False
    return bool(((s == s.round()) & s.between(1900, 2100)).all())


def _hue_colours(df: pd.DataFrame, hue: str | None) -> list[str] | None:
    if hue is None:
        return None
    n = max(1, df[hue].nunique(dropna=True))
    return sns.color_palette(PALETTE, n_colors=n).as_hex()


def _whole_numbers(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(v.size) and bool(np.all(v == np.round(v)))


def _legend_right(ax, title: str) -> None:
    """The legend outside the axes, to the right, with long labels wrapped over lines."""
    legend = ax.get_legend()
    handles = legend.legend_handles
    labels = [textwrap.fill(t.get_text(), LEGEND_WRAP, break_long_words=False, break_on_hyphens=False)
              for t in legend.get_texts()]
    legend.remove()
    ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


def _finish(fig, ax, df, x, y, hue, legend_title, pct, decimals, value_axis="y", years=None) -> Figure:
    """Danish numbers on the value axis (whole-number ticks for whole-number data such as counts),
    whole years on x, the legend right of the axes with its title, an empty-data note."""
    danish_axis(ax, value_axis, decimals=decimals, pct=pct)
    if not pct and len(df) and _whole_numbers(df[y]):
        getattr(ax, f"{value_axis}axis").set_major_locator(MaxNLocator(integer=True))
    if value_axis == "y" and (years if years is not None else (x is not None and _is_years(df, x))):
        year_axis(ax, "x")
    legend = ax.get_legend()
    if legend is not None:
        if hue is None:
            legend.remove()
        else:
            _legend_right(ax, legend_title if legend_title is not None else str(hue))
    if len(df) == 0 or not np.isfinite(pd.to_numeric(df[y], errors="coerce").to_numpy(float)).any():
        ax.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", transform=ax.transAxes, color=SOURCE_COLOUR)
        fig._vidensdata_tom = True  # nothing to show: figur_html shows INGEN_TAL_TEKST instead of the chart
    return fig


def tilfoej_note(fig, note: str) -> Figure:
    """Put a Danish note (why a series has gaps, what is left out) in front of the figure's source line, in place.

    The note is kept as ``fig._vidensdata_note`` and added to the text alternative; the source line keeps its
    place and wraps with the note (:func:`til_bred`, :func:`til_smal`). Returns the figure."""
    note = " ".join(note.split())
    if not note:
        return fig
    kilde = getattr(fig, "_vidensdata_kilde", "")
    for text in fig.texts:
        if text.get_text() == kilde or text.get_text().endswith(kilde):
            text.set_text(f"{note} {kilde}".strip())
            break
    earlier = getattr(fig, "_vidensdata_note", "")
    fig._vidensdata_note = f"{earlier} {note}".strip()
    fig._vidensdata_alt = f"{getattr(fig, '_vidensdata_alt', '')} {note}".strip()
    return fig


class IngenFigur:
    """Stands in for a chart with nothing publishable: one Danish sentence (in notebooks, reports and apps)."""

    def __init__(self, titel: str = "", tekst: str = INGEN_TAL_TEKST):
        self.titel, self.tekst = titel, tekst

    def _repr_html_(self) -> str:
        import html as _html

        title = f"<b>{_html.escape(self.titel)}.</b> " if self.titel else ""
        return f'<p class="vd-ingen-figur" role="note">{title}{_html.escape(self.tekst)}</p>'

    def __repr__(self) -> str:
        return f"{self.titel}: {self.tekst}" if self.titel else self.tekst


def er_tom(fig) -> bool:
    """Whether a figure made here has nothing to show (see :func:`_finish`)."""
    return bool(getattr(fig, "_vidensdata_tom", False))


# ---------------------------------------------------------------- plots

def ydelse_farver() -> dict[str, str]:
    """One colour per service (its Danish name), the same in every chart: "Mindst én ydelse" first,
    then the services in :data:`vidensdata.vocabulary.YDELSER` order, along :data:`PALETTE`."""
    return {YDELSE_NAVNE[c]: PALETTE[i % len(PALETTE)] for i, c in enumerate((ALLE, *YDELSER))}


def _level_colours(levels: list, farver: dict | None) -> list[str]:
    default = sns.color_palette(PALETTE, n_colors=max(1, len(levels))).as_hex()
    if not farver:
        return default
    return [farver.get(str(level), default[i]) for i, level in enumerate(levels)]


def line_plot(df: pd.DataFrame, x: str, y: str, hue: str | None = None, *, title: str, xlabel: str, ylabel: str,
              kilde: str | Sequence[str], synthetic: bool = False, pct: bool = False, decimals: int | None = None,
              legend_title: str | None = None, years: bool | None = None, skjult: str | None = None,
              farver: dict[str, str] | None = None, figsize: tuple[float, float] = (8, 4.5)) -> Figure:
    """Lines with markers, one per ``hue`` level; Danish numbers on y, whole years on x.

    A line never bridges a missing value: the x values of all levels form one grid,
    and a level without a (finite) value at a grid point is broken there. ``skjult``
    names a boolean column marking suppressed values (``<5``, ``x``): those points are
    gaps too, and get a hollow marker on the x axis with the legend entry
    :data:`SKJULT_LABEL`, so a reader sees that a value exists but is not shown.
    ``farver`` maps levels to colours (e.g. :func:`ydelse_farver`), so a series keeps its
    colour across charts.
    """
    _require(df, [x, y, hue, skjult])
    fig, ax = new_figure(title, xlabel, ylabel, kilde, synthetic=synthetic, figsize=figsize)
    levels = [None] if hue is None else list(pd.unique(df[hue].dropna()))
    colours = [PALETTE[0]] if hue is None else _level_colours(levels, farver)
    grid = np.sort(pd.unique(pd.to_numeric(df[x], errors="coerce").dropna())).astype(float) if len(df) else []
    hidden_any = False
    step = (np.min(np.diff(grid)) if len(grid) > 1 else 1.0) * 0.12  # hidden markers side by side, not stacked
    for i, (level, colour) in enumerate(zip(levels, colours)):
        part = df if level is None else df[df[hue] == level]
        xs = pd.to_numeric(part[x], errors="coerce").to_numpy(float)
        ys = pd.to_numeric(part[y], errors="coerce").to_numpy(float)
        hidden = part[skjult].fillna(False).to_numpy(bool) if skjult else np.zeros(len(part), bool)
        ys = np.where(hidden, np.nan, ys)
        line = pd.Series(ys, index=xs).groupby(level=0).mean().reindex(grid)
        ax.plot(line.index.to_numpy(float), line.to_numpy(float), marker="o", color=colour,
                label=None if level is None else str(level))
        if hidden.any():
            hidden_any = True
            offset = (i - (len(levels) - 1) / 2) * step
            ax.plot(xs[hidden] + offset, np.zeros(int(hidden.sum())), linestyle="none", marker=SKJULT_MARKER,
                    markerfacecolor="white", markeredgecolor=colour, markersize=8, clip_on=False,
                    transform=ax.get_xaxis_transform())
    if hidden_any:
        ax.plot([], [], linestyle="none", marker=SKJULT_MARKER, markerfacecolor="white",
                markeredgecolor="#555555", markersize=8, label=SKJULT_LABEL)
    if (hue is not None and len(df)) or hidden_any:
        ax.legend(title=legend_title if legend_title is not None else (str(hue) if hue else None))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    values = pd.to_numeric(df[y], errors="coerce")
    if skjult:
        values = values[~df[skjult].fillna(False).astype(bool)]
    shown = df.loc[values.dropna().index]
    legend_key = hue if hue is not None else ("" if hidden_any else None)
    return _finish(fig, ax, shown, x, y, legend_key, legend_title, pct,
                   decimals, years=years if years is not None else (_is_years(df, x) if len(df) else None))


def bar_plot(df: pd.DataFrame, x: str, y: str, hue: str | None = None, *, orient: str = "v", title: str,
             xlabel: str, ylabel: str, kilde: str | Sequence[str], synthetic: bool = False, pct: bool = False,
             decimals: int | None = None, legend_title: str | None = None,
             figsize: tuple[float, float] = (8, 4.5)) -> Figure:
    """Bars: ``orient="v"`` (categories ``x``, values ``y``) or ``"h"`` (values ``x``, categories ``y``)."""
    if orient not in ("v", "h"):
        raise InvalidValueError(f"bar_plot: orient must be 'v' or 'h', got {orient!r}",
                                dansk=f"Ukendt retning for søjler: {orient!r}.")
    _require(df, [x, y, hue])
    fig, ax = new_figure(title, xlabel, ylabel, kilde, synthetic=synthetic, figsize=figsize)
    if len(df):
        sns.barplot(data=df, x=x, y=y, hue=hue, orient=orient, ax=ax, errorbar=None,
                    palette=_hue_colours(df, hue), color=None if hue else PALETTE[0])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    value_axis, value = ("y", y) if orient == "v" else ("x", x)
    return _finish(fig, ax, df, None, value, hue, legend_title, pct, decimals, value_axis=value_axis, years=False)


def interval_plot(df: pd.DataFrame, x: str, y: str, lower: str, upper: str, hue: str | None = None, *,
                  title: str, xlabel: str, ylabel: str, kilde: str | Sequence[str], synthetic: bool = False,
                  pct: bool = False, decimals: int | None = None, band: bool = True, legend_title: str | None = None,
                  years: bool | None = None, figsize: tuple[float, float] = (8, 4.5)) -> Figure:
    """Estimates with intervals (trends, projections): a line per ``hue`` level with markers and,
    where ``lower``/``upper`` are given, a shaded band (``band=True``) or error bars."""
    _require(df, [x, y, lower, upper, hue])
    fig, ax = new_figure(title, xlabel, ylabel, kilde, synthetic=synthetic, figsize=figsize)
    levels = [None] if hue is None else list(pd.unique(df[hue].dropna()))
    colours = sns.color_palette(PALETTE, n_colors=max(1, len(levels))).as_hex()
    for level, colour in zip(levels, colours):
        part = df if level is None else df[df[hue] == level]
        part = part.sort_values(x)
        xs = part[x].to_numpy(dtype=float)
        ys = pd.to_numeric(part[y], errors="coerce").to_numpy(dtype=float)
        lo = pd.to_numeric(part[lower], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(part[upper], errors="coerce").to_numpy(dtype=float)
        label = None if level is None else str(level)
        ax.plot(xs, ys, marker="o", color=colour, label=label)
        has = ~(np.isnan(lo) | np.isnan(hi))
        if (lo[has] > hi[has]).any() or (~band and ((ys[has] < lo[has]) | (ys[has] > hi[has])).any()):
            raise InvalidValueError(
                f"interval_plot: need {lower} <= {y} <= {upper} where an interval is given",
                dansk="Et interval har en nedre grænse over den øvre, eller et estimat uden for sit interval.",
            )
        if has.any():
            if band:
                ax.fill_between(xs[has], lo[has], hi[has], color=colour, alpha=0.2, linewidth=0)
            else:
                ax.errorbar(xs[has], ys[has], yerr=[ys[has] - lo[has], hi[has] - ys[has]], fmt="none",
                            ecolor=colour, capsize=3)
    if hue is not None and levels:
        ax.legend(title=legend_title if legend_title is not None else str(hue))
    return _finish(fig, ax, df, x, y, hue, legend_title, pct, decimals, years=years)


#: The phone version of a figure: about as wide as a phone's screen at 100 dpi, so its text is drawn
#: at (about) the size it was made at, never shrunk below 11 px.
SMAL_BREDDE = 3.7
_TITLE_CHARS_PER_INCH = 8.5  # bold title characters per inch of figure width (DejaVu Sans, house size)
#: A y-axis label longer than this goes on two lines (a rotated label longer than the axes is cut at the top).
YLABEL_WRAP = 30
#: Characters per line of an x-axis label in the phone version (it is centred under axes that may sit
#: well right of the figure's left edge, e.g. after long kommune names).
_SMAL_XLABEL_WRAP = 24


def _plads_til_kilde(fig: Figure) -> None:
    """Wrap the source line(s) to the figure's width and keep exactly that much room free under the axes
    (a source of five lines on a phone must not run into the x-axis label)."""
    width, height = fig.get_size_inches()
    lines, base = 0, 0.0
    for text in fig.texts:
        if text is fig._suptitle or not text.get_text().strip():
            continue
        # ~17 characters per inch at 8 pt: fewer at the source line's size
        text.set_text(textwrap.fill(" ".join(text.get_text().split()), int(width * 17 * 8 / SOURCE_FONTSIZE)))
        lines += text.get_text().count("\n") + 1
        base = max(base, text.get_position()[1] * height)  # where it starts (a fraction of a tall figure)
    engine = fig.get_layout_engine()
    if lines and engine is not None and hasattr(engine, "set"):
        need = base + lines * SOURCE_FONTSIZE * 1.75 / 72 + 0.15  # (a line of the source measures ~1.67 em when drawn)
        rect = engine.get().get("rect") or (0, 0, 1, 1)
        now = rect[1] * height  # a figure may have kept more room already (never less)
        bottom = min(0.45, max(_SOURCE_SPACE_INCH, need, now) / height)
        engine.set(rect=(0, bottom, 1, 1 - bottom))


def _ombryd(text: str, width: int) -> str:
    return textwrap.fill(" ".join(text.split()), width, break_long_words=False, break_on_hyphens=False)


def _titel(text: str, bredde: float) -> str:
    """A title wrapped to a figure ``bredde`` inches wide."""
    return textwrap.fill(" ".join(text.split()), int(bredde * _TITLE_CHARS_PER_INCH))


def _ombryd_akser(ax, xlabel_wrap: int | None = None) -> None:
    """Wrap an axes' long y label (and, for phones, its x label) so neither reaches past the figure."""
    if len(ax.get_ylabel()) > YLABEL_WRAP and "\n" not in ax.get_ylabel():
        ax.set_ylabel(_ombryd(ax.get_ylabel(), YLABEL_WRAP))
    if xlabel_wrap and len(ax.get_xlabel()) > xlabel_wrap and "\n" not in ax.get_xlabel():
        ax.set_xlabel(_ombryd(ax.get_xlabel(), xlabel_wrap))


def til_bred(fig: Figure) -> Figure:
    """Make sure nothing of a wide figure is clipped or squeezed, in place: titles wrapped to the
    figure's width, long legend labels wrapped (:data:`LEGEND_WRAP`). Returns the figure."""
    width = fig.get_size_inches()[0]
    for ax in fig.axes:
        if ax.get_title() and len(ax.get_title()) > width * _TITLE_CHARS_PER_INCH:
            ax.set_title(_titel(ax.get_title(), width))
        _ombryd_akser(ax)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                if len(text.get_text()) > LEGEND_WRAP and "\n" not in text.get_text():
                    text.set_text(_ombryd(text.get_text(), LEGEND_WRAP))
    _plads_til_kilde(fig)
    return fig


def til_smal(fig: Figure, bredde: float = SMAL_BREDDE) -> Figure:
    """Re-lay a figure of this module out for a narrow screen, in place: ``bredde`` inches wide,
    titles wrapped, legends moved below the axes. Returns the figure (draw it again to save)."""
    wide_w, wide_h = fig.get_size_inches()
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    legends = []
    titled = [ax for ax in axes if ax.get_title()]
    if len(titled) == 1 and fig._suptitle is None:
        # one title: across the whole figure, from its left edge (centred over axes that sit right of the
        # long tick labels, a title as wide as the screen would run past its right edge)
        t = titled[0].title
        fig.suptitle(_titel(t.get_text(), bredde), x=0.02, ha="left", fontsize=t.get_fontsize(),
                     fontweight=t.get_fontweight())
        titled[0].set_title("")
    for ax in axes:  # (one legend per axes at most: the axes that had one get it back, below)
        if ax.get_title():
            ax.set_title(_titel(ax.get_title(), bredde))
        _ombryd_akser(ax, _SMAL_XLABEL_WRAP)
        legend = ax.get_legend()
        if legend is not None:
            handles = legend.legend_handles
            labels = [" ".join(t.get_text().split()) for t in legend.get_texts()]
            title = legend.get_title().get_text()
            legend.remove()
            legends.append((ax, handles, labels, title))
    height = wide_h * 1.25 + 0.3 * sum(len(leg[2]) for leg in legends)
    fig.set_size_inches(bredde, height)
    _plads_til_kilde(fig)  # the source line: wrapped to the narrow width, with room for all its lines
    if legends:
        fig.canvas.draw()  # measure how far each x axis (ticks and label) reaches below its axes
        renderer = fig.canvas.get_renderer()
    for ax, handles, labels, title in legends:
        # below the axes and their x label (a fixed distance in points: the layout moves the axes, not the
        # x axis' height), left-aligned, labels wrapped to the axes' width (so the layout never squeezes the axes)
        wrapped = [textwrap.fill(lab, int(bredde * 6), break_long_words=False) for lab in labels]
        below = max(0.0, ax.bbox.y0 - ax.xaxis.get_tightbbox(renderer).y0) * 72 / fig.dpi
        anchor = transforms.offset_copy(ax.transAxes, fig, x=0, y=-(below + 6), units="points")
        ax.legend(handles, wrapped, title=title or None, loc="upper left", bbox_to_anchor=(0, 0),
                  bbox_transform=anchor, ncols=1, frameon=False, alignment="left")
    return fig


def fig_to_png_bytes(fig: Figure, dpi: int = 100, close: bool = False) -> bytes:
    """The figure as PNG bytes (tight bounding box, so the source line is included).

    ``close=True`` also removes the figure from pyplot's registry, for figures
    that were made with pyplot (the figures of this module are not registered).
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


__all__ = [
    "PALETTE", "DanishFormatter", "set_theme", "danish_axis", "year_axis", "new_figure", "line_plot", "bar_plot",
    "interval_plot", "fig_to_png_bytes", "til_bred", "til_smal", "ydelse_farver", "IngenFigur", "er_tom",
    "INGEN_TAL_TEKST", "SKJULT_LABEL", "tilfoej_note",
]


# ---------------------------------------------------------------- compare areas against the country

#: Verdict against the country -> (colour, marker, Danish legend label): colour-blind safe (Okabe-Ito blue and
#: vermillion, grey) and never colour alone (the marker's shape says the same).
VURDERING_STIL = {
    "hoejere": ("#D55E00", "^", "Højere end landet"),
    "som": ("#6b6b6b", "o", "Som landet"),
    "lavere": ("#0072B2", "v", "Lavere end landet"),
    "ikke-vurderet": ("#6b6b6b", "o", "Ikke vurderet"),
}


def sammenligning_plot(df: pd.DataFrame, *, national: float, national_label: str, title: str, xlabel: str,
                       kilde: str | Sequence[str], synthetic: bool = False, decimals: int = 1) -> Figure:
    """Areas sorted by their value with 95 % CIs, coloured and shaped by their verdict against ``national``.

    ``df`` has ``kommune`` (label), ``vaerdi``, ``nedre``, ``oevre``, ``vurdering`` (``hoejere``, ``som``,
    ``lavere``, ``ikke-vurderet``) and ``valgt`` (bool: drawn larger, outlined, with a bold label and an
    arrow). Rows without a value are left out (the caller says so in its note). The national value is a
    vertical line.
    """
    _require(df, ["kommune", "vaerdi", "nedre", "oevre", "vurdering", "valgt"])
    d = df.dropna(subset=["vaerdi"]).sort_values("vaerdi", ascending=True).reset_index(drop=True)
    height = max(3.2, 0.24 * len(d) + 1.8)
    fig, ax = new_figure(title, xlabel, "", kilde, synthetic=synthetic, figsize=(8, height))
    bottom = min(0.3, 0.5 / height)
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    if not len(d):
        ax.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", transform=ax.transAxes)
        return fig
    ys = np.arange(len(d))
    ax.axvline(national, color="#111111", linewidth=1.2, linestyle="--", zorder=1,
               label=f"{national_label} ({fmt_dec(national, decimals)})")
    for code, (colour, marker, label) in VURDERING_STIL.items():
        part = d[d["vurdering"] == code]
        if not len(part):
            continue
        y = ys[part.index]
        err = [part["vaerdi"] - part["nedre"], part["oevre"] - part["vaerdi"]]
        ax.errorbar(part["vaerdi"], y, xerr=err, fmt="none", ecolor=colour, elinewidth=1.4, capsize=2, zorder=2)
        face = "white" if code == "ikke-vurderet" else colour
        ax.scatter(part["vaerdi"], y, marker=marker, s=42, color=face, edgecolor=colour, zorder=3, label=label)
    chosen = d[d["valgt"]]
    if len(chosen):
        ax.scatter(chosen["vaerdi"], ys[chosen.index], marker="D", s=110, facecolor="none", edgecolor="black",
                   linewidth=1.8, zorder=4, label="Valgt kommune")
    ax.set_yticks(ys)
    ax.set_yticklabels([f"▶ {k}" if v else k for k, v in zip(d["kommune"], d["valgt"])],
                       fontsize=MIN_FONTSIZE)
    for lbl, v in zip(ax.get_yticklabels(), d["valgt"]):
        if v:
            lbl.set_fontweight("bold")
    ax.set_ylim(-1, len(d))
    ax.grid(axis="y", visible=False)
    danish_axis(ax, "x", decimals=None)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig
