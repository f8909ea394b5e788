"""Statistics Denmark's StatBank API (``https://api.statbank.dk/v1``): client and parser.

The client posts JSON bodies to the API functions ``tables``, ``tableinfo`` and
``data``. ``data`` answers in ``CSV`` (capped by StatBank at 1,000,000 cells) or
``BULK`` (streamed without a cap; needs a value selection for every variable).
Downloads are streamed to disk in chunks and are never held whole in memory.

Every network problem becomes a :class:`StatbankError` (a :class:`VidensdataError`)
naming the address and the problem: timeouts and connection errors and 5xx answers
are retried with exponential backoff; 4xx answers carry StatBank's own error text;
``REQUEST-LIMIT`` (too many cells) makes :meth:`StatbankClient.data` switch to BULK.

:func:`read_statbank_csv` parses a saved CSV or BULK answer exactly as StatBank sends
it: ``;`` separator, optional UTF-8 BOM, CRLF or LF, codes or labels, decimal commas
(``lang=da``), ``..`` for confidential or missing cells, and time codes ``2016``,
``2016K1``/``2016Q1``, ``2016M01``, ``2016U01``, ``2016M01D01`` and ``2019:2020``
turned into proper columns (``aar``, ``kvartal``, ``maaned``, ``uge``, ``dag``,
``aar_fra``/``aar_til``).

The base address comes from ``VIDENSDATA_STATBANK_URL`` (default
``https://api.statbank.dk/v1``), so tests can point it at a loopback server;
``VIDENSDATA_STATBANK_TIMEOUT`` (seconds, default 60), ``VIDENSDATA_STATBANK_RETRIES``
(default 3) and ``VIDENSDATA_STATBANK_BACKOFF`` (first wait in seconds, doubled per retry,
default 1) tune the robustness.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..errors import DataError, VidensdataError

DEFAULT_URL = "https://api.statbank.dk/v1"
FORMATS = ("CSV", "BULK")
LANGS = ("da", "en")
MISSING = ("..", ".")  # StatBank writes ".." for confidential or missing cells; an empty field is malformed
CHUNK = 1 << 16
USER_AGENT = "vidensdata-statbank-client/0.1"


class StatbankError(VidensdataError):
    """A StatBank request failed (network, HTTP status, StatBank error, malformed payload)."""

    def __init__(self, message: str, url: str = "", dansk: str | None = None, kode: str | None = None,
                 status: int | None = None):
        super().__init__(message, dansk=dansk or f"Danmarks Statistiks StatBank kunne ikke levere data: {message}")
        self.url = url
        self.kode = kode
        self.status = status


class RequestLimitError(StatbankError):
    """StatBank refused a non-streaming request of more than 1,000,000 cells (``REQUEST-LIMIT``)."""


def base_url() -> str:
    """The StatBank API address in force (``VIDENSDATA_STATBANK_URL`` or the public one)."""
    return os.environ.get("VIDENSDATA_STATBANK_URL", DEFAULT_URL).rstrip("/")


# ---------------------------------------------------------------- client

class StatbankClient:
    """A small StatBank API client (POST JSON, retries with backoff, streaming downloads)."""

    def __init__(self, url: str | None = None, lang: str = "da", timeout: float | None = None,
                 retries: int | None = None, backoff: float | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.url = (url or base_url()).rstrip("/")
        self.lang = _check_lang(lang)
        self.timeout = float(timeout if timeout is not None else _env("VIDENSDATA_STATBANK_TIMEOUT", 60.0))
        self.retries = max(0, int(retries if retries is not None else _env("VIDENSDATA_STATBANK_RETRIES", 3)))
        self.backoff = float(backoff if backoff is not None else _env("VIDENSDATA_STATBANK_BACKOFF", 1.0))
        self._sleep = sleep
        self.requests: list[dict] = []  # every request sent (function, body): provenance for the cache

    # -- API functions

    def tables(self, subjects: Sequence[str] | None = None, lang: str | None = None,
               include_inactive: bool = False) -> list[dict]:
        """The tables (id, text, unit, updated, firstPeriod, latestPeriod, variables, ...)."""
        body: dict = {"lang": _check_lang(lang or self.lang), "format": "JSON"}
        if subjects:
            body["subjects"] = [str(s) for s in subjects]
        if include_inactive:
            body["includeInactive"] = True
        out = self._json("tables", body)
        if not isinstance(out, list):
            raise StatbankError(f"malformed answer from {self.url}/tables: expected a JSON list, got "
                                f"{type(out).__name__}", url=f"{self.url}/tables")
        return out

    def tableinfo(self, table: str, lang: str | None = None) -> dict:
        """Metadata of one table: its variables with their value codes and texts."""
        url = f"{self.url}/tableinfo"
        out = self._json("tableinfo", {"table": table, "format": "JSON", "lang": _check_lang(lang or self.lang)})
        if not isinstance(out, dict) or not isinstance(out.get("variables"), list):
            raise StatbankError(f"malformed answer from {url} for table {table!r}: no 'variables' list", url=url)
        for var in out["variables"]:
            if not isinstance(var, dict) or "id" not in var or not isinstance(var.get("values"), list):
                raise StatbankError(f"malformed answer from {url} for table {table!r}: bad variable {var!r:.80}",
                                    url=url)
        return out

    def data(self, table: str, variables: Mapping[str, str | Sequence[str]], fmt: str = "CSV",
             lang: str | None = None, value_presentation: str = "Code", dest: str | Path | None = None,
             progress: Callable[[int], None] | None = None) -> pd.DataFrame | Path:
        """Fetch data: a parsed DataFrame, or the path of the raw file when ``dest`` is given.

        ``variables`` maps variable codes to value codes (``"*"`` selects all values).
        The answer is streamed to a temporary file; it replaces ``dest`` only when it
        arrived whole. A ``REQUEST-LIMIT`` answer to a CSV request is repeated as BULK.
        """
        fmt = fmt.upper()
        if fmt not in FORMATS:
            raise StatbankError(f"unknown StatBank format {fmt!r}; expected one of {FORMATS}")
        body = {
            "table": table,
            "format": fmt,
            "lang": _check_lang(lang or self.lang),
            "valuePresentation": value_presentation,
            "variables": [{"code": code, "values": [values] if isinstance(values, str) else [str(v) for v in values]}
                          for code, values in variables.items()],
        }
        tmp_dir = Path(dest).parent if dest is not None else Path(tempfile.gettempdir())
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=f".statbank-{table}.", suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            try:
                self._download("data", body, tmp, progress)
            except RequestLimitError:
                if fmt == "BULK":
                    raise
                body = {**body, "format": "BULK"}
                self._download("data", body, tmp, progress)
            if dest is None:
                return read_statbank_csv(tmp)
            os.replace(tmp, dest)
            return Path(dest)
        finally:
            tmp.unlink(missing_ok=True)

    # -- transport

    def _json(self, function: str, body: dict):
        url = f"{self.url}/{function}"
        raw = self._request(function, body, lambda resp: _read_all(resp, url))
        try:
            return json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StatbankError(f"malformed answer from {url}: not valid JSON ({exc})", url=url) from None

    def _download(self, function: str, body: dict, dest: Path, progress: Callable[[int], None] | None) -> None:
        url = f"{self.url}/{function}"

        def consume(resp):
            with open(dest, "wb") as fh:
                while True:
                    block = resp.read(CHUNK)
                    if not block:
                        break
                    fh.write(block)
                    if progress is not None:
                        progress(len(block))
            expected = resp.headers.get("Content-Length")
            if expected is not None and dest.stat().st_size != int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - dest.stat().st_size)
            _check_not_error_payload(dest, url)

        self._request(function, body, consume)

    def _request(self, function: str, body: dict, consume):
        url = f"{self.url}/{function}"
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.requests.append({"funktion": function, "url": url, "body": body})
        last = "unknown error"
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            req = urllib.request.Request(url, data=payload, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8", "Accept": "*/*", "User-Agent": USER_AGENT})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return consume(resp)
            except urllib.error.HTTPError as exc:
                text = _error_text(exc)
                code, message = _statbank_error(text)
                if code and "REQUEST-LIMIT" in code.upper():
                    raise RequestLimitError(
                        f"StatBank refused the request to {url} (REQUEST-LIMIT: {message or 'too many cells'}); "
                        f"ask for fewer values or use format BULK", url=url, kode=code, status=exc.code,
                        dansk="Forespørgslen er for stor til StatBank (over 1.000.000 celler).") from None
                if 400 <= exc.code < 500:
                    raise StatbankError(
                        f"StatBank rejected the request to {url} (HTTP {exc.code}"
                        f"{', ' + code if code else ''}): {message or text[:300] or exc.reason}",
                        url=url, kode=code, status=exc.code) from None
                last = f"HTTP {exc.code} {exc.reason}" + (f": {message or text[:200]}" if (message or text) else "")
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout,
                    TimeoutError) as exc:
                last = _describe(exc)
            except OSError as exc:  # e.g. a reset connection while reading
                if isinstance(exc, (FileNotFoundError, PermissionError)):
                    raise
                last = _describe(exc)
        raise StatbankError(
            f"could not fetch {url} after {self.retries + 1} attempt(s): {last}",
            url=url, dansk=f"Kunne ikke hente data fra Danmarks Statistik ({url}): {last}")


def _env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise StatbankError(f"{name} must be a number, got {raw!r}") from None


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise StatbankError(f"unknown StatBank language {lang!r}; expected one of {LANGS}")
    return lang


def _read_all(resp, url: str) -> bytes:
    chunks = []
    while True:
        block = resp.read(CHUNK)
        if not block:
            break
        chunks.append(block)
    raw = b"".join(chunks)
    expected = resp.headers.get("Content-Length")
    if expected is not None and len(raw) != int(expected):
        raise http.client.IncompleteRead(raw, int(expected) - len(raw))
    return raw


def _check_not_error_payload(path: Path, url: str) -> None:
    """StatBank sometimes answers 200 with a JSON error body; recognise it."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    stripped = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if stripped.startswith(b"{"):
        code, message = _statbank_error(head.decode("utf-8", errors="replace"))
        if code and "REQUEST-LIMIT" in code.upper():
            raise RequestLimitError(f"StatBank refused the request to {url} (REQUEST-LIMIT: {message})",
                                    url=url, kode=code)
        raise StatbankError(f"StatBank answered {url} with an error instead of data"
                            f"{' (' + code + ')' if code else ''}: {message or stripped[:200]!r}", url=url, kode=code)


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read().decode("utf-8-sig", errors="replace").strip()
    except Exception:  # noqa: BLE001 - the body of an error answer is best effort
        return ""


def _statbank_error(text: str) -> tuple[str | None, str]:
    """(errorTypeCode, message) from a StatBank JSON error body, else (None, '')."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, TypeError, ValueError):
        return None, ""
    if not isinstance(obj, dict):
        return None, ""
    code = obj.get("errorTypeCode") or obj.get("errorType") or obj.get("code")
    message = obj.get("message") or obj.get("errorMessage") or ""
    return (str(code) if code else None), str(message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return "timed out"
        return f"connection failed ({reason})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the answer was cut off ({len(exc.partial)} bytes received, {exc.expected} more expected)"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- parser

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})
VALUE_COLUMNS = ("indhold", "content", "value")

_TIME_PATTERNS = [
    (re.compile(r"^(\d{4})$"), ("aar",)),
    (re.compile(r"^(\d{4})[KQ]([1-4])$"), ("aar", "kvartal")),
    (re.compile(r"^(\d{4})H([12])$"), ("aar", "halvaar")),
    (re.compile(r"^(\d{4})M(\d{2})$"), ("aar", "maaned")),
    (re.compile(r"^(\d{4})M(\d{2})D(\d{2})$"), ("aar", "maaned", "dag")),
    (re.compile(r"^(\d{4})U(\d{2})$"), ("aar", "uge")),
    (re.compile(r"^(\d{4}):(\d{4})$"), ("aar_fra", "aar_til")),
]


def column_name(header: str) -> str:
    """StatBank header to Danish ASCII snake_case: ``OMRÅDE`` → ``omraade``, ``KØN`` → ``koen``."""
    name = header.strip().lstrip("\ufeff").translate(_FOLD).lower()
    return re.sub(r"[^0-9a-z]+", "_", name).strip("_")


def parse_time(values: pd.Series) -> pd.DataFrame:
    """Split StatBank time codes into integer columns (``aar``, ``kvartal``, ``maaned``, ...).

    All codes in one column must follow one pattern; anything else is a :class:`DataError`.
    """
    s = values.astype("string").str.strip()
    first = s.dropna().iloc[0] if s.notna().any() else ""
    for pattern, names in _TIME_PATTERNS:
        if pattern.match(first):
            parts = s.str.extract(pattern)
            bad = parts.isna().any(axis=1)
            if bad.any():
                raise DataError(f"time codes do not follow one pattern: {first!r} but also "
                                f"{s[bad].head(3).tolist()}")
            return pd.DataFrame({n: parts[i].astype("int64") for i, n in enumerate(names)}, index=s.index)
    raise DataError(f"unknown StatBank time code {first!r}; expected e.g. 2016, 2016K1, 2016M01, 2019:2020")


def parse_number(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """StatBank cell values to numbers: ``..`` (and ``.``) → NA; decimal comma or point.

    ``decimal=None`` accepts both (StatBank data has no thousands separators).
    Integral columns come back as ``Int64``, others as ``Float64``.
    """
    s = values.astype("string").str.strip()
    missing = s.isna() | s.isin(MISSING)
    txt = s.mask(missing)
    if decimal in (None, ","):
        txt = txt.str.replace(",", ".", regex=False)
    num = pd.to_numeric(txt, errors="coerce")
    bad = num.isna() & ~missing
    if bad.any():
        rows = [(int(i), values.loc[i]) for i in values.index[bad][:5]]
        raise DataError(f"non-numeric value(s) in the value column: first offending rows {rows}")
    num = num.astype("Float64")
    if ((num.dropna() % 1) == 0).all():
        return num.round().astype("Int64")
    return num


def read_statbank_csv(path: str | Path, decimal: str | None = None) -> pd.DataFrame:
    """Parse a saved StatBank CSV or BULK answer into a tidy DataFrame.

    One column per variable (named in Danish ASCII snake_case, e.g. ``omraade``,
    ``koen``, ``alder``, ``tid``), the time code split into ``aar`` and
    ``kvartal``/``maaned``/... when a ``tid`` column is present, and the numeric
    value column ``indhold`` with NA for ``..``. Codes and labels are kept as text.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                         skip_blank_lines=True, quotechar='"')
    except FileNotFoundError:
        raise DataError(f"StatBank file not found: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not a StatBank CSV/BULK file: {exc}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty: not a StatBank CSV/BULK answer") from None
    if df.shape[1] < 2:
        raise DataError(f"{path} is not a StatBank CSV/BULK file: expected ';'-separated columns ending in "
                        f"INDHOLD, got header {list(df.columns)}")
    names = [column_name(c) for c in df.columns]
    value_col = names[-1]
    if value_col not in VALUE_COLUMNS:
        raise DataError(f"{path}: the last column should be INDHOLD (the value), got {df.columns[-1]!r}")
    names[-1] = "indhold"
    df.columns = names
    if len(set(names)) != len(names):
        raise DataError(f"{path}: duplicate column names {names}")
    # a row with too few fields (e.g. a cut-off answer) is malformed; pandas fills it with "" here
    short = (df == "").any(axis=1) | df.isna().any(axis=1)
    if short.any():
        raise DataError(f"{path} is malformed or cut off: {int(short.sum())} row(s) with missing fields, first at "
                        f"data row {int(df.index[short][0]) + 1}")
    variables = names[:-1]
    for col in variables:
        df[col] = df[col].astype("string").str.strip()
    out = df[variables].copy()
    try:
        out["indhold"] = parse_number(df["indhold"], decimal)
    except DataError as exc:
        raise DataError(f"{path}: {exc.message}") from None
    if "tid" in out.columns and len(out):
        try:
            time_cols = parse_time(out["tid"])
        except DataError as exc:
            raise DataError(f"{path}: {exc.message}") from None
        pos = out.columns.get_loc("tid") + 1
        for i, c in enumerate(time_cols.columns):
            if c not in out.columns:
                out.insert(pos + i, c, time_cols[c])
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- label helpers

_AGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*(år|years?)?\s*(og derover|and over|\+|-)?\s*$", re.IGNORECASE)


def parse_age(text: str, code: str | None = None) -> tuple[int, int | None] | None:
    """An age value as (lowest, highest) years; highest ``None`` is open-ended; ``None`` for totals.

    Accepts StatBank codes and labels: ``10``, ``10 år``, ``0-4 år``, ``100 år og derover``,
    ``100-`` (code of an open-ended group), ``95+``. Totals (``I alt``, ``TOT``, ``IALT``) give ``None``.
    """
    for raw in (code, text):
        if raw is None:
            continue
        m = _AGE.match(str(raw))
        if m:
            lo = int(m.group(1))
            if m.group(2):
                return lo, int(m.group(2))
            if m.group(4):
                return lo, None
            return lo, lo
    return None
