"""The files of a real register extract: which they are, their size, their bytes and their fingerprint.

Every file is checked before it is read into memory: its size against ``VIDENSDATA_REGISTER_MAX_MB``
(``config.register_max_mb``), then one streamed pass over its bytes (blocks of 16 MiB) that computes its
SHA-256 and, for a CSV file, rejects NUL bytes and lines longer than :data:`MAX_LINE_BYTES` (no row of the
contract is anywhere near that long: a file of zeros, e.g. a sparse or truncated-then-extended file, fails
in its first block). CSV tables are then read in chunks. Nothing here knows the extract's rules
(``register_rules``) or the datasets.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..errors import RegisterError
from ..formatting import fmt_int
from ..memo import Memo
from ..storage import fingerprint

TABLES = ("personer", "ydelsesforloeb", "registerkontakter")
PARAMETRE = "parametre.json"
DATE_COLUMNS = ("indgang_dato", "doedsdato", "start_dato", "slut_dato")
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"

#: Longest line accepted in a CSV table (bytes). A row of the contract is under 200 bytes.
MAX_LINE_BYTES = 1 << 20
BLOCK_BYTES = 1 << 24
CSV_CHUNK_ROWS = 200_000

#: SHA-256 of a file, keyed on its path, size and modification time (what the digest depends on).
_DIGESTS: Memo[str] = Memo("register.filer", stoerrelse=16)


def table_file(folder: Path, name: str) -> Path | None:
    """The file holding table ``name`` (``.parquet`` or ``.csv``), None when there is none; both is an error."""
    found = [folder / f"{name}{suffix}" for suffix in (".parquet", ".csv") if (folder / f"{name}{suffix}").exists()]
    if len(found) > 1:
        raise RegisterError(
            f"register extract {folder} has both {found[0].name} and {found[1].name}; keep one of them",
            dansk=f"Registerudtrækket har både {found[0].name} og {found[1].name}; behold kun den ene.")
    return found[0] if found else None


def extract_files(folder: Path) -> list[Path]:
    """Every file the extract consists of: its tables and ``parametre.json``."""
    files = [f for name in TABLES if (f := table_file(folder, name)) is not None]
    if (folder / PARAMETRE).exists():
        files.append(folder / PARAMETRE)
    return files


def extract_fingerprint(folder: Path) -> str:
    """A fingerprint of every file of the extract (names and SHA-256), each file checked before it is read."""
    return fingerprint([(f.name, file_digest(f)) for f in extract_files(folder)])


def file_digest(f: Path) -> str:
    """The SHA-256 of ``f`` after its size and (for CSV) its bytes are checked; memoised per size and mtime."""
    st = f.stat()
    check_size(f, st.st_size)
    return _DIGESTS.hent((str(f), st.st_size, st.st_mtime_ns), lambda: _scan(f))


def check_size(f: Path, size: int) -> None:
    limit = config.register_max_mb()
    if size > limit * 1024 ** 2:
        raise RegisterError(
            f"register file {f} is {size / 1024 ** 2:,.0f} MiB, more than the limit of {limit:,.0f} MiB "
            "(VIDENSDATA_REGISTER_MAX_MB); check that it is the right file, or raise the limit",
            dansk=f"Registerfilen {f.name} fylder {fmt_int(round(size / 1024 ** 2))} MiB, mere end grænsen på "
                  f"{fmt_int(round(limit))} MiB (VIDENSDATA_REGISTER_MAX_MB).")
    if size == 0 and f.suffix in (".csv", ".parquet"):
        raise RegisterError(f"register file {f} is empty (0 bytes); expected a header and rows",
                            dansk=f"Registerfilen {f.name} er tom (0 byte).")


def _scan(f: Path) -> str:
    """One streamed pass: the SHA-256, and for a CSV file no NUL byte and no over-long line."""
    h = hashlib.sha256()
    text = f.suffix == ".csv"
    line, run = 1, 0  # current file line (header = 1) and bytes since its start
    with open(f, "rb") as fh:
        while block := fh.read(BLOCK_BYTES):
            h.update(block)
            if not text:
                continue
            nul = block.find(b"\0")
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            if nul >= 0:
                _bad_bytes(f, line + int(np.searchsorted(ends, nul)), "a NUL byte (binary data or an unwritten "
                           "hole, e.g. a sparse or truncated file)", "et NUL-tegn (binære data eller et hul i filen)")
            lengths = np.diff(np.concatenate(([-run - 1], ends, [len(block)])))
            if lengths.max() - 1 > MAX_LINE_BYTES:
                where = line + int(np.argmax(lengths - 1 > MAX_LINE_BYTES))
                _bad_bytes(f, where, f"a line longer than {MAX_LINE_BYTES:,} bytes (no row of the contract is "
                           "longer than a few hundred)", f"en linje på over {fmt_int(MAX_LINE_BYTES)} byte")
            line += len(ends)
            run = len(block) - 1 - int(ends[-1]) if len(ends) else run + len(block)
    return h.hexdigest()


def _bad_bytes(f: Path, line: int, what: str, hvad: str) -> None:
    raise RegisterError(f"register table {f} is not a CSV text table: file line {line} has {what}; "
                        f"first offending rows (file line): [{line}]",
                        dansk=f"Registerfilen {f.name} er ikke en CSV-tekstfil: linje {line} har {hvad}.")


def read_csv(f: Path) -> pd.DataFrame:
    """A CSV table (UTF-8, comma or semicolon, ISO dates) as text columns, read in chunks after its checks."""
    file_digest(f)
    with open(f, encoding="utf-8") as fh:
        head = fh.readline()  # bounded: the scan allows no line over MAX_LINE_BYTES
    sep = ";" if head.count(";") > head.count(",") else ","
    chunks = []
    with pd.read_csv(f, sep=sep, dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""],
                     chunksize=CSV_CHUNK_ROWS) as reader:
        for chunk in reader:  # the index runs on across chunks: file line = index + 2
            check_iso_dates(chunk, f)
            chunks.append(chunk)
    return pd.concat(chunks) if len(chunks) > 1 else chunks[0]


def check_iso_dates(df: pd.DataFrame, f: Path, n: int = 5) -> None:
    """Dates in a CSV extract must be ISO (YYYY-MM-DD): 01-02-2015 would otherwise be read as 2 January."""
    problems = []
    for col in DATE_COLUMNS:
        if col not in df.columns:
            continue
        s = df[col]
        bad = s.notna() & ~s.astype("string").str.strip().str.fullmatch(_ISO_DATE).fillna(False)
        if bad.any():
            rows = [(int(i) + 2, s.loc[i]) for i in s.index[bad][:n]]  # file line: header is line 1
            problems.append(f"column {col!r} has {int(bad.sum())} date(s) not in the form YYYY-MM-DD; "
                            f"first offending rows (file line, value): {rows}")
    if problems:
        raise RegisterError(f"register table {f} breaks the contract:\n  - " + "\n  - ".join(problems),
                            dansk=f"Registerfilen {f.name} har datoer, der ikke er på formen ÅÅÅÅ-MM-DD: "
                                  + "; ".join(problems))


def read_parametre(folder: Path) -> dict:
    """``parametre.json``: an object whose ``first_year``/``last_year`` (optional) are whole years in order."""
    f = folder / PARAMETRE
    if not f.exists():
        return {}
    file_digest(f)
    try:
        params = json.loads(f.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegisterError(f"register file {f} is not valid JSON in UTF-8 ({exc})",
                            dansk=f"Registerfilen {f.name} kan ikke læses (ikke gyldig JSON).") from None
    years = {k: params.get(k) for k in ("first_year", "last_year")} if isinstance(params, dict) else {}
    bad = [k for k, v in years.items() if v is not None and (isinstance(v, bool) or not isinstance(v, int))]
    if not isinstance(params, dict) or bad or (None not in years.values()
                                               and years["first_year"] > years["last_year"]):
        raise RegisterError(
            f"register file {f} must be an object like {{\"first_year\": 2014, \"last_year\": 2024}} "
            f"(whole years, first_year <= last_year); got {params!r}",
            dansk=f"Registerfilen {f.name} skal angive first_year og last_year som hele år, første før sidste; "
                  f"fik {params!r}.")
    return params
