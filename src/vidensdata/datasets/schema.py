"""Table schemas: re-exported from :mod:`vidensdata.schema`, where the contract now lives.

The register extract (a source) is checked against the same contract, so it lives
below both the sources and the datasets.
"""

from ..schema import DTYPES, Column, Schema

__all__ = ["DTYPES", "Column", "Schema"]
