"""Datasets: the catalog, schemas, loaders and caches."""

from .catalog import DATASETS, YDELSE_NAVNE, catalog, get, load

__all__ = ["DATASETS", "YDELSE_NAVNE", "catalog", "get", "load"]
