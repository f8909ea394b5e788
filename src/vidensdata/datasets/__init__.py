"""Datasets: the catalog, schemas, loaders and caches."""

from ..vocabulary import YDELSE_NAVNE
from .registry import DATASETS, catalog, get, load

__all__ = ["DATASETS", "YDELSE_NAVNE", "catalog", "get", "load"]
