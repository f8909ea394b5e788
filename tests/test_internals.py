"""The internals of voila, papermill, jupyter_server, nbclient and ipywidgets that our code relies on.

Each is listed in docs/apps.md ("Internals we rely on"): what, where in our code, why, what breaks.
These tests import the installed packages and check that each internal is still there with the
signature, attributes and behaviour we use, so an upgrade that moves one fails here, naming it,
instead of somewhere deep in a browser test or in production.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

DOC = 'see docs/apps.md, "Internals we rely on"'


def moved(internal: str, used_by: str, detail: str) -> None:
    """Fail loudly, naming the internal, where we use it and what changed."""
    pytest.fail(f"INTERNAL CHANGED: {internal} (used by {used_by}): {detail}. {DOC}", pytrace=False)


def params(func) -> list[tuple[str, object, object]]:
    """(name, kind, default) of a callable's parameters, ``self``/``cls`` dropped."""
    sig = inspect.signature(func)
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name not in ("self", "cls")]


def need_params(func, names: list[str], internal: str, used_by: str) -> None:
    """The callable accepts these parameters (by name, in this order among its parameters)."""
    have = [p[0] for p in params(func)]
    missing = [n for n in names if n not in have]
    if missing:
        moved(internal, used_by, f"signature is now {inspect.signature(func)}, missing {missing}")
    if [n for n in have if n in names] != names:
        moved(internal, used_by, f"parameters reordered: {inspect.signature(func)}")


# ----------------------------------------------------------------------------------------------- Voila


def _parsed_voila_config(argv):
    from voila.app import Voila

    app = Voila()
    app.parse_command_line(argv)
    return app, app.config


def _config_classes():
    from jupyter_client.manager import KernelManager
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from voila.app import Voila
    from voila.configuration import VoilaConfiguration
    from voila.execute import VoilaExecutor
    from voila.exporter import VoilaExporter
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    from vidensdata.app_server import BegraensetKernelManager

    return {
        "Voila": Voila, "VoilaConfiguration": VoilaConfiguration, "VoilaExecutor": VoilaExecutor,
        "VoilaExporter": VoilaExporter, "MappingKernelManager": MappingKernelManager,
        "BegraensetKernelManager": BegraensetKernelManager, "KernelManager": KernelManager,
        "VoilaKernelManager": voila_kernel_manager_factory(BegraensetKernelManager, True, 1),
    }


