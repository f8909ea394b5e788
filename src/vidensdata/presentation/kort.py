"""Maps of the 98 kommuner as inline SVG: a choropleth of one indicator, or a small map locating a kommune.

The geometry is the committed snapshot ``kommuner_kort.geojson`` (DAGI boundaries simplified
with shapely, see ``scripts/kortgeometri.py`` and ``data/snapshots/manifest.json``), projected
once per process to SVG paths (Bornholm in an inset box). Every kommune is an SVG link
(``<a href=… data-kommune-kode="101" aria-label="København: 10,6">``) with a ``<title>``,
so the map works with a keyboard and a screen reader. In a report a kommune links to its
report; in an app the page template turns a click, or Enter on a focused kommune, into choosing
it (a deep link ``?geografi=<code>``).

* Colours: a sequential, colour-blind-safe ColorBrewer scale (YlGnBu, 5 classes); the
  classes are quintiles of the kommuner's values, listed in the legend with their ranges.
* Suppressed kommuner (no value shown: too few persons) are hatched, with their own legend entry.
* Every map carries the source of the boundaries (:data:`KILDE`) and of the values.

>>> html = choropleth({"101": 10.6, ...}, titel="…", enhed="pr. 1.000 indbyggere", decimaler=1, kilde="Kilde: …")
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable, Mapping

from .. import formatting as fmt
from .. import geography

#: Credit for the boundaries, under every map.
KILDE = "Kommunegrænser: DAGI, Styrelsen for Dataforsyning og Infrastruktur"
GEOMETRI = "kommuner_kort.geojson"
#: ColorBrewer YlGnBu, 5 classes (colour-blind safe, prints in grey scale), light = low.
FARVER = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
SKJULT_FARVE = "#ffffff"
KANT = "#5f6b7a"
BREDDE = 600  # SVG user units of the full map's width
_LAT0, _LON0 = 56.0, 10.5
_KX = 111.32 * math.cos(math.radians(_LAT0))
_KY = 110.57
#: Bornholm (400) is moved into an inset box north-east of Zealand, by this many km (x, y).
_BORNHOLM, _BORNHOLM_FLYT = "400", (-205.0, 245.0)

STIL = """<style>
.vd-landkort{margin:1em 0;max-width:640px}
.vd-landkort svg{width:100%;height:auto;display:block}
.vd-landkort a path{stroke:#5f6b7a;stroke-width:0.6;vector-effect:non-scaling-stroke}
.vd-landkort a:hover path,.vd-landkort a:focus path{stroke:#000;stroke-width:2.5}
.vd-landkort a:focus{outline:none}
.vd-landkort a:focus-visible path{stroke:#000;stroke-width:3}
.vd-landkort .vd-kort-valgt{fill:none;stroke:#000;stroke-width:2.5;vector-effect:non-scaling-stroke;pointer-events:none}
.vd-kort-forklaring{list-style:none;padding:0;margin:0.5em 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:0.9em}
.vd-kort-forklaring li{display:flex;align-items:center;gap:6px}
.vd-kort-felt{display:inline-block;width:1.4em;height:1em;border:1px solid #5f6b7a}
.vd-kort-skjult{background:repeating-linear-gradient(45deg,#fff 0 3px,#5f6b7a 3px 4px)}
.vd-landkort figcaption{font-weight:600}
.vd-kort-lille{max-width:280px}
.vd-landkort .vd-note{font-size:0.85em;color:#333;margin:2px 0}
</style>"""



@functools.lru_cache(maxsize=1)
def _geometri() -> tuple[dict[str, list[list[tuple[float, float]]]], tuple[float, float, float, float]]:
    """Rings per kommune in km (y up), Bornholm moved; and the bounding box (xmin, ymin, xmax, ymax)."""
    from ..snapshots import read_json_snapshot

    doc = read_json_snapshot(GEOMETRI)
    rings: dict[str, list] = {}
    for f in doc["features"]:
        kode = f["properties"]["kode"]
        dx, dy = _BORNHOLM_FLYT if kode == _BORNHOLM else (0.0, 0.0)
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                rings.setdefault(kode, []).append([((x - _LON0) * _KX + dx, y * _KY - _LAT0 * _KY + dy)
                                                   for x, y in ring])
    xs = [p[0] for rs in rings.values() for r in rs for p in r]
    ys = [p[1] for rs in rings.values() for r in rs for p in r]
    return rings, (min(xs), min(ys), max(xs), max(ys))


@functools.lru_cache(maxsize=4)
def _stier(bredde: int) -> tuple[dict[str, str], int, tuple[float, float, float, float]]:
    """SVG path data per kommune at ``bredde`` units wide (integers, relative moves), the height, and the
    inset box of Bornholm in the same units."""
    rings, (x0, y0, x1, y1) = _geometri()
    pad = 4
    s = (bredde - 2 * pad) / (x1 - x0)
    hoejde = int(round((y1 - y0) * s + 2 * pad))

    def pt(p):
        return int(round((p[0] - x0) * s + pad)), int(round((y1 - p[1]) * s + pad))

    out = {}
    for kode, rs in rings.items():
        parts = []
        for ring in rs:
            pts = [pt(p) for p in ring]
            d = [f"M{pts[0][0]} {pts[0][1]}"]
            prev = pts[0]
            rel = []
            for p in pts[1:]:
                if p != prev:
                    rel.append(f"{p[0] - prev[0]} {p[1] - prev[1]}")
                    prev = p
            if len(rel) >= 2:
                parts.append(d[0] + "l" + " ".join(rel) + "z")
        out[kode] = "".join(parts).replace(" -", "-")
    bx = [pt(p) for r in rings[_BORNHOLM] for p in r]
    box = (min(p[0] for p in bx) - 8, min(p[1] for p in bx) - 8, max(p[0] for p in bx) + 8,
           max(p[1] for p in bx) + 8)
    return out, hoejde, box


def klasser(vaerdier: list[float], n: int = len(FARVER)) -> list[float]:
    """Upper limits of ``n`` quantile classes (the last is the maximum); fewer when values repeat."""
    v = sorted(x for x in vaerdier if x is not None and not math.isnan(x))
    if not v:
        return []
    grænser = []
    for i in range(1, n + 1):
        q = v[min(len(v) - 1, max(0, math.ceil(i * len(v) / n) - 1))]
        if not grænser or q > grænser[-1]:
            grænser.append(q)
    return grænser


def _klasse(x: float, grænser: list[float]) -> int:
    for i, g in enumerate(grænser):
        if x <= g:
            return i
    return len(grænser) - 1


def _farve(i: int, n: int) -> str:
    # spread fewer classes over the whole scale
    return FARVER[0] if n <= 1 else FARVER[round(i * (len(FARVER) - 1) / (n - 1))]


def _svg(fyld: Mapping[str, str], etiket: Mapping[str, str], href: Callable[[str], str | None],
         valgt: tuple[str, ...], bredde: int, titel: str) -> str:
    stier, hoejde, box = _stier(bredde)
    navne = {g.kode: g.navn for g in geography.kommuner()}
    pid = "vd-skravering"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {bredde} {hoejde}" '
             f'aria-label="{html.escape(titel)}" role="group">',
             f'<defs><pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
             '<line x1="0" y1="0" x2="0" y2="6" stroke="#5f6b7a" stroke-width="2"/></pattern></defs>',
             f'<rect x="{box[0]}" y="{box[1]}" width="{box[2] - box[0]}" height="{box[3] - box[1]}" fill="none" '
             f'stroke="{KANT}" stroke-width="1" stroke-dasharray="4 3"/>']
    for kode in sorted(stier, key=lambda k: navne.get(k, k)):
        tekst = html.escape(etiket.get(kode, navne.get(kode, kode)))
        f = fyld.get(kode, SKJULT_FARVE)
        f = f"url(#{pid})" if f == "skjult" else f
        link = href(kode)
        attr = f' href="{html.escape(link)}"' if link else ""
        parts.append(f'<a{attr} data-kommune-kode="{kode}" aria-label="{tekst}"><title>{tekst}</title>'
                     f'<path d="{stier[kode]}" fill="{f}"/></a>')
    for kode in valgt:
        if kode in stier:
            parts.append(f'<path class="vd-kort-valgt" d="{stier[kode]}" aria-hidden="true"/>')
    parts.append("</svg>")
    return "".join(parts)


def choropleth(vaerdier: Mapping[str, float | None], *, titel: str, enhed: str, decimaler: int, kilde: str,
               href: Callable[[str], str | None] = lambda kode: None, valgt=(), bredde: int = BREDDE,
               tekster: Mapping[str, str] | None = None) -> str:
    """A choropleth of one value per kommune code (None/NaN: suppressed, drawn hatched), as an HTML figure.

    ``href(kode)`` gives each kommune's link (e.g. its report), ``valgt`` the codes outlined,
    ``tekster`` the value as shown per kode (default: the value in Danish format).
    """
    navne = {g.kode: g.navn for g in geography.kommuner()}
    ok = {k: float(v) for k, v in vaerdier.items() if v is not None and not math.isnan(float(v))}
    grænser = klasser(list(ok.values()))
    fyld, etiket = {}, {}
    for kode, navn in navne.items():
        if kode in ok:
            fyld[kode] = _farve(_klasse(ok[kode], grænser), len(grænser))
            shown = (tekster or {}).get(kode) or fmt.fmt_dec(ok[kode], decimaler)
            etiket[kode] = f"{navn}: {shown} {enhed}"
        else:
            fyld[kode] = "skjult"
            etiket[kode] = f"{navn}: skjult (for få personer) eller ingen værdi"
    svg = _svg(fyld, etiket, href, tuple(valgt), bredde, f"Kort: {titel}")
    items, lo = [], min(ok.values()) if ok else None
    for i, g in enumerate(grænser):
        fra = lo if i == 0 else grænser[i - 1]
        rng = f"{fmt.fmt_dec(fra, decimaler)}–{fmt.fmt_dec(g, decimaler)}"
        n = sum(1 for v in ok.values() if _klasse(v, grænser) == i)
        items.append(f'<li><span class="vd-kort-felt" style="background:{_farve(i, len(grænser))}" '
                     f'aria-hidden="true"></span>{"over " if i else ""}{rng} ({fmt.fmt_int(n)} kommuner)</li>')
    skjulte = len(navne) - len(ok)
    items.append('<li><span class="vd-kort-felt vd-kort-skjult" aria-hidden="true"></span>'
                 f"Skjult eller ingen værdi ({fmt.fmt_int(skjulte)} kommuner)</li>")
    forklaring = (f'<ul class="vd-kort-forklaring" aria-label="Farveforklaring">{"".join(items)}</ul>'
                  f'<p class="vd-note">Farverne deler kommunerne i {len(grænser)} lige store grupper efter værdien '
                  f"({enhed}; kvintiler): lys er lav, mørk er høj. Skraverede kommuner har for få personer til at "
                  "tallet kan vises. Klik på en kommune for at se dens tal. Bornholm er vist i den stiplede boks.</p>")
    return (f'{STIL}<figure class="vd-landkort"><figcaption>{html.escape(titel)}</figcaption>{svg}{forklaring}'
            f'<p class="vd-note">{html.escape(kilde)}</p><p class="vd-note">{html.escape(KILDE)}</p></figure>')


def lokalisering(kode: str, *, href: Callable[[str], str | None] = lambda k: None, bredde: int = 300) -> str:
    """A small map locating one kommune (dark) among the others (light grey), with the source credit."""
    navne = {g.kode: g.navn for g in geography.kommuner()}
    fyld = {k: ("#253494" if k == kode else "#e6e8eb") for k in navne}
    etiket = {k: navn for k, navn in navne.items()}
    navn = navne.get(kode, kode)
    svg = _svg(fyld, etiket, href, (kode,), bredde, f"Kort: {navn}s placering")
    return (f'{STIL}<figure class="vd-landkort vd-kort-lille"><figcaption>{html.escape(navn)} på kortet'
            f'</figcaption>{svg}<p class="vd-note">{html.escape(KILDE)}</p></figure>')


__all__ = ["KILDE", "FARVER", "STIL", "klasser", "choropleth", "lokalisering"]


def temakort(tema: str) -> Callable:
    """The map section of a theme (``visning.vis(kort.temakort("serviceudvikling"))``): the theme's headline
    indicator (:mod:`vidensdata.themes.profil`) over the 98 kommuner, the chosen area outlined. Each kommune links
    to its report beside this one; the apps' page template turns a click (or Enter) into choosing that kommune
    (a deep link), so the same HTML serves reports, apps and the view cache."""
    from IPython.display import HTML

    from ..themes import profil

    def render(res) -> str:
        v = profil.kommunevaerdier(tema)
        dec = int(v["decimaler"].iloc[0])
        vaerdier = dict(zip(v["kommune_kode"], v["vaerdi"]))
        slugs = {g.kode: g.slug for g in geography.kommuner()}

        def href(kode: str) -> str:  # the apps' page turns a click into choosing the kommune (app_template)
            return f"{slugs[kode]}.html"

        omr = res.valg.omraade
        valgt = () if omr.er_landet else omr.kommune_koder
        titel = f"{v['label'].iloc[0]}, alle kommuner"
        return HTML(choropleth(vaerdier, titel=titel, enhed=profil.ENHED[tema], decimaler=dec,
                               kilde=res.kildelinje, href=href, valgt=valgt))

    render.__name__ = f"kort_{tema}"
    return render


__all__ += ["temakort"]

#: Light fills of the five regions (Okabe–Ito hues, lightened), for the overview map.
REGION_FARVER = {"081": "#cfe3f3", "082": "#fbe0bd", "083": "#cdebe0", "084": "#f6d5e6", "085": "#f1eca8"}


def oversigt(*, href: Callable[[str], str | None], titel: str = "Kommunerne på kortet", bredde: int = BREDDE) -> str:
    """The 98 kommuner coloured by region, each a link (e.g. to its profile), with the region legend."""
    kom = geography.kommuner()
    fyld = {g.kode: REGION_FARVER.get(g.region_kode, "#eee") for g in kom}
    reg = {r.kode: r.navn for r in geography.regioner()}
    etiket = {g.kode: f"{g.navn} ({reg.get(g.region_kode, '')})" for g in kom}
    svg = _svg(fyld, etiket, href, (), bredde, titel)
    items = "".join(f'<li><span class="vd-kort-felt" style="background:{REGION_FARVER[k]}" aria-hidden="true">'
                    f"</span>{html.escape(n)}</li>" for k, n in reg.items() if k in REGION_FARVER)
    return (f'{STIL}<figure class="vd-landkort"><figcaption>{html.escape(titel)}</figcaption>{svg}'
            f'<ul class="vd-kort-forklaring" aria-label="Regioner">{items}</ul>'
            f'<p class="vd-note">{html.escape(KILDE)}</p></figure>')


__all__ += ["REGION_FARVER", "oversigt"]
