"""The kernel-less app page, ``vis/<tema>``: a theme's view served straight from the view cache.

A Voila page needs a kernel of its own and a JupyterLab frontend (~2-3 s of a core in the user's
browser, plus a kernel on the server) before its widgets work. Most visits only read one area's numbers,
and after ``make reports`` every area's default view is in the view cache
(:mod:`vidensdata.presentation.visningscache`), drawn by the same code and with the same disclosure
control as the reports and the app. This page is that view as one plain HTML page, with no kernel:

* the theme notebook's text (its markdown cells) and the cached sections in the notebook's order, so it
  reads like the app and the report;
* its choices as an ordinary form (``GET``: geography with type-ahead suggestions, years, the theme's
  other choices), so every view is a link and works without JavaScript;
* the choice is read exactly as an app kernel reads a deep link (:func:`widgets.kun_fra_cache`: the
  theme's own ``visning``, :func:`deeplink.tolk`, the theme's ``valider``), so the page shows the same
  view under the same cache key; a field that cannot be used is named in Danish and left out;
* a view that is not (completely) in the cache is not computed here: the request is redirected (HTTP
  303) to the interactive app with the same choice, which computes it and stores it for the next visit;
* "Åbn den interaktive app" leads to the Voila app with the same choice (several kommuner as chips,
  instant updates).

The server (:class:`vidensdata.app_server.VisSide`) keeps the rendered pages gzip-compressed in memory,
keyed on the view's cache folder (which changes with the data and the code), so a repeated view costs
the validation and a dictionary look-up.
"""

from __future__ import annotations

import functools
import gzip
import html
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .presentation import deeplink, visningscache
from .presentation.temaer import tegning
from .presentation.widgets import IkkeICache, Kontrol, fejlbesked, geografi_valgmuligheder, kun_fra_cache
from .reporting.export import CSS
from .themes import TEMAER

#: Where the page is served, below the server's base URL: ``vis/<tema>``.
VIS_STI = "vis"

#: Where a figure of a cached view is served: ``vis/figur/<tema>/<view key>/<section>/<k>.svg`` (immutable).
FIGUR_STI = "figur"
#: A figure inside a cached section: an SVG data URI (``widgets.figur_html``: the wide and the phone version).
_SVG_URI = re.compile(r'(src|srcset)="data:image/svg\+xml;base64,([A-Za-z0-9+/=]*)"')
_NOEGLE = re.compile(r"[0-9a-f]{8,64}")

#: A theme notebook's code that shows a section (one per call, in order) or the choices.
_SEKTION = re.compile(r"\bvisning\.(vis|download)\(")
_KONTROLLER = re.compile(r"\bvisning\.kontroller\(\)")

_FORM_CSS = """
.vd-sti{font-size:0.95em;margin:0 0 0.5em 0}
form.vd-valg{display:flex;flex-wrap:wrap;gap:0.6em 1.2em;align-items:flex-end;border:1px solid #5f6b7a;
border-radius:6px;padding:0.8em 1em;margin:0 0 0.8em 0;background:#f6f8fa}
form.vd-valg label,form.vd-valg legend{display:block;font-weight:600;font-size:0.95em}
form.vd-valg input[type=text]{min-width:16em;max-width:100%}
form.vd-valg input,form.vd-valg select,form.vd-valg button{font-size:1em;padding:0.3em 0.4em}
form.vd-valg fieldset{border:0;padding:0;margin:0} form.vd-valg fieldset label{font-weight:400;display:inline-block;
margin-right:0.8em}
form.vd-valg button{background:#0b57a4;color:#fff;border:0;border-radius:4px;padding:0.45em 1.2em;cursor:pointer}
.vd-hjaelp{font-size:0.9em;color:#333;margin:0.2em 0 0 0}
section.vd-sektion + section.vd-sektion{content-visibility:auto;contain-intrinsic-size:auto 500px}
details.vd-flere{flex:1 1 100%} details.vd-flere summary{cursor:pointer;color:#0b57a4;text-decoration:underline}
.vd-flere-felter{display:flex;flex-wrap:wrap;gap:0.6em 1.2em;align-items:flex-end;margin-top:0.5em}
@media (max-width:600px){form.vd-valg,.vd-flere-felter{display:block} form.vd-valg div{margin:0 0 0.6em 0}
 form.vd-valg input[type=text],form.vd-valg select{width:100%;min-width:0;box-sizing:border-box}}
"""


@dataclass(frozen=True)
class Del:
    """One part of a theme notebook as the page shows it: markdown (its HTML), the choices, or section ``n``."""

    art: str  # "tekst", "kontroller", "sektion"
    html: str = ""
    n: int = -1


_ANKER = re.compile(r'<a class="anchor-link"[^>]*>[^<]*</a>')


