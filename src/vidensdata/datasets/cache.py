"""Rebuildable caches: re-exported from :mod:`vidensdata.storage`, where they now live.

The sources (the synthetic register extract, the StatBank cache) use the same
atomic writes, checksums and fingerprints, so these live below both layers.
"""

from ..storage import CacheWarning, atomic_write_bytes, atomic_write_text, cached_tables, fingerprint, sha256

__all__ = ["CacheWarning", "atomic_write_bytes", "atomic_write_text", "cached_tables", "fingerprint", "sha256"]
