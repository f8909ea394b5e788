"""What a theme is: a small, immutable description that the runner, the apps and the checks read.

A theme (``serviceudvikling``, ``overdoedelighed``, ``maalgruppe``) is one question
answered for any area: a computing module in :mod:`vidensdata.themes` (validated
choice -> typed result, no HTML), a drawing module in
:mod:`vidensdata.presentation.temaer`, a notebook in ``notebooks/temaer/`` and a
parameter file in ``parameters/``. Its :class:`Tema` object, declared at the end of
the computing module and collected in :data:`vidensdata.themes.TEMAER`, is the one
place that names it: nothing else finds a theme by string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import paths


@dataclass(frozen=True)
class Tema:
    """One theme: its name, Danish title and question, the data it reads and its computing functions.

    ``beregn(**parametre)`` returns the theme's result for one view, ``valider(**parametre)``
    the validated choice (a frozen dataclass: the same view however its parameters were
    spelled), ``beregn_valg(valg)`` the result of an already validated choice (``beregn`` is
    ``beregn_valg(valider(**parametre))``) and ``tabel_til_download(resultat)`` the long table offered for download,
    suppressed exactly like the screen. ``datasaet`` names every dataset ``beregn`` reads:
    their fingerprints are part of every report's and view's cache key.
    """

    navn: str
    titel: str
    spoergsmaal: str
    datasaet: tuple[str, ...]
    parametre: tuple[str, ...]
    beregn: Callable
    beregn_valg: Callable
    valider: Callable
    tabel_til_download: Callable
    #: The literature the theme's method builds on (full references): shown with "Sådan citerer du" and in the
    #: downloads' "Om data", never in a chart's or table's source line (which names the data).
    litteratur: tuple[str, ...] = ()

    @property
    def notebook(self) -> Path:
        """The theme notebook (report template and Voila app)."""
        return paths().theme_notebook(self.navn)

    @property
    def parameterfil(self) -> Path:
        """The papermill parameter file of the theme's reports."""
        return paths().parameter_file(self.navn)

    def standardvaerdier(self) -> dict:
        """The parameters' defaults, as the notebook's ``parameters`` cell declares them."""
        from ..parameters import notebook_parameters

        return notebook_parameters(self.notebook)

    def __repr__(self) -> str:
        return f"Tema({self.navn!r}: {self.titel})"
