"""One notebook, two modes: a static report (papermill, nbval, ``vidensdata run``) or live widgets
(a Voila app, or the notebook opened in JupyterLab).

A theme notebook builds a :class:`Visning` from its parameters and calls
``visning.kontroller()`` once and ``visning.vis(funktion)`` per section. In a
static run each section is displayed directly. Interactively (see :func:`interaktiv`
for the rule) ``kontroller()`` shows Danish widgets and every section is an
``ipywidgets.HTML`` that is redrawn when a widget changes, without reloading the
page. Errors are shown as a Danish message, never as a traceback.
In the app the URL's query string (deep link, :mod:`.deeplink`) selects the view,
and "Link til denne visning" gives the link of what is on screen (relative to the
app page, which the browser resolves and copies as an absolute address; inside
JupyterLab, where a view has no address, there is no link).

A static run's saved outputs carry their styles inline (:func:`inline_stil`), so a
notebook opened untrusted in JupyterLab, which strips ``<style>`` blocks, still
shows the key figures as cards.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import html
import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..errors import VidensdataError
from . import deeplink, visningscache


#: Mime type of a view's first section (the key figures) as plain HTML: the app template shows it at once,
#: while Voila's frontend and the widgets load (``app_template``); every other frontend ignores it.
FORHAAND_MIME = "application/vnd.vidensdata.forhaand+html"


class IkkeICache(Exception):
    """A view asked for under :func:`kun_fra_cache` is not (completely) in the view cache: the live app must
    compute it. Not a :class:`VidensdataError`: nothing is wrong with the choice."""


#: The query string of a view built only from the view cache (:func:`kun_fra_cache`); None: a normal view.
_KUN_CACHE: contextvars.ContextVar[str | None] = contextvars.ContextVar("vidensdata_kun_cache", default=None)


@contextlib.contextmanager
def kun_fra_cache(query: str):
    """Build a theme's :class:`Visning` for the deep link ``query`` exactly as an app kernel would (same
    defaults, same validation, same cache key), but never compute: a view that is not cached raises
    :class:`IkkeICache`. The kernel-less app page (:mod:`vidensdata.app_vis`) uses it in the server process."""
    token = _KUN_CACHE.set(query or "")
    try:
        yield
    finally:
        _KUN_CACHE.reset(token)


def interaktiv() -> bool:
    """True when the theme notebooks show live widgets; False for a static run. The rule, in order:

    1. ``VIDENSDATA_INTERAKTIV`` is set: its value decides (``1`` on, ``0``/``false``/``nej``/empty off).
       The apps set it to 1; anyone can force either mode with it.
    2. Voila (``SERVER_SOFTWARE=voila/…``): on.
    3. A kernel that a Jupyter server (JupyterLab, Notebook 7) started for an open notebook: on
       (:func:`i_jupyter_server`).
    4. Anything else is static: papermill, nbval, nbclient and ``vidensdata run`` start their kernels
       (or shells) themselves, so their runs stay reports.
    """
    forced = os.environ.get("VIDENSDATA_INTERAKTIV")
    if forced is not None:
        return forced.strip() not in ("", "0", "false", "nej")
    if _i_voila():
        return True
    return i_jupyter_server()


def _i_voila() -> bool:
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila") or "VOILA_KERNEL_ID" in os.environ


def i_jupyter_server() -> bool:
    """True in an IPython kernel that a Jupyter server started for a notebook a person has open.

    jupyter_server puts ``JPY_SESSION_NAME`` (the notebook's path) in the environment of each kernel it
    starts for a session; papermill, nbval and nbclient start kernels through jupyter_client alone and never
    set it. A kernel they start from inside a JupyterLab kernel (``!papermill …``) inherits the variable, so
    it counts only when the process that launched the kernel (``JPY_PARENT_PID``, set by jupyter_client)
    does not have it as well; a Jupyter server's own environment never has it.
    """
    if not os.environ.get("JPY_SESSION_NAME") or _i_voila():
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:  # a plain shell (``vidensdata run``), no frontend
        return False
    return not _arvet_session(os.environ.get("JPY_PARENT_PID", ""))


def _arvet_session(parent_pid: str) -> bool:
    """True when the launching process ``parent_pid`` has ``JPY_SESSION_NAME`` too (so this kernel inherited it).

    Read from ``/proc`` where there is one (Linux); elsewhere the variable is trusted."""
    from pathlib import Path

    environ = Path("/proc") / parent_pid.strip() / "environ"
    if not parent_pid.strip().isdigit():
        return False
    try:
        return b"\0JPY_SESSION_NAME=" in b"\0" + environ.read_bytes()
    except OSError:
        return False


@dataclass
class Kontrol:
    """One widget: parameter name, Danish label, kind and options."""

    navn: str
    label: str
    art: str  # "dropdown", "multi", "aarinterval", "geografi"
    valg: list | None = None  # [(label, value)]
    min: int | None = None
    max: int | None = None


def fejlbesked(exc: Exception | str) -> str:
    """A Danish, traceback-free message for stakeholders (an exception or a Danish text)."""
    if isinstance(exc, str):
        text = exc
    elif isinstance(exc, VidensdataError):
        text = exc.dansk
    else:
        text = "Der opstod en uventet fejl. Prøv et andet valg, eller kontakt os, hvis fejlen fortsætter."
    return f'<div class="vd-fejl" role="alert" style="color:#8a1c00;font-weight:600">{html.escape(text)}</div>'


class Visning:
    """Binds a theme (:class:`~vidensdata.themes.Tema`) to static output or to live widgets.

    Every section's HTML of a theme's view is kept in the view cache (:mod:`.visningscache`),
    keyed on the theme's validated choice (``tema.valider``): a report run stores what it
    drew, and the app draws a view from the cache when it is there (``resultat`` is then
    computed only if a section is missing), so picking another kommune costs a few file reads.
    ``tema`` may also be a bare ``beregn`` function: then nothing is cached.
    """

    def __init__(self, tema, parametre: dict, kontroller: list[Kontrol] | None = None,
                 interaktiv_: bool | None = None):
        self._tema = tema if hasattr(tema, "valider") else None
        self._beregn = tema.beregn if self._tema is not None else tema
        self._mappe = None  # the view cache folder of what is shown (None: no cache)
        self._valg = None  # the validated choice shown (None: no theme)
        self._aktuelle: dict = {}  # the parameters of what is shown
        self.parametre = dict(parametre)
        self.kontrol_spec = kontroller or []
        self.interaktiv = interaktiv() if interaktiv_ is None else interaktiv_
        self._sektioner: list[tuple[Callable, object]] = []
        self._widgets: dict[str, object] = {}
        self.fejl: Exception | None = None
        self.resultat = None
        self.link = deeplink.Link()
        self._laas = threading.RLock()  # one view change at a time (widget handlers, the deep link, other threads)
        self._vist = False
        self._stille = False
        self._fra_siden = ""  # the query string applied so far (the page sends it again: applied once)
        kun_cache = _KUN_CACHE.get()
        try:
            # in a preheated Voila kernel this runs before any request: it warms data and caches
            self._ny_visning(self.parametre, beregn_altid=not self.interaktiv)
        except VidensdataError as exc:
            if not self.interaktiv:
                raise  # a report with bad parameters must fail loudly, naming the problem
            self.fejl = exc
        except IkkeICache:
            pass  # only from the cache: the link below may choose a cached view; else the caller is told
        if self.interaktiv:
            # "" in a pooled kernel: the page sends it (vd-lenke)
            self._fra_siden = deeplink.foresporgsel() if kun_cache is None else kun_cache
            self.anvend_link(self._fra_siden)

    @property
    def resultat(self):
        """The computed view; when it was drawn from the cache, computed on first use."""
        if self._resultat is None and self.fejl is None and self._aktuelle:
            self._resultat = self._beregn_nu(self._aktuelle, self._valg)
        return self._resultat

    @resultat.setter
    def resultat(self, value) -> None:
        self._resultat = value

    def _beregn_nu(self, params: dict, valg):
        """The theme's result for a validated choice (or ``beregn(**params)`` without a theme)."""
        return self._tema.beregn_valg(valg) if self._tema is not None else self._beregn(**params)

    def _ny_visning(self, params: dict, beregn_altid: bool = False) -> None:
        """Make ``params`` the view shown; compute it unless the cache has it. State changes only on success.

        The choice is validated once (the theme's ``valider``); the validated choice keys the view
        cache and is what the theme computes from.
        """
        valg = self._tema.valider(**params) if self._tema is not None else None
        mappe = visningscache.folder(self._tema, valg) if self._tema is not None else None
        resultat = None
        if beregn_altid or mappe is None or not visningscache.has(mappe, 0):
            if _KUN_CACHE.get() is not None:
                raise IkkeICache(repr(valg))
            resultat = self._beregn_nu(params, valg)
        self._aktuelle, self._valg, self._mappe, self.resultat, self.fejl = dict(params), valg, mappe, resultat, None

    def _link_fra_siden(self, change) -> None:
        """The page sent its query string (hidden field): apply it unless it is the link already shown."""
        query = change["new"] or ""
        if query.lstrip("?") == self._fra_siden.lstrip("?"):
            return
        self._fra_siden = query
        self._link_live(query.lstrip("?"))

    def _link_live(self, query: str) -> None:
        """Apply a deep link that arrives after the page was rendered (from the page, in a pooled kernel):
        switch widgets and sections.

        An exception would leave the page on the default view with "Visningen fra linket hentes …" (a widget
        handler's errors go to the browser's console only): the page says so in Danish instead, and the
        reason goes to the server's log (stderr)."""
        try:
            self._link_live_nu(query)
        except Exception as exc:  # noqa: BLE001 - shown to the user in Danish, logged in full
            import sys
            import traceback

            print(f"vidensdata: the deep link {query!r} could not be applied: {exc!r}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            if self._vist:
                self._status.value = fejlbesked("Visningen fra linket kunne ikke vises. Vælg området igen, "
                                                "eller genindlæs siden.")

    def _link_live_nu(self, query: str) -> None:
        if not query:
            return
        with self._laas:
            if self._vist:
                self._status.value = '<p class="vd-note" role="status">Visningen fra linket hentes …</p>'
            self.anvend_link(query)
            if not self._vist:
                return  # kontroller() and vis() have not run yet: they use the new choices
            if self.link.parametre:  # the valid fields of the link (a bad one is dropped alone)
                self._saet_widgets(self.link.parametre)
                self._status.value = fejlbesked(self.link.besked) if self.link.besked else ""
                self._del.value = self._del_html()
                for n, (render, out) in enumerate(self._sektioner):
                    self._draw(n, render, out)
            elif self.link.besked:
                self._status.value = fejlbesked(self.link.besked)
            else:
                self._status.value = ""

    def _saet_widgets(self, values: dict) -> None:
        """Set widget values without triggering a recomputation per widget."""
        self.parametre.update(values)
        self._stille = True
        try:
            for k in self.kontrol_spec:
                widget = self._widgets[k.navn]
                if k.art == "aarinterval":
                    if "startaar" in values or "slutaar" in values:
                        widget.value = (self.parametre["startaar"], self.parametre["slutaar"])
                elif k.navn in values:
                    widget.value = tuple(values[k.navn]) if k.art == "multi" else values[k.navn]
        finally:
            self._stille = False

    def anvend_link(self, query: str) -> None:
        """Select the view from a deep link (query string): its valid fields are used, a bad field is dropped
        with a Danish message; a combination the theme rejects keeps the default view."""
        link = deeplink.tolk(query, self.kontrol_spec)
        if link.parametre:
            try:
                self._ny_visning(deeplink.beregn_parametre(link, self.parametre))
            except VidensdataError as exc:
                link = deeplink.Link({}, f"Linket kunne ikke bruges: {exc.dansk} Standardvisningen vises i stedet.")
        self.link = link

    # ------------------------------------------------------------ controls
    def kontroller(self):
        """Show the widgets (app) or a one-line summary of the choices (report)."""
        from IPython.display import HTML, display

        if not self.interaktiv:
            display(HTML(_summary(self.resultat)))
            return
        with self._laas:
            self._kontroller_app()

    def _kontroller_app(self):
        import ipywidgets as w
        from IPython.display import display

        self.parametre.update(self.link.parametre)  # the deep link's valid choices win over the start values
        rows = []
        for k in self.kontrol_spec:
            widget = _make_widget(w, k, self.parametre)
            widget.observe(self._on_change, names="value")
            self._widgets[k.navn] = widget
            rows.append(getattr(widget, "box", widget))
        self._status = w.HTML(value="")
        if self.fejl is not None:
            self._status.value = fejlbesked(self.fejl)
        elif self.link.besked:
            self._status.value = fejlbesked(self.link.besked)
        self._del = w.HTML(value=self._del_html())
        # A pooled (preheated) kernel rendered this before any page asked for it: the page sends its own query
        # string into this hidden field (the app template's script), and the link is applied then.
        lenke = w.Text(value="", layout=w.Layout(display="none"))
        lenke.add_class(deeplink.FELT_KLASSE)
        lenke.observe(self._link_fra_siden, names="value")
        self._lenke = lenke
        display(w.VBox(rows + [self._status, self._del, lenke], layout=w.Layout(margin="0 0 12px 0")))
        self._vist = True

    def _del_html(self) -> str:
        """A link to exactly this view (deep link), for sharing; none inside JupyterLab (a view has no address)."""
        if i_jupyter_server():
            return ""
        try:
            query = deeplink.link(self._link_params())
        except Exception:  # noqa: BLE001 - the share link is a convenience, never an error
            return ""
        return (f'<p class="vd-note"><a href="{html.escape(query)}" data-testid="del-link" '
                'style="text-decoration:underline;color:#0b57a4">'
                "Link til denne visning</a> (kopiér linket for at dele præcis det, du ser)</p>")

    def _del_query(self) -> str:
        """The deep link of this view in the app (query string), or "" in a static report (its own page)."""
        if not self.interaktiv:
            return ""
        try:
            return deeplink.link(self._link_params())
        except Exception:  # noqa: BLE001 - the link is a convenience, never an error
            return ""

    def _citer_link(self, res) -> str:
        """The absolute address of this view in the app (for "Sådan citerer du" and the workbook's "Om data"),
        from the computed choice, so a report and the app cite a view with the same link (the view cache
        shares the section between them)."""
        try:
            return deeplink.app_adresse(self._tema.notebook.name, deeplink.link(self._valg_params(res.valg)))
        except Exception:  # noqa: BLE001 - the link is a convenience, never an error
            return deeplink.app_adresse()

    def fra_cache(self) -> tuple[object, object]:
        """(cache folder, validated choice) of the view shown when it came from the view cache; raises
        :class:`IkkeICache` when there is none (see :func:`kun_fra_cache`)."""
        if self._mappe is None or self.fejl is not None:
            raise IkkeICache("ingen visning")
        return self._mappe, self._valg

    def valgte(self) -> dict:
        """The choice shown, in deep-link form (``geografi``, ``startaar``/``slutaar``, a list for a multiple
        choice unless every option is chosen)."""
        return self._valg_params(self._valg) if self._valg is not None else {}

    def _valg_params(self, valg) -> dict:
        """A validated choice in deep-link form: each control's value as chosen (every option: left out)."""
        def value(k):
            if k.art == "geografi":
                return valg.omraade.noegle
            if k.art == "aarinterval":
                return valg.startaar, valg.slutaar
            return getattr(valg, k.navn)
        return self._linkform(value)

    def _link_params(self) -> dict:
        """The current widget values in deep-link form (``startaar``/``slutaar`` for a year interval)."""
        def value(k):
            widget = self._widgets.get(k.navn)
            return widget.value if widget is not None else self.parametre.get(k.navn)
        return self._linkform(value)

    def _linkform(self, value) -> dict:
        """Each control's value (``value(kontrol)``) in deep-link form: ``startaar``/``slutaar`` for a year
        interval, a list for a multiple choice unless every option is chosen (the default, left out)."""
        out: dict = {}
        for k in self.kontrol_spec:
            v = value(k)
            if k.art == "aarinterval":
                out["startaar"], out["slutaar"] = int(v[0]), int(v[1])
            elif k.art == "multi":
                if v and set(v) != {opt for _, opt in k.valg}:  # all: the default
                    out[k.navn] = list(v)
            else:
                out[k.navn] = v
        return out

    def _current_params(self) -> dict:
        params = dict(self.parametre)
        for k in self.kontrol_spec:
            value = self._widgets[k.navn].value
            if k.art == "aarinterval":
                params["startaar"], params["slutaar"] = int(value[0]), int(value[1])
            elif k.art == "multi":
                params[k.navn] = list(value)
            else:
                params[k.navn] = value
        return params

    def _on_change(self, _change=None):
        if self._stille:
            return
        with self._laas:
            self._status.value = OPDATERER  # sent at once: the page says it is working until the view is new
            self._opdater()

    def _opdater(self):
        try:
            self._ny_visning(self._current_params())
            self._status.value = ""
        except VidensdataError as exc:
            self.fejl = exc
            self._status.value = fejlbesked(exc)
        except Exception as exc:  # noqa: BLE001 - stakeholders never see a traceback
            self.fejl = exc
            self._status.value = fejlbesked(exc)
        if hasattr(self, "_del"):
            self._del.value = self._del_html()
        for n, (render, out) in enumerate(self._sektioner):
            self._draw(n, render, out)

    # ------------------------------------------------------------ sections
    def vis(self, render: Callable):
        """Show one section: ``render(resultat)`` returns HTML, a figure, a DataFrame or None.

        In the app each section is an ``ipywidgets.HTML`` whose value is replaced when a
        widget changes: one message per section, no ``Output`` widget capture (which
        stalls Voila's server-side executor when combined with ``clear_output``).
        """
        if not self.interaktiv:
            n = len(self._sektioner)
            self._sektioner.append((render, None))
            shown = _show(render(self.resultat))
            if self._mappe is not None:
                visningscache.write(self._mappe, n, shown)  # the apps draw this view from the cache
            return
        import ipywidgets as w
        from IPython.display import display

        out = w.HTML(value="", layout=w.Layout(width="100%"))
        with self._laas:
            self._sektioner.append((render, out))
            n = len(self._sektioner) - 1
            self._draw(n, render, out)
        if n == 0:  # the key figures: also as plain HTML, which the app page shows before its widgets load
            display({**out._repr_mimebundle_(), FORHAAND_MIME: out.value}, raw=True)
        else:
            display(out)

    def _draw(self, n: int, render, out):
        if self.fejl is not None:
            out.value = '<p class="vd-note">Intet at vise for dette valg.</p>'
            return
        cached = visningscache.read(self._mappe, n) if self._mappe is not None else None
        if cached is not None:
            out.value = cached
            return
        try:
            shown = som_html(render(self.resultat))  # computed now if the view came from the cache
        except Exception as exc:  # noqa: BLE001 - stakeholders never see a traceback (Danish text for ours)
            out.value = fejlbesked(exc)
            return
        out.value = shown
        if self._mappe is not None:
            visningscache.write(self._mappe, n, shown)

    def download(self, tabel: Callable[[object], pd.DataFrame] | None = None, filnavn: str | None = None):
        """Download links (CSV and Excel) for the table shown, suppressed exactly like the screen.

        By default the theme's ``tabel_til_download``, in a file named after the theme.
        """
        if tabel is None:  # the theme's download: named files, Danish headers, workbook, citation (see .hent)
            from . import hent

            self.vis(lambda res: hent.links_html(hent.pakke(self._tema, res, self._citer_link(res))))
            return
        self.vis(lambda res: download_links(tabel(res), filnavn or self._tema.navn))


def _summary(res) -> str:
    if res is None:
        return ""
    v = res.valg
    return (f'<p class="vd-note">Valgt: <b>{html.escape(v.omraade.navn)}</b>, '
            f"{v.startaar}–{v.slutaar}.</p>") if hasattr(v, "startaar") else ""


def _make_widget(w, k: Kontrol, params: dict):
    style = {"description_width": "initial"}
    layout = w.Layout(width="auto", min_width="320px")
    if k.art == "dropdown":
        return w.Dropdown(options=k.valg, value=params.get(k.navn), description=k.label, style=style, layout=layout)
    if k.art == "multi":
        current = params.get(k.navn)
        values = [v for _, v in k.valg]
        chosen = tuple(v for v in values if current in (None, "alle") or v in (current or []))
        return w.SelectMultiple(options=k.valg, value=chosen, description=k.label, rows=min(8, len(k.valg)),
                                style=style, layout=layout)
    if k.art == "geografi":
        return GeografiVaelger(w, k.label, params.get(k.navn), style, layout)
    if k.art == "aarinterval":
        # two labelled dropdowns rather than a range slider: the slider's handles have no accessible name
        lo = params.get("startaar") or k.min
        hi = params.get("slutaar") or k.max
        years = [(str(y), y) for y in range(k.min, k.max + 1)]
        return AarInterval(w, k.label, years, lo, hi, style)
    raise ValueError(f"Ukendt slags kontrol {k.art!r}.")


def _dansk_noegle(navn: str) -> str:
    """Sort key in Danish alphabetical order (æ, ø, å after z; case-insensitive)."""
    return navn.lower().translate(str.maketrans({"æ": "{", "ø": "|", "å": "}"}))


def geografi_valgmuligheder() -> list[str]:
    """The names a geography search offers: Hele landet, then the regions, then the kommuner, each level in
    Danish alphabetical order."""
    from .. import geography

    levels = ([geography.LAND_NAVN], [g.navn for g in geography.regioner()], [g.navn for g in geography.kommuner()])
    return [n for level in levels for n in sorted(level, key=_dansk_noegle)]


class GeografiVaelger:
    """The area of a view: a type-ahead search for one geography, plus optional extra kommuner as chips.

    ``hoved`` is a combobox over Hele landet, the regions and the kommuner (alphabetical within each level;
    typing filters the list, Enter chooses; names in any case, with or without "Kommune"/"Region", ae/oe/aa
    for æ/ø/å). ``tilfoej`` adds a kommune: type, Enter adds it as a chip (a button "Navn ×" that removes it,
    reachable with Tab and pressed with Enter or Space). No Ctrl-click anywhere.

    Its ``value`` is the area's one string form (:attr:`vidensdata.geography.Omraade.noegle`,
    e.g. ``"Aarhus,Skanderborg"``); whether a combination is a valid area is decided by
    :func:`vidensdata.geography.omraade` when the view validates its choice, not here.
    """

    TILFOEJ_LABEL = "Læg en kommune til (valgfrit)"
    HJAELP = ("Skriv for at søge, og tryk Enter. Læg flere kommuner til én ad gangen; fjern en kommune med "
              "dens knap (×), også med Tab og Enter eller mellemrum.")

    def __init__(self, w, label: str, value, style: dict, layout):
        from .. import geography

        self._geography = geography
        self._w = w
        self._handlers: list = []
        self._stille = False
        self._ekstra: list[str] = []
        self.hoved = w.Combobox(options=geografi_valgmuligheder(), value=geography.LAND_NAVN, description=label,
                                placeholder="Skriv et navn: kommune, region eller Hele landet",
                                ensure_option=False, continuous_update=False, style=style, layout=layout)
        self.tilfoej = w.Combobox(options=sorted((g.navn for g in geography.kommuner()), key=_dansk_noegle),
                                  value="", description=self.TILFOEJ_LABEL, placeholder="Skriv en kommune, tryk Enter",
                                  ensure_option=False, continuous_update=False, style=style, layout=layout)
        self.chips = w.HBox([], layout=w.Layout(flex_flow="row wrap", margin="2px 0 2px 0"))
        self.besked = w.HTML(value=f'<p class="vd-note">{html.escape(self.HJAELP)}</p>')
        self.box = w.VBox([self.hoved, self.tilfoej, self.chips, self.besked])
        self.hoved.observe(self._hoved_aendret, names="value")
        self.tilfoej.observe(self._tilfoej_aendret, names="value")
        self.value = value

    # ------------------------------------------------------------ value
    @property
    def ekstra(self) -> tuple[str, ...]:
        """The extra kommuner (the chips), in the order they were added."""
        return tuple(self._ekstra)

    @property
    def value(self) -> str:
        main = (self.hoved.value or "").strip() or self._geography.LAND_NAVN
        return self._geography.SKILLETEGN.join([main, *(k for k in self._ekstra if k != main)])

    @value.setter
    def value(self, value) -> None:
        try:
            dele = [g.navn for g in self._geography.omraade(value or self._geography.LAND_NAVN).dele]
        except VidensdataError:
            dele = [self._geography.LAND_NAVN]
        before = self.value if hasattr(self, "hoved") else None
        self._stille = True
        try:
            self.hoved.value, self._ekstra = dele[0], list(dele[1:])
        finally:
            self._stille = False
        self._tegn_chips()
        if before is not None and self.value != before:
            self._meld()  # like any widget: observers hear of a new value (Visning silences them when it sets it)

    def observe(self, handler, names="value"):
        """Call ``handler`` once for every change of the area (main search, chip added or removed)."""
        self._handlers.append(handler)

    def _meld(self) -> None:
        for h in list(self._handlers):
            h({"name": "value", "new": self.value, "owner": self})

    # ------------------------------------------------------------ events
    def _navne(self, text: str) -> list[str] | None:
        """The geographies ``text`` names (canonical names), or None with a Danish message shown."""
        try:
            return [g.navn for g in self._geography.omraade(text).dele]
        except VidensdataError as exc:
            self.besked.value = fejlbesked(exc)
            return None

    def _hoved_aendret(self, change) -> None:
        if self._stille:
            return
        text = (change["new"] or "").strip()
        if not text:
            return
        navne = self._navne(text)
        if navne is not None:
            self.besked.value = f'<p class="vd-note">{html.escape(self.HJAELP)}</p>'
            self._stille = True
            try:
                self.hoved.value = navne[0]
            finally:
                self._stille = False
            self._ekstra = [k for k in [*self._ekstra, *navne[1:]] if k != navne[0]]
            self._tegn_chips()
        self._meld()  # an unknown name: the view shows the Danish message and keeps what is on screen

    def _tilfoej_aendret(self, change) -> None:
        if self._stille:
            return
        text = (change["new"] or "").strip()
        if not text:
            return
        navne = self._navne(text)
        if navne is None:
            return
        main = (self.hoved.value or "").strip()
        nye = [n for n in navne if n != main and n not in self._ekstra]
        self._ekstra.extend(nye)
        self.besked.value = (f'<p class="vd-note" role="status">Lagt til: {html.escape(", ".join(nye))}.</p>'
                             if nye else f'<p class="vd-note" role="status">{html.escape(text)} er allerede valgt.</p>')
        self._stille = True
        try:
            self.tilfoej.value = ""
        finally:
            self._stille = False
        self._tegn_chips()
        if nye:
            self._meld()

    def _fjern(self, navn: str) -> None:
        if navn in self._ekstra:
            self._ekstra.remove(navn)
            self.besked.value = f'<p class="vd-note" role="status">Fjernet: {html.escape(navn)}.</p>'
            self._tegn_chips()
            self._meld()

    def _tegn_chips(self) -> None:
        chips = []
        for navn in self._ekstra:
            b = self._w.Button(description=f"{navn} ×", tooltip=f"Fjern {navn} fra valget",
                               layout=self._w.Layout(width="auto", margin="2px 6px 2px 0"))
            b.add_class("vd-chip")
            b.on_click(lambda _b, navn=navn: self._fjern(navn))
            chips.append(b)
        self.chips.children = chips


class AarInterval:
    """A year interval as two labelled dropdowns ("<label>: fra" / "til") with a ``(start, slut)`` value."""

    def __init__(self, w, label: str, years: list, lo: int, hi: int, style: dict):
        layout = w.Layout(width="auto", min_width="200px")
        self.fra = w.Dropdown(options=years, value=lo, description=f"{label}: fra", style=style, layout=layout)
        self.til = w.Dropdown(options=years, value=hi, description="til", style=style, layout=layout)
        self.box = w.HBox([self.fra, self.til])

    @property
    def value(self) -> tuple[int, int]:
        return int(self.fra.value), int(self.til.value)

    @value.setter
    def value(self, value) -> None:
        lo, hi = int(value[0]), int(value[1])
        if lo > int(self.til.value):  # keep the pair valid while it changes
            self.til.value, self.fra.value = hi, lo
        else:
            self.fra.value, self.til.value = lo, hi

    def observe(self, handler, names="value"):
        self.fra.observe(handler, names=names)
        self.til.observe(handler, names=names)


#: The status line while a view is recomputed (text for everyone, ``aria-busy`` for screen readers).
OPDATERER = ('<p class="vd-note vd-opdaterer" role="status" aria-live="polite" aria-busy="true" '
             'data-testid="opdaterer">Opdaterer visningen …</p>')


def figur_html(fig) -> str:
    """A matplotlib figure as inline SVG with a text alternative, PNG/SVG download buttons and a phone
    version (``<picture>``: screens up to :data:`SMAL_SKAERM` px get :func:`plots.til_smal`); closes it.

    SVG with text kept as text: about a third faster to render than PNG, a third of
    the size, sharp at any zoom, and deterministic (fixed ids, no date), so the same
    figure gives the same bytes in every run.
    """
    import matplotlib.pyplot as plt

    from . import plots
    from .plots import IngenFigur, er_tom

    if er_tom(fig):  # nothing publishable: one Danish sentence instead of an empty chart
        plt.close(fig)
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        return IngenFigur(titles[0] if titles else "")._repr_html_()
    alt = html.escape(getattr(fig, "_vidensdata_alt", "") or _figure_alt(fig))
    titles = [" ".join(ax.get_title().split()) for ax in fig.axes if ax.get_title()]
    wide = _svg_b64(plots.til_bred(fig))
    narrow = _svg_b64(plots.til_smal(fig))  # the phone version: legend below, text at its drawn size
    plt.close(fig)
    return (f'<figure class="vd-figur" style="margin:0 0 12px 0"><picture>'
            f'<source media="(max-width: {SMAL_SKAERM}px)" srcset="data:image/svg+xml;base64,{narrow}">'
            f'<img src="data:image/svg+xml;base64,{wide}" alt="{alt}" style="max-width:100%"></picture>'
            f"{_figur_hent_html(titles[0] if titles else 'figur')}</figure>")


#: Screens at most this wide (CSS px) get a figure's phone version (:func:`plots.til_smal`).
SMAL_SKAERM = 600


def _svg_b64(fig) -> str:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "vidensdata"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})  # constrained layout fits legend and source
    return base64.b64encode(buf.getvalue()).decode()


