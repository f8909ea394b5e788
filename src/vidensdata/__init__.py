"""vidensdata: knowledge data on Danish social psychiatry.

>>> import vidensdata as vd
>>> vd.catalog()                      # every dataset with its source and licence
>>> vd.load("kommuner")               # a tidy, validated DataFrame
>>> vd.load("ydelsesmodtagere", geografi="Aarhus", aar=[2016, 2017])
"""

from .datasets import catalog, load
from .errors import VidensdataError
from .geography import omraade, resolve

__version__ = "0.1.0"

__all__ = ["VidensdataError", "__version__", "catalog", "load", "omraade", "resolve"]
