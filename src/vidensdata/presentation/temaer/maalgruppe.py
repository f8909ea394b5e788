"""Drawing of the theme *maalgruppe*: key figures, figures and tables from a computed result.

The numbers come from :mod:`vidensdata.themes.maalgruppe` (``beregn``); this module only
turns a :class:`~vidensdata.themes.maalgruppe.Resultat` into what the notebook, the
reports and the app show, with the shared components of :mod:`..komponenter`.
"""

from __future__ import annotations

import html as _html
import math

import numpy as np
import pandas as pd

from ...errors import VidensdataError
from ...publish import publicer
from ...themes.common import as_year, geografi_metadata
from ...themes.maalgruppe import (BEFOLKNING_KILDE, KORT, METODE_KILDE, OFFENTLIGGJORT_KILDE, OFFENTLIGGJORT_NEDRE,
                                  OFFENTLIGGJORT_OEVRE, REGISTER_NAVNE, TEMA, Resultat, _interval, data_years,
                                  model_navne, noegletal_vist, tabel_kommuner)
from ...themes.maalgruppe import kommuner_sammenlignet, sammenligninger
from ... import formatting as fmt
from .. import komponenter as k
from ...methods._lazy import lazy
from ._faelles import geografi_kontroller, start_geografi, vis_kommuner_sammenlignet

#: matplotlib and seaborn (~90 MB, ~2 s) load when a figure is drawn: an app kernel that shows views from
#: the view cache never draws one (docs/apps.md, "Many users").
plots = lazy("vidensdata.presentation.plots")

#: The renderers that publish tables (see :mod:`vidensdata.publish`): the approved tables are theirs.
TABELLER = ("vis_noegletal", "vis_overlap_tabel", "vis_modeller", "vis_kommuner", "vis_sammenlign_kommuner")


def vis_noegletal(res: Resultat):
    """Key figures as HTML (stable data-testid attributes), published as a table."""
    v, n, e = res.valg, res.noegletal, res.estimat
    publ = f"{fmt.fmt_int(OFFENTLIGGJORT_NEDRE)}–{fmt.fmt_int(OFFENTLIGGJORT_OEVRE)}"
    cards = k.med_sammenligning([k.Kort(*c) for c in noegletal_vist(res)], sammenligninger(res))
    if e["metode"] == "capture–recapture" and len(v.registre) > 2:
        metode = (f"Metode: log-lineær capture–recapture med tre registre ({', '.join(KORT[r] for r in v.registre)})"
                  "; estimatet er et gennemsnit af flere modeller, og intervallet rummer også usikkerheden om, "
                  "hvilken model der er rigtig (se metodeafsnittet).")
    elif e["metode"] == "capture–recapture":
        metode = (f"Metode: capture–recapture med to registre ({', '.join(KORT[r] for r in v.registre)}) under "
                  "antagelse af uafhængighed, som ikke kan testes med to registre.")
    else:
        metode = ("Metode: kommunens egne registertal er for små til capture–recapture. Landsestimatet er derfor "
                  "fordelt på kommunerne efter, hvor mange registrene ser i hver kommune (forholdsmæssig "
                  "fordeling). Det forudsætter, at registrene ser den samme andel af målgruppen i alle kommuner; "
                  "ser de en større eller mindre andel i kommunen, er estimatet tilsvarende for lavt eller for "
                  "højt. Intervallet rummer usikkerheden på landsestimatet og de forskelle mellem kommunerne i, hvor "
                  "stor en andel registrene ser, som kan måles i de store kommuner.")
    notes = [f"Område: <b>{_html.escape(v.omraade.navn)}</b>, {v.aar}. {metode}",
             f"Det offentliggjorte skøn på ca. {publ} borgere gælder hele landet. Kilde: {OFFENTLIGGJORT_KILDE}."]
    if math.isnan(n["estimat"]):
        notes.append("Estimatet vises ikke, fordi antallet af borgere set i registrene er under 5 eller skjult "
                     "(diskretionering): kommunens estimat følger dette antal.")
    if res.syntetisk:
        notes.append(k.syntetisk_note("Den plantede sande størrelse vises kun, fordi data er syntetiske, så man kan "
                                      "se, hvor godt metoden rammer."))
    notes.append(res.kildelinje)
    # published copy: the count first, so the one-row table has no label columns (matched by position)
    ordered = [cards[2]] + [c for i, c in enumerate(cards) if i != 2]
    return publicer("noegletal", k.noegletal_tabel(ordered), personhenfoerbar=True, antal_kolonner=[cards[2].label],
                    kilde=res.kildelinje, geografi=geografi_metadata(v), html=k.noegletal_html(cards, notes))



