"""The apps' geography control, shared by every theme's drawing."""

from __future__ import annotations

from ... import geography
from ...errors import VidensdataError
from ...memo import Memo
from ...publish import rulle
from ..widgets import Kontrol


def geografi_kontroller() -> list[Kontrol]:
    """The geography control every theme app starts with: one area, plus optional extra kommuner."""
    return [Kontrol("geografi", "Geografi", "geografi")]


def start_geografi(parametre: dict, geografi) -> None:
    """The widgets' start area from a notebook's ``geografi`` (its one string form); an unknown or
    invalid area starts at the whole country."""
    try:
        parametre["geografi"] = geography.omraade(geografi).noegle
    except VidensdataError:
        parametre["geografi"] = geography.LAND_NAVN


def _sammenligning_tabel(t, sml, valgte: set[str]):
    """The compare table as shown (DataFrame of display strings) and its HTML (chosen rows highlighted)."""
    import html as _html

    import pandas as pd

    from ... import formatting as fmt
    from ...themes.sammenligning import TEKST
    from .. import komponenter as k

    shown = pd.DataFrame({
        "Kommune": t["kommune"].to_numpy(),
        sml.antal_label: [k.vist_antal(a, u, p) for a, u, p in zip(t["antal"], t["undertrykt"], t["primaer"])],
        "Værdi (95 %-KI)": [fmt.fmt_interval(v, lo, hi, decimals=sml.decimaler) if v == v else fmt.MISSING
                            for v, lo, hi in zip(t["vaerdi"], t["nedre"], t["oevre"])],
        "Sammenlignet med landet": [TEKST[v] for v in t["vurdering"]],
    })
    head = "".join(f'<th scope="col">{_html.escape(c)}</th>' for c in shown.columns)
    rows = []
    for (_, r), kode, vurdering in zip(shown.iterrows(), t["kommune_kode"], t["vurdering"]):
        chosen = kode in valgte
        cells = [f'<th scope="row">{_html.escape(r["Kommune"])}</th>']
        cells += [f"<td>{_html.escape(str(r[c]))}</td>" for c in shown.columns[1:3]]
        cells.append(f'<td><span class="vd-vurdering vd-v-{vurdering}">'
                     f'{_html.escape(r["Sammenlignet med landet"])}</span></td>')
        attr = ' class="vd-valgt" aria-current="true"' if chosen else ""
        rows.append(f"<tr{attr}>{''.join(cells)}</tr>")
    # a phone scrolls the table sideways (focusable, named region) instead of cutting off the verdicts
    page = rulle(f'<table class="vd-tabel vd-sml-tabel"><thead><tr>{head}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>', f"Tabel: {sml.indikator}")
    return shown, page


#: Charts of all 98 kommuner (no kommune highlighted): the same for every report of a theme and choice.
_ALLE_FIGURER: Memo[str] = Memo("sammenlign.alle", stoerrelse=16)


def _sammenligning_figur(sml, t, valgte: set[str], titel: str) -> str:
    from .. import plots
    from ..widgets import figur_html

    fig = plots.sammenligning_plot(t.assign(valgt=t["kommune_kode"].isin(valgte)), national=sml.land,
                                   national_label=sml.land_label, title=titel,
                                   xlabel=f"{sml.indikator} (95 %-konfidensinterval)", kilde=list(sml.kilde),
                                   synthetic=sml.syntetisk, decimals=sml.decimaler + 1)
    return figur_html(fig)


def _sammenligning_del(sml, t, valgte: set[str], titel: str) -> str:
    """Chart and table of the kommuner in ``t`` (the chart of all 98 highlights nothing and is memoised: the
    table under it highlights the chosen kommune)."""
    if len(t) == len(sml.tabel):
        key = (titel, sml.land, sml.land_label, sml.kilde, sml.syntetisk, sml.decimaler,
               tuple(map(tuple, t[["kommune_kode", "vaerdi", "nedre", "oevre", "vurdering"]].astype(str).to_numpy())))
        figur = _ALLE_FIGURER.hent(key, lambda: _sammenligning_figur(sml, t, set(), titel))
    else:
        figur = _sammenligning_figur(sml, t, valgte, titel)
    return figur + _sammenligning_tabel(t, sml, valgte)[1]


