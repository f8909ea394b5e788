"""Datasets: the catalog, schemas, loaders and caches."""

from .registry import DATASETS, YDELSE_NAVNE, catalog, get, load

__all__ = ["DATASETS", "YDELSE_NAVNE", "catalog", "get", "load"]