def figur_estimat(res: Resultat):
    """The estimate with its interval beside the published range (the whole country only)."""
    if res.niveau != "land":
        return None
    n = res.noegletal
    fig, ax = plots.new_figure("Anslået størrelse og offentliggjort skøn", "Antal borgere", "",
                               kilde=[res.kilde, OFFENTLIGGJORT_KILDE], synthetic=res.syntetisk, figsize=(8, 3))
    ax.axvspan(OFFENTLIGGJORT_NEDRE, OFFENTLIGGJORT_OEVRE, color=plots.PALETTE[1], alpha=0.3,
               label="Offentliggjort skøn (32.000–40.000)")
    ax.errorbar([n["estimat"]], [0], xerr=[[n["estimat"] - n["nedre"]], [n["oevre"] - n["estimat"]]], fmt="o",
                color=plots.PALETTE[3], capsize=6, markersize=9, label=f"Estimat {res.valg.aar} med 95 %-interval")
    if res.syntetisk and res.sand is not None:
        ax.plot([res.sand], [0], marker="x", color=plots.PALETTE[4], markersize=12, linestyle="none",
                label="Plantet sand størrelse (syntetisk)")
    lo = min(OFFENTLIGGJORT_NEDRE, n["nedre"]) * 0.95
    hi = max(OFFENTLIGGJORT_OEVRE, n["oevre"]) * 1.05
    ax.set_xlim(lo, hi)
    ax.set_yticks([])
    ax.set_ylim(-1, 1)
    plots.danish_axis(ax, "x")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def figur_overlap(res: Resultat):
    """UpSet-style figure: persons per capture history (bars) and which registers each history means (dots)."""
    regs = res.valg.registre
    d = res.overlap
    titel = f"Personer efter hvilke registre der så dem, {res.valg.omraade.navn} {res.valg.aar}"
    shown = d["antal"].where(~d["undertrykt"].astype(bool)).astype("Float64").fillna(0)
    if d.empty or not (shown > 0).any():  # nothing publishable but zeros and <5: one sentence, no empty chart
        return plots.IngenFigur(titel)
    fig, ax = plots.new_figure(titel,
                               "", "Antal personer", kilde=[res.kilde], synthetic=res.syntetisk, figsize=(8, 5.2))
    xs = np.arange(len(d))
    heights = np.where(d["undertrykt"], 0.0, d["antal"].astype("Float64").fillna(0).to_numpy(float))
    ax.bar(xs, heights, color=plots.PALETTE[3], width=0.6)
    top = max(heights.max(), 1.0)
    for x, h, a, u, p in zip(xs, heights, d["antal"], d["undertrykt"], d["primaer"]):
        ax.text(x, h + top * 0.02, k.vist_antal(a, u, p), ha="center", va="bottom",
                fontsize=plots.MIN_FONTSIZE)
    ax.set_ylim(0, top * 1.15)
    ax.set_xticks(xs)
    ax.set_xticklabels([""] * len(xs))
    ax.set_xlim(-0.6, len(xs) - 0.4)
    plots.danish_axis(ax, "y")
    # the dot matrix under the bars
    # (a second row of the layout, not an inset, so the layout keeps room for it above the source line)
    rows = fig.add_gridspec(2, 1, height_ratios=[2.6, 1], hspace=0.02)
    ax.set_subplotspec(rows[0])
    m = fig.add_subplot(rows[1], sharex=ax)
    for i, r in enumerate(regs):
        y = len(regs) - 1 - i
        on = d[r].to_numpy() == 1
        m.scatter(xs[~on], [y] * int((~on).sum()), s=60, color="#d0d0d0", zorder=2)
        m.scatter(xs[on], [y] * int(on.sum()), s=60, color="#222222", zorder=3)
    for x, h in zip(xs, d["historie"]):
        ys = [len(regs) - 1 - i for i, c in enumerate(h) if c == "1"]
        if len(ys) > 1:
            m.plot([x, x], [min(ys), max(ys)], color="#222222", linewidth=2, zorder=2)
    m.set_yticks(range(len(regs)))
    m.set_yticklabels([KORT[r] for r in reversed(regs)])
    m.set_ylim(-0.5, len(regs) - 0.5)
    m.tick_params(axis="x", bottom=False, labelbottom=False)
    m.grid(False)
    for side in ("top", "right", "bottom", "left"):
        m.spines[side].set_visible(False)
    fig._vidensdata_alt = (f"Søjlediagram over antal personer efter fangsthistorie i {res.valg.omraade.navn} "
                           f"{res.valg.aar}; prikkerne under søjlerne viser registrene. {fig._vidensdata_kilde}")
    return fig


