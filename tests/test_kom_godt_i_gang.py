"""The analyst's start: the starter notebook's links lead somewhere, and ``make lab`` opens JupyterLab on the
starter with the project's kernel.

The lab test runs the command of the Makefile's ``lab`` target itself (as ``make -n lab`` prints it), adding only
what a test needs: no browser, a free loopback port, a token, and Jupyter's config, runtime and settings folders
in a temporary place. It asks the running server, through its REST API, where its default URL leads and which
kernel the starter gets, then runs code in that kernel.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

STARTER = "notebooks/kom-godt-i-gang.ipynb"
TOKEN = "vidensdata-test-lab"

# [tekst](mål "titel"), [tekst](<mål>), <a href="mål">, ![billede](mål)
_MD_LINK = re.compile(r"\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")


def _markdown(repo: Path) -> str:
    nb = json.loads((repo / STARTER).read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def local_links(markdown: str) -> list[str]:
    """The link targets in ``markdown`` that point at a file (not a web address, mail or an anchor on the page)."""
    out = []
    for target in _MD_LINK.findall(markdown) + _HTML_LINK.findall(markdown):
        target = target.strip("<>")
        scheme = urllib.parse.urlsplit(target).scheme
        if scheme or target.startswith(("#", "//")):
            continue
        out.append(target)
    return out


def _resolve(repo: Path, target: str) -> Path:
    path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
    return (repo / STARTER).parent / path


def test_every_local_link_in_the_starter_leads_to_a_file(repo):
    links = local_links(_markdown(repo))
    missing = [t for t in links if not _resolve(repo, t).is_file()]
    assert not missing, f"links in {STARTER} to files that do not exist: {missing}"
    # and it leads on to every method notebook
    method_notebooks = {p.resolve() for p in (repo / "notebooks" / "metoder").glob("*.ipynb")}
    assert method_notebooks, "no method notebooks in notebooks/metoder"
    assert method_notebooks <= {_resolve(repo, t).resolve() for t in links}, "the starter does not link to " + \
        ", ".join(sorted(p.name for p in method_notebooks - {_resolve(repo, t).resolve() for t in links}))


def test_the_link_check_can_fail(repo, tmp_path):
    md = ("Se [SMR](metoder/smr-og-tabte-leveaar.ipynb), [ordlisten](<../docs/ordliste.md#aar>), "
          '<a href="metoder/findes-ikke.ipynb">x</a>, [web](https://www.dst.dk) og [her](#afsnit).')
    links = local_links(md)
    assert links == ["metoder/smr-og-tabte-leveaar.ipynb", "../docs/ordliste.md#aar", "metoder/findes-ikke.ipynb"]
    assert [_resolve(repo, t).is_file() for t in links] == [True, True, False]


# ------------------------------------------------------------------------------------------------ make lab


def _make_lab_command(repo: Path) -> tuple[dict, list[str]]:
    """The ``lab`` target's command as make would run it: (environment assignments, argv)."""
    r = subprocess.run(["make", "-s", "-n", "lab"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.replace("\\\n", " ").splitlines()
    lab = [line for line in lines if re.search(r"\bjupyter\b.*\blab\b", line)]
    assert len(lab) == 1, f"make -n lab does not run one `jupyter lab` command:\n{r.stdout}"
    words = shlex.split(lab[0])
    env = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return env, words


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, method: str = "GET", body: dict | None = None):
    """A request to the server with the token (JSON ``body`` for a POST)."""
    headers = {"Authorization": f"token {TOKEN}"}
    data = None
    if body is not None or method != "GET":
        data = json.dumps(body or {}).encode()
        headers["Content-Type"] = "application/json"
    return urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=60)


@pytest.fixture(scope="module")
def make_lab(repo, tmp_path_factory):
    """The server that ``make lab`` starts, on a free loopback port; yields (url, runtime folder)."""
    make_env, argv = _make_lab_command(repo)
    home = tmp_path_factory.mktemp("make-lab")
    port = _free_port()
    argv = argv + ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    if os.geteuid() == 0 and "--allow-root" not in argv:
        argv.append("--allow-root")
    drop = ("VIDENSDATA_INTERAKTIV", "JPY_SESSION_NAME", "JUPYTER_PATH", "JUPYTER_DATA_DIR")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(make_env)
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               HOME=str(home))  # a user's own kernels and settings are not the project's
    log_path = home / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(argv, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`make lab`'s JupyterLab did not start within 90 s:\n{log_path.read_text()}")
            try:
                with _get(f"{url}/api/status") as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        yield url, home / "runtime"
    finally:
        # a clean shutdown through the API (it stops the kernels it started), then wait for the process
        clean = True
        try:
            _get(f"{url}/api/shutdown", method="POST").close()
        except OSError:
            clean = False
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            clean = False
            proc.kill()
            proc.wait(timeout=10)
        log.close()
    assert clean and proc.returncode == 0, f"JupyterLab did not shut down cleanly:\n{log_path.read_text()[-3000:]}"


@pytest.mark.slow
def test_make_lab_opens_the_starter_with_the_project_s_kernel(make_lab, repo):
    url, runtime = make_lab
    # the default URL: the server's front door leads to the starter notebook
    with _get(f"{url}/") as r:
        final = urllib.parse.urlsplit(r.geturl()).path
        page = r.read().decode("utf-8")
    assert final == "/lab/tree/kom-godt-i-gang.ipynb", final
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert config["treePath"] == "kom-godt-i-gang.ipynb"
    # that path is the starter in the project's notebooks folder (the server's root)
    with _get(f"{url}/api/contents/kom-godt-i-gang.ipynb?content=0") as r:
        assert json.loads(r.read())["type"] == "notebook"
    starter = json.loads((repo / STARTER).read_text(encoding="utf-8"))
    assert json.loads(_get(f"{url}/api/contents/kom-godt-i-gang.ipynb").read())["content"]["metadata"] == \
        starter["metadata"]

    # the kernel the starter asks for is there, and it is the default
    wanted = starter["metadata"]["kernelspec"]["name"]
    with _get(f"{url}/api/kernelspecs") as r:
        specs = json.loads(r.read())
    assert wanted in specs["kernelspecs"] and specs["default"] == wanted, specs
    assert specs["kernelspecs"][wanted]["spec"]["language"] == "python"

    # opening the starter starts that kernel: it runs the project's Python and imports this checkout's package
    with _get(f"{url}/api/sessions", method="POST", body={
            "path": "kom-godt-i-gang.ipynb", "name": "kom-godt-i-gang.ipynb", "type": "notebook",
            "kernel": {"name": wanted}}) as r:
        session = json.loads(r.read())
    kernel_id = session["kernel"]["id"]
    assert session["kernel"]["name"] == wanted
    from jupyter_client import BlockingKernelClient

    connection = runtime / f"kernel-{kernel_id}.json"
    deadline = time.monotonic() + 30
    while not connection.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    kc = BlockingKernelClient(connection_file=str(connection))
    kc.load_connection_file()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=90)
        out = []
        reply = kc.execute_interactive(
            "import sys, vidensdata; print(sys.executable); print(vidensdata.__file__)", timeout=90,
            output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
    executable, package = "".join(out).split()
    assert Path(executable).parent.parent.resolve() == (repo / ".venv").resolve(), executable
    assert Path(package).resolve() == (repo / "src" / "vidensdata" / "__init__.py").resolve(), package
