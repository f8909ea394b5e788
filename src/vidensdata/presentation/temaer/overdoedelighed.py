"""Drawing of the theme *overdoedelighed*: key figures, figures and tables from a computed result.

The numbers come from :mod:`vidensdata.themes.overdoedelighed` (``beregn``); this module only
turns a :class:`~vidensdata.themes.overdoedelighed.Resultat` into what the notebook, the
reports and the app show, with the shared components of :mod:`..komponenter`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import VidensdataError
from ...methods import mortality
from ...publish import publicer
from ...themes.common import geografi_metadata
from ...themes.overdoedelighed import (KOEN_NAVN, KOEN_VALG, LYL_ALDER, MIN_DOEDE_LYL, REFERENCE_KILDE, TEMA,
                                       Resultat, _interval, data_years, noegletal_vist, normalise_koen,
                                       tabel_vist)
from ...themes.overdoedelighed import kommuner_sammenlignet, sammenligninger
from ... import formatting as fmt
from .. import komponenter as k
from ...methods._lazy import lazy
from ._faelles import geografi_kontroller, start_geografi, vis_kommuner_sammenlignet

#: matplotlib and seaborn (~90 MB, ~2 s) load when a figure is drawn: an app kernel that shows views from
#: the view cache never draws one (docs/apps.md, "Many users").
plots = lazy("vidensdata.presentation.plots")

#: The renderers that publish tables (see :mod:`vidensdata.publish`): the approved tables are theirs.
TABELLER = ("vis_noegletal", "vis_tabel", "vis_leveaar", "vis_sammenlign_kommuner")
#: Column of the planted truth beside the estimates (synthetic data only).
SAND_KOLONNE = "Plantet sandhed (syntetisk)"


def vis_noegletal(res: Resultat):
    """Key figures as HTML (with stable data-testid attributes for tests and apps), published as a table."""
    v = res.valg
    kort = k.med_sammenligning([k.Kort(*c) for c in noegletal_vist(res)], sammenligninger(res))
    notes = [f"Område: <b>{v.omraade.navn}</b>, {v.startaar}–{v.slutaar}, {KOEN_VALG[v.koen].lower()}. "
             "En SMR på 2 betyder dobbelt så mange dødsfald som i befolkningen med samme alder og køn."]
    notes.extend(res.noter)
    if res.syntetisk and res.sandhed:
        notes.append(k.syntetisk_note("Den plantede sandhed (dødeligheden, generatoren har lagt ind) vises kun, fordi "
                                      "data er syntetiske, så man kan se, hvor godt metoden rammer."))
    elif res.syntetisk:
        notes.append(k.syntetisk_note())
    notes.append(res.kildelinje)
    # the same figures as a published table (machine-readable copy for the audit; the page is unchanged)
    return publicer("noegletal", k.noegletal_tabel(kort), personhenfoerbar=True, antal_kolonner=[kort[1].label],
                    kilde=res.kildelinje, geografi=geografi_metadata(v), html=k.noegletal_html(kort, notes))


#: The note under the age chart when an age group of a series is hidden (why the line breaks there).
ALDER_SKJULT_NOTE = ("Linjen er brudt ved aldersgrupper, hvis tal er skjult af diskretionshensyn (1–4 dødsfald, "
                     "eller skjult for at beskytte et sådant tal); ▽ på aksen markerer dem.")
#: The note when a series has age groups without deaths (a log scale has no 0).
ALDER_NUL_NOTE = "Aldersgrupper uden dødsfald kan ikke vises på den logaritmiske skala; linjen er brudt der."


def _serie_farve(serie: str) -> str:
    return (plots.PALETTE[0] if serie == "Hele befolkningen" else
            plots.PALETTE[2] if serie == "Målgruppen, hele landet" else plots.PALETTE[3])


def figur_aldersdoedelighed(res: Resultat):
    """Deaths per 1,000 person-years by age group (log scale): target group against the population.

    A series breaks at a hidden age group (``<5`` or ``x``), which gets a marker on the axis and a note saying
    why; an age group without deaths is a gap too (a log scale has no 0), with its own note."""
    order = {g: i for i, g in enumerate(mortality.AGE_GROUPS)}
    groups = [g for g in mortality.AGE_GROUPS if order[g] >= 3]
    x = {g: i for i, g in enumerate(groups)}
    d = res.aldersrater[res.aldersrater["aldersgruppe"].isin(groups)].copy()
    d["skjult"] = d["skjult"].fillna(False).astype(bool) if "skjult" in d else False
    d["pr_1000"] = pd.to_numeric(d["pr_1000"], errors="coerce").astype(float)
    nul = ~d["skjult"] & ~(d["pr_1000"] > 0)  # no deaths (or no person-years): nothing on a log scale
    d.loc[nul, "pr_1000"] = np.nan
    d["x"] = d["aldersgruppe"].map(x).astype(float)
    series = list(pd.unique(d["Serie"]))
    fig = plots.line_plot(d, x="x", y="pr_1000", hue="Serie",
                          title=f"Dødelighed efter alder, {res.valg.omraade.navn} "
                                f"({KOEN_VALG[res.valg.koen].lower()})",
                          xlabel="Aldersgruppe", ylabel="Døde pr. 1.000 personår (logaritmisk skala)",
                          kilde=[res.kilde, REFERENCE_KILDE], synthetic=res.syntetisk, years=False,
                          skjult="skjult", legend_title="", farver={s: _serie_farve(s) for s in series})
    ax = fig.axes[0]
    if np.isfinite(d["pr_1000"]).any():
        ax.set_yscale("log")
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: fmt.fmt_int(v) if v >= 1 else fmt.fmt_dec(v, 2)))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=60)
    ax.set_xlim(-0.5, len(groups) - 0.5)
    shown_series = d.groupby("Serie", sort=False)["pr_1000"].apply(lambda s: np.isfinite(s).any())
    if d["skjult"].any():
        plots.tilfoej_note(fig, ALDER_SKJULT_NOTE)
    if (nul & d["Serie"].map(shown_series)).any():
        plots.tilfoej_note(fig, ALDER_NUL_NOTE)
    return fig


def figur_overlevelse(res: Resultat):
    """Share still alive at each age, from age LYL_ALDER: the target group against the population."""
    fig, ax = plots.new_figure(f"Overlevelse fra {LYL_ALDER} år, {res.valg.omraade.navn}", "Alder",
                               "Andel i live (%)", [res.kilde, REFERENCE_KILDE], synthetic=res.syntetisk)
    colours = {"M": plots.PALETTE[3], "K": plots.PALETTE[4]}
    for serie, part in res.overlevelse.groupby("Serie", sort=False):
        koen = "M" if serie.startswith(KOEN_NAVN["M"]) else "K"
        dashed = "befolkningen" in serie
        ax.plot(part["alder"], part["overlevelse"] * 100, color=colours[koen], linestyle="--" if dashed else "-",
                linewidth=2, label=serie)
    plots.danish_axis(ax, "y", decimals=0)
    if len(res.overlevelse):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def figur_tragt(res: Resultat):
    """Funnel plot: every kommune's SMR against its expected deaths, the chosen kommune(r) highlighted."""
    t = res.tragt
    fig, ax = plots.new_figure(
        f"SMR for alle kommuner ({KOEN_VALG[res.valg.koen].lower()}, {res.valg.startaar}–{res.valg.slutaar})",
        "Forventede dødsfald (logaritmisk skala)", "SMR", [res.kilde, REFERENCE_KILDE], synthetic=res.syntetisk)
    if len(t):
        grid = np.exp(np.linspace(np.log(max(t["forventede"].min() * 0.8, 0.5)),
                                  np.log(t["forventede"].max() * 1.2), 200))
        lim = mortality.funnel_limits(grid, target=res.tragt_niveau)
        ax.plot(grid, lim["oevre_95"], color="#555555", linestyle="--", linewidth=1, label="95 %-grænser")
        ax.plot(grid, lim["nedre_95"], color="#555555", linestyle="--", linewidth=1)
        ax.plot(grid, lim["oevre_998"], color="#000000", linestyle=":", linewidth=1, label="99,8 %-grænser")
        ax.plot(grid, lim["nedre_998"], color="#000000", linestyle=":", linewidth=1)
        ax.axhline(res.tragt_niveau, color="#555555", linewidth=0.8,
                   label=f"Målgruppen i hele landet ({fmt.fmt_dec(res.tragt_niveau, 2)})")
        other = t[~t["valgt"]]
        ax.scatter(other["forventede"], other["smr"], s=18, color=plots.PALETTE[1], alpha=0.8, label="Kommuner")
        chosen = t[t["valgt"]]
        if len(chosen):
            label = (res.valg.omraade.navn if len(chosen) == 1 else
                     f"Kommuner i {res.valg.omraade.navn}" if res.valg.omraade.enkelt is not None
                     else "Valgte kommuner")
            ax.scatter(chosen["forventede"], chosen["smr"], s=70, color=plots.PALETTE[4], edgecolor="black",
                       zorder=5, label=label)
            if len(chosen) <= 3:  # names only where they stay readable
                for _, r in chosen.iterrows():
                    ax.annotate(r["kommune_navn"], (r["forventede"], r["smr"]), xytext=(5, 5),
                                textcoords="offset points", fontsize=plots.MIN_FONTSIZE)
        ax.set_xscale("log")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: fmt.fmt_dec(v, 1)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: fmt.fmt_int(v)))
    return fig