def figur_kommuner(res: Resultat):
    """Per-kommune estimates per 1,000 adults with 95 % intervals (small area), the chosen kommune highlighted."""
    kom = res.kommuner.dropna(subset=["per_1000"]).sort_values("per_1000")
    title = ("Anslået målgruppe pr. 1.000 voksne, alle kommuner" if res.niveau == "land"
             else "Anslået målgruppe pr. 1.000 voksne, kommunerne i regionen")
    height = max(3.5, 0.22 * len(kom) + 1.5)
    fig, ax = plots.new_figure(f"{title}, {res.valg.aar}", "Pr. 1.000 voksne (95 %-interval)", "",
                               kilde=[res.kilde, BEFOLKNING_KILDE, METODE_KILDE], synthetic=res.syntetisk,
                               figsize=(8, height))
    bottom = 0.75 / height  # room for the (two-line) source line under the x label
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    ys = np.arange(len(kom))
    colours = np.where(kom["valgt"], plots.PALETTE[4], plots.PALETTE[3])
    spread = [kom["per_1000"] - kom["per_1000_lower"], kom["per_1000_upper"] - kom["per_1000"]]
    ax.errorbar(kom["per_1000"], ys, xerr=spread,
                fmt="none", ecolor="#888888", capsize=2, zorder=1)
    ax.scatter(kom["per_1000"], ys, c=list(colours), zorder=2, s=22)
    ax.set_yticks(ys)
    ax.set_yticklabels(kom["kommune"], fontsize=plots.MIN_FONTSIZE)
    for lbl, chosen in zip(ax.get_yticklabels(), kom["valgt"]):
        if chosen:
            lbl.set_fontweight("bold")
    ax.set_ylim(-1, len(kom))
    plots.danish_axis(ax, "x", decimals=None)
    ax.grid(axis="y", visible=False)
    return fig


def tabel_overlap(res: Resultat) -> pd.DataFrame:
    """The histories as shown: one column per register (✓ or blank) and the count."""
    rows = []
    for _, r in res.overlap.iterrows():
        rows.append({**{KORT[g]: ("✓" if r[g] == 1 else "") for g in res.valg.registre},
                     "Antal personer": k.vist_antal(r["antal"], r["undertrykt"], r["primaer"])})
    rows.append({**{KORT[g]: "" for g in res.valg.registre},
                 "Antal personer": k.vist_antal(res.observeret, res.observeret_undertrykt, res.observeret_primaer)})
    t = pd.DataFrame(rows)
    t.insert(0, "Fangsthistorie", [*res.overlap["historie"], "I alt (set mindst én gang)"])
    return t


def vis_overlap_tabel(res: Resultat):
    """Observed counts per capture history and per register (disclosure-controlled)."""
    t = tabel_overlap(res)
    reg = pd.DataFrame({
        "Register": [REGISTER_NAVNE[r] for r in res.registertal["register"]],
        "Antal personer": [k.vist_antal(a, u, p) for a, u, p in zip(res.registertal["antal"],
                                                                  res.registertal["undertrykt"],
                                                                  res.registertal["primaer"])],
    })
    html = (k.tabel_html(t)
            + '<p class="vd-note">Personer pr. register (en person kan være i flere):</p>'
            + k.tabel_html(reg)
            + f'<p class="vd-note">{_html.escape(res.kildelinje)} {k.diskretionering_note()}</p>')
    overlap = publicer("overlap", t, personhenfoerbar=True, antal_kolonner=["Antal personer"],
                       kilde=res.kildelinje, geografi=geografi_metadata(res.valg),
                       total_raekke="I alt (set mindst én gang)", html=html)
    # the per-register counts are sums of histories: published (machine-readable) with those relations
    relationer = [{"total": ["registre", REGISTER_NAVNE[r], "Antal personer"],
                   "dele": [["overlap", h, "Antal personer"] for h in res.overlap["historie"] if h[i] == "1"]}
                  for i, r in enumerate(res.valg.registre)]
    registre = publicer("registre", reg, personhenfoerbar=True, antal_kolonner=["Antal personer"],
                        kilde=res.kildelinje, geografi=geografi_metadata(res.valg), relationer=relationer)
    return overlap.med(registre)


def tabel_modeller(res: Resultat) -> pd.DataFrame:
    m = res.modeller
    best = m["aic"].min()
    w = m["weight"] if "weight" in m else pd.Series([math.nan] * len(m))
    return pd.DataFrame({
        "Model": model_navne(m, res.valg.registre),
        "Estimat (95 %-KI)": [_interval(n, lo, hi) for n, lo, hi in zip(m["n_hat"], m["lower"], m["upper"])],
        "Deviance": [fmt.fmt_dec(x, 1) for x in m["deviance"]],
        "Frihedsgrader": [fmt.fmt_int(x) for x in m["df"]],
        "p-værdi": [fmt.MISSING if pd.isna(p) else fmt.fmt_dec(p, 3) for p in m["p_value"]],
        "AIC": [fmt.fmt_dec(x, 1) for x in m["aic"]],
        "ΔAIC": [fmt.fmt_dec(x - best, 1) for x in m["aic"]],
        "Vægt": [fmt.MISSING if pd.isna(x) else fmt.fmt_pct(x * 100, 1) for x in w],
    })


