"""The reports' landing page ``reports/index.html``: find a kommune, a region or the whole country.

* a type-ahead search (plain JavaScript in the page, no outside request) over Hele landet, the
  5 regions and the 98 kommuner: names in any case, with or without "Kommune"/"Region", with
  æ/ø/å or ae/oe/aa, and the official genitive names ("Københavns Kommune", "Bornholms
  Regionskommune") as :mod:`vidensdata.geography` reads them; each hit lists the area's profile
  (kommuner), its three theme reports and the three apps with the area chosen; Enter opens the first hit's main page;
* the kommuner grouped by region, and on a map (each kommune a link to its profile);
* links to the whole country's and the regions' reports, and to the apps.

Parameters and git commits are not listed here: each report says them in its "Om rapporten".
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import urlencode

from .. import geography
from ..config import app_url
from .export import CSS

STIL = """
main{max-width:1100px}
.vd-soeg label{display:block;font-weight:600;font-size:1.1em;margin-bottom:0.3em}
.vd-soeg input{width:100%;max-width:32em;box-sizing:border-box;font-size:1.1em;padding:0.5em 0.6em;
border:2px solid #5f6b7a;border-radius:6px}
.vd-soeg input:focus{outline:3px solid #0b57a4;outline-offset:1px}
#vd-hits{list-style:none;padding:0;margin:0.6em 0}
#vd-hits>li{border:1px solid #5f6b7a;border-radius:6px;padding:0.6em 0.8em;margin:0 0 0.5em 0}
#vd-hits .vd-hit-navn{font-size:1.15em;font-weight:600}
.vd-hit-art{color:#333;font-size:0.9em}
.vd-hit-links{margin:0.3em 0 0 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:0.2em 1em;font-size:0.95em}
.vd-regioner{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:0 2em}
.vd-regioner ul{columns:2;column-gap:1.5em;padding-left:0;list-style:none;margin:0.3em 0 1em 0}
.vd-regioner li{break-inside:avoid;padding:0.1em 0}
.vd-regioner h3{margin:0.8em 0 0.2em 0}
.vd-tema-links{padding-left:1.2em}
.vd-tema-links li{margin:0.3em 0}
.vd-fod{margin-top:2em;border-top:1px solid #ccc;padding-top:0.5em;font-size:0.9em;color:#333}
.vd-apps-link{font-weight:600}
@media (max-width:600px){body{margin:1em auto} h1{font-size:1.5em}}
"""

SCRIPT = r"""
(function () {
  var data = JSON.parse(document.getElementById('vd-omraader').textContent);
  function norm(s) {
    s = s.toLowerCase().replace(/æ/g, 'ae').replace(/ø/g, 'oe').replace(/å/g, 'aa').replace(/é/g, 'e')
         .replace(/['\u2019]/g, '').replace(/[\s\-_.,]+/g, ' ').trim();
    s = s.replace(/ (regions)?kommune$/, '').replace(/^kommune /, '').replace(/^region /, '').replace(/ region$/, '');
    return s.trim();
  }
  // the genitive of an official name: "Københavns Kommune", "Bornholms Regionskommune" (as geography._uden_genitiv)
  function udenGenitiv(q) { return q.length > 3 && q.slice(-1) === 's' ? q.slice(0, -1) : null; }
  data.forEach(function (d) { d.n = norm(d.navn); d.alias = (d.alias || []).map(norm); });
  var input = document.getElementById('vd-soeg'), hits = document.getElementById('vd-hits'),
      status = document.getElementById('vd-soeg-status');
  function esc(s) { var e = document.createElement('span'); e.textContent = s; return e.innerHTML; }
  function score(d, q) {
    var names = [d.n].concat(d.alias), best = 0, g = d.kommune ? udenGenitiv(q) : null;
    names.forEach(function (n) {
      if (n === q) best = Math.max(best, 4);
      else if (n === g) best = Math.max(best, 3);
      else if (n.indexOf(q) === 0) best = Math.max(best, 2);
      else if (n.indexOf(' ' + q) >= 0 || (q.length > 2 && n.indexOf(q) > 0)) best = Math.max(best, 1);
    });
    return best;
  }
  function render(q) {
    q = norm(q);
    if (!q) { hits.innerHTML = ''; status.textContent = ''; return; }
    var found = data.map(function (d) { return [score(d, q), d]; }).filter(function (x) { return x[0] > 0; })
      .sort(function (a, b) { return b[0] - a[0] || a[1].orden - b[1].orden; }).slice(0, 8);
    hits.innerHTML = found.map(function (x) {
      var d = x[1];
      var links = d.links.map(function (l) { return '<li><a href="' + esc(l[1]) + '">' + esc(l[0]) + '</a></li>'; });
      return '<li><a class="vd-hit-navn" href="' + esc(d.hoved) + '">' + esc(d.visning) + '</a> ' +
        '<span class="vd-hit-art">' + esc(d.art) + '</span><ul class="vd-hit-links">' + links.join('') + '</ul></li>';
    }).join('');
    status.textContent = found.length ? found.length + (found.length === 1 ? ' område fundet' : ' områder fundet')
                                      : 'Ingen områder passer til søgningen.';
  }
  input.addEventListener('input', function () { render(input.value); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') {
      var first = hits.querySelector('a.vd-hit-navn');
      if (first) { e.preventDefault(); window.location.href = first.getAttribute('href'); }
    }
  });
  if (input.value) render(input.value);
})();
"""


def _app(tema_fil: str, navn: str) -> str:
    return f"{app_url()}voila/render/{tema_fil}?{urlencode({'geografi': navn})}"


def _omraader(temaer) -> list[dict]:
    """The search index: every area with its main page and its links."""
    out = []
    reg = {r.kode: r.navn for r in geography.regioner()}
    for i, g in enumerate(geography.report_geographies()):
        links = [(f"Rapport: {t.titel}", f"{t.navn}/{g.slug}.html") for t in temaer]
        links += [(f"App: {t.titel}", _app(t.notebook.name, g.navn)) for t in temaer]
        if g.niveau == "kommune":
            hoved = f"profil/{g.slug}.html"
            links.insert(0, ("Kommuneprofil", hoved))
            art, visning = f"Kommune i {reg.get(g.region_kode, '')}", f"{g.navn} Kommune"
        elif g.niveau == "region":
            hoved, art, visning = links[0][1], "Region", g.navn
        else:
            hoved, art, visning = links[0][1], "Hele landet", g.navn
        alias = [g.kode, *geography.andre_navne(g)]
        if g.niveau == "land":
            alias += ["Danmark", "landet"]
        out.append({"navn": g.navn, "visning": visning, "art": art, "hoved": hoved, "links": links, "orden": i,
                    "alias": alias, "kommune": g.niveau == "kommune"})
    return out


def _regioner_html(temaer) -> str:
    esc = html.escape
    parts = []
    for r in geography.regioner():
        kom = sorted((g for g in geography.kommuner() if g.region_kode == r.kode), key=lambda g: g.navn)
        items = "".join(f'<li><a href="profil/{g.slug}.html">{esc(g.navn)}</a></li>' for g in kom)
        rap = " · ".join(f'<a href="{t.navn}/{r.slug}.html">{esc(t.titel)}</a>' for t in temaer)
        parts.append(f'<section aria-labelledby="vd-r-{r.kode}"><h3 id="vd-r-{r.kode}">{esc(r.navn)}</h3>'
                     f'<p class="vd-note">Regionens rapporter: {rap}</p><ul>{items}</ul></section>')
    return f'<div class="vd-regioner">{"".join(parts)}</div>'


def _landet_html(temaer) -> str:
    esc = html.escape
    land = geography.land()
    items = "".join(
        f'<li><a href="{t.navn}/{land.slug}.html">{esc(t.titel)}</a> – {esc(t.spoergsmaal)} '
        f'(<a href="{esc(_app(t.notebook.name, land.navn))}">app</a>)</li>' for t in temaer)
    return f'<ul class="vd-tema-links">{items}</ul>'


def side(output: Path, koersel: str = "") -> str:
    """The landing page's HTML (``koersel``: a Danish line about the last run, shown in the footer)."""
    from ..presentation import kort
    from ..themes import til_stede

    temaer = til_stede()
    esc = html.escape
    data = json.dumps(_omraader(temaer), ensure_ascii=False).replace("</", "<\\/")
    kort_html = kort.oversigt(href=lambda kode: f"profil/{geography.resolve_one(kode).slug}.html",
                              titel="Kommunerne på kortet: vælg en kommune for at se dens profil")
    syntetisk = ('<p class="vd-syntetisk">Tal fra registerudtrækket er syntetiske (demo), medmindre rapporten '
                 "siger andet.</p>")
    return f"""<!DOCTYPE html>
<html lang="da">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vidensdata – tal om socialpsykiatri for din kommune</title>
<style>{CSS}{STIL}</style></head>
<body>
<header><h1>vidensdata – tal om socialpsykiatri for din kommune</h1>
<p>Find din kommune eller region og se, hvor mange der modtager sociale ydelser, hvor meget højere dødeligheden er
i målgruppen, og hvor stor målgruppen anslås at være – sammenlignet med regionen og hele landet.</p>
{syntetisk}
<p><a class="vd-apps-link" href="{esc(app_url())}">Gå til apps</a>, hvor du selv vælger geografi, år og ydelser.</p>
</header>
<main>
<section class="vd-soeg" role="search" aria-labelledby="vd-soeg-label">
<h2 id="vd-soeg-label">Find en kommune eller region</h2>
<label for="vd-soeg">Skriv et navn, fx Læsø, Aarhus eller Region Sjælland</label>
<input id="vd-soeg" type="search" autocomplete="off" spellcheck="false" aria-describedby="vd-soeg-hjaelp"
 aria-controls="vd-hits">
<p id="vd-soeg-hjaelp" class="vd-note">Forslagene kommer, mens du skriver. Tryk Enter for at åbne det første.</p>
<p id="vd-soeg-status" class="vd-note" role="status" aria-live="polite"></p>
<ul id="vd-hits"></ul>
</section>
<section aria-labelledby="vd-landet"><h2 id="vd-landet">Hele landet</h2>{_landet_html(temaer)}</section>
<section aria-labelledby="vd-kommuner"><h2 id="vd-kommuner">Kommunerne efter region</h2>
<p>Hver kommune har en profil med hovedtallene fra alle tre temaer, links til temarapporterne og apps, og en
PDF-udgave til print.</p>
{_regioner_html(temaer)}</section>
<section aria-labelledby="vd-kortet"><h2 id="vd-kortet">Kort</h2>{kort_html}</section>
</main>
<footer class="vd-fod"><p>Hver rapport slutter med afsnittet «Om rapporten» om data, parametre og programversion.
{esc(koersel)}</p></footer>
<script type="application/json" id="vd-omraader">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
