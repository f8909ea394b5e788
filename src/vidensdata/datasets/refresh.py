"""Refresh the StatBank-backed datasets: fetch, validate against the catalog, then forget old frames.

The fetching and the all-or-nothing cache live in :mod:`vidensdata.sources.statbank_mappings`;
the schemas and the memoised frames belong to the catalog (:mod:`.registry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..sources import statbank_mappings
from ..sources.statbank import StatbankClient
from . import registry


def refresh(datasets: Iterable[str] | None = None, client: StatbankClient | None = None,
            progress: bool = False, today: dt.date | None = None) -> list[dict]:
    """Fetch the given datasets (default: every refreshable one) from StatBank into the cache.

    Each is validated against its schema in the catalog before anything is replaced
    (all or nothing; see :func:`vidensdata.sources.statbank_mappings.refresh`), and the
    catalog's in-memory frames are dropped after a successful refresh. Returns one record per dataset.
    """
    records = statbank_mappings.refresh(datasets, client, progress, today,
                                        schema=lambda navn: registry.get(navn).schema)
    registry.invalidate()
    return records