FORKLARING_MODELLER = (
    "<b>Modellerne.</b> <i>Uafhængighed</i>: at være i ét register ændrer ikke chancen for at være i et andet. "
    "<i>Afhængighed</i> mellem to registre: personer i det ene er oftere (eller sjældnere) i det andet. "
    "<i>Heterogenitet</i>: nogle borgere er lettere at se end andre i alle registre på én gang; Poisson-, "
    "Darroch- og Gamma-formen er tre bud på, hvordan chancen for at blive set varierer, og <i>Chaos nedre "
    "grænse</i> er et forsigtigt skøn, der snarere er for lavt end for højt (Rivest &amp; Baillargeon 2007). "
    "<b>Deviance</b> og <b>p-værdi</b> viser, hvor godt modellen "
    "passer til de observerede overlap (lav p-værdi: dårlig tilpasning); med 0 frihedsgrader kan det ikke "
    "testes. <b>AIC</b> belønner god tilpasning og straffer ekstra parametre. <b>Vægt</b> er modellens andel i "
    "gennemsnittet (AIC-vægt, w<sub>i</sub> ∝ exp(−ΔAIC<sub>i</sub>/2)); estimatet er N̄ = Σ w<sub>i</sub> "
    "N<sub>i</sub>, og dets standardfejl Σ w<sub>i</sub> √(se<sub>i</sub>² + (N<sub>i</sub> − N̄)²) rummer "
    "forskellen mellem modellerne (Buckland m.fl. 1997). Passer selv den bedste model dårligt, ganges "
    "varianserne med ĉ = deviance/frihedsgrader.")


def vis_modeller(res: Resultat):
    """The model comparison table and why the chosen model was chosen."""
    t = tabel_modeller(res)
    intro = ""
    if res.estimat["metode"] == "small area":
        intro = (f'<p class="vd-note">Estimatet for {_html.escape(res.valg.omraade.navn)} er en andel af '
                 "landsestimatet, så tabellen viser modellerne for hele landet.</p>")
    html = (intro + k.tabel_html(t)
            + f'<p class="vd-note"><b>Sådan er estimatet lavet.</b> {_html.escape(res.forklaring)}</p>'
            + f'<p class="vd-note">{FORKLARING_MODELLER}</p>'
            + f'<p class="vd-note">{_html.escape(res.kildelinje)}</p>')
    return publicer("modeller", t, personhenfoerbar=False, antal_kolonner=[], kilde=res.kildelinje,
                    geografi=res.model_omraade, html=html)


def vis_kommuner(res: Resultat):
    """The kommune estimates as a table (the observed counts disclosure-controlled)."""
    t = tabel_kommuner(res)
    kilde = fmt.source_line([res.kilde, BEFOLKNING_KILDE, METODE_KILDE], res.syntetisk)
    html = (k.tabel_html(t)
            + f'<p class="vd-note">{_html.escape(kilde)} '
              "Antal voksne (18+) er anslået som indbyggere 1. januar 2020 gange landets andel voksne.</p>")
    return publicer("kommuner", t, personhenfoerbar=True, antal_kolonner=["Set i registrene"],
                    kilde=res.kildelinje, geografi=geografi_metadata(res.valg), html=html)


def vis_sammenlign_kommuner(res: Resultat):
    """"Sammenlign kommuner": the indicator with its 95 % CI for the kommuner of the area's region (and all 98),
    the chosen kommune highlighted, each against the country (a published table)."""
    return vis_kommuner_sammenlignet(kommuner_sammenlignet(res), res.valg, res.kildelinje)


def visning(geografi="Hele landet", aar=None, registre="alle", interaktiv=None):
    """The theme's view for a notebook: static report or live app (see :mod:`vidensdata.presentation.widgets`)."""
    from ..widgets import Kontrol, Visning

    first, last = data_years()
    params = {"geografi": geografi, "aar": aar, "registre": registre}
    kontroller = [
        *geografi_kontroller(),
        Kontrol("aar", "År", "dropdown", [(str(y), y) for y in range(first, last + 1)]),
        Kontrol("registre", "Registre", "multi", [(navn, kode) for kode, navn in REGISTER_NAVNE.items()]),
    ]
    v = Visning(TEMA, params, kontroller, interaktiv_=interaktiv)
    if v.interaktiv:
        start_geografi(v.parametre, geografi)
        try:
            v.parametre["aar"] = as_year(aar, "aar") if aar is not None else last
        except VidensdataError:
            v.parametre["aar"] = last
    return v
