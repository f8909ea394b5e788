"""Run a theme notebook's code in this process, without papermill, kernels or HTML export.

This is the *floor* of the report benchmark: the same analyses and figures as a
report, computed by an in-process IPython shell (a fresh namespace per report,
displays captured), so ``benchmarks/bench_reports.py`` can show how close the
runner gets to the cost of the analysis itself.
"""

from __future__ import annotations

import functools

import nbformat

from ..config import paths


@functools.lru_cache(maxsize=8)
def _cells(tema: str) -> tuple[tuple[str, bool], ...]:
    nb = nbformat.read(paths().theme_notebook(tema), as_version=4)
    return tuple((c.source, "parameters" in c.get("metadata", {}).get("tags", []))
                 for c in nb.cells if c.cell_type == "code")


@functools.lru_cache(maxsize=1)
def _shell():
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def run(tema: str, parametre: dict) -> list[dict]:
    """Execute the notebook's code cells with ``parametre`` injected; return the display outputs."""
    from IPython.utils.capture import capture_output

    shell = _shell()
    shell.reset(new_session=True)
    outputs: list[dict] = []
    for source, is_parameters in _cells(tema):
        with capture_output() as cap:
            result = shell.run_cell(source, store_history=False, silent=False)
            if is_parameters:
                shell.user_ns.update(parametre)
        result.raise_error()
        outputs.extend(o.data for o in cap.outputs)
    return outputs


def run_job(job) -> int:
    """One report's code in this process (a :class:`vidensdata.report.Job`); returns the number of outputs.
    A module-level function, so benchmark worker processes can be handed it."""
    return len(run(job.tema, job.parametre))