@pytest.mark.parametrize("tuned", [True, False], ids=["served", "baseline"])
def test_every_voila_flag_we_pass_is_a_config_trait_voila_knows(tuned):
    """vidensdata.app.voila_command: every --Class.trait, alias and flag exists and takes our value."""
    from traitlets.config.loader import DeferredConfig
    from voila.app import Voila

    from vidensdata.app import POOL_SIZE, voila_command

    pools = {"serviceudvikling.ipynb": {"pool_size": 2}}
    cmd = voila_command(port=9999, tuned=tuned, kernel_pools=pools)
    assert cmd[1:3] == ["-m", "vidensdata.app_server" if tuned else "voila"]  # our Voila subclass when served
    for alias in ("template", "pool_size", "preheat_kernel", "port"):
        if alias not in Voila.aliases:
            moved(f"Voila.aliases[{alias!r}]", "vidensdata.app.voila_command", f"aliases are {sorted(Voila.aliases)}")
    if "no-browser" not in Voila.flags:
        moved("Voila.flags['no-browser']", "vidensdata.app.voila_command", f"flags are {sorted(Voila.flags)}")
    app, cfg = _parsed_voila_config(cmd[3:])
    if app.extra_args != [cmd[3]]:
        moved("voila's positional notebook folder", "vidensdata.app.voila_command", f"extra_args {app.extra_args}")
    classes = _config_classes()
    for section, values in cfg.items():
        cls = classes.get(section)
        if cls is None:
            moved(f"config class {section}", "vidensdata.app.voila_command", "not a class we know Voila configures")
        traits = cls.class_traits(config=True)
        for name, value in values.items():
            if name not in traits:
                moved(f"{section}.{name}", "vidensdata.app.voila_command",
                      f"no such config trait on {cls.__module__}.{cls.__name__}")
            if isinstance(value, DeferredConfig):
                with warnings.catch_warnings():
                    # traitlets 5 deprecates a whole dict in one flag (kernel_pools_config): still parsed, see below
                    warnings.filterwarnings("ignore", "--kernel_pools_config=", DeprecationWarning)
                    value = value.get_value(traits[name])
            if section == "VoilaKernelManager" and name == "kernel_pools_config":
                expected = {"default": {"pool_size": POOL_SIZE}, **pools}
                if value != expected:
                    moved("VoilaKernelManager.kernel_pools_config from one JSON flag", "vidensdata.app.voila_command",
                          f"parsed as {value!r}, expected {expected!r}")
    # the values validate where the classes are built the way Voila builds them
    from voila.configuration import VoilaConfiguration
    from voila.execute import VoilaExecutor
    from voila.exporter import VoilaExporter

    vc = VoilaConfiguration(config=cfg)
    assert vc.template == "vidensdata" and vc.show_tracebacks is False and vc.classic_tree is True
    assert vc.allow_template_override == "NO" and vc.allow_theme_override == "NO"
    assert any(".*\\.(ipynb|py" in p for p in vc.file_denylist), vc.file_denylist
    assert VoilaExporter(config=cfg).language_code == "da"
    ex = VoilaExecutor(nbformat.v4.new_notebook(), config=cfg)
    assert ex.cell_error_instruction.startswith("Der opstod en fejl")
    if tuned:
        from vidensdata import app_server

        assert vc.preheat_kernel is True and vc.default_pool_size == POOL_SIZE
        assert vc.multi_kernel_manager_class is app_server.BegraensetKernelManager
        assert ex.timeout == 120
        assert Voila(config=cfg).kernel_websocket_connection_class is app_server.WidgetKunForbindelse


def test_voila_kernel_pools_wrap_our_capped_kernel_manager():
    """Voila's pool class is built on top of our multi_kernel_manager_class (the cap stays in the MRO)."""
    from voila import voila_kernel_manager as vkm

    from vidensdata.app_server import BegraensetKernelManager

    need_params(vkm.voila_kernel_manager_factory, ["base_class", "preheat_kernel", "default_pool_size"],
                "voila.voila_kernel_manager.voila_kernel_manager_factory", "vidensdata.app (--preheat_kernel)")
    for preheat in (True, False):
        cls = vkm.voila_kernel_manager_factory(BegraensetKernelManager, preheat, 1)
        if not issubclass(cls, BegraensetKernelManager) or "max_kernels" not in cls.class_trait_names(config=True):
            moved("voila_kernel_manager_factory(base_class)", "vidensdata.app_server.BegraensetKernelManager",
                  f"the class it returns ({cls.__mro__}) no longer subclasses the configured manager")
    pooled = vkm.voila_kernel_manager_factory(BegraensetKernelManager, True, 1)
    if "kernel_pools_config" not in pooled.class_trait_names(config=True):
        moved("VoilaKernelManager.kernel_pools_config", "vidensdata.app.voila_command", "trait is gone")
    # benchmarks/bench_apps.py waits for this log line before measuring the served configuration
    if "is filled with" not in inspect.getsource(vkm):
        moved("Voila's log line 'Kernel pool of … is filled with …'", "benchmarks/bench_apps.py",
              "the message changed")


def test_voila_request_details_in_the_kernel_environment():
    """vidensdata.presentation.deeplink and widgets.interaktiv: VOILA_PREHEAT, QUERY_STRING, SERVER_SOFTWARE."""
    from voila import handler, utils

    for name in ("VOILA_PREHEAT", "QUERY_STRING", "SERVER_SOFTWARE"):
        if getattr(utils.ENV_VARIABLE, name, None) != name:
            moved(f"voila.utils.ENV_VARIABLE.{name}", "presentation/deeplink.py, presentation/widgets.interaktiv",
                  "the kernel environment variable was renamed")
    source = inspect.getsource(handler)
    if 'ENV_VARIABLE.SERVER_SOFTWARE] = f"voila/' not in source:
        moved("SERVER_SOFTWARE=voila/<version> in the kernel's environment", "presentation/widgets.interaktiv",
              "voila.handler no longer sets it that way")
    if 'ENV_VARIABLE.QUERY_STRING] = str(self.request.query)' not in source:
        moved("QUERY_STRING in the kernel's environment", "presentation/deeplink.py", "voila.handler changed")


