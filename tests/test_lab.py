"""The analyst in JupyterLab, without a browser: when the theme notebooks are interactive (the rule, in real
kernels), figures that display themselves, saved outputs that keep their look untrusted, and Danish errors."""

import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

import vidensdata as vd
from vidensdata.errors import UnknownGeographyError
from vidensdata.presentation import plots, widgets

PROBE = ("from vidensdata.presentation.widgets import interaktiv, i_jupyter_server; "
         "print(interaktiv(), i_jupyter_server())")


def _kernel_says(extra_env: dict, drop=("VIDENSDATA_INTERAKTIV", "JPY_SESSION_NAME", "SERVER_SOFTWARE")) -> str:
    """Start a real IPython kernel as jupyter_client does (the way papermill, nbval and jupyter_server do),
    with ``extra_env`` in the kernel's environment only, and return what the probe prints."""
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k not in drop}
    km, kc = start_new_kernel(kernel_name="python3", env={**env, **extra_env})
    try:
        out = []
        kc.execute_interactive(PROBE, timeout=60,
                               output_hook=lambda m: out.append(m["content"].get("text", ""))
                               if m["msg_type"] == "stream" else None)
        return "".join(out).strip()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.slow
def test_interactive_only_in_a_kernel_a_jupyter_server_started():
    # jupyter_server puts JPY_SESSION_NAME in the environment of the kernel it starts for an open notebook
    assert _kernel_says({"JPY_SESSION_NAME": "/home/analytiker/serviceudvikling.ipynb"}) == "True True"
    # papermill, nbval, nbclient: a kernel started without it is a static report
    assert _kernel_says({}) == "False False"
    # the switch still wins either way
    assert _kernel_says({"JPY_SESSION_NAME": "x.ipynb", "VIDENSDATA_INTERAKTIV": "0"}) == "False True"
    assert _kernel_says({"VIDENSDATA_INTERAKTIV": "1"}) == "True False"


@pytest.mark.slow
def test_a_report_run_from_inside_a_jupyterlab_kernel_stays_static():
    """``!papermill …`` in a JupyterLab notebook: its kernel inherits JPY_SESSION_NAME from the launcher, which has
    it too; that kernel is a report, not an open notebook."""
    script = textwrap.dedent(f"""
        from jupyter_client.manager import start_new_kernel
        km, kc = start_new_kernel(kernel_name="python3")
        out = []
        kc.execute_interactive({PROBE!r}, timeout=60,
                               output_hook=lambda m: out.append(m["content"].get("text", ""))
                               if m["msg_type"] == "stream" else None)
        print("".join(out).strip())
        kc.stop_channels(); km.shutdown_kernel(now=True)
    """)
    env = {k: v for k, v in os.environ.items() if k != "VIDENSDATA_INTERAKTIV"}
    env["JPY_SESSION_NAME"] = "/home/analytiker/notesbog.ipynb"  # the launcher runs inside a JupyterLab kernel
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False False"


def test_outside_a_kernel_the_rule_is_static(monkeypatch):
    monkeypatch.delenv("VIDENSDATA_INTERAKTIV", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", "x.ipynb")  # e.g. `vidensdata run` from a notebook's shell escape
    assert widgets.interaktiv() is False
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5")
    assert widgets.interaktiv() is True


def test_figures_display_as_images_without_pyplot():
    """A fresh kernel never set up pyplot's inline backend: the figure itself says how to display."""
    fig = plots.line_plot(pd.DataFrame({"aar": [2020, 2021, 2022], "antal": [1.0, 2.0, 3.0]}), x="aar", y="antal",
                          title="Modtagere", xlabel="År", ylabel="Antal", kilde=["Test"])
    data, _ = DisplayFormatter().format(fig)
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_saved_outputs_carry_inline_styles():
    from vidensdata.presentation import komponenter as k

    html = k.noegletal_html([k.Kort("noegletal-antal", "Modtagere", "40.771")], ["Kilde: test"])
    inlined = widgets.inline_stil(html)
    assert '<div class="vd-kort-tal" data-testid="noegletal-antal" style="' in inlined
    assert "font-weight:700" in inlined and "border:1px solid" in inlined
    assert inlined.count("<style>") == 1  # the stylesheet stays for trusted views and reports
    # an element's own style still wins (it comes after the class rules)
    assert 'style="font-size:0.9em;color:#333;margin:4px 0;color:red"' in widgets.inline_stil(
        '<p class="vd-note" style="color:red">x</p>')


def test_static_theme_section_is_displayed_with_inline_styles(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    from vidensdata.presentation.temaer import serviceudvikling as tema

    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, metadata=None, **kw: shown.append(data))
    v = tema.visning(geografi="Læsø", interaktiv=False)
    v.vis(tema.vis_noegletal)
    html = next(d["text/html"] for d in shown if "noegletal-antal" in d.get("text/html", ""))
    assert 'data-testid="noegletal-antal" style="font-size:1.6em;font-weight:700' in html


def test_errors_read_in_danish():
    with pytest.raises(UnknownGeographyError) as e:
        vd.load("ydelsesmodtagere", geografi="Atlantis")
    assert str(e.value).startswith("Ukendt geografi: »Atlantis«.") and "landet?" not in str(e.value)
    assert "Mente du" not in str(e.value)
    assert e.value.message.startswith("unknown geography 'Atlantis'")  # English for logs and the CLI
    assert any(n.startswith("Teknisk detalje (engelsk): ") for n in e.value.__notes__)
    with pytest.raises(UnknownGeographyError, match="Mente du: Aarhus"):
        vd.resolve("Aarhuz")