def _hvilke_kommuner(omr, t) -> str:
    """The compare view's first sentence: which kommuner it shows, and why, for the area chosen (the whole
    country has no region: all 98 at once; a region its own kommuner; kommuner the kommuner of their region)."""
    if omr.er_landet:
        return (f"Hele landet er valgt, så alle {len(t)} kommuner vises samlet. Vælg en region eller en kommune "
                "for at se kommunerne i én region.")
    regioner = [r for r in geography.regioner() if r.kode in omr.region_koder]
    navne = " og ".join(r.navn for r in regioner)
    n = int(t["region_kode"].isin(omr.region_koder).sum())
    if omr.enkelt is not None and omr.enkelt.niveau == "region":
        hvorfor = ""
    elif len(omr.dele) == 1:
        hvorfor = f", som {omr.navn} ligger i"
    else:
        hvorfor = ", som de valgte kommuner ligger i"
    return f"Her vises de {n} kommuner i {navne}{hvorfor}; under dem kan alle {len(t)} kommuner vises."


def vis_kommuner_sammenlignet(sml, valg, kildelinje: str):
    """The "Sammenlign kommuner" view: the indicator with its CI for the kommuner of the chosen area's
    region(s), sorted, the chosen kommune(r) highlighted, verdict colours and words, as a chart and a table;
    all 98 kommuner behind a disclosure widget (or directly for the whole country). Publishes the table of all
    98 kommuner (the region's rows are a subset of it), so the audit covers every cell shown."""
    import html as _html

    from ... import formatting as fmt
    from ...publish import publicer
    from ...themes.common import geografi_metadata
    from .. import komponenter as k

    omr = valg.omraade
    t = sml.tabel
    valgte = set() if omr.er_landet else set(omr.kommune_koder)
    skjult = int(t["undertrykt"].sum())
    intro = (f'<p class="vd-note">{_html.escape(_hvilke_kommuner(omr, t))} '
             f"{_html.escape(sml.indikator)} med 95 %-konfidensinterval, sorteret fra højest "
             f"til lavest. Den stiplede linje er {_html.escape(sml.land_label.lower())} "
             f"({fmt.fmt_dec(sml.land, sml.decimaler + 1)}). Farve og figur viser sammenligningen med landet: "
             "▲ højere, ● som landet, ▼ lavere, ○ ikke vurderet. "
             + ("Den valgte kommune er fremhævet med ◆, ▶ og fed skrift i figuren over regionen og med fed skrift "
                "og ramme i tabellerne. " if valgte else "")
             + "</p>")
    if omr.er_landet:
        body = _sammenligning_del(sml, t, valgte, f"{sml.indikator}, alle kommuner")
    else:
        region = t[t["region_kode"].isin(omr.region_koder)]
        names = ", ".join(r.navn for r in geography.regioner()
                          if r.kode in omr.region_koder)
        body = (_sammenligning_del(sml, region, valgte, f"{sml.indikator}, kommunerne i {names}")
                + '<details><summary>Vis alle 98 kommuner</summary>'
                + _sammenligning_del(sml, t, valgte, f"{sml.indikator}, alle kommuner") + "</details>")
    # plain words for the leader; how the interval is computed is one click away (and in the method section)
    note = (f"{kildelinje} Vurderingen: højere eller lavere end landet, når hele kommunens 95 %-konfidensinterval "
            "(det interval, tallet med stor sikkerhed ligger i) ligger over eller under landets værdi; ellers som "
            "landet. "
            + (f"{skjult} kommuner vises uden værdi og vurdering, fordi antallet er under 5 eller skjult "
               "(diskretionering). " if skjult else "")
            + k.diskretionering_note())
    shown, _ = _sammenligning_tabel(t, sml, valgte)
    metode = (f'<details class="vd-metode"><summary>Sådan er intervallet beregnet</summary>'
              f'<p class="vd-note">{_html.escape(sml.metode)}</p></details>')
    page = k.STIL + f'<div class="vd-sml">{intro}{body}{k.noter_html([note])}{metode}</div>'
    return publicer("sammenlign", shown, personhenfoerbar=True, antal_kolonner=[sml.antal_label],
                    kilde=kildelinje, geografi=geografi_metadata(valg), html=page)
