"""Deep links for the apps: the query string selects the view (``?geografi=Aarhus&startaar=2016``).

How the link reaches the kernel: a kernel that Voila starts for the request has the query string in its
environment (``QUERY_STRING``, :func:`foresporgsel`) and draws the linked view at once. A pooled (preheated)
kernel ran the notebook before any request existed and shows the default view; the page's own script (app
template) then writes ``location.search`` into a hidden text widget (class :data:`FELT_KLASSE`), and the
view switches when that value arrives. Earlier the pooled kernel asked Voila for the request over a
websocket of its own (``voila.utils.wait_for_request``), which lost the link on a loaded host (CI,
2026-12-02); the page always knows its own address.

:func:`tolk` checks a query string against the theme's widget specs
(:class:`~vidensdata.presentation.widgets.Kontrol`) and returns the parameters for
``beregn`` plus a Danish message when something in the link is not valid; a bad field
is dropped alone (the message names it and what is valid) and the app shows the view of
the fields that were kept. :func:`link` builds the query
string of what is on screen, so a stakeholder can share exactly that view.

Accepted keys: every control's name (``geografi``, ``ydelser``, ``koen``, ``aar`` …) and
``startaar``/``slutaar`` for a year interval. Lists are comma-separated or repeated keys
(``ydelser=85,107``); ``geografi`` takes an area in any form :func:`vidensdata.geography.omraade`
accepts (``geografi=Aarhus,Skanderborg`` or ``geografi=751&geografi=746``) and becomes its
one string form.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from .. import geography
from ..errors import VidensdataError

#: Longest query string we read (anything longer is rejected, not parsed).
MAX_LAENGDE = 2000

#: CSS class of the hidden text field into which the app page writes its own query string (the app
#: template's script); a pooled kernel applies the deep link when that value arrives.
FELT_KLASSE = "vd-lenke"


@dataclass
class Link:
    """A parsed deep link: the valid parameters for ``beregn`` (only the keys in the link) and, when some
    field was dropped, a Danish message naming it (``parametre`` then holds the fields that were kept)."""

    parametre: dict = field(default_factory=dict)
    besked: str | None = None

    @property
    def gyldig(self) -> bool:
        """True when every field of the link was used."""
        return self.besked is None


def foresporgsel() -> str:
    """The page's query string as Voila put it in this kernel's environment ("" in a pooled kernel, which
    starts before any request: it gets the link from the page instead, see :data:`FELT_KLASSE`)."""
    return "" if forvarmet() else os.environ.get("QUERY_STRING", "") or ""


def forvarmet() -> bool:
    """True in a preheated (pooled) Voila kernel, which runs the notebook before any request exists."""
    return os.environ.get("VOILA_PREHEAT") == "True"


def _fejl(tekst: str) -> Link:
    return Link({}, f"Linket kunne ikke bruges: {tekst} Standardvisningen vises i stedet.")


def _norm(text) -> str:
    return str(text).replace("§", "").replace(" ", "").casefold()


def _match(value: str, valg: list, navn: str):
    """The option value matching ``value`` by value or label (case, spaces and § ignored)."""
    key = _norm(value)
    for label, v in valg:
        if key in (_norm(v), _norm(label)):
            return v
    raise ValueError(f"{navn}={value!r} er ikke et gyldigt valg.")


def _year(value: str, navn: str, lo: int | None, hi: int | None) -> int:
    try:
        year = int(value.strip())
    except ValueError:
        raise ValueError(f"{navn}={value!r} er ikke et årstal.") from None
    if (lo is not None and year < lo) or (hi is not None and year > hi):
        raise ValueError(f"{navn}={year} ligger uden for data ({lo}–{hi}).")
    return year


def _udeladt(fejl: list[str], gyldige: bool) -> str:
    """The Danish message for the parameters dropped from a link (each named, with what is valid)."""
    rest = "Resten af linket er brugt." if gyldige else "Standardvisningen vises i stedet."
    return f"Linket kunne ikke bruges helt: {' '.join(fejl)} {rest}"


def _felt(key: str, items: list, spec, interval) -> object:
    """One field's value, validated; raises ``ValueError``/``VidensdataError`` with a Danish text naming it."""
    if not items:
        raise ValueError(f"{key} mangler en værdi.")
    if key in ("startaar", "slutaar"):
        if len(items) != 1:
            raise ValueError(f"{key} skal være ét årstal.")
        return _year(items[0], key, interval.min, interval.max)
    if spec.art == "geografi":
        return geography.omraade(items).noegle
    if spec.art == "multi":
        if [i.strip().casefold() for i in items] == ["alle"]:
            return [v for _, v in spec.valg]
        chosen = [_match(v, spec.valg, key) for v in items]
        return [v for _, v in spec.valg if v in chosen]
    if len(items) != 1:  # dropdown
        raise ValueError(f"{key} skal have én værdi.")
    return _match(items[0], spec.valg, key)


