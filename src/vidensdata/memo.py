"""In-memory results: one mechanism for everything a process keeps for reuse.

A :class:`Memo` is a small, bounded, thread-safe map from a key to a computed value,
evicting the least recently used entry. Its key must name everything the value depends
on; for data that is the fingerprint of what was read (a dataset's
:meth:`~vidensdata.datasets.registry.Dataset.fingerprint`, the register extract's
``current_source()["fingerprint"]``, a file's checksum), so a refreshed dataset gives a
new key and a long-lived process never serves an old value. Every memo is registered by
name in :data:`MEMOER`; :func:`glem_alt` empties them all.

>>> PERIODER = Memo("overdoedelighed.perioder", stoerrelse=2)
>>> PERIODER.hent((fingeraftryk, 2010, 2021), lambda: beregn_periode(2010, 2021))
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

#: Every memo of the process, by name.
MEMOER: dict[str, Memo] = {}


class Memo(Generic[T]):
    """A bounded least-recently-used map ``key -> value``, filled by :meth:`hent`."""

    def __init__(self, navn: str, stoerrelse: int = 16):
        if navn in MEMOER:
            raise ValueError(f"Der findes allerede en memo ved navn {navn!r}.")
        if stoerrelse < 1:
            raise ValueError(f"En memo skal kunne rumme mindst én værdi, ikke {stoerrelse}.")
        self.navn = navn
        self.stoerrelse = stoerrelse
        self._data: OrderedDict[Hashable, T] = OrderedDict()
        self._laas = threading.RLock()  # a view may be computed on a deep link's background thread
        MEMOER[navn] = self

    def hent(self, noegle: Hashable, beregn: Callable[[], T]) -> T:
        """The value under ``noegle``, computed by ``beregn()`` (once) when it is not held."""
        with self._laas:
            if noegle in self._data:
                self._data.move_to_end(noegle)
                return self._data[noegle]
            value = beregn()  # under the lock: two threads never compute the same value twice
            self._data[noegle] = value
            while len(self._data) > self.stoerrelse:
                self._data.popitem(last=False)
            return value

    def glem(self, hvis: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every value (or those whose key ``hvis(key)`` is true)."""
        with self._laas:
            for key in [k for k in self._data if hvis is None or hvis(k)]:
                del self._data[key]

    def __contains__(self, noegle: Hashable) -> bool:
        return noegle in self._data

    def __iter__(self):
        """The keys held now, least recently used first."""
        with self._laas:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Memo({self.navn!r}: {len(self)}/{self.stoerrelse})"


def glem_alt() -> None:
    """Empty every memo of the process."""
    for memo in MEMOER.values():
        memo.glem()
