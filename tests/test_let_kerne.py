"""An app kernel that shows a view from the view cache stays light (issue 19: many users on one machine).

A pooled Voila kernel runs its theme notebook before any request. When every section of the view is in the view
cache (``make reports`` leaves every default view there), nothing is computed or drawn, so the kernel must not pay
for what only computing and drawing need: matplotlib and seaborn (~30 MB and ~2 s with scipy and statsmodels, which
seaborn imports), the methods' scipy and statsmodels, nbformat's JSON-schema grammars (~1.5 s), or the datasets
themselves (the widgets' years come from :func:`vidensdata.datasets.registry.aarspaend`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from vidensdata.themes import TEMAER

TUNG = ("matplotlib", "seaborn", "scipy", "statsmodels", "nbformat", "jsonschema")

# The theme notebook's code cells, run as a pooled app kernel runs them (widgets on, no request yet).
KOERSEL = r"""
import contextlib, io, json, os, sys
nb = json.load(open(sys.argv[1], encoding="utf-8"))
ns = {}
with contextlib.redirect_stdout(io.StringIO()):
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            exec("".join(c["source"]), ns)
from vidensdata.datasets import registry
v = ns["visning"]
json.dump({"moduler": sorted({m.split(".")[0] for m in sys.modules}), "beregnet": v._resultat is not None,
           "interaktiv": v.interaktiv, "datasaet": sorted({k[0] for k in registry._FRAMES})}, sys.stdout)
"""


def _koer(notebook, **env) -> dict:
    out = subprocess.run([sys.executable, "-c", KOERSEL, str(notebook)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("tema", list(TEMAER))
def test_a_pooled_kernel_shows_the_cached_default_view_without_the_numerical_stack(repo, tema):
    notebook = repo / "notebooks" / "temaer" / f"{tema}.ipynb"
    statisk = _koer(notebook, VIDENSDATA_INTERAKTIV="0")  # a report run: computes, draws, fills the view cache
    assert statisk["beregnet"] and {"matplotlib", "scipy"} <= set(statisk["moduler"])  # the check can fail
    app = _koer(notebook, VIDENSDATA_INTERAKTIV="1", VOILA_PREHEAT="True")
    assert app["interaktiv"] and not app["beregnet"]
    assert not set(TUNG) & set(app["moduler"]), sorted(set(TUNG) & set(app["moduler"]))
    assert app["datasaet"] == [], app["datasaet"]  # no data in memory: the years come from aarspaend
