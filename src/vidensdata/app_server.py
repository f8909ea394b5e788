"""Server-side guards for the Voila apps, loaded by the Voila process (see :mod:`vidensdata.app`).

Why here and not in a notebook: the browser talks to the kernel over a websocket,
and anybody who can open a page can open that websocket from a script. Voila 0.5
already gives its kernel manager ``allowed_message_types`` (comm and info messages
only; jupyter_server then drops ``execute_request``), but that is an implementation
detail of one Voila version. :class:`WidgetKunForbindelse` makes the rule ours and
explicit, and narrows it further:

* only the message types the widgets need (:data:`TILLADTE_BESKEDER`);
* ``comm_open`` only for the ipywidgets comm targets (no other kernel comm);
* a size cap per message (:data:`MAKS_BESKED_BYTES`).

Anything else is dropped and logged. A hostile client is bounded further, per kernel
(all of its websockets together): at most :data:`MAKS_KOMM_AABNINGER` ``comm_open``
(each creates a widget in the kernel), at most :data:`BESKEDER_PR_SEKUND` messages a
second (burst :data:`BESKEDER_BURST`). Beyond a limit the message is dropped and the
websocket is closed with a code in 4000-4999 and a Danish reason, which the template
shows on the page (:data:`LUKKET`). Nothing the kernel writes to stderr, and no
traceback, reaches a client (:func:`renset`).

:class:`BegraensetKernelManager` caps the number of live kernels (``max_kernels``):
beyond it a page gets HTTP 503 with the Danish error page instead of the server
running out of memory; and it culls kernels that sit idle in an open tab after
``cull_connected_timeout`` seconds, telling the page so.

:class:`VidensdataVoila` is Voila with the project's server-side rules
(``python -m vidensdata.app_server`` takes Voila's command line): every response with
status >= 400, on any route, is replaced by a Danish page or Danish JSON
(:class:`DanskeFejlsider`: no Tornado English page, no path, no exception text), and
the app page sets the ``_xsrf`` cookie so that closing a tab shuts its kernel down
(Voila's frontend sends the cookie's token with its ``beforeunload`` beacon). It also serves the
generated reports read-only at ``rapporter/`` (:class:`RapportFiler`), so the apps' landing page
links to the reports' landing page on the same server and the reports link back: only the report
file types (:data:`RAPPORT_FILTYPER`), never a hidden file, a symbolic link, a path out of the
folder, or ``.json``; anything else is the Danish 404 page.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from jupyter_client.session import DELIM
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer, Unicode

#: Client-to-kernel message types the widgets need; ``execute_request`` is not among them.
TILLADTE_BESKEDER = frozenset({"comm_open", "comm_close", "comm_msg", "comm_info_request", "kernel_info_request"})
#: The only comm targets a client may open (ipywidgets 8).
TILLADTE_COMM_MAAL = frozenset({"jupyter.widget", "jupyter.widget.control", "jupyter.widget.version"})
#: Largest accepted client message (widget updates are a few hundred bytes).
MAKS_BESKED_BYTES = 64 * 1024
#: Most ``comm_open`` from clients per kernel (a page opens 1-2: the widget manager's control comm).
MAKS_KOMM_AABNINGER = 20
#: Sustained client messages per second per kernel, and the burst allowed above it (a page load sends ~10).
BESKEDER_PR_SEKUND = 20
BESKEDER_BURST = 200
#: Seconds a kernel may sit idle with an open tab before it is shut down (``cull_connected_timeout``).
INAKTIV_GRAENSE = 15 * 60

#: Websocket close codes (4000-4999: the application's own) and the Danish reason the page shows.
#: A close reason is at most 123 bytes of UTF-8 (RFC 6455); tests/test_app_security.py checks it.
LUKKET = {
    "for_mange_beskeder": (4429, "Appen fik for mange beskeder på kort tid og er koblet fra. Genindlæs siden."),
    "for_mange_widgets": (4430, "Appen har nået grænsen for antal elementer og er koblet fra. Genindlæs siden."),
    "for_stor_besked": (4413, "En besked til appen var for stor og blev afvist. Genindlæs siden."),
    "inaktiv": (4408, "Appen er lukket efter {tid} uden aktivitet. Genindlæs siden for at fortsætte."),
}
#: What a client sees instead of an error's name, value and traceback.
FEJL_TEKST = "Der opstod en fejl i appen. Prøv at genindlæse siden."


def tilladt(msg_type: str | None, content: dict | None) -> bool:
    """True when a client-to-kernel message may pass (pure function, unit-tested)."""
    if msg_type not in TILLADTE_BESKEDER:
        return False
    if msg_type == "comm_open":
        return isinstance(content, dict) and content.get("target_name") in TILLADTE_COMM_MAAL
    return True


def renset(msg_type: str | None, content: dict | None) -> dict | None:
    """A kernel-to-client message's content made safe for a client; None: drop the message.

    Drops everything written to stderr (ipykernel forwards the kernel's log, e.g. the traceback of
    a malformed widget message), replaces an error's name, value and traceback with a Danish text,
    and does the same inside widget state (an ``Output`` widget's ``outputs``)."""
    if msg_type == "stream" and isinstance(content, dict) and content.get("name") == "stderr":
        return None
    if msg_type == "error" or (isinstance(content, dict) and content.get("status") == "error"):
        return {**{k: v for k, v in (content or {}).items() if k not in ("ename", "evalue", "traceback")},
                "ename": "Fejl", "evalue": FEJL_TEKST, "traceback": [FEJL_TEKST]}
    return _rens_udskrifter(content)


def _rens_udskrifter(value):
    """Error outputs and stderr streams inside widget state (lists of outputs), recursively."""
    if isinstance(value, dict):
        if value.get("output_type") == "error":
            return {"output_type": "error", "ename": "Fejl", "evalue": FEJL_TEKST, "traceback": [FEJL_TEKST]}
        return {k: _rens_udskrifter(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rens_udskrifter(v) for v in value
                if not (isinstance(v, dict) and v.get("output_type") == "stream" and v.get("name") == "stderr")]
    return value


class _Kvote:
    """Per kernel: ``comm_open`` so far and a token bucket of client messages."""

    def __init__(self):
        self.komm_aabninger = 0
        self.tokens = float(BESKEDER_BURST)
        self.sidst = time.monotonic()

    def besked(self) -> bool:
        nu = time.monotonic()
        self.tokens = min(float(BESKEDER_BURST), self.tokens + (nu - self.sidst) * BESKEDER_PR_SEKUND)
        self.sidst = nu
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class WidgetKunForbindelse(ZMQChannelsWebsocketConnection):
    """Kernel websocket that lets through only what the widgets need (see the module docstring)."""

    _kvoter: dict[str, _Kvote] = {}
    _forbindelser: dict[str, set] = {}

    @classmethod
    def glem(cls, kernel_id: str) -> None:
        """Forget a kernel's quota (it was shut down)."""
        cls._kvoter.pop(kernel_id, None)
        cls._forbindelser.pop(kernel_id, None)
        cls._forbundet.pop(kernel_id, None)

    @classmethod
    def luk_kerne(cls, kernel_id: str, grund: str, **fmt) -> int:
        """Close every websocket of a kernel with one of :data:`LUKKET`'s Danish reasons; returns how many."""
        conns = list(cls._forbindelser.get(kernel_id, ()))
        for conn in conns:
            conn.luk(grund, **fmt)
        return len(conns)

    def luk(self, grund: str, **fmt) -> None:
        code, text = LUKKET[grund]
        try:
            self.websocket_handler.close(code, text.format(**fmt))
        except Exception:  # noqa: BLE001 - already closed
            pass

    _forbundet: dict[str, float] = {}

    @classmethod
    def sekunder_siden_forbindelse(cls, kernel_id: str) -> float:
        """Seconds since a client last connected to the kernel (a connection is activity too)."""
        return time.monotonic() - cls._forbundet.get(kernel_id, float("-inf"))

    def connect(self):
        self._forbindelser.setdefault(self.kernel_id, set()).add(self)
        self._forbundet[self.kernel_id] = time.monotonic()
        return super().connect()

    def disconnect(self):
        self._forbindelser.get(self.kernel_id, set()).discard(self)
        return super().disconnect()

    def handle_incoming_message(self, incoming_msg) -> None:
        kvote = self._kvoter.setdefault(self.kernel_id, _Kvote())
        if not kvote.besked():
            self.log.warning("vidensdata: dropped a message over the rate limit (kernel %s)", self.kernel_id)
            self.luk("for_mange_beskeder")
            return
        try:
            size = len(incoming_msg)
            if size > MAKS_BESKED_BYTES:
                self.log.warning("vidensdata: dropped a message of %d bytes (limit %d)", size, MAKS_BESKED_BYTES)
                self.luk("for_stor_besked")
                return
            if self.subprotocol == "v1.kernel.websocket.jupyter.org":
                _, parts = deserialize_msg_from_ws_v1(incoming_msg)
                header = self.session.unpack(parts[0])
                content = self.session.unpack(parts[3]) if header.get("msg_type") == "comm_open" else None
            else:
                msg = json.loads(incoming_msg)
                header, content = msg.get("header") or {}, msg.get("content")
            msg_type = header.get("msg_type")
        except Exception as exc:  # noqa: BLE001 - malformed input is dropped, never passed on
            self.log.warning("vidensdata: dropped a malformed kernel message (%s)", exc)
            return
        if not tilladt(msg_type, content):
            self.log.warning("vidensdata: dropped a %r message from a client (not needed by the widgets)", msg_type)
            return
        if msg_type == "comm_open":
            kvote.komm_aabninger += 1
            if kvote.komm_aabninger > MAKS_KOMM_AABNINGER:
                self.log.warning("vidensdata: dropped comm_open number %d (limit %d, kernel %s)",
                                 kvote.komm_aabninger, MAKS_KOMM_AABNINGER, self.kernel_id)
                self.luk("for_mange_widgets")
                return
        super().handle_incoming_message(incoming_msg)

    def handle_outgoing_message(self, stream, outgoing_msg) -> None:
        """Kernel to client: drop stderr, and no traceback or exception text (:func:`renset`)."""
        try:
            # fed: signature, header, parent, metadata, content, buffers …
            idents, fed = self.session.feed_identities(outgoing_msg)
            msg_type = self.session.unpack(fed[1]).get("msg_type")
            raw = bytes(fed[4])
            if msg_type in ("stream", "error") or b"output_type" in raw or b'"status": "error"' in raw \
                    or b'"status":"error"' in raw:
                content = self.session.unpack(raw)
                ny = renset(msg_type, content)
                if ny is None:
                    return
                if ny != content:
                    fed = list(fed)
                    fed[4] = self.session.pack(ny)
                    fed[0] = self.session.sign(fed[1:5])
                    outgoing_msg = [*idents, DELIM, *fed]
        except Exception as exc:  # noqa: BLE001 - a message we cannot read is not sent on
            self.log.warning("vidensdata: dropped a kernel message that could not be checked (%s)", exc)
            return
        super().handle_outgoing_message(stream, outgoing_msg)


def varighed(sekunder: int) -> str:
    """Danish duration: ``15 minutter``, ``1 minut``, ``45 sekunder``."""
    if sekunder % 60 == 0:
        m = sekunder // 60
        return f"{m} minut" if m == 1 else f"{m} minutter"
    return f"{sekunder} sekunder"


class BegraensetKernelManager(AsyncMappingKernelManager):
    """A kernel manager with a cap on live kernels (preheated pool included) that also culls kernels
    idle in an open tab."""

    max_kernels = Integer(0, config=True, help="Most live kernels at once (0: no cap).")
    cull_connected_timeout = Integer(
        INAKTIV_GRAENSE, config=True,
        help="Seconds a kernel with an open tab may be idle before it is shut down (0: never).")

    async def start_kernel(self, *args, **kwargs):
        if self.max_kernels and len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(503, "For mange samtidige brugere lige nu. Prøv igen om et øjeblik.")
        return await super().start_kernel(*args, **kwargs)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        WidgetKunForbindelse.glem(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    async def cull_kernels(self):
        """Every ``cull_interval``: cull idle kernels, then refill the preheated pools."""
        await super().cull_kernels()
        self.fyld_puljer()

    def _udtaget(self) -> dict:
        """``kernel id -> time.monotonic()`` of the culling round that first saw it outside its pool (a page
        took it); ``None`` while it is in a pool."""
        return self.__dict__.setdefault("_vd_udtaget", {})

    def _sekunder_siden_udtaget(self, kernel_id) -> float | None:
        """Seconds since a pooled kernel was handed to a page (counted from the first culling round that found
        it outside its pool), or None for a kernel that was never seen in a pool.

        A pooled kernel has been idle since it was preheated, often longer than ``cull_idle_timeout``; a page
        that takes it connects its websocket a few seconds later (more under load). A culling round in between
        found "0 connections, idle 240 s" and shut the page's kernel down: the page never got its widgets
        (seen in the full test suite, 2026-12-02)."""
        udtaget = self._udtaget()
        if kernel_id not in udtaget:
            return None
        if udtaget[kernel_id] is None:
            udtaget[kernel_id] = time.monotonic()
        return time.monotonic() - udtaget[kernel_id]

    def fyld_puljer(self) -> int:
        """Bring every preheated pool back to its size when the cap allows; returns the kernels started.

        Voila refills a pool only when a page takes a kernel from it. A refill that met the cap failed (HTTP
        503), its failed task stayed in the pool until the culler dropped it, and from then on no page took a
        kernel from the pool, so nothing refilled it: every later page waited for a fresh kernel (3.6-3.8 s
        instead of 0.1 s) until the server was restarted. The pools live in the class Voila derives from this
        one (``VoilaKernelManager``: ``_pools``, ``kernel_pools_config``, ``fill_if_needed``)."""
        pools, fill = getattr(self, "_pools", None), getattr(self, "fill_if_needed", None)
        if pools is None or fill is None:
            return 0
        config = getattr(self, "kernel_pools_config", {}) or {}
        started = 0
        udtaget = self._udtaget()
        for kernel_id in [k for k in udtaget if k not in self._kernels]:
            del udtaget[kernel_id]  # shut down
        for name, pool in list(pools.items()):
            pool[:] = [t for t in pool if not (t.done() and (t.cancelled() or t.exception() is not None))]
            for task in pool:
                if task.done():
                    udtaget[task.result()["kernel_id"]] = None  # in the pool now
            size = config.get(name, config.get("default", {})).get("pool_size", 1)
            missing = size - len(pool)
            if missing <= 0:
                continue
            if self.max_kernels and len(self.list_kernel_ids()) + missing > self.max_kernels:
                continue  # still at the cap: the next round tries again
            self.log.info("vidensdata: refilling the kernel pool of %s with %d kernel(s)", name, missing)
            fill(delay=0, notebook_name=name)
            started += missing
        return started

    async def cull_kernel_if_idle(self, kernel_id):
        from jupyter_core.utils import ensure_async
        from jupyter_server._tz import utcnow

        kernel = self._kernels.get(kernel_id)
        connections = self._kernel_connections.get(kernel_id, 0)
        siden = self._sekunder_siden_udtaget(kernel_id)
        if siden is not None and not connections and siden < self.cull_idle_timeout:
            return  # a page has just taken it from the pool: its websocket is on the way
        if kernel is not None and connections and self.cull_connected_timeout and hasattr(kernel, "last_activity"):
            # a kernel taken from the pool has been quiet since it was preheated: count from the page's connection
            idle = min((utcnow() - kernel.last_activity).total_seconds(),
                       WidgetKunForbindelse.sekunder_siden_forbindelse(kernel_id))
            if idle > self.cull_connected_timeout and getattr(kernel, "execution_state", None) != "busy":
                self.log.warning("vidensdata: culling kernel %s idle for %d s with %d open tab(s)",
                                 kernel_id, idle, connections)
                WidgetKunForbindelse.luk_kerne(kernel_id, "inaktiv", tid=varighed(self.cull_connected_timeout))
                await ensure_async(self.shutdown_kernel(kernel_id))
                return
        return await super().cull_kernel_if_idle(kernel_id)


# ----------------------------------------------------------------------------- Danish errors on every route

_FEJL_SIDER = {
    400: ("Forespørgslen kunne ikke bruges", "Adressen eller forespørgslen er ikke gyldig."),
    403: ("Adgang nægtet", "Denne side eller fil kan ikke hentes."),
    404: ("Siden findes ikke", "Den side, du har bedt om, findes ikke."),
    405: ("Forespørgslen kunne ikke bruges", "Denne handling er ikke tilladt her."),
    503: ("Appen har travlt lige nu", "Der er mange brugere i øjeblikket. Prøv igen om et øjeblik."),
}


def fejlside(status: int, base_url: str = "/") -> tuple[str, str]:
    """The Danish (title, HTML page) for an HTTP status: no path, no exception text."""
    import html as _html

    titel, tekst = _FEJL_SIDER.get(status, ("Der opstod en fejl",
                                            "Appen kunne ikke vise siden. Prøv at genindlæse siden."))
    side = (f'<!DOCTYPE html>\n<html lang="da">\n<head><meta charset="utf-8"><title>{titel} – vidensdata</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
            '<body><main id="vd-fejl" style="max-width:720px;margin:2em auto;padding:0 1em;'
            f'font-family:system-ui,sans-serif;color:#111"><h1>{titel}</h1><p>{tekst} Gå til '
            f'<a href="{_html.escape(base_url)}" style="color:#0b57a4">forsiden</a>.</p>'
            f'<p>Fejlkode: {int(status)}</p></main></body>\n</html>\n')
    return titel, side


class DanskeFejlsider(web.OutputTransform):
    """Every response with status >= 400 gets a Danish body, on every route (Tornado's own pages, the
    JSON API, static files): HTML for pages, ``{"message": ...}`` for JSON. The original text (English,
    sometimes a path or an exception's repr) is dropped; the server log keeps it."""

    base_url = "/"

    def __init__(self, request):
        super().__init__(request)
        self._head = request.method == "HEAD"
        self._erstattet = False

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if status_code < 400:
            return status_code, headers, chunk
        titel, side = fejlside(status_code, self.base_url)
        if "json" in headers.get("Content-Type", ""):
            body = json.dumps({"message": f"{titel}. Fejlkode {status_code}.", "reason": None},
                              ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=UTF-8"
        else:
            body = side.encode("utf-8")
            headers["Content-Type"] = "text/html; charset=UTF-8"
        for h in ("Etag", "Last-Modified", "Content-Encoding"):
            headers.pop(h, None)
        headers["Content-Length"] = str(len(body))
        self._erstattet = True
        return status_code, headers, b"" if self._head else body

    def transform_chunk(self, chunk, finishing):
        return b"" if self._erstattet else chunk


# ----------------------------------------------------------------------------- the reports, read-only

#: Where the reports are served, below the server's base URL (the apps' landing page links to ``rapporter/index.html``).
RAPPORT_STI = "rapporter"
#: The only file types served there: what ``vidensdata run`` publishes (pages, tables, figures, PDFs).
RAPPORT_FILTYPER = frozenset({".html", ".csv", ".xlsx", ".png", ".svg", ".pdf"})


def rapport_fil(rod: Path, sti: str) -> Path | None:
    """The file below the reports folder ``rod`` that the URL path ``sti`` names, or None when it may not be
    served (pure apart from ``lstat``; unit-tested).

    ``""`` and a path ending in ``/`` mean that folder's ``index.html``. Refused: an empty, ``.`` or ``..``
    part, a hidden part (``.git``, ``.env``), a backslash or NUL, a file type not in :data:`RAPPORT_FILTYPER`
    (``.json``, ``.ipynb``, ``.py`` …), a symbolic link anywhere on the way (a link could point out of the
    folder), and anything that is not a regular file."""
    if "\\" in sti or "\x00" in sti:
        return None
    if sti == "" or sti.endswith("/"):
        sti += "index.html"
    dele = sti.split("/")
    if any(d in ("", ".", "..") or d.startswith(".") for d in dele):
        return None
    if Path(dele[-1]).suffix.lower() not in RAPPORT_FILTYPER:
        return None
    sti_nu = Path(rod)
    for d in dele:
        sti_nu = sti_nu / d
        try:
            info = os.lstat(sti_nu)
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(info.st_mode):
            return None
    return sti_nu if stat.S_ISREG(info.st_mode) else None


class RapportFiler(web.StaticFileHandler):
    """The reports folder, read-only (GET and HEAD): :func:`rapport_fil` decides what may be served; everything
    else is a 404, which :class:`DanskeFejlsider` turns into the Danish page."""

    def initialize(self, path: str, default_filename: str | None = None) -> None:
        super().initialize(path=os.path.realpath(path), default_filename=None)

    async def get(self, path: str, include_body: bool = True) -> None:
        fil = rapport_fil(Path(self.root), path)
        if fil is None:
            raise web.HTTPError(404)
        await super().get(fil.relative_to(self.root).as_posix(), include_body=include_body)

    def get_content_type(self) -> str:
        ctype = super().get_content_type()
        return f"{ctype}; charset=utf-8" if ctype in ("text/html", "text/csv", "image/svg+xml") else ctype

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")  # a new run replaces the files under the same names


# ----------------------------------------------------------------------------- the kernel-less page

def _gzip(handler: web.RequestHandler) -> bool:
    """True (and ``Content-Encoding: gzip`` set) when the client accepts a gzip-compressed body."""
    handler.set_header("Vary", "Accept-Encoding")
    ok = "gzip" in handler.request.headers.get("Accept-Encoding", "")
    if ok:
        handler.set_header("Content-Encoding", "gzip")
    return ok


class VisSide(web.RequestHandler):
    """``vis/<tema>``: a theme's view from the view cache as one plain page, no kernel
    (:mod:`vidensdata.app_vis`). A view that is not cached is redirected (303) to the interactive app with the
    same choice; an unknown theme is the Danish 404 page. Gzip-compressed when the client accepts it."""

    sider = None  # one app_vis.Sider per server process (created on first use)

    def initialize(self, base_url: str = "/") -> None:
        self.base_url = base_url

    def _side(self, navn: str) -> bytes | None:
        from . import app_vis

        if VisSide.sider is None:
            VisSide.sider = app_vis.Sider()
        query = self.request.query
        try:
            return VisSide.sider.hent(navn, query, self.base_url)
        except KeyError:
            raise web.HTTPError(404) from None
        except app_vis.IkkeICache:
            self.redirect(app_vis.app_sti(navn, query, self.base_url), status=303)
            return None

    def get(self, navn: str) -> None:
        self._svar(navn, include_body=True)

    def head(self, navn: str) -> None:
        self._svar(navn, include_body=False)

    def _svar(self, navn: str, include_body: bool) -> None:
        import gzip

        body = self._side(navn)
        if body is None:
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")  # a data refresh gives another view under the same address
        if not _gzip(self):
            body = gzip.decompress(body)
        self.set_header("Content-Length", str(len(body)))
        if include_body:
            self.write(body)

    def compute_etag(self) -> str | None:
        return None  # the body is already compressed; no-cache revalidation is cheap here


class VisFigur(web.RequestHandler):
    """``vis/figur/<tema>/<view key>/<section>/<k>.svg``: one figure of a cached view (:func:`app_vis.figur`). The
    address names the view's content (its cache key), so the answer never changes: cached by the browser for a
    year. An SVG opened on its own may run nothing (``Content-Security-Policy``)."""

    def get(self, navn: str, noegle: str, n: str, k: str) -> None:
        import gzip

        from . import app_vis

        svg = app_vis.figur(navn, noegle, int(n), int(k))
        if svg is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "image/svg+xml; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.write(gzip.compress(svg, 6) if _gzip(self) else svg)

    def compute_etag(self) -> str | None:
        return None  # immutable: the address is the version


# ----------------------------------------------------------------------------- Voila with these rules

def _voila_klasse():
    """:class:`VidensdataVoila`, built on first use (importing voila.app is slow and not needed by tests of
    the pure functions above)."""
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    class XsrfVoilaHandler(TornadoVoilaHandler):
        """The app page sets the ``_xsrf`` cookie: Voila's frontend reads it for the tab-close beacon
        (``POST /voila/api/shutdown/<kernel>``), which jupyter_server rejects without the token."""

        async def prepare(self):
            await super().prepare()
            self.xsrf_token  # noqa: B018 - the property sets the cookie

    class VidensdataVoila(Voila):
        name = "vidensdata-voila"
        rapport_mappe = Unicode("", config=True,
                                help="The reports folder served read-only at rapporter/ (default: paths().reports).")

        def init_handlers(self):
            from jupyter_server.utils import url_path_join

            from .config import paths

            handlers = super().init_handlers()
            # routes that answered 500 (a template path without a static part, logout without a login) are
            # simply not found; no login exists in the apps
            missing = [(url_path_join(self.server_url, pattern), web.ErrorHandler, {"status_code": 404})
                       for pattern in (r"/voila/templates/(?![^/]+/static/).*", r"/log(in|out)/?")]
            rapporter = [
                (url_path_join(self.server_url, RAPPORT_STI), web.RedirectHandler,
                 {"url": url_path_join(self.base_url, RAPPORT_STI, "index.html")}),
                (url_path_join(self.server_url, RAPPORT_STI, "(.*)"), RapportFiler,
                 {"path": self.rapport_mappe or str(paths().reports)}),
            ]
            from . import app_vis  # at start: the first page does not pay for the themes' imports

            vis = [(url_path_join(self.server_url, app_vis.VIS_STI, app_vis.FIGUR_STI,
                                  r"([a-z0-9_]+)/([0-9a-f]+)/([0-9]{1,3})/([0-9]{1,3})\.svg"), VisFigur),
                   (url_path_join(self.server_url, app_vis.VIS_STI, r"(?P<navn>[a-z0-9_]+)/?"), VisSide,
                    {"base_url": self.base_url})]
            return missing + rapporter + vis + [
                (h[0], XsrfVoilaHandler, *h[2:]) if len(h) > 1 and h[1] is TornadoVoilaHandler else h for h in handlers]

        def listen(self):
            DanskeFejlsider.base_url = self.base_url
            self.app.add_transform(DanskeFejlsider)
            return super().listen()

    return VidensdataVoila


def main() -> None:
    """``python -m vidensdata.app_server <voila arguments>``: Voila with the rules of this module."""
    _voila_klasse().launch_instance()


if __name__ == "__main__":
    main()
