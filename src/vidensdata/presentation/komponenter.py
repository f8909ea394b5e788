"""The shared presentation components of every theme: one stylesheet, key-figure cards, notes, tables.

Reports and apps draw a theme's sections from these pieces, so the three themes look
alike and cannot drift apart (the key-figure size, the source line, the explanation of
the suppression marks). Each function returns an HTML string; published tables go
through :func:`vidensdata.publish.publicer` as before.

>>> noegletal_html([Kort("noegletal-antal", "Modtagere i 2024", "40.771")], ["Kilde: …"])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..disclosure import SEKUNDAER, vist_antal
from .. import formatting as fmt

#: The one stylesheet of the theme sections (inlined in the key-figure section: the apps carry no other CSS).
STIL = """<style>
.vd-noegletal{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.vd-kort{border:1px solid #5f6b7a;border-radius:6px;padding:10px 14px;min-width:180px;max-width:320px;background:#fff}
.vd-kort-label{font-size:0.9em;color:#333}
.vd-kort-tal{font-size:1.6em;font-weight:700;color:#111}
.vd-note{font-size:0.9em;color:#333;margin:4px 0}
.vd-syntetisk{color:#8a1c00}
</style>"""


@dataclass(frozen=True)
class Kort:
    """One key figure: a stable test id, its Danish label and the value as shown."""

    testid: str
    label: str
    vaerdi: str


def syntetisk_note(tillaeg: str = "") -> str:
    """The label every number from synthetic data carries."""
    return ('<b class="vd-syntetisk">Syntetiske data (demo)</b> – tallene er ikke virkelige.'
            + (f" {tillaeg}" if tillaeg else ""))


def noter_html(noter: Iterable[str]) -> str:
    """Notes under a section (already HTML), one paragraph each."""
    return "".join(f'<p class="vd-note">{n}</p>' for n in noter)


def noegletal_html(kort: Iterable[Kort], noter: Iterable[str]) -> str:
    """The key-figure section: the stylesheet, one card per figure and the notes under them."""
    items = "".join(
        f'<div class="vd-kort"><div class="vd-kort-label">{k.label}</div>'
        f'<div class="vd-kort-tal" data-testid="{k.testid}">{k.vaerdi}</div></div>'
        for k in kort
    )
    return STIL + f'<div class="vd-noegletal">{items}</div>' + noter_html(noter)


def noegletal_tabel(kort: Iterable[Kort]) -> pd.DataFrame:
    """The key figures as a one-row table (labels as columns): the published copy of the cards."""
    kort = list(kort)
    return pd.DataFrame([[k.vaerdi for k in kort]], columns=[k.label for k in kort])


def tabel_html(df: pd.DataFrame) -> str:
    """A table in the house style (Danish strings as shown, no index)."""
    return df.to_html(index=False, classes="vd-tabel", border=0, escape=True)


def diskretionering_note(enhed: str = "personer") -> str:
    """What the two suppression marks mean, for the note under a table."""
    return (f"{fmt.SUPPRESSED} betyder 1–4 {enhed}; {SEKUNDAER} er skjult, så et lille tal ikke kan regnes ud "
            "fra totaler (diskretionering).")


__all__ = ["STIL", "SEKUNDAER", "Kort", "vist_antal", "syntetisk_note", "noter_html", "noegletal_html",
           "noegletal_tabel", "tabel_html", "diskretionering_note"]