def vis_tragt_note(res: Resultat):
    """A line under the funnel plot: what is hidden and whether the chosen kommune is shown."""
    from IPython.display import HTML

    parts = []
    if res.tragt_skjult:
        parts.append(f"{res.tragt_skjult} kommuner med 1–4 dødsfald (eller skjult af hensyn til dem) er ikke vist.")
    chosen = res.tragt[res.tragt["valgt"]]
    if not res.valg.omraade.er_landet and len(chosen) < len(res.valg.omraade.kommune_koder):
        parts.append("En eller flere af de valgte kommuner er ikke vist af hensyn til diskretionering.")
    over = int((res.tragt["uden_for_998"] == "over").sum())
    parts.append(f"{over} kommuner ligger over den øvre 99,8 %-grænse.")
    return HTML(f'<p class="vd-note">{" ".join(parts)} {res.kildelinje}</p>')


def vis_tabel(res: Resultat):
    """Deaths, person-years, expected deaths and SMR by sex (a published table with its source line);
    with one sex chosen, that sex's row alone."""
    t = tabel_vist(res)
    shown = pd.DataFrame({
        "Køn": t["koen"].map(KOEN_NAVN),
        "Døde": [k.vist_antal(a, u, p) for a, u, p in zip(t["doede"], t["undertrykt"], t["primaer"])],
        "Personår": [fmt.fmt_int(round(x)) for x in t["personaar"]],
        "Forventede døde": [fmt.fmt_dec(x, 1) for x in t["forventede"]],
        "SMR (95 %-KI)": [fmt.MISSING if pd.isna(s) else fmt.fmt_interval(s, lo, hi, decimals=2)
                          for s, lo, hi in zip(t["smr"], t["nedre"], t["oevre"])],
    })
    page = k.tabel_html(shown) + k.noter_html([
        f"{res.kildelinje} {k.diskretionering_note('døde')} Forventede døde: hvis målgruppen døde "
        "som befolkningen med samme alder, køn og kalenderår."])
    total = KOEN_NAVN["alle"] if res.valg.koen == "alle" else None
    return publicer("tabel", shown, personhenfoerbar=True, antal_kolonner=["Døde"], total_raekke=total,
                    kilde=res.kildelinje, geografi=geografi_metadata(res.valg), html=page)