#: Saves the figure next to the button as SVG (the image itself) or PNG (drawn on a canvas at twice the
#: size): an inline handler, so it works in static reports and in the apps' HTML widgets alike, and no
#: PNG is made for a figure nobody downloads. Where handlers are stripped (an untrusted notebook)
#: the button does nothing; analysts there have the figure object.
_HENT_JS = ("var i=this.closest('figure').querySelector('img'),f=this.dataset.format,"
            "a=document.createElement('a');a.download=this.dataset.filnavn+'.'+f;"
            "if(f==='svg'){a.href=i.src}else{var c=document.createElement('canvas'),"
            "w=i.naturalWidth||i.width,h=i.naturalHeight||i.height;c.width=2*w;c.height=2*h;"
            "var x=c.getContext('2d');x.fillStyle='#fff';x.fillRect(0,0,c.width,c.height);"
            "x.drawImage(i,0,0,c.width,c.height);a.href=c.toDataURL('image/png')}"
            "document.body.appendChild(a);a.click();a.remove();")


def _figur_hent_html(titel: str) -> str:
    """"Hent figuren: PNG · SVG" buttons under a figure (file names from its title)."""
    from ..geography import slugify

    name = html.escape(slugify(titel)[:80] or "figur")
    knap = ('<button type="button" class="vd-figur-hent" data-format="{f}" data-filnavn="{n}" '
            'aria-label="Hent figuren som {F}-fil ({n}.{f})" onclick="{js}" '
            'style="margin-left:6px;font-size:0.85em;cursor:pointer">{F}</button>')
    return ('<figcaption class="vd-note" style="font-size:0.85em">Hent figuren:'
            + "".join(knap.format(f=f, F=f.upper(), n=name, js=_HENT_JS) for f in ("png", "svg"))
            + "</figcaption>")


