"""Hardening of the served apps: nothing but the rendered page leaves the server, and the kernel
websocket cannot be used to run code (a client outside the browser sends an ``execute_request``)."""

import json
import os
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


# ------------------------------------------------------------------ hostile clients are bounded (issue 19, item 2)

@pytest.fixture(scope="module")
def small_voila(tmp_path_factory):
    """The served configuration on a one-widget notebook (cheap kernels), with a short idle limit for open
    tabs: (url, log path)."""
    import nbformat

    from vidensdata.app import Server

    root = tmp_path_factory.mktemp("apps")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Prøve"),
        nbformat.v4.new_code_cell("import ipywidgets as w\nw.Dropdown(options=['a', 'b'], description='Valg')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "proeve.ipynb")
    log = root / "voila.log"
    with Server(tuned=True, log=log, root=root, pool_size=1, cull_interval=2, cull_connected_timeout=12) as url:
        yield url, log


def _ws(url: str, path: str = "/voila/render/proeve.ipynb"):
    from websockets.sync.client import connect

    status, body = _get(url + path)
    assert status == 200
    kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', body).group(1)
    return kernel, connect(url.replace("http://", "ws://") + f"/api/kernels/{kernel}/channels", open_timeout=30,
                           max_size=None)


def _drain(ws, seconds: float) -> tuple[list[str], object]:
    """Every message until ``seconds`` pass or the server closes; (messages, close frame or None)."""
    from websockets.exceptions import ConnectionClosed

    out, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            out.append(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        except ConnectionClosed as e:
            return out, e.rcvd
    return out, None


LEAK_MARKERS = ("Traceback", 'File "', "/work/", "site-packages", "Error:", "Exception", "No such comm", "<ipywidgets",
                "object at 0x")


def test_close_reasons_fit_a_websocket_close_frame():
    from vidensdata.app_server import LUKKET

    for code, text in LUKKET.values():
        assert 4000 <= code < 5000
        assert len(text.format(tid='15 minutter').encode("utf-8")) <= 123, text  # RFC 6455: 125 bytes minus the code


def test_malformed_widget_messages_get_no_traceback_path_or_repr(small_voila):
    url, _ = small_voila
    kernel, ws = _ws(url)
    with ws:
        ws.send(_msg("comm_info_request", {}))
        msgs, _ = _drain(ws, 5)
        comms = [json.loads(m)["content"]["comms"] for m in msgs if json.loads(m)["msg_type"] == "comm_info_reply"]
        comm = next(iter(comms[0]))
        ws.send(_msg("comm_msg", {"comm_id": comm, "data": {"method": "update", "state": {"index": "x", "options": 5},
                                                             "buffer_paths": []}}))
        ws.send(_msg("comm_msg", {"comm_id": "findes-ikke", "data": {"method": "update"}}))
        ws.send(_msg("comm_msg", {"comm_id": comm, "data": "skrald"}))
        ws.send(_msg("comm_open", {"comm_id": uuid.uuid4().hex, "target_name": "jupyter.widget",
                                   "data": {"state": {"_model_name": "FindesIkkeModel"}}}))
        ws.send("ikke json")
        ws.send(_msg("kernel_info_request", {}))
        msgs, closed = _drain(ws, 6)
    assert closed is None
    types = [json.loads(m)["msg_type"] for m in msgs]
    assert "kernel_info_reply" in types  # the connection still works
    for m in msgs:
        assert not any(k in m for k in LEAK_MARKERS), m[:400]
        parsed = json.loads(m)
        assert not (parsed["msg_type"] == "stream" and parsed["content"].get("name") == "stderr"), m[:300]


def test_widgets_per_kernel_are_capped_with_a_danish_reason(small_voila):
    """3,000 comm_open to jupyter.widget grew a kernel by 280 MB; now the 21st is refused and the page told."""
    from vidensdata.app_server import LUKKET, MAKS_KOMM_AABNINGER

    url, log = small_voila
    _, ws = _ws(url)
    with ws:
        for _ in range(MAKS_KOMM_AABNINGER + 30):
            ws.send(_msg("comm_open", {"comm_id": uuid.uuid4().hex, "target_name": "jupyter.widget", "data": {
                "state": {"_model_name": "DropdownModel", "_model_module": "@jupyter-widgets/controls",
                          "_model_module_version": "2.0.0"}, "buffer_paths": []}}))
        _, closed = _drain(ws, 10)
    assert closed is not None and (closed.code, closed.reason) == LUKKET["for_mange_widgets"]
    assert "dropped comm_open number 21" in log.read_text()


def test_message_rate_per_kernel_is_capped(small_voila):
    from vidensdata.app_server import BESKEDER_BURST, LUKKET

    url, log = small_voila
    _, ws = _ws(url)
    with ws:
        for _ in range(BESKEDER_BURST + 100):
            ws.send(_msg("comm_info_request", {}))
        _, closed = _drain(ws, 10)
    assert closed is not None and (closed.code, closed.reason) == LUKKET["for_mange_beskeder"]
    assert "over the rate limit" in log.read_text()


def test_oversized_message_is_refused_with_a_danish_reason(small_voila):
    from vidensdata.app_server import LUKKET, MAKS_BESKED_BYTES

    url, _ = small_voila
    _, ws = _ws(url)
    with ws:
        ws.send(_msg("comm_msg", {"comm_id": "x", "data": {"fyld": "x" * (MAKS_BESKED_BYTES + 10)}}))
        _, closed = _drain(ws, 10)
    assert closed is not None and (closed.code, closed.reason) == LUKKET["for_stor_besked"]


@pytest.mark.parametrize("method,path", [
    ("GET", "/x"), ("GET", "/voila"), ("GET", "/api/kernels/abc"), ("GET", "/static/findes-ikke.js"),
    ("GET", "/voila/static/findes-ikke.js"), ("GET", "/voila/templates/x"), ("GET", "/logout"), ("GET", "/login"),
    ("GET", "/voila/render/%ff"), ("GET", "/voila/api/contents/findes-ikke"), ("GET", "/api/status"),
    ("POST", "/voila/api/shutdown/abc"), ("DELETE", "/api/kernels/abc"), ("GET", "/favicon.ico"),
    ("GET", "/api/kernels/00000000-0000-0000-0000-000000000000/channels"),
])
def test_every_error_route_answers_in_danish_without_paths(small_voila, method, path):
    url, _ = small_voila
    req = urllib.request.Request(url + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, body, ctype = r.status, r.read().decode("utf-8", "replace"), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        status, body, ctype = e.code, e.read().decode("utf-8", "replace"), e.headers.get("Content-Type", "")
    assert status >= 400, (path, status)
    assert status < 500, (path, status)  # a bad address is not a server error
    if "json" in ctype:
        assert json.loads(body)["message"].endswith(f"Fejlkode {status}."), body
    else:
        assert '<html lang="da">' in body and f"Fejlkode: {status}" in body, body[:300]
    for english in ("Not Found", "Forbidden", "Internal Server Error", "Method Not Allowed", "Bad Request",
                    "_xsrf", "Kernel does not exist", "Traceback", "/work/", "/tmp/"):
        assert english not in body, (path, english, body[:300])


def test_kernels_talk_over_ipc_sockets_not_tcp(small_voila):
    import glob
    import stat

    url, log = small_voila
    kernel, ws = _ws(url)
    with ws:
        pass
    [conn] = glob.glob(f"/tmp/voila_*/kernel-{kernel}.json")
    info = json.loads(open(conn).read())
    assert info["transport"] == "ipc"
    folder = os.path.dirname(conn)
    assert stat.S_IMODE(os.stat(folder).st_mode) & 0o777 == 0o700  # only the server's user reaches the sockets
    assert any(stat.S_ISSOCK(os.stat(p).st_mode) for p in glob.glob(f"{folder}/kernel-{kernel}-ipc-*"))
    assert "without encryption" not in log.read_text()


def test_a_kernel_idle_in_an_open_tab_is_culled_and_the_page_says_so(small_voila):
    """Browser: the tab stays open and idle; after the idle limit the kernel is shut down and the page says how
    to continue (Danish, role=alert)."""
    from playwright.sync_api import sync_playwright

    url, log = small_voila
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(url + "/voila/render/proeve.ipynb")
        page.wait_for_selector(".widget-dropdown select", timeout=60_000)
        kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content()).group(1)
        alert = page.wait_for_selector("#vd-frakoblet[role=alert]", timeout=60_000)
        text = alert.inner_text()
        browser.close()
    assert text == "Appen er lukket efter 12 sekunder uden aktivitet. Genindlæs siden for at fortsætte.", text
    assert f"culling kernel {kernel} idle" in log.read_text()


def test_closing_the_tab_shuts_its_kernel_down(small_voila):
    """Voila's beforeunload beacon carries the _xsrf cookie's token: the kernel stops at once (no 403).
    Runs after the cull test: the pooled kernel it takes has been quiet longer than the idle limit (12 s), which
    must not get it culled the moment the page connects."""
    from playwright.sync_api import sync_playwright

    url, log = small_voila
    time.sleep(14)  # the pooled kernel is now idle longer than the open-tab limit
    start = len(log.read_text())  # the error-route test posts without a token on purpose: look only from here
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/voila/render/proeve.ipynb")
        page.wait_for_selector(".widget-dropdown select", timeout=60_000)
        kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content()).group(1)
        assert any(c["name"] == "_xsrf" for c in context.cookies())
        page.close(run_before_unload=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and f"Kernel shutdown: {kernel}" not in log.read_text():
            time.sleep(0.5)
        browser.close()
    text = log.read_text()[start:]
    assert f"Kernel shutdown: {kernel}" in text
    assert "'_xsrf' argument missing" not in text
