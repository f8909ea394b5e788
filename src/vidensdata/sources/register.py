"""The register extract: the contract for person-level data, real or synthetic.

A real extract is a folder (``VIDENSDATA_REGISTER=/path``) with two tables, each as
``.parquet`` or ``.csv`` (UTF-8, comma- or semicolon-separated, ISO dates):

``personer``
    ``person_id`` (text, unique), ``koen`` (``M``/``K``), ``foedselsaar`` (year),
    ``kommune_kode`` (3-digit residence kommune), ``indgang_dato`` (first date in the
    target group), ``doedsdato`` (date of death, empty when alive).
``ydelsesforloeb``
    ``person_id``, ``ydelse`` (``§85``, ``§107``, ``§108``, ``§103``, ``§104``, ``§99``),
    ``start_dato``, ``slut_dato`` (empty while ongoing), ``handlekommune_kode``
    (the acting kommune).
``registerkontakter`` (optional)
    ``person_id``, ``register`` (``psykiatri``: psychiatric treatment contact,
    ``misbrug``: treatment for substance abuse), ``aar`` (a year with at least one
    contact). Used with the services list to estimate the size of the target group
    (dataset ``registeroverlap``).

See ``docs/registerudtraek.md`` for the full contract. :func:`load_extract` returns
the configured real extract, or else the synthetic one (generated once and cached).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import config
from ..errors import RegisterError, SchemaError
from ..memo import Memo
from ..schema import Column, Schema
from ..storage import cached_tables, fingerprint
from ..vocabulary import KONTAKT_REGISTRE, YDELSER
from . import synthetic, synthetic_capture
from .snapshots import sha256

PERSON_SCHEMA = Schema(
    columns=(
        Column("person_id", "str", "Pseudonymt person-id"),
        Column("koen", "str", "Køn: M (mand) eller K (kvinde)", allowed=("M", "K")),
        Column("foedselsaar", "int", "Fødselsår", min=1900, max=2030),
        Column("kommune_kode", "str", "Bopælskommune (3-cifret kode)", width=3),
        Column("indgang_dato", "date", "Første dato i målgruppen"),
        Column("doedsdato", "date", "Dødsdato (tom hvis i live)", nullable=True),
    ),
    key=("person_id",),
)

EPISODE_SCHEMA = Schema(
    columns=(
        Column("person_id", "str", "Pseudonymt person-id"),
        Column("ydelse", "str", "Ydelse efter serviceloven", allowed=tuple(YDELSER)),
        Column("start_dato", "date", "Forløbets start"),
        Column("slut_dato", "date", "Forløbets slut (tom hvis igangværende)", nullable=True),
        Column("handlekommune_kode", "str", "Handlekommune (3-cifret kode)", width=3),
    ),
    key=("person_id", "ydelse", "start_dato"),
)

KONTAKT_SCHEMA = Schema(
    columns=(
        Column("person_id", "str", "Pseudonymt person-id"),
        Column("register", "str", "Register: psykiatri (behandlingskontakt) eller misbrug (misbrugsbehandling)",
               allowed=KONTAKT_REGISTRE),
        Column("aar", "int", "År med mindst én kontakt", min=1900, max=2100),
    ),
    key=("person_id", "register", "aar"),
)

SYNTHETIC_SOURCE = "Syntetisk registerudtræk (vidensdata)"


@dataclass
class RegisterExtract:
    personer: pd.DataFrame
    forloeb: pd.DataFrame
    synthetic: bool
    kilde: str
    fingerprint: str
    parametre: dict = field(default_factory=dict)
    kontakter: pd.DataFrame | None = None  # optional table registerkontakter (person_id, register, aar)
    sandhed: pd.DataFrame | None = None  # synthetic only: the planted target group (kommune, aar, historie, antal)

    @property
    def first_year(self) -> int:
        return int(self.parametre.get("first_year", self.forloeb["start_dato"].dt.year.min()))

    @property
    def last_year(self) -> int:
        if "last_year" in self.parametre:
            return int(self.parametre["last_year"])
        dates = [self.forloeb["start_dato"], self.forloeb["slut_dato"], self.personer["doedsdato"]]
        return int(max(d.dt.year.max() for d in dates if d.notna().any()))


#: Extracts in memory, keyed on their folder and fingerprint (the synthetic one also on the cache folder).
_EXTRACTS: Memo[RegisterExtract] = Memo("register.udtraek", stoerrelse=4)


#: Columns of an episode shown in the message about an episode that ends before it starts.
FORLOEB_VIST = ["person_id", "ydelse", "start_dato", "slut_dato"]

def current_source() -> dict:
    """Cheap description of the extract in force, without loading it: synthetic?, kilde, fingerprint."""
    real = config.register_path()
    if real is None:
        p = synthetic.SyntheticParams(seed=config.synthetic_seed())
        return {"synthetic": True, "kilde": f"{SYNTHETIC_SOURCE}, seed {p.seed}", "fingerprint": p.fingerprint()}
    ext = read_real_extract(real)
    return {"synthetic": False, "kilde": ext.kilde, "fingerprint": ext.fingerprint}


def load_extract(path: str | Path | None = None, params: synthetic.SyntheticParams | None = None) -> RegisterExtract:
    """The real extract at ``path`` (or ``VIDENSDATA_REGISTER``), else the synthetic one."""
    real = Path(path) if path is not None else config.register_path()
    if real is not None:
        return read_real_extract(real)
    p = params or synthetic.SyntheticParams(seed=config.synthetic_seed())
    key = p.fingerprint()

    def build():
        personer, forloeb = synthetic.generate(p)
        personer, kontakter, sandhed = synthetic_capture.extend(p, personer, forloeb)
        return {"personer": personer, "ydelsesforloeb": forloeb, "registerkontakter": kontakter,
                "maalgruppe_sandhed": sandhed}

    def load():
        tables, _meta = cached_tables("register-syntetisk", key, build, {"parametre": p.to_dict()})
        personer = PERSON_SCHEMA.validate(tables["personer"], "personer (syntetisk)")
        forloeb = EPISODE_SCHEMA.validate(tables["ydelsesforloeb"], "ydelsesforloeb (syntetisk)")
        kontakter = KONTAKT_SCHEMA.validate(tables["registerkontakter"], "registerkontakter (syntetisk)")
        return RegisterExtract(personer, forloeb, True, SYNTHETIC_SOURCE, key, p.to_dict(),
                               kontakter=kontakter, sandhed=tables["maalgruppe_sandhed"])

    return _EXTRACTS.hent((str(config.paths().cache), key), load)


def _read_table(folder: Path, name: str, optional: bool = False) -> pd.DataFrame | None:
    for suffix in (".parquet", ".csv"):
        f = folder / f"{name}{suffix}"
        if f.exists():
            try:
                if suffix == ".parquet":
                    return pd.read_parquet(f)
                with open(f, encoding="utf-8") as fh:
                    head = fh.readline()
                sep = ";" if head.count(";") > head.count(",") else ","
                df = pd.read_csv(f, sep=sep, dtype=str, encoding="utf-8", keep_default_na=False,
                                 na_values=[""])
                _check_iso_dates(df, f)
                return df
            except UnicodeDecodeError as exc:
                lines = _undecodable_lines(f)
                raise RegisterError(
                    f"register table {f} is not UTF-8 ({exc.reason}); first offending lines: {lines}; "
                    "save it as UTF-8",
                    dansk=f"Registerfilen {f.name} er ikke i UTF-8-tegnsæt (linje "
                          f"{', '.join(str(n) for n, _ in lines)}).",
                ) from None
            except RegisterError:
                raise
            except Exception as exc:  # parquet/csv readers raise many kinds
                raise RegisterError(f"register table {f} cannot be read: {exc}") from None
    if optional:
        return None
    raise RegisterError(
        f"register extract {folder} has no table {name!r} (expected {name}.parquet or {name}.csv)",
        dansk=f"Registerudtrækket mangler tabellen {name}.",
    )


DATE_COLUMNS = ("indgang_dato", "doedsdato", "start_dato", "slut_dato")
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _undecodable_lines(f: Path, n: int = 5) -> list[tuple[int, str]]:
    """The first ``n`` lines (1-based, header = line 1) that are not valid UTF-8, with a preview."""
    bad = []
    with open(f, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append((number, raw.decode("utf-8", errors="replace").rstrip("\r\n")[:80]))
                if len(bad) >= n:
                    break
    return bad


def _check_iso_dates(df: pd.DataFrame, f: Path, n: int = 5) -> None:
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


def read_real_extract(folder: Path) -> RegisterExtract:
    """Read and check a real extract; every broken rule is reported with the first offending rows."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RegisterError(f"register extract folder does not exist: {folder}",
                            dansk=f"Mappen med registerudtrækket findes ikke: {folder}")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    fp = fingerprint([(p.name, sha256(p)) for p in files])
    return _EXTRACTS.hent((str(folder), fp), lambda: _read_checked(folder, fp))


