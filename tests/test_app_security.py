"""Hardening of the served apps: nothing but the rendered page leaves the server, and the kernel
websocket cannot be used to run code (a client outside the browser sends an ``execute_request``)."""

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE_MARKERS = ("import vidensdata", "tema.visning", "def ", "Traceback", "NBVAL_CHECK_OUTPUT", '"cell_type"')


def _get(url: str) -> tuple[int, str]:
    req = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


@pytest.mark.parametrize("path", [
    "/voila/files/serviceudvikling.ipynb",
    "/voila/files/serviceudvikling.ipynb?download=1",
    "/voila/files/../../src/vidensdata/app.py",
    "/voila/files/%2e%2e/%2e%2e/pyproject.toml",
    "/voila/files/",
    "/voila/static/../app.py",
    "/files/serviceudvikling.ipynb",
    "/api/contents",
    "/api/contents/serviceudvikling.ipynb",
    "/api/kernels",
    "/api/sessions",
    "/api/terminals",
    "/notebooks/serviceudvikling.ipynb",
    "/nbconvert/script/serviceudvikling.ipynb",
    "/lab",
    "/voila/render/findesikke.ipynb",
])
def test_no_code_or_notebook_is_served(tuned_voila, path):
    url, _ = tuned_voila
    status, body = _get(url + path)
    assert status in (403, 404), (path, status)
    assert not any(m in body for m in CODE_MARKERS), (path, body[:300])


def test_error_page_is_danish(tuned_voila):
    url, _ = tuned_voila
    status, body = _get(url + "/voila/render/findesikke.ipynb")
    assert status == 404 and "Siden findes ikke" in body and '<html lang="da">' in body
    assert "findesikke" not in body  # no path or exception text echoed


def test_contents_api_never_returns_content(tuned_voila):
    url, _ = tuned_voila
    status, body = _get(url + "/voila/api/contents/serviceudvikling.ipynb?content=1&format=text")
    assert status == 200 and json.loads(body)["content"] is None


def test_rendered_page_has_no_source_and_ignores_template_override(tuned_voila):
    url, _ = tuned_voila
    status, body = _get(url + "/voila/render/serviceudvikling.ipynb?download=1&template=lab&theme=dark")
    assert status == 200
    assert not any(m in body for m in CODE_MARKERS)
    assert '<html lang="da">' in body and 'data-jp-theme-name="JupyterLab Dark"' not in body


def _kernel_id(url: str) -> str:
    status, body = _get(url + "/voila/render/serviceudvikling.ipynb")
    assert status == 200
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', body).group(1)


def _msg(msg_type: str, content: dict, channel: str = "shell") -> str:
    return json.dumps({
        "channel": channel,
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "angriber", "session": "s",
                   "date": "2026-01-01T00:00:00Z", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "buffers": [],
    })


def test_kernel_websocket_rejects_code_execution(tuned_voila, tmp_path):
    """From outside the browser: open the kernel websocket of a rendered app and try to write a file."""
    from websockets.sync.client import connect

    url, log = tuned_voila
    target = tmp_path / "pwned.txt"
    code = f"open({str(target)!r}, 'w').write('kode udefra')"
    kernel = _kernel_id(url)
    ws_url = url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
    with connect(ws_url, open_timeout=30) as ws:
        ws.send(_msg("execute_request", {"code": code, "silent": False, "store_history": False,
                                         "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}))
        ws.send(_msg("execute_request", {"code": code, "silent": True}, channel="control"))
        ws.send(_msg("comm_open", {"comm_id": uuid.uuid4().hex, "target_name": "ikke.en.widget", "data": {}}))
        ws.send(_msg("shutdown_request", {"restart": True}, channel="control"))
        # an allowed message still works: the connection is live, the others were dropped
        ws.send(_msg("kernel_info_request", {}))
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            reply = json.loads(ws.recv(timeout=30))
            seen.append(reply["msg_type"])
            if reply["msg_type"] == "kernel_info_reply":
                break
        assert "kernel_info_reply" in seen, seen
        assert "execute_reply" not in seen and "execute_input" not in seen and "shutdown_reply" not in seen
    time.sleep(1.0)
    assert not target.exists(), "a client outside the browser ran code in the app's kernel"
    text = log.read_text()
    assert "vidensdata: dropped a 'execute_request' message" in text  # our filter, not only Voila's default
    assert "vidensdata: dropped a 'comm_open' message" in text


def _abort_mid_render(url: str, path: str) -> bytes:
    """Send a page request, read only the first bytes of the answer, then reset the connection."""
    import socket
    import struct
    from urllib.parse import urlsplit

    u = urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=60)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode())
        first = s.recv(256)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not a clean close
    finally:
        s.close()
    return first


@pytest.mark.parametrize("app", ["serviceudvikling.ipynb", "overdoedelighed.ipynb", "maalgruppe.ipynb"])
def test_server_survives_clients_that_disconnect_mid_render(tuned_voila, app):
    """Clients that hang up halfway through a page (pooled kernel or not) leave a server that still serves."""
    url, log = tuned_voila
    for _ in range(3):  # the first may take the preheated kernel; the others need new kernels, cut off mid-way
        first = _abort_mid_render(url, f"/voila/render/{app}?geografi=Aarhus")
        assert first.startswith(b"HTTP/1.1 200"), first[:80]
    status, body = _get(url + f"/voila/render/{app}")
    assert status == 200
    assert '"kernelId"' in body and '<html lang="da">' in body
    assert not any(m in body for m in CODE_MARKERS)
    assert "Traceback (most recent call last)" not in log.read_text()


def test_a_hanging_cell_is_stopped_with_a_danish_message(tmp_path):
    """Request timeouts: a page whose computation hangs gets the Danish message after the cell time limit."""
    import nbformat

    from vidensdata.app import Server

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Hænger"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(600)"),
        nbformat.v4.new_code_cell("print('aldrig her')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "haenger.ipynb")
    log = tmp_path / "voila.log"
    with Server(tuned=True, log=log, root=tmp_path, pool_size=1, cell_timeout=3) as url:
        t0 = time.monotonic()
        status, body = _get(url + "/voila/render/haenger.ipynb")
        took = time.monotonic() - t0
    assert status == 200
    assert "Beregningen tog for lang tid og blev stoppet" in body and "Der opstod en fejl i appen" in body
    assert "aldrig her" not in body and "time.sleep" not in body
    assert "Cell execution timed out" not in body and "Traceback" not in body  # no English, no traceback
    assert took < 60, took
