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

Anything else is dropped and logged. :class:`BegraensetKernelManager` caps the
number of live kernels (``max_kernels``): beyond it a page gets HTTP 503 with the
Danish error page instead of the server running out of memory.
"""

from __future__ import annotations

import json

from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

#: Client-to-kernel message types the widgets need; ``execute_request`` is not among them.
TILLADTE_BESKEDER = frozenset({"comm_open", "comm_close", "comm_msg", "comm_info_request", "kernel_info_request"})
#: The only comm targets a client may open (ipywidgets 8).
TILLADTE_COMM_MAAL = frozenset({"jupyter.widget", "jupyter.widget.control", "jupyter.widget.version"})
#: Largest accepted client message (widget updates are a few hundred bytes).
MAKS_BESKED_BYTES = 64 * 1024


def tilladt(msg_type: str | None, content: dict | None) -> bool:
    """True when a client-to-kernel message may pass (pure function, unit-tested)."""
    if msg_type not in TILLADTE_BESKEDER:
        return False
    if msg_type == "comm_open":
        return isinstance(content, dict) and content.get("target_name") in TILLADTE_COMM_MAAL
    return True


class WidgetKunForbindelse(ZMQChannelsWebsocketConnection):
    """Kernel websocket that lets through only what the widgets need (see the module docstring)."""

    def handle_incoming_message(self, incoming_msg) -> None:
        try:
            size = len(incoming_msg)
            if size > MAKS_BESKED_BYTES:
                raise ValueError(f"message of {size} bytes")
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
        super().handle_incoming_message(incoming_msg)


class BegraensetKernelManager(AsyncMappingKernelManager):
    """A kernel manager with a cap on live kernels (preheated pool included)."""

    max_kernels = Integer(0, config=True, help="Most live kernels at once (0: no cap).")

    async def start_kernel(self, *args, **kwargs):
        if self.max_kernels and len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(503, "For mange samtidige brugere lige nu. Prøv igen om et øjeblik.")
        return await super().start_kernel(*args, **kwargs)