def _markdown(text: str) -> str:
    """A markdown cell as HTML, as Voila renders it, without the "¶" links after headings."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return _ANKER.sub("", markdown2html_mistune(text))


@functools.lru_cache(maxsize=16)
def _dele(notebook: str, mtime_ns: int) -> tuple[Del, ...]:
    from .parameters import notebook_celler

    out: list[Del] = []
    n = 0
    for cell in notebook_celler(Path(notebook)):
        source = cell["source"]
        if cell["cell_type"] == "markdown":
            out.append(Del("tekst", _markdown(source)))
            continue
        if cell["cell_type"] != "code" or "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
        if _KONTROLLER.search(code):
            out.append(Del("kontroller"))
        for _ in _SEKTION.finditer(code):
            out.append(Del("sektion", n=n))
            n += 1
    return tuple(out)


def dele(notebook: Path) -> tuple[Del, ...]:
    """The parts of a theme notebook in order: its markdown as HTML, where the choices go, and one part per
    section it shows (``visning.vis(...)``/``visning.download(...)``: the view cache's section numbers)."""
    return _dele(str(notebook), Path(notebook).stat().st_mtime_ns)


def app_sti(navn: str, query: str, base_url: str = "/") -> str:
    """The interactive app of a theme with a query string, below ``base_url``."""
    q = (query or "").lstrip("?")
    return f"{base_url}voila/render/{TEMAER[navn].notebook.name}" + (f"?{q}" if q else "")


@dataclass(frozen=True)
class Valgt:
    """The view a request asks for: its cache folder, its choice in deep-link form, the controls, and a Danish
    message when part of the link could not be used."""

    mappe: Path
    valgte: dict
    kontroller: tuple
    besked: str | None


def vaelg(navn: str, query: str) -> Valgt:
    """Read a request's query string exactly as an app kernel reads a deep link; raises ``KeyError`` for an
    unknown theme and :class:`IkkeICache` when the view is not in the view cache."""
    tema = TEMAER[navn]
    with kun_fra_cache(query):
        v = tegning(tema).visning(**tema.standardvaerdier(), interaktiv=True)
    mappe, _ = v.fra_cache()
    return Valgt(mappe, v.valgte(), tuple(v.kontrol_spec), v.link.besked)


def sektioner(valgt: Valgt, antal: int) -> list[str]:
    """The view's cached sections 0..antal-1; raises :class:`IkkeICache` when one is missing."""
    out = []
    for n in range(antal):
        shown = visningscache.read(valgt.mappe, n)
        if shown is None:
            raise IkkeICache(f"sektion {n}")
        out.append(shown)
    return out


def _valg_felt(k: Kontrol, valgte: dict) -> str:
    esc = html.escape
    if k.art == "geografi":
        options = "".join(f'<option value="{esc(n)}">' for n in geografi_valgmuligheder())
        return (f'<div><label for="vd-{k.navn}">{esc(k.label)}</label>'
                f'<input type="text" id="vd-{k.navn}" name="{k.navn}" list="vd-{k.navn}-liste" autocomplete="off" '
                f'value="{esc(str(valgte.get(k.navn, "")))}" aria-describedby="vd-{k.navn}-hjaelp">'
                f'<datalist id="vd-{k.navn}-liste">{options}</datalist>'
                f'<p class="vd-hjaelp" id="vd-{k.navn}-hjaelp">En kommune, en region eller Hele landet. Flere '
                "kommuner: adskil med komma.</p></div>")
    if k.art == "aarinterval":
        def aar(navn, label, valgt):
            opts = "".join(f'<option value="{y}"{" selected" if y == valgt else ""}>{y}</option>'
                           for y in range(k.min, k.max + 1))
            return (f'<div><label for="vd-{navn}">{esc(label)}</label>'
                    f'<select id="vd-{navn}" name="{navn}">{opts}</select></div>')
        return (aar("startaar", f"{k.label}: fra", valgte.get("startaar", k.min))
                + aar("slutaar", "til", valgte.get("slutaar", k.max)))
    if k.art == "dropdown":
        opts = "".join(f'<option value="{esc(str(v))}"{" selected" if v == valgte.get(k.navn) else ""}>'
                       f"{esc(str(label))}</option>" for label, v in k.valg)
        return (f'<div><label for="vd-{k.navn}">{esc(k.label)}</label>'
                f'<select id="vd-{k.navn}" name="{k.navn}">{opts}</select></div>')
    if k.art == "multi":
        chosen = valgte.get(k.navn)  # absent: every option
        boxes = "".join(
            f'<label><input type="checkbox" name="{k.navn}" value="{esc(str(v))}"'
            f'{" checked" if chosen is None or v in chosen else ""}> {esc(str(label))}</label>'
            for label, v in k.valg)
        return f"<div><fieldset><legend>{esc(k.label)}</legend>{boxes}</fieldset></div>"
    raise ValueError(f"Ukendt slags kontrol {k.art!r}.")


def formular(navn: str, valgt: Valgt, base_url: str = "/") -> str:
    """The choices as a ``GET`` form (every view is a link), the message for a link that could not be used
    completely, and the way on to the interactive app with the same choice."""
    foerste, *andre = valgt.kontroller  # the area first; the other choices folded (the key figures stay in
    felter = _valg_felt(foerste, valgt.valgte) + '<div><button type="submit">Vis</button></div>'  # view on a phone)
    if andre:
        navne = [k.label.lower() for k in andre]
        felter += (f'<details class="vd-flere"><summary>Flere valg: {html.escape(" og ".join(navne))}</summary>'
                   f'<div class="vd-flere-felter">{"".join(_valg_felt(k, valgt.valgte) for k in andre)}</div>'
                   "</details>")
    query = deeplink.link(valgt.valgte).lstrip("?")
    besked = fejlbesked(valgt.besked) if valgt.besked else ""
    return (f'<form class="vd-valg" method="get" action="{html.escape(base_url)}{VIS_STI}/{navn}" '
            f'aria-label="Vælg visning">{felter}</form>{besked}'
            f'<p class="vd-note"><a href="{html.escape(app_sti(navn, query, base_url))}" data-testid="vd-app-link">'
            "Åbn den interaktive app</a> med samme valg: tallene skifter med det samme, og du kan lægge flere "
            f'kommuner sammen. <a href="?{html.escape(query)}" data-testid="del-link">Link til denne visning</a>.</p>')


def side(navn: str, query: str = "", base_url: str = "/") -> str:
    """The whole page of a theme's view from the view cache (see the module docstring); raises ``KeyError`` for
    an unknown theme and :class:`IkkeICache` when the view must be computed by the app."""
    return _side(navn, vaelg(navn, query), base_url)


def _side(navn: str, valgt: Valgt, base_url: str) -> str:
    tema = TEMAER[navn]
    parts = dele(tema.notebook)
    shown = sektioner(valgt, sum(p.art == "sektion" for p in parts))
    body = []
    for p in parts:
        if p.art == "tekst":
            body.append(p.html)
        elif p.art == "kontroller":
            body.append(formular(navn, valgt, base_url))
        else:
            body.append(f'<section class="vd-sektion">{figurer_ud(shown[p.n], navn, valgt.mappe.name, p.n, base_url)}'
                        "</section>")
    omraade = html.escape(str(valgt.valgte.get("geografi", "")))
    return ('<!DOCTYPE html>\n<html lang="da">\n<head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(tema.titel)} – {omraade} – vidensdata</title>"
            f"<style>{CSS}{_FORM_CSS}</style></head>\n"
            f'<body><main id="vd-vis"><p class="vd-sti"><a href="{html.escape(base_url)}">Alle apps</a></p>\n'
            + "\n".join(body) + "\n</main></body></html>\n")


def figurer_ud(sektion: str, navn: str, noegle: str, n: int, base_url: str = "/") -> str:
    """A cached section with its figures as addresses (:func:`figur`) instead of inline data, loaded lazily: the
    page arrives in a fraction of the bytes, and a browser decodes and draws only the figures scrolled to."""
    k = -1

    def url(m: re.Match) -> str:
        nonlocal k
        k += 1
        return f'{m.group(1)}="{base_url}{VIS_STI}/{FIGUR_STI}/{navn}/{noegle}/{n}/{k}.svg"'

    return _SVG_URI.sub(url, sektion).replace("<img ", '<img loading="lazy" decoding="async" ')


def figur(navn: str, noegle: str, n: int, k: int) -> bytes | None:
    """Figure ``k`` of section ``n`` of the cached view ``noegle`` of theme ``navn`` (SVG bytes), or None when
    there is none (an unknown theme or key, an evicted view)."""
    import base64

    if navn not in TEMAER or not _NOEGLE.fullmatch(noegle):
        return None
    mappe = visningscache.tema_mappe(navn) / noegle
    sektion = visningscache.read(mappe, n)
    if sektion is None:
        return None
    found = _SVG_URI.findall(sektion)
    if not 0 <= k < len(found):
        return None
    return base64.b64decode(found[k][1])


class Sider:
    """Rendered pages, gzip-compressed (~40 KB each), least recently used evicted: ``(cache folder, message,
    base URL) -> gzip bytes``. The cache folder's name is the view's key (choice, data, code), so a data
    refresh or a code change never serves an old page."""

    def __init__(self, stoerrelse: int = 1024):
        self.stoerrelse = stoerrelse
        self._sider: OrderedDict = OrderedDict()

    def hent(self, navn: str, query: str, base_url: str = "/") -> bytes:
        """The gzip-compressed page (see :func:`side`; the same exceptions)."""
        valgt = vaelg(navn, query)
        # the folder's key covers the notebook's cells too (themes.kontekst.theme_context)
        key = (navn, str(valgt.mappe), valgt.besked, base_url)
        if key in self._sider:
            self._sider.move_to_end(key)
            return self._sider[key]
        value = gzip.compress(_side(navn, valgt, base_url).encode("utf-8"), 6)
        self._sider[key] = value
        while len(self._sider) > self.stoerrelse:
            self._sider.popitem(last=False)
        return value