def _gyldige_valg(spec) -> str:
    """What a field accepts, in Danish, for the message that names a bad value."""
    if spec is None or spec.art == "aarinterval":
        return ""
    if spec.art == "geografi":
        return " Gyldige: en kommune, en region eller Hele landet (navn eller kode)."
    labels = [str(label) for label, _ in spec.valg]
    return f" Gyldige: {', '.join(labels[:12])}{' …' if len(labels) > 12 else ''}."


def tolk(query: str, kontroller: list) -> Link:
    """Parse and validate a query string against the widget specs; never raises.

    A bad field is dropped alone, with a Danish message naming it and what is valid; the valid fields are
    kept (``?geografi=Aarhus&startaar=1990`` keeps Aarhus). A link that is too long or has too many fields
    is not read at all.
    """
    query = (query or "").lstrip("?")
    if not query:
        return Link()
    if len(query) > MAX_LAENGDE:
        return _fejl("det er for langt.")
    try:
        raw = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError:
        return _fejl("det har for mange felter.")
    values = {k: [p for v in vs for p in v.split(",") if p.strip()] for k, vs in raw.items()}
    specs = {k.navn: k for k in kontroller}
    interval = next((k for k in kontroller if k.art == "aarinterval"), None)
    allowed = {n for n, k in specs.items() if k.art != "aarinterval"}
    if interval is not None:
        allowed |= {"startaar", "slutaar"}
    out: dict = {}
    fejl: list[str] = []
    for key, items in values.items():
        if key not in allowed:
            fejl.append(f"ukendt felt {html.escape(key)!r} blev udeladt (kendte felter: {', '.join(sorted(allowed))}).")
            continue
        try:
            out[key] = _felt(key, items, specs.get(key), interval)
        except VidensdataError as exc:
            fejl.append(f"{key} blev udeladt: {exc.dansk}")
        except ValueError as exc:
            fejl.append(f"{exc} {key} blev udeladt.{_gyldige_valg(specs.get(key))}")
    if "startaar" in out and "slutaar" in out and out["startaar"] > out["slutaar"]:
        fejl.append(f"startåret ({out.pop('startaar')}) ligger efter slutåret ({out.pop('slutaar')}); "
                    "begge blev udeladt.")
    return Link(out, _udeladt(fejl, bool(out)) if fejl else None)


def beregn_parametre(link: Link, parametre: dict) -> dict:
    """The parameters for ``beregn``: the notebook's values overridden by the link."""
    return {**parametre, **link.parametre}


def app_adresse(notebook: str = "", query: str = "") -> str:
    """The absolute address of an app view: the apps' address (``VIDENSDATA_APP_URL``, default
    ``http://localhost:8866/``, :func:`vidensdata.config.app_url`), ``voila/render/<notebook>`` and the
    view's query string (``?geografi=Aarhus&…``, :func:`link`). With no notebook: the apps' landing page.

    A citation carries this address; inside an app the page's own script rewrites a link marked
    :data:`APP_LINK_ATTR` to the page's own origin when it is used (an app behind another address)."""
    from ..config import app_url

    base = app_url()
    if not notebook:
        return base
    q = query if not query or query.startswith("?") else "?" + query
    return f"{base}voila/render/{notebook}{q}"


#: Attribute of a link to an app view (a citation's): the app page's script points it at the page's own origin.
APP_LINK_ATTR = "data-vd-app-link"


def link(parametre: dict) -> str:
    """The query string (with ``?``) of a view, e.g. ``?geografi=Aarhus&startaar=2016&slutaar=2024``."""
    pairs = []
    for key, value in parametre.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        pairs.append((key, str(value)))
    return "?" + urlencode(pairs)