def som_html(obj) -> str:
    """What a section renderer returned, as one HTML string (for the app's HTML widgets)."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    if hasattr(obj, "savefig"):
        return figur_html(obj)
    if isinstance(obj, pd.DataFrame):
        return obj.to_html(index=False)
    if hasattr(obj, "_repr_html_"):
        return obj._repr_html_() or ""
    if hasattr(obj, "data") and isinstance(obj.data, str):  # IPython.display.HTML
        return obj.data
    return html.escape(str(obj))


def _show(obj) -> str:
    """Display a section in a static report; returns its HTML as the app shows it (for the view cache)."""
    from IPython.display import HTML, display

    if obj is None:
        return ""
    if hasattr(obj, "savefig"):  # a matplotlib figure: show as SVG with a text alternative, then close
        shown = figur_html(obj)
        display(HTML(shown))
        return shown
    if isinstance(obj, str):  # a renderer's HTML string is HTML, as in the app (som_html), never plain text
        obj = HTML(obj)
    from IPython.core.formatters import format_display_data

    data, metadata = format_display_data(obj)
    if "text/html" in data:  # saved outputs keep their look in an untrusted notebook (no <style> needed)
        data = {**data, "text/html": inline_stil(data["text/html"])}
    display(data, metadata=metadata, raw=True)
    return som_html(obj)


def _stilregler() -> dict[str, str]:
    """The declarations of each class in the shared stylesheet (:data:`.komponenter.STIL`)."""
    import re

    from .komponenter import STIL

    return {m.group(1): m.group(2).strip().rstrip(";") for m in re.finditer(r"\.([\w-]+)\s*\{([^}]*)\}", STIL)}


def inline_stil(html_text: str) -> str:
    """``html_text`` with the shared stylesheet's rules also written on each element as a ``style`` attribute.

    JupyterLab strips ``<style>`` blocks from the outputs of an untrusted notebook (every notebook freshly
    opened or cloned) but keeps inline styles, so the key-figure cards look the same there as in reports.
    An element's own ``style`` comes after the class rules and so still wins; the ``<style>`` block stays.
    """
    import re

    regler = _stilregler()

    def tag(m: re.Match) -> str:
        start, attrs, end = m.group(1), m.group(2), m.group(3)
        cls = re.search(r'\sclass="([^"]*)"', attrs)
        decl = ";".join(regler[c] for c in (cls.group(1).split() if cls else ()) if c in regler)
        if not decl:
            return m.group(0)
        own = re.search(r'\sstyle="([^"]*)"', attrs)
        if own:
            return start + attrs.replace(own.group(0), f' style="{decl};{own.group(1)}"') + end
        return f'{start}{attrs} style="{decl}"{end}'

    return re.sub(r"(<[a-zA-Z][\w-]*)(\s[^<>]*?\bclass=\"[^\"]*\"[^<>]*?)(/?>)", tag, html_text)


def _figure_alt(fig) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return "Figur: " + "; ".join(titles) if titles else "Figur"


def download_links(df: pd.DataFrame, filnavn: str):
    """HTML with CSV and Excel download links (data: URIs, so they also work in static reports)."""
    from IPython.display import HTML

    csv = df.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    buf = io.BytesIO()
    df.to_excel(buf, index=False, sheet_name="data")
    xlsx = buf.getvalue()
    b64c, b64x = base64.b64encode(csv).decode(), base64.b64encode(xlsx).decode()
    name = html.escape(filnavn)
    # accessible: link text says what and which format, underlined (not colour alone), file name in the label
    style = 'style="text-decoration:underline;color:#0b57a4;font-weight:600"'
    return HTML(
        '<p class="vd-download">Hent tallene i tabellen: '
        f'<a download="{name}.csv" href="data:text/csv;charset=utf-8;base64,{b64c}" data-testid="download-csv" '
        f'aria-label="Hent tabellen som CSV-fil ({name}.csv)" {style}>CSV-fil</a> · '
        f'<a download="{name}.xlsx" data-testid="download-xlsx" aria-label="Hent tabellen som Excel-fil ({name}.xlsx)" '
        f'href="data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,{b64x}" {style}>'
        "Excel-fil</a></p>"
    )
