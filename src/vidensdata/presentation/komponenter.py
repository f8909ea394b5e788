"""The shared presentation components of every theme: one stylesheet, key-figure cards, notes, tables.

Reports and apps draw a theme's sections from these pieces, so the three themes look
alike and cannot drift apart (the key-figure size, the source line, the explanation of
the suppression marks). Each function returns an HTML string; published tables go
through :func:`vidensdata.publish.publicer` as before.

>>> noegletal_html([Kort("noegletal-antal", "Modtagere i 2024", "40.771")], ["Kilde: …"])
"""

from __future__ import annotations

import html as _html
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..disclosure import SEKUNDAER, vist_antal
from .. import formatting as fmt
from ..publish import rulle
from ..themes.comparison import Modpart
from ..themes.sammenligning import IKKE_VURDERET, TEKST

#: The one stylesheet of the theme sections (inlined in the key-figure section: the apps carry no other CSS).
STIL = """<style>
.vd-noegletal{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.vd-kort{border:1px solid #5f6b7a;border-radius:6px;padding:10px 14px;min-width:180px;max-width:320px;background:#fff}
.vd-kort-label{font-size:0.9em;color:#333}
.vd-kort-tal{font-size:1.6em;font-weight:700;color:#111}
.vd-note{font-size:0.9em;color:#333;margin:4px 0}
.vd-syntetisk{color:#8a1c00}
.vd-kort-ref{font-size:0.85em;color:#333;margin-top:4px}
.vd-grund{font-size:0.8em;color:#333}
.vd-vurdering{display:inline-block;margin-top:6px;padding:1px 8px;border-radius:10px;font-size:0.85em;
 font-weight:600;border:1px solid #5f6b7a;background:#f2f2f2;color:#222}
.vd-vurdering::before{content:"● "}
.vd-v-hoejere{background:#fde4d5;border-color:#b34700;color:#7a2e00}
.vd-v-hoejere::before{content:"▲ "}
.vd-v-lavere{background:#dcebf7;border-color:#0064a3;color:#00406b}
.vd-v-lavere::before{content:"▼ "}
.vd-v-ikke-vurderet{background:#fff;border-style:dashed;color:#333;font-weight:400}
.vd-v-ikke-vurderet::before{content:"○ "}
.vd-sml-tabel td,.vd-sml-tabel th{padding:2px 8px;text-align:left}
.vd-sml-tabel .vd-vurdering{margin-top:0;white-space:nowrap}
.vd-sml-tabel td:nth-child(3){white-space:nowrap}
.vd-sml-tabel tr.vd-valgt{font-weight:700;outline:2px solid #111}
.vd-sml details summary{cursor:pointer;font-weight:600;margin:8px 0}
</style>"""


@dataclass(frozen=True)
class Kort:
    """One key figure: a stable test id, its Danish label, the value as shown and, where the figure has a
    national counterpart, its comparison (verdict, region's and country's values)."""

    testid: str
    label: str
    vaerdi: str
    sammenligning: Modpart | None = None


def vurdering_html(vurdering: str, grund: str = "") -> str:
    """A verdict in words and colour (and a symbol: ▲ higher, ● same, ▼ lower, ○ not assessed)."""
    badge = f'<span class="vd-vurdering vd-v-{vurdering}">{_html.escape(TEKST[vurdering])}</span>'
    if vurdering == IKKE_VURDERET and grund:
        badge += f' <span class="vd-grund">({_html.escape(grund)})</span>'
    return badge


def _sammenligning_html(m: Modpart, land_navn: str = "Hele landet") -> str:
    ref = [f"{_html.escape(m.region_navn)}: {_html.escape(m.region)}"] if m.region is not None and m.region_navn else []
    ref.append(f"{land_navn}: {_html.escape(m.land)}")
    return (f'<div class="vd-kort-sml">{vurdering_html(m.vurdering, m.grund)}</div>'
            f'<div class="vd-kort-ref">{" · ".join(ref)}</div>')


def _kort_html(k: Kort) -> str:
    attr = "" if k.sammenligning is None else f' data-sammenligning="{k.sammenligning.vurdering}"'
    sml = "" if k.sammenligning is None else _sammenligning_html(k.sammenligning)
    return (f'<div class="vd-kort"{attr}><div class="vd-kort-label">{k.label}</div>'
            f'<div class="vd-kort-tal" data-testid="{k.testid}">{k.vaerdi}</div>{sml}</div>')


def med_sammenligning(kort: Iterable[Kort], sammenligninger: dict[str, Modpart]) -> list[Kort]:
    """The cards with their comparisons attached (by test id)."""
    return [Kort(k.testid, k.label, k.vaerdi, sammenligninger.get(k.testid, k.sammenligning)) for k in kort]


def syntetisk_note(tillaeg: str = "") -> str:
    """The label every number from synthetic data carries."""
    return ('<b class="vd-syntetisk">Syntetiske data (demo)</b> – tallene er ikke virkelige.'
            + (f" {tillaeg}" if tillaeg else ""))


def noter_html(noter: Iterable[str]) -> str:
    """Notes under a section (already HTML), one paragraph each."""
    return "".join(f'<p class="vd-note">{n}</p>' for n in noter)


def noegletal_html(kort: Iterable[Kort], noter: Iterable[str]) -> str:
    """The key-figure section: the stylesheet, one card per figure and the notes under them."""
    items = "".join(_kort_html(k) for k in kort)
    return STIL + f'<div class="vd-noegletal">{items}</div>' + noter_html(noter)


def noegletal_tabel(kort: Iterable[Kort]) -> pd.DataFrame:
    """The key figures as a one-row table (labels as columns): the published copy of the cards."""
    kort = list(kort)
    return pd.DataFrame([[k.vaerdi for k in kort]], columns=[k.label for k in kort])


def tabel_html(df: pd.DataFrame, navn: str = "Tabel") -> str:
    """A table in the house style (Danish strings as shown, no index), in its own horizontal scroll
    container, so a wide table never widens the page on a phone (focusable, so it scrolls by keyboard)."""
    return rulle(df.to_html(index=False, classes="vd-tabel", border=0, escape=True), navn)


def diskretionering_note(enhed: str = "personer") -> str:
    """What the two suppression marks mean, for the note under a table."""
    return (f"{fmt.SUPPRESSED} betyder 1–4 {enhed}; {SEKUNDAER} er skjult, så et lille tal ikke kan regnes ud "
            "fra totaler (diskretionering).")


__all__ = ["STIL", "SEKUNDAER", "Kort", "vurdering_html", "med_sammenligning",
           "vist_antal", "syntetisk_note", "noter_html", "noegletal_html",
           "noegletal_tabel", "tabel_html", "diskretionering_note"]
