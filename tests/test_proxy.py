"""Scale out behind a real proxy (issue 19, item 4): Debian's nginx with ``deploy/nginx/vidensdata-apps.conf`` on
loopback in front of two ``vidensdata app`` instances. Sticky sessions (a page and its kernel websocket reach the
same instance), websocket upgrade through nginx, and failover: one instance is killed and new page views keep
working with zero errors. nginx is installed by ``scripts/install-nginx.sh`` (a prerequisite of ``make test``)."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

from vidensdata.app import descendants, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "deploy" / "nginx" / "vidensdata-apps.conf"
APP = "/voila/render/serviceudvikling.ipynb"
KEY = '[data-testid^="noegletal-"]'
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def render_conf(listen_port: int, upstream_ports: list[int]) -> str:
    """The deployment file with only its ``listen`` line (loopback, no TLS) and upstream ports replaced."""
    text = CONF.read_text()
    listen = "    listen 443 ssl http2;\n"
    assert text.count(listen) == 1, "deploy/nginx/vidensdata-apps.conf: the listen line changed; update this test"
    text = text.replace(listen, f"    listen 127.0.0.1:{listen_port};\n")
    servers = re.findall(r"^    server 127\.0\.0\.1:\d+ (max_fails=\S+ fail_timeout=\S+);$", text, flags=re.M)
    assert len(servers) == 2, "the upstream block changed; update this test"
    text = re.sub(r"^    server 127\.0\.0\.1:\d+ max_fails=\S+ fail_timeout=\S+;\n", "", text, flags=re.M)
    lines = "".join(f"    server 127.0.0.1:{p} {servers[0]};\n" for p in upstream_ports)
    return text.replace("    # add one line per process\n", lines)


def _nginx() -> str:
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(exe):
        pytest.fail("nginx is missing: run `bash scripts/install-nginx.sh` (make test does)")
    return exe


class Instance:
    """One `vidensdata app` process group on a port."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.log = folder / f"app-{self.port}.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([str(Path(sys.executable).with_name("vidensdata")), "app", "--port",
                                          str(self.port)], stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def ready(self) -> bool:
        return "is filled with" in self.log.read_text()

    def kill(self) -> None:
        """A crash: SIGKILL to the whole process group and to the kernels (their own sessions)."""
        tree = descendants(self.proc.pid)
        os.killpg(self.proc.pid, signal.SIGKILL)
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    from vidensdata.themes import serviceudvikling

    serviceudvikling.beregn()  # shared caches before the kernels start
    folder = tmp_path_factory.mktemp("proxy")
    instances = [Instance(folder), Instance(folder)]
    port = free_port()
    (folder / "vidensdata-apps.conf").write_text(render_conf(port, [i.port for i in instances]))
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / d).mkdir()
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(f"""{user}daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    log_format vd '$status $request_method $uri "$upstream_addr" "$upstream_status" "$cookie_vd_instans"';
    access_log {folder}/access.log vd;
    include {folder}/vidensdata-apps.conf;
}}
""")
    exe = _nginx()
    check = subprocess.run([exe, "-t", "-p", str(folder), "-e", str(folder / "error.log"), "-c",
                            str(folder / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([exe, "-p", str(folder), "-e", str(folder / "error.log"), "-c",
                              str(folder / "nginx.conf")], start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not all(i.ready() for i in instances):
            time.sleep(0.5)
        assert all(i.ready() for i in instances), [i.log.read_text()[-1000:] for i in instances]
        yield {"url": f"http://127.0.0.1:{port}", "instances": instances, "folder": folder}
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        for i in instances:
            i.stop()


def _access(folder: Path) -> list[tuple[str, str, str, str, str]]:
    """(status, method, uri, upstream that answered, cookie) per request nginx logged; the upstream is ``-`` when
    nginx answered itself, and the last one tried when it failed over (``$upstream_addr`` lists every try)."""
    rows = []
    for line in (folder / "access.log").read_text().splitlines():
        m = re.match(r'(\d+) (\S+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)"', line)
        if m:
            rows.append((m[1], m[2], m[3], m[4].split(",")[-1].strip(), m[6]))
    return rows


def _failovers(folder: Path) -> int:
    """Requests that nginx passed on to another instance after a connection error."""
    return sum(1 for line in (folder / "access.log").read_text().splitlines()
               if line.count('"') >= 2 and "," in line.split('"')[1])


def test_the_deployment_file_is_valid_nginx(tmp_path):
    """`nginx -t` on the deployment file as it is (TLS listen line included; a throwaway certificate)."""
    exe = _nginx()
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(crt), "-days", "1", "-subj", "/CN=apps.example.dk"], check=True, capture_output=True)
    conf = CONF.read_text().replace("    # ssl_certificate / ssl_certificate_key: your certificate\n",
                                    f"    ssl_certificate {crt};\n    ssl_certificate_key {key};\n")
    (tmp_path / "apps.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/n.pid;\nerror_log {tmp_path}/e.log;\nevents {{}}\n"
                                         f"http {{ include {tmp_path}/apps.conf; }}\n")
    r = subprocess.run([exe, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"), "-c",
                        str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_sticky_sessions_spread_clients_over_both_instances(proxy):
    """Clients with different cookies land on both instances; one client's requests always on the same one."""
    url, ports = proxy["url"], {str(i.port) for i in proxy["instances"]}
    seen = defaultdict(set)
    for n in range(16):
        for _ in range(3):
            req = urllib.request.Request(url + "/", headers={"Cookie": f"vd_instans=klient-{n}"})
            with urllib.request.urlopen(req, timeout=30) as r:
                assert r.status == 200 and '<html lang="da">' in r.read().decode()
    for _s, _m, _u, upstream, cookie in _access(proxy["folder"]):
        if cookie.startswith("klient-"):
            seen[cookie].add(upstream.rsplit(":", 1)[-1])
    assert all(len(v) == 1 for v in seen.values()), seen  # sticky
    assert set().union(*seen.values()) == ports, seen  # balanced over both
    # a client without the cookie gets one
    with urllib.request.urlopen(url + "/", timeout=30) as r:
        cookies = r.headers.get_all("Set-Cookie")
        assert any(re.fullmatch(r"vd_instans=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", c) for c in cookies)


def _page_view(context, url: str) -> list[str]:
    """One page view of an app through nginx: key figure on screen, widgets usable, a kommune change answered
    over the kernel websocket. Returns the errors seen (empty: the view worked)."""
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"pageerror {e}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("requestfailed", lambda r: errors.append(f"failed {r.url} {r.failure}")
            if "/api/kernels/" not in r.url or "channels" not in r.url else None)
    try:
        resp = page.goto(url + APP, timeout=90_000)
        if resp is None or resp.status != 200:
            errors.append(f"document {resp.status if resp else 'none'}")
        page.wait_for_selector(f"#rendered_cells {KEY}", timeout=90_000)
        box = page.get_by_role("combobox", name="Geografi", exact=True).first  # the type-ahead geography search
        box.wait_for(timeout=90_000)
        before = page.inner_text(f"#rendered_cells {KEY}")
        box.fill("Aarhus")
        box.press("Enter")
        page.wait_for_function(
            "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerText !== before; }",
            arg=[f"#rendered_cells {KEY}", before], timeout=60_000)
    except Exception as exc:  # noqa: BLE001 - counted as an error of this page view
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        page.close()
    return errors


def test_failover_new_page_views_work_after_an_instance_is_killed(proxy):
    from playwright.sync_api import sync_playwright

    url, folder = proxy["url"], proxy["folder"]
    by_port = {str(i.port): i for i in proxy["instances"]}
    figures = {"views_before": 0, "views_after": 0, "errors_before": [], "errors_after": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=CHROMIUM_ARGS)
        context = browser.new_context()
        for _ in range(2):
            figures["errors_before"] += _page_view(context, url)
            figures["views_before"] += 1
        cookie = next(c["value"] for c in context.cookies() if c["name"] == "vd_instans")
        served = {up.rsplit(":", 1)[-1] for _s, _m, _u, up, ck in _access(folder) if ck == cookie and up != "-"}
        assert len(served) == 1, served  # the page, its assets and its kernel websocket: one instance
        ws = [row for row in _access(folder) if row[4] == cookie and "/channels" in row[2]]
        assert ws and all(row[0] == "101" for row in ws), ws  # websocket upgrade through nginx
        victim = by_port[served.pop()]
        victim.kill()
        t0 = time.monotonic()
        for n in range(4):  # the same client (its cookie points at the dead instance) and new clients
            ctx = context if n % 2 == 0 else browser.new_context()
            figures["errors_after"] += _page_view(ctx, url)
            figures["views_after"] += 1
            if ctx is not context:
                ctx.close()
        figures["seconds_after"] = round(time.monotonic() - t0, 1)
        browser.close()
    figures["requests_failed_over"] = _failovers(folder)
    print(f"\nfailover: {figures}")
    assert figures["errors_before"] == [] and figures["errors_after"] == [], figures
    survivors = {str(i.port) for i in proxy["instances"] if i is not victim}
    renders = [row for row in _access(folder) if row[2] == APP]
    assert len(renders) == figures["views_before"] + figures["views_after"]
    assert {row[3].rsplit(":", 1)[-1] for row in renders[-figures["views_after"]:]} <= survivors
    assert all(row[0] == "200" for row in renders)


def test_nginx_answers_in_danish_when_no_instance_is_up(proxy):
    """Last: both instances down -> nginx's own error page, in Danish."""
    for i in proxy["instances"]:
        if i.proc.poll() is None:
            i.kill()
    try:
        urllib.request.urlopen(proxy["url"] + APP, timeout=30)
        raise AssertionError("expected an error status")
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        assert e.code == 503 and '<html lang="da">' in body and "Appen kan ikke svare lige nu" in body
        assert "nginx" not in body
