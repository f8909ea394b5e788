"""Lazily imported modules (vidensdata.methods._lazy) leave the caller's warning filters alone."""

import subprocess
import sys

CODE = """
import warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as seen:
    from vidensdata.methods import population_size
    # two lists, independence: a saturated fit; statsmodels is imported here, on first use
    population_size.loglinear({"11": 7808, "10": 5198, "01": 11204})
print(sorted({w.category.__name__ for w in seen}))
"""


def test_first_use_inside_a_methods_warning_filter_prints_nothing():
    # a fresh interpreter, so that statsmodels is imported for the first time inside loglinear's filter block
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout
