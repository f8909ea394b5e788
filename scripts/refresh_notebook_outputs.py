"""Re-execute notebooks and keep outputs only in cells that nbval compares.

Usage: .venv/bin/python scripts/refresh_notebook_outputs.py notebooks/kom-godt-i-gang.ipynb [...]

Cells marked ``# NBVAL_CHECK_OUTPUT`` keep their outputs (nbval --nbval-lax compares them);
every other cell is stored without outputs or execution count, and timing metadata is
removed, so committed notebooks hold nothing volatile or machine-specific.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if "NBVAL_CHECK_OUTPUT" not in cell.source:
            cell.outputs = []
            cell.execution_count = None  # nbval needs the (deterministic) count only where it compares
    nbformat.write(nb, path)
    print(f"refreshed {path}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        refresh(Path(arg))
