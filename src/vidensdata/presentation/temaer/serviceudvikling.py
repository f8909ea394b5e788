"""Drawing of the theme *serviceudvikling*: key figures, figures and tables from a computed result.

The numbers come from :mod:`vidensdata.themes.serviceudvikling` (``beregn``); this module only
turns a :class:`~vidensdata.themes.serviceudvikling.Resultat` into what the notebook, the
reports and the app show, with the shared components of :mod:`..komponenter`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...methods import growth
from ...publish import publicer
from ...themes.common import geografi_metadata
from ...themes.serviceudvikling import (BEFOLKNING_KILDE, TEMA, Resultat, alle_navn, alle_ydelser_note,
                                         data_years, krumning_detaljer, noegletal_vist)
from ...vocabulary import ALLE, YDELSE_NAVNE, YDELSER
from ...themes.serviceudvikling import kommuner_sammenlignet, sammenligninger
from ... import formatting as fmt
from .. import komponenter as k
from ...methods._lazy import lazy
from ._faelles import geografi_kontroller, start_geografi, vis_kommuner_sammenlignet

#: matplotlib and seaborn (~90 MB, ~2 s) load when a figure is drawn: an app kernel that shows views from
#: the view cache never draws one (docs/apps.md, "Many users").
plots = lazy("vidensdata.presentation.plots")

#: The renderers that publish tables (see :mod:`vidensdata.publish`): the approved tables are theirs.
TABELLER = ("vis_noegletal", "vis_tabel", "vis_sammenlign_kommuner")


def vis_noegletal(res: Resultat):
    """Key figures as HTML (with stable data-testid attributes for tests and apps), published as a table."""
    v = res.valg
    kort = k.med_sammenligning([k.Kort(*c) for c in noegletal_vist(res)], sammenligninger(res))
    notes = [f"Område: <b>{v.omraade.navn}</b>. Befolkningsgrundlag: {fmt.fmt_int(res.befolkning)} indbyggere "
             "pr. 1. januar 2020 (FOLK1A)."]
    if res.trend_note:
        notes.append(res.trend_note)
    if res.krumning_note:
        notes.append(res.krumning_note)
    if res.syntetisk:
        notes.append(k.syntetisk_note())
    notes.append(res.kildelinje)
    # the same figures as a published table (machine-readable copy for the audit; the page is unchanged)
    return publicer("noegletal", k.noegletal_tabel(kort), personhenfoerbar=True, antal_kolonner=[kort[0].label],
                    kilde=res.kildelinje, geografi=geografi_metadata(v), html=k.noegletal_html(kort, notes))


def figur_antal(res: Resultat):
    """Persons per service over time (counts)."""
    # suppressed values (<5, x) are gaps with a marker, never bridged by a line
    navne = _navne(res)
    d = res.serie.assign(Ydelse=lambda x: x["ydelse"].map(navne))
    d["antal"] = pd.to_numeric(d["antal"], errors="coerce").astype(float)
    d["skjult"] = d["undertrykt"].astype(bool) | d["antal"].isna()
    return plots.line_plot(d, x="aar", y="antal", hue="Ydelse",
                           title=f"Modtagere efter ydelse, {res.valg.omraade.navn}",
                           xlabel="År", ylabel="Antal personer", kilde=[res.kilde],
                           synthetic=res.syntetisk, legend_title="Ydelse", skjult="skjult",
                           farver=_farver(res))


def _navne(res: Resultat) -> dict[str, str]:
    """Service code -> the name shown; "at least one service" says what it counts under the choice."""
    return {**YDELSE_NAVNE, ALLE: alle_navn(res.valg)}


def _farver(res: Resultat) -> dict[str, str]:
    farver = plots.ydelse_farver()
    return {**farver, alle_navn(res.valg): farver[YDELSE_NAVNE[ALLE]]}



def indeks_serier(res: Resultat) -> tuple[pd.DataFrame, list[str]]:
    """The index (first year = 100) per service: ``aar``, ``indeks`` (NaN where the count is hidden), ``Ydelse``,
    ``skjult``; and the names of the services left out because their first year is hidden, 0 or missing
    (no base, so no index)."""
    rows, udeladt = [], []
    for code, grp in res.serie.groupby("ydelse", sort=False):  # same order (and colours) as the other figures
        s = pd.to_numeric(grp.set_index("aar")["antal"], errors="coerce").astype(float)
        hidden = grp.set_index("aar")["undertrykt"].astype(bool) | s.isna()
        base = s.get(res.valg.startaar, np.nan)
        if len(s) < 2 or hidden.get(res.valg.startaar, True) or not base > 0:
            udeladt.append(_navne(res)[code])
            continue
        idx = growth.index_to_base(s, res.valg.startaar).where(~hidden)
        rows.append(pd.DataFrame({"aar": idx.index, "indeks": idx.to_numpy(), "Ydelse": _navne(res)[code],
                                  "skjult": hidden.to_numpy()}))
    d = (pd.concat(rows, ignore_index=True) if rows
         else pd.DataFrame({"aar": [], "indeks": [], "Ydelse": [], "skjult": []}))
    return d, udeladt


def figur_indeks(res: Resultat):
    """Index (first year = 100) per service: a gap (with a marker) where a count is hidden, and a note naming
    the services left out because their first year is hidden or 0."""
    d, udeladt = indeks_serier(res)
    fig = plots.line_plot(d, x="aar", y="indeks", hue="Ydelse", skjult="skjult",
                          title=f"Indeks ({res.valg.startaar} = 100), {res.valg.omraade.navn}",
                          xlabel="År", ylabel="Indeks", kilde=[res.kilde], synthetic=res.syntetisk,
                          legend_title="Ydelse", farver=_farver(res), years=True)
    if d["skjult"].astype(bool).any():
        plots.tilfoej_note(fig, "Linjerne er brudt i år, hvor antallet er skjult af diskretionshensyn (under 5 "
                                "eller skjult for at beskytte et lille tal); ▽ på aksen markerer dem.")
    if udeladt:
        plots.tilfoej_note(fig, f"Ikke vist: {_opremsning(udeladt)}, fordi antallet i {res.valg.startaar} er "
                                "skjult, 0 eller mangler, så der er intet at regne indekset fra.")
    return fig


def _opremsning(navne: list[str]) -> str:
    return navne[0] if len(navne) == 1 else f"{', '.join(navne[:-1])} og {navne[-1]}"


def figur_sammenligning(res: Resultat):
    """Recipients of any service per 1,000 inhabitants: the area, its region and the country."""
    d = res.sammenligning.dropna(subset=["pr_1000"]).rename(columns={"omraade": "Område"})
    return plots.line_plot(d, x="aar", y="pr_1000", hue="Område",
                           title=f"Modtagere af mindst én ydelse pr. 1.000 indbyggere{alle_ydelser_note(res.valg)}",
                           xlabel="År", ylabel="Pr. 1.000 indbyggere", kilde=[res.kilde, BEFOLKNING_KILDE],
                           synthetic=res.syntetisk, legend_title="Område")


def figur_trend(res: Resultat):
    """Observed counts, the fitted trend and the projection with its 95 % prediction interval."""
    if res.trend is None:
        return None
    t = res.trend
    obs = res.serie[res.serie["ydelse"] == ALLE]
    proj = t.projection
    d = pd.concat([
        pd.DataFrame({"aar": obs["aar"], "vaerdi": obs["antal"].astype(float), "nedre": np.nan, "oevre": np.nan,
                      "Serie": "Observeret"}),
        pd.DataFrame({"aar": t.fitted.index, "vaerdi": t.fitted.to_numpy(), "nedre": np.nan, "oevre": np.nan,
                      "Serie": "Trend"}),
        pd.DataFrame({"aar": proj["aar"], "vaerdi": proj["forventet"], "nedre": proj["nedre"],
                      "oevre": proj["oevre"], "Serie": "Fremskrivning (95 %-prædiktionsinterval)"}),
    ], ignore_index=True)
    if t.curvature is not None and t.curvature.curved:  # the bent trend the straight line misses
        bent = t.curvature.fitted
        d = pd.concat([d, pd.DataFrame({"aar": bent.index, "vaerdi": bent.to_numpy(), "nedre": np.nan,
                                        "oevre": np.nan, "Serie": "Krum trend"})], ignore_index=True)
    return plots.interval_plot(d, x="aar", y="vaerdi", lower="nedre", upper="oevre", hue="Serie",
                               title=f"Trend og fremskrivning, {res.valg.omraade.navn}",
                               xlabel="År", ylabel=f"Modtagere af mindst én ydelse{alle_ydelser_note(res.valg)}",
                               kilde=[res.kilde],
                               synthetic=res.syntetisk)


def vis_trend_metode(res: Resultat):
    """The trend model and the curvature test with their numbers (for the method section)."""
    from IPython.display import HTML

    return HTML(k.noter_html([krumning_detaljer(res.trend)]))


def vis_tabel(res: Resultat):
    """The table as Danish-formatted HTML with its source line (a published table)."""
    navne = _navne(res)
    t = res.serie.assign(Ydelse=res.serie["ydelse"].map(navne))
    t["vist"] = [k.vist_antal(a, u, p) for a, u, p in zip(t["antal"], t["undertrykt"], t["primaer"])]
    shown = t.pivot(index="Ydelse", columns="aar", values="vist")
    shown = shown.reindex([navne[c] for c in (ALLE, *res.valg.ydelser)])
    shown.columns = [str(c) for c in shown.columns]
    shown = shown.reset_index()
    page = k.tabel_html(shown) + k.noter_html([f"{res.kildelinje} {k.diskretionering_note()}"])
    # "Mindst én ydelse" is persons with any service, not the sum of the rows: no additive total row
    return publicer("tabel", shown, personhenfoerbar=True, antal_kolonner=[c for c in shown.columns if c != "Ydelse"],
                    kilde=res.kildelinje, geografi=geografi_metadata(res.valg), html=page)


def vis_sammenlign_kommuner(res: Resultat):
    """"Sammenlign kommuner": the indicator with its 95 % CI for the kommuner of the area's region (and all 98),
    the chosen kommune highlighted, each against the country (a published table)."""
    return vis_kommuner_sammenlignet(kommuner_sammenlignet(res), res.valg, res.kildelinje)


def visning(geografi="Hele landet", startaar=None, slutaar=None, ydelser="alle", interaktiv=None):
    """The theme's view for a notebook: static report or live app (see :mod:`vidensdata.presentation.widgets`)."""
    from ..widgets import Kontrol, Visning

    first, last = data_years()
    params = {"geografi": geografi, "startaar": startaar, "slutaar": slutaar, "ydelser": ydelser}
    kontroller = [
        *geografi_kontroller(),
        Kontrol("aar", "År", "aarinterval", min=first, max=last),
        Kontrol("ydelser", "Ydelser", "multi", [(navn, kode) for kode, navn in YDELSER.items()]),
    ]
    v = Visning(TEMA, params, kontroller, interaktiv_=interaktiv)
    if v.interaktiv:
        start_geografi(v.parametre, geografi)
        v.parametre["startaar"] = v.parametre["startaar"] or first
        v.parametre["slutaar"] = v.parametre["slutaar"] or last
    return v