def _template_paths() -> list[str]:
    from voila.paths import collect_template_paths

    from vidensdata.app import TEMPLATE_ROOT

    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(TEMPLATE_ROOT)
    try:
        return collect_template_paths(["voila", "nbconvert"], "vidensdata", prune=True)
    finally:
        if old is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = old


def _blocks_of_parents(env, name: str) -> set[str]:
    """Block names defined by the templates ``name`` extends (recursively), not by ``name`` itself."""
    import jinja2.nodes

    blocks: set[str] = set()
    seen = set()
    tree = env.parse(env.loader.get_source(env, name)[0])
    while True:
        ext = next(iter(tree.find_all(jinja2.nodes.Extends)), None)
        if ext is None or not isinstance(ext.template, jinja2.nodes.Const) or ext.template.value in seen:
            return blocks
        parent = ext.template.value
        seen.add(parent)
        tree = env.parse(env.loader.get_source(env, parent)[0])
        blocks |= {b.name for b in tree.find_all(jinja2.nodes.Block)}


def test_voila_lab_template_has_what_our_template_extends():
    """app_template/…/index.html.j2 extends voila's lab template and overrides three of its blocks."""
    import jinja2

    paths = _template_paths()
    if not any(p.endswith(os.path.join("voila", "templates", "lab")) for p in paths):
        moved("conf.json base_template 'lab'", "app_template/voila/templates/vidensdata/conf.json",
              f"Voila's template hierarchy for vidensdata is {paths}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(paths))
    try:
        env.loader.get_source(env, "voila/templates/lab/index.html.j2")
    except jinja2.TemplateNotFound:
        moved("voila/templates/lab/index.html.j2", "app_template/…/index.html.j2 ({% extends %})", "not found")
    parent_blocks = _blocks_of_parents(env, "index.html.j2")
    for block in ("notebook_css", "body_header", "error"):
        if block not in parent_blocks:
            moved(f"template block {block!r}", "app_template/voila/templates/vidensdata/index.html.j2",
                  f"no longer defined by the lab templates (blocks: {sorted(parent_blocks)})")
    # the page hooks our template's script uses (key figures before the frontend has loaded)
    lab = Path(next(p for p in paths if p.endswith(os.path.join("voila", "templates", "lab"))))
    base = lab.parent / "base"
    sources = "".join(p.read_text(errors="replace") for p in [lab / "index.html.j2", *base.glob("*.j2")])
    for hook in ('type="application/vnd.voila.cell-output+json"', "window.voila_process =", "window.voila_finish =",
                 'id="loading"', 'id="loading_text"', 'id="rendered_cells"',
                 "update_loading_text = function(cell_index, cell_count, text)"):
        if hook not in sources:
            moved(f"Voila page hook {hook!r}", "app_template/…/index.html.j2 (script in body_header), "
                  "tests/test_app_browser.py, benchmarks/bench_apps.py", "not in voila's lab/base templates")
    # the pages our template replaces: Voila's tree page and jupyter_server's error pages, by file name
    import jupyter_server.base.handlers as jsh
    from voila.tornado import treehandler

    tree = inspect.getsource(treehandler)
    if '"tree-lab.html" if not classic_tree else "tree.html"' not in tree or "contents=contents" not in tree:
        moved("Voila's tree page (tree.html / tree-lab.html with `contents`)", "app_template/…/tree.html",
              "voila.tornado.treehandler renders something else")
    err = inspect.getsource(jsh.JupyterHandler.write_error)
    if '"%s.html" % status_code' not in err or '"error.html"' not in err or '"status_code"' not in err:
        moved("jupyter_server error pages (<code>.html, error.html, status_code)",
              "app_template/…/error.html, 404.html",
              "JupyterHandler.write_error renders something else")


# --------------------------------------------------------------------------------------------- jupyter_server


def test_kernel_websocket_internals_used_by_the_widget_only_connection():
    """vidensdata.app_server.WidgetKunForbindelse reads v1 websocket messages and subclasses the ZMQ connection."""
    from jupyter_client.session import Session
    from jupyter_server.services.kernels.connection import base, channels
    from voila.app import Voila

    from vidensdata.app_server import WidgetKunForbindelse

    where = "vidensdata.app_server.WidgetKunForbindelse"
    for name in ("deserialize_msg_from_ws_v1", "serialize_msg_to_ws_v1"):
        if not callable(getattr(base, name, None)):
            moved(f"jupyter_server.services.kernels.connection.base.{name}", where, "function is gone")
    session = Session()
    msg = session.msg("comm_open", content={"target_name": "jupyter.widget", "comm_id": "x", "data": {}})
    parts = [session.pack(msg[k]) for k in ("header", "parent_header", "metadata", "content")]
    channel, got = base.deserialize_msg_from_ws_v1(base.serialize_msg_to_ws_v1(parts, "shell"))
    if channel != "shell" or session.unpack(got[0]).get("msg_type") != "comm_open" \
            or session.unpack(got[3]).get("target_name") != "jupyter.widget":
        moved("v1 websocket message layout (parts[0] header, parts[3] content)", where,
              f"deserialize_msg_from_ws_v1 gave channel {channel!r} and {len(got)} parts")
    conn = channels.ZMQChannelsWebsocketConnection
    if not issubclass(WidgetKunForbindelse, conn):
        moved("ZMQChannelsWebsocketConnection", where, "no longer our base class")
    need_params(conn.handle_incoming_message, ["incoming_msg"],
                "ZMQChannelsWebsocketConnection.handle_incoming_message", where)
    if not isinstance(inspect.getattr_static(conn, "subprotocol", None), property):
        moved("ZMQChannelsWebsocketConnection.subprotocol", where, "not a property any more")
    if "session" not in conn.class_trait_names() or "log" not in dir(conn):
        moved("ZMQChannelsWebsocketConnection.session / .log", where, "attribute gone")
    if "v1.kernel.websocket.jupyter.org" not in inspect.getsource(conn.handle_incoming_message):
        moved("subprotocol name 'v1.kernel.websocket.jupyter.org'", where, "renamed")
    trait = Voila.class_traits()["kernel_websocket_connection_class"]
    if not issubclass(WidgetKunForbindelse, trait.klass):
        moved("Voila.kernel_websocket_connection_class", where, f"now requires a subclass of {trait.klass}")


def test_kernel_manager_internals_used_by_the_capped_manager():
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager, MappingKernelManager

    from vidensdata.app_server import BegraensetKernelManager

    where = "vidensdata.app_server.BegraensetKernelManager"
    if not inspect.iscoroutinefunction(AsyncMappingKernelManager.start_kernel):
        moved("AsyncMappingKernelManager.start_kernel", where, "no longer a coroutine function")
    need_params(AsyncMappingKernelManager.start_kernel, ["kernel_id", "path"],
                "AsyncMappingKernelManager.start_kernel", where)
    if not callable(getattr(AsyncMappingKernelManager, "list_kernel_ids", None)):
        moved("AsyncMappingKernelManager.list_kernel_ids", where, "method is gone")
    if not issubclass(BegraensetKernelManager, MappingKernelManager):
        moved("MappingKernelManager", where, "AsyncMappingKernelManager no longer subclasses it (cull_* flags)")
    for trait in ("cull_interval", "cull_idle_timeout", "cull_connected", "cull_busy", "allowed_message_types"):
        if trait not in MappingKernelManager.class_trait_names():
            moved(f"MappingKernelManager.{trait}", "vidensdata.app.voila_command / app_server", "trait is gone")


# ------------------------------------------------------------------------------------- papermill, nbclient


def test_warm_kernel_engine_mirrors_papermills_nbclient_engine():
    """reporting/engine.py subclasses NBClientEngine and re-implements execute_managed_notebook."""
    import nbclient
    from papermill import clientwrap, engines, utils

    from vidensdata.reporting.engine import WarmKernelEngine

    where = "vidensdata.reporting.engine.WarmKernelEngine"
    if not issubclass(WarmKernelEngine, engines.NBClientEngine):
        moved("papermill.engines.NBClientEngine", where, "no longer our base class")
    ours = params(WarmKernelEngine.execute_managed_notebook)
    theirs = params(engines.NBClientEngine.execute_managed_notebook)
    if ours != theirs:
        moved("NBClientEngine.execute_managed_notebook", where,
              f"papermill's signature is now {inspect.signature(engines.NBClientEngine.execute_managed_notebook)}; "
              f"ours is {inspect.signature(WarmKernelEngine.execute_managed_notebook)} (re-read papermill's body)")
    if not hasattr(engines, "logger"):
        moved("papermill.engines.logger", where, "gone")
    if utils.remove_args(["input_path"], input_path="x", cwd="y") != {"cwd": "y"}:
        moved("papermill.utils.remove_args", where, "behaves differently")
    if utils.merge_kwargs({"a": 1}, b=2) != {"a": 1, "b": 2}:
        moved("papermill.utils.merge_kwargs", where, "behaves differently")
    need_params(clientwrap.PapermillNotebookClient.__init__, ["nb_man", "km"],
                "papermill.clientwrap.PapermillNotebookClient", where)
    if not issubclass(clientwrap.PapermillNotebookClient, nbclient.NotebookClient):
        moved("PapermillNotebookClient(nbclient.NotebookClient)", where, "no longer an nbclient client")
    # nbclient: a client given a km does not own it and keeps a kc we set (the warm kernel's open channels)
    client = nbclient.NotebookClient(nbformat.v4.new_notebook(), km=object())
    if getattr(client, "owns_km", None) is not False or getattr(client, "kc", "missing") is not None:
        moved("nbclient.NotebookClient.owns_km / .kc", where,
              "a client given a kernel manager must not own it and must start without a kc")
    setup = inspect.getsource(nbclient.NotebookClient.async_setup_kernel)
    if 'kwargs.pop("cleanup_kc", self.owns_km)' not in setup or "if self.kc is None:" not in setup:
        moved("nbclient.NotebookClient.async_setup_kernel", where,
              "no longer keeps a preset kc / leaves a kernel it does not own running")
    need_params(engines.papermill_engines.register, ["name", "engine"], "papermill_engines.register",
                "reporting.engine.register")


def test_papermill_finds_our_engine_through_its_entry_point():
    """papermill loads `papermill.engine` entry points while papermill.engines is imported (hence our lazy class)."""
    from importlib.metadata import entry_points

    eps = {ep.name: ep.value for ep in entry_points(group="papermill.engine")}
    if eps.get("vidensdata") != "vidensdata.reporting.engine:WarmKernelEngine":
        moved("entry point papermill.engine:vidensdata", "pyproject.toml", f"installed entry points: {eps}")
    code = ("from papermill.engines import papermill_engines as e; "
            "c = e.get_engine('vidensdata'); print(c.__module__ + '.' + c.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or done.stdout.strip() != "vidensdata.reporting.engine.WarmKernelEngine":
        moved("papermill's entry-point loading (PapermillEngines.register_entry_points)", "reporting/engine.py",
              f"`papermill --engine vidensdata` would not find us: {done.stdout.strip()} {done.stderr[-500:]}")


@pytest.mark.slow
def test_warm_kernel_engine_reuses_and_resets_one_kernel(tmp_path):
    """The whole point of the engine, end to end through papermill: one kernel, a clean namespace each time.
    Also checks jupyter_client's ``km.provisioner.process`` (engine.kill_all) is that kernel."""
    import papermill as pm

    from vidensdata.reporting import engine

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import os\nprint(os.getpid(), 'leftover' in globals(), x)\nleftover = 1"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, src)
    engine.register()
    outs = []
    try:
        for i in (1, 2):
            done = pm.execute_notebook(str(src), str(tmp_path / f"out{i}.ipynb"), parameters={"x": i},
                                       engine_name="vidensdata", kernel_name="python3", progress_bar=False,
                                       cwd=str(tmp_path))
            cell = done.cells[-1]
            outs.append((cell.outputs[0]["text"].split(), cell.execution_count))
        pids = {o[0][0] for o in outs}
        if len(pids) != 1:
            moved("a kernel kept alive across papermill runs", "reporting/engine.py", f"kernel pids {pids}")
        if outs[1][0][1] != "False" or outs[1][0][2] != "2":
            moved("InteractiveShell.reset(new_session=True) between reports", "reporting/engine.py RESET_CODE",
                  f"second run saw {outs[1][0]}")
        if outs[1][1] != outs[0][1]:
            moved("execution counts restart after the reset", "reporting/engine.py", f"{outs}")
        procs = [getattr(getattr(km, "provisioner", None), "process", None) for km, _ in engine._kernels.values()]
        if not any(p is not None and str(p.pid) == pids.pop() for p in procs):
            moved("jupyter_client KernelManager.provisioner.process", "reporting/engine.kill_all",
                  "the kernel's Popen is no longer reachable there")
    finally:
        engine.shutdown_all()


def test_jupyter_core_run_sync_and_ipython_shell_api():
    """reporting/engine.py (run_sync, the reset code) and reporting/inprocess.py (the benchmark floor)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from jupyter_core.utils import run_sync

    async def two():
        return 2

    if run_sync(two)() != 2:
        moved("jupyter_core.utils.run_sync", "reporting/engine.py", "no longer runs a coroutine function")
    need_params(InteractiveShell.reset, ["new_session", "aggressive"], "InteractiveShell.reset",
                "reporting/engine.py RESET_CODE, reporting/inprocess.py")
    need_params(InteractiveShell.run_cell, ["raw_cell", "store_history", "silent"], "InteractiveShell.run_cell",
                "reporting/inprocess.py")
    if "execution_count" not in InteractiveShell.class_trait_names():
        moved("InteractiveShell.execution_count", "reporting/engine.py RESET_CODE", "trait is gone")
    # the floor's capture, in a fresh interpreter (an InteractiveShell instance here would leak into other tests)
    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "from IPython.utils.capture import capture_output\n"
            "shell = InteractiveShell.instance()\n"
            "with capture_output() as cap:\n"
            "    r = shell.run_cell('from IPython.display import HTML, display; display(HTML(\"<b>x</b>\"))', "
            "store_history=False, silent=False)\n"
            "r.raise_error()\n"
            "print([o.data.get('text/html') for o in cap.outputs])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or done.stdout.strip() != "['<b>x</b>']":
        moved("IPython.utils.capture.capture_output().outputs[i].data around InteractiveShell.run_cell",
              "reporting/inprocess.py", f"got {done.stdout.strip()!r} {done.stderr[-300:]}")
    assert capture_output  # imported above: the name itself is part of what we rely on


# ----------------------------------------------------------------------------------------------- ipywidgets


def test_ipywidgets_mimebundle_of_a_section():
    """presentation/widgets.py shows the key-figure section as its widget bundle plus our pre-rendered HTML."""
    import ipywidgets as w

    out = w.HTML(value="<p>1.234</p>")
    try:
        bundle = out._repr_mimebundle_()
    except AttributeError:
        moved("ipywidgets.Widget._repr_mimebundle_", "presentation/widgets.Visning.vis", "method is gone")
    view = (bundle or {}).get("application/vnd.jupyter.widget-view+json")
    if not isinstance(view, dict) or view.get("model_id") != out.model_id:
        moved("Widget._repr_mimebundle_() -> application/vnd.jupyter.widget-view+json", "presentation/widgets.py",
              f"bundle is {bundle!r}")
    out.close()


def test_ipywidgets_comm_targets_are_the_ones_the_websocket_lets_through(monkeypatch):
    """app_server.TILLADTE_COMM_MAAL must contain every comm target ipywidgets registers in the kernel."""
    import ipywidgets
    from ipywidgets import comm

    from vidensdata.app_server import TILLADTE_COMM_MAAL

    class Recorder:
        targets: list[str] = []

        def register_target(self, name, handler):
            self.targets.append(name)

    rec = Recorder()
    monkeypatch.setattr(comm, "get_comm_manager", lambda: rec)
    ipywidgets.register_comm_target()
    if not rec.targets or "jupyter.widget" not in rec.targets:
        moved("ipywidgets comm target 'jupyter.widget'", "vidensdata.app_server.TILLADTE_COMM_MAAL",
              f"ipywidgets registers {rec.targets}")
    extra = set(rec.targets) - TILLADTE_COMM_MAAL
    if extra:
        moved("ipywidgets comm targets", "vidensdata.app_server.TILLADTE_COMM_MAAL",
              f"new targets {sorted(extra)} would be dropped by the websocket filter")


def test_widget_manager_is_the_one_voila_05_loads():
    """jupyterlab_widgets ships the frontend widget manager Voila 0.5 loads (pinned: commit 925c6be)."""
    from importlib.metadata import version

    got = version("jupyterlab_widgets")
    if got != "3.0.15":
        moved("jupyterlab_widgets 3.0.15 (widget manager built for Voila 0.5's JupyterLab)", "the apps' widgets",
              f"installed {got}")
    ext = Path(sys.prefix) / "share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager"
    meta = json.loads((ext / "package.json").read_text())
    if not meta.get("version", "").startswith("5."):
        moved("@jupyter-widgets/jupyterlab-manager labextension", "the apps' widgets", f"version {meta.get('version')}")
    # tests/test_app_browser.py and benchmarks/bench_apps.py select dropdowns by this class
    if not any("widget-dropdown" in p.read_text(errors="replace") for p in (ext / "static").glob("*.js")):
        moved("CSS class 'widget-dropdown'", "tests/test_app_browser.py, benchmarks/bench_apps.py", "not in the bundle")


def test_the_hooks_of_our_voila_subclass_exist():
    """vidensdata.app_server.VidensdataVoila / WidgetKunForbindelse / BegraensetKernelManager override these."""
    import inspect

    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from tornado import web
    from voila.app import Voila
    from voila.tornado.handler import TornadoVoilaHandler

    from vidensdata.app_server import _voila_klasse

    for cls, name in ((Voila, "init_handlers"), (Voila, "listen"), (ZMQChannelsWebsocketConnection, "connect"),
                      (ZMQChannelsWebsocketConnection, "disconnect"),
                      (ZMQChannelsWebsocketConnection, "handle_outgoing_message"),
                      (MappingKernelManager, "cull_kernel_if_idle"), (web.OutputTransform, "transform_first_chunk")):
        if not callable(getattr(cls, name, None)):
            moved(f"{cls.__name__}.{name}", "vidensdata.app_server", "method is gone")
    if "self.app = tornado.web.Application" not in inspect.getsource(Voila.start) or \
            inspect.getsource(Voila.start).find("self.listen()") < inspect.getsource(Voila.start).find("self.app ="):
        moved("Voila.start (builds self.app, then calls self.listen())", "VidensdataVoila.listen", "order changed")
    if not issubclass(TornadoVoilaHandler, web.RequestHandler) or "_kernel_connections" not in \
            inspect.getsource(MappingKernelManager):
        moved("MappingKernelManager._kernel_connections", "BegraensetKernelManager.cull_kernel_if_idle", "gone")
    assert _voila_klasse().__mro__[1] is Voila


def test_nbconvert_markdown_filter_used_by_the_kernel_less_page():
    """vidensdata.app_vis renders a theme notebook's markdown cells as Voila does, with nbconvert's filter, and
    drops the heading anchors it adds (``<a class="anchor-link" …>¶</a>``)."""
    try:
        from nbconvert.filters.markdown_mistune import markdown2html_mistune
    except ImportError:
        moved("nbconvert.filters.markdown_mistune.markdown2html_mistune", "vidensdata.app_vis._markdown", "gone")
    out = markdown2html_mistune("## Nøgletal\n\nTekst med *kursiv*.")
    if '<a class="anchor-link"' not in out or "<em>kursiv</em>" not in out:
        moved("markdown2html_mistune output (anchor-link, emphasis)", "vidensdata.app_vis._ANKER", out[:200])
    from vidensdata.app_vis import _markdown

    assert "anchor-link" not in _markdown("## Nøgletal") and "<h2" in _markdown("## Nøgletal")
