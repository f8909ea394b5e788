"""One exception hierarchy for the whole package.

Every error names the bad value, what was expected and, where it helps, the
nearest valid values. ``dansk`` is the Danish text for people: it is what
``str(error)`` gives, so an analyst's traceback in a notebook, an app's message
and a report's failure all read in Danish. ``message`` is the English text for the
CLI and logs (with the Danish names of the data); where it differs it is also
attached as a PEP 678 note (``Teknisk detalje (engelsk): …``), which a traceback
prints under the Danish message and ``pytest.raises(match=…)`` searches. An error
raised without a Danish text falls back to the English one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class VidensdataError(Exception):
    """Base class of every error raised on purpose by vidensdata."""

    def __init__(self, message: str, dansk: str | None = None):
        super().__init__(dansk or message)
        self.message = message
        self.dansk = dansk or message
        if self.dansk != message:
            self.add_note(f"Teknisk detalje (engelsk): {message}")

    def __str__(self) -> str:
        return self.dansk


class UnknownGeographyError(VidensdataError, ValueError):
    """A geography (kommune, region, level) that is not known."""


class UnknownDatasetError(VidensdataError, KeyError):
    """A dataset name that is not in the catalog."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.dansk


class UnknownColumnError(VidensdataError, KeyError):
    """A column (e.g. a filter) that a dataset does not have."""

    def __str__(self) -> str:
        return self.dansk


class InvalidValueError(VidensdataError, ValueError):
    """A value outside what is allowed (unknown service, sex, ...)."""


class InvalidYearsError(VidensdataError, ValueError):
    """Impossible years: start after end, or outside the data."""


class ParameterError(VidensdataError, ValueError):
    """A malformed or wrongly typed parameter file or notebook parameter."""


class DataError(VidensdataError):
    """Missing, unreadable or corrupt data (snapshot, cache, extract)."""


class UnavailableDatasetError(DataError):
    """A dataset in the catalog that cannot be loaded here now (e.g. not fetched from StatBank yet)."""


class SchemaError(DataError, ValueError):
    """A table that does not match its declared schema."""


class RegisterError(DataError, ValueError):
    """A register extract (real or synthetic) that breaks the extract contract."""


class RegisterWarning(UserWarning):
    """A register extract that can be used but has something the analyst should know (e.g. dates after the
    window, which are not counted). ``str()`` is English; ``dansk`` the Danish text."""

    def __init__(self, message: str, dansk: str | None = None):
        super().__init__(message)
        self.message = message
        self.dansk = dansk or message


class ReportError(VidensdataError):
    """One or more report runs failed."""


def close_matches(value: object, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates closest to ``value`` (case-insensitive), best first."""
    cands = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(str(value).lower(), list(lowered), n=n, cutoff=0.5)
    out = [lowered[h] for h in hits]
    # substring hits help with short inputs such as "aarhus" -> "Aarhus Kommune"
    needle = str(value).lower().strip()
    if needle:
        for c in cands:
            if needle in c.lower() and c not in out:
                out.append(c)
    return out[:n]


def suggestion(value: object, candidates: Iterable[str], n: int = 5) -> str:
    """A ' Did you mean: a, b?' tail for messages (empty when nothing is close)."""
    hits = close_matches(value, candidates, n=n)
    return f" Did you mean: {', '.join(hits)}?" if hits else ""


def forslag(value: object, candidates: Iterable[str], n: int = 5) -> str:
    """The Danish version of :func:`suggestion`."""
    hits = close_matches(value, candidates, n=n)
    return f" Mente du: {', '.join(hits)}?" if hits else ""