def _read_checked(folder: Path, fp: str) -> RegisterExtract:
    """Read the tables of a real extract and check its contract and consistency."""
    try:
        personer = PERSON_SCHEMA.validate(_read_table(folder, "personer"), f"personer ({folder})")
        forloeb = EPISODE_SCHEMA.validate(_read_table(folder, "ydelsesforloeb"), f"ydelsesforloeb ({folder})")
        kontakter = _read_table(folder, "registerkontakter", optional=True)
        if kontakter is not None:
            kontakter = KONTAKT_SCHEMA.validate(kontakter, f"registerkontakter ({folder})")
    except SchemaError as exc:
        raise RegisterError(f"register extract breaks the contract: {exc.message}", dansk=exc.dansk) from None
    check_consistency(personer, forloeb, kontakter)
    params = {}
    meta = folder / "parametre.json"
    if meta.exists():
        params = json.loads(meta.read_text(encoding="utf-8"))
    return RegisterExtract(personer, forloeb, False, f"Registerudtræk ({folder.name})", fp, params,
                           kontakter=kontakter)


def check_consistency(personer: pd.DataFrame, forloeb: pd.DataFrame, kontakter: pd.DataFrame | None = None) -> None:
    """Rules across rows and tables that a schema cannot express."""
    problems = []
    if kontakter is not None:
        unknown_k = ~kontakter["person_id"].isin(personer["person_id"])
        if unknown_k.any():
            problems.append(f"{int(unknown_k.sum())} register contact(s) name persons not in personer; first: "
                            f"{kontakter.loc[unknown_k, 'person_id'].head(5).tolist()}")
        death_year = kontakter["person_id"].map(personer.set_index("person_id")["doedsdato"]).dt.year
        after_death = death_year.notna() & (kontakter["aar"] > death_year)
        if after_death.any():
            problems.append(f"{int(after_death.sum())} register contact(s) in a year after the person's death; "
                            f"first rows: {kontakter.loc[after_death].head(5).to_dict('records')}")
    unknown = ~forloeb["person_id"].isin(personer["person_id"])
    if unknown.any():
        problems.append(f"{int(unknown.sum())} episode(s) name persons not in personer; first: "
                        f"{forloeb.loc[unknown, 'person_id'].head(5).tolist()}")
    backwards = forloeb["slut_dato"].notna() & (forloeb["slut_dato"] < forloeb["start_dato"])
    if backwards.any():
        problems.append(f"{int(backwards.sum())} episode(s) end before they start; first rows: "
                        f"{forloeb.loc[backwards, FORLOEB_VIST].head(5).to_dict('records')}")
    died_before_entry = personer["doedsdato"].notna() & (personer["doedsdato"] < personer["indgang_dato"])
    if died_before_entry.any():
        problems.append(f"{int(died_before_entry.sum())} person(s) die before their entry date; first: "
                        f"{personer.loc[died_before_entry, 'person_id'].head(5).tolist()}")
    from ..geography import kommuner

    valid = {k.kode for k in kommuner()}
    for table, col in ((personer, "kommune_kode"), (forloeb, "handlekommune_kode")):
        bad = ~table[col].isin(valid)
        if bad.any():
            problems.append(f"{col} has unknown kommune codes: {sorted(set(table.loc[bad, col]))[:5]}")
    if problems:
        raise RegisterError("register extract breaks the contract:\n  - " + "\n  - ".join(problems),
                            dansk="Registerudtrækket overholder ikke formatet: " + "; ".join(problems))


def write_extract(ext_personer: pd.DataFrame, ext_forloeb: pd.DataFrame, folder: Path, fmt: str = "csv",
                  kontakter: pd.DataFrame | None = None) -> None:
    """Write an extract in the contract's format (used to export the synthetic one and in tests).

    ``kontakter`` (the optional table ``registerkontakter``) is written when given.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tables = [("personer", ext_personer), ("ydelsesforloeb", ext_forloeb)]
    if kontakter is not None:
        tables.append(("registerkontakter", kontakter))
    for name, df in tables:
        if fmt == "parquet":
            df.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            out = df.copy()
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_csv(folder / f"{name}.csv", index=False)