def vis_leveaar(res: Resultat):
    """Excess life-years lost and the gap in life expectancy by sex (a published table)."""
    rows = []
    truth = res.sandhed if res.syntetisk and res.sandhed else None
    for koen in res.valg.koenner:  # the chosen sex(es) only
        planted = None if truth is None else truth.get(koen)
        for what, d, key in (("Tabte leveår ud over befolkningens", res.lyl.get(koen), "lyl"),
                             (f"Kortere restlevetid som {LYL_ALDER}-årig", res.levetid.get(koen), "levetid")):
            row = {"Køn": KOEN_NAVN[koen], "Mål": what, "År (95 %-KI)": _interval(d),
                   "Målgruppen": fmt.MISSING if d is None else fmt.fmt_dec(d["maalgruppe"], 1),
                   "Befolkningen": fmt.MISSING if d is None else fmt.fmt_dec(d["befolkning"], 1)}
            if truth is not None:
                row[SAND_KOLONNE] = fmt.MISSING if planted is None else fmt.fmt_dec(planted[key], 1)
            rows.append(row)
    shown = pd.DataFrame(rows)
    sand_note = "" if truth is None else (
        f" «{SAND_KOLONNE}»: den værdi, dødeligheden i de syntetiske data er dannet med (kun syntetiske data); "
        "95 %-intervallet bør indeholde den.")
    page = k.tabel_html(shown) + (
        f'<p class="vd-note">{res.kildelinje} Tabte leveår: mellem {LYL_ALDER} og 95 år; under «Målgruppen» og '
        "«Befolkningen» står deres tabte leveår. Restlevetid: forventet antal år tilbage for en "
        f"{LYL_ALDER}-årig; under «Målgruppen» og «Befolkningen» står deres forventede restlevetid. Befolkningen "
        "har samme fordeling på kalenderår som målgruppen (årsmatchet). "
        f"Vises kun for et køn med mindst {MIN_DOEDE_LYL} dødsfald.{sand_note}</p>")
    return publicer("leveaar", shown, personhenfoerbar=True, antal_kolonner=[], kilde=res.kildelinje,
                    geografi=geografi_metadata(res.valg), html=page)



def vis_sammenlign_kommuner(res: Resultat):
    """"Sammenlign kommuner": the indicator with its 95 % CI for the kommuner of the area's region (and all 98),
    the chosen kommune highlighted, each against the country (a published table)."""
    return vis_kommuner_sammenlignet(kommuner_sammenlignet(res), res.valg, res.kildelinje)


def visning(geografi="Hele landet", startaar=None, slutaar=None, koen="alle", interaktiv=None):
    """The theme's view for a notebook: static report or live app (see :mod:`vidensdata.presentation.widgets`)."""
    from ..widgets import Kontrol, Visning

    first, last = data_years()
    params = {"geografi": geografi, "startaar": startaar, "slutaar": slutaar, "koen": koen}
    kontroller = [  # no period control: the period is the whole follow-up (themes.overdoedelighed.valider)
        *geografi_kontroller(),
        Kontrol("koen", "Køn", "dropdown", [(navn, kode) for kode, navn in KOEN_VALG.items()]),
    ]
    v = Visning(TEMA, params, kontroller, interaktiv_=interaktiv)
    if v.interaktiv:
        start_geografi(v.parametre, geografi)
        try:
            v.parametre["koen"] = normalise_koen(koen)
        except VidensdataError:
            v.parametre["koen"] = "alle"
        v.parametre["startaar"] = v.parametre["startaar"] or first
        v.parametre["slutaar"] = v.parametre["slutaar"] or last
    return v
