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

See ``docs/registerudtraek.md`` for the full contract. :func:`load_extract` returns
the configured real extract, or else the synthetic one (generated once and cached).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import config
from ..datasets.schema import Column, Schema
from ..errors import RegisterError, SchemaError
from . import synthetic

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
        Column("ydelse", "str", "Ydelse efter serviceloven", allowed=tuple(synthetic.YDELSER)),
        Column("start_dato", "date", "Forløbets start"),
        Column("slut_dato", "date", "Forløbets slut (tom hvis igangværende)", nullable=True),
        Column("handlekommune_kode", "str", "Handlekommune (3-cifret kode)", width=3),
    ),
    key=("person_id", "ydelse", "start_dato"),
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

    @property
    def first_year(self) -> int:
        return int(self.parametre.get("first_year", self.forloeb["start_dato"].dt.year.min()))

    @property
    def last_year(self) -> int:
        if "last_year" in self.parametre:
            return int(self.parametre["last_year"])
        dates = [self.forloeb["start_dato"], self.forloeb["slut_dato"], self.personer["doedsdato"]]
        return int(max(d.dt.year.max() for d in dates if d.notna().any()))


_MEMO: dict[str, RegisterExtract] = {}


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
    memo_key = f"{config.paths().cache}:{key}"
    if memo_key not in _MEMO:
        from ..datasets.cache import cached_tables

        def build():
            personer, forloeb = synthetic.generate(p)
            return {"personer": personer, "ydelsesforloeb": forloeb}

        tables, _meta = cached_tables("register-syntetisk", key, build, {"parametre": p.to_dict()})
        personer = PERSON_SCHEMA.validate(tables["personer"], "personer (syntetisk)")
        forloeb = EPISODE_SCHEMA.validate(tables["ydelsesforloeb"], "ydelsesforloeb (syntetisk)")
        _MEMO[memo_key] = RegisterExtract(personer, forloeb, True, SYNTHETIC_SOURCE, key, p.to_dict())
    return _MEMO[memo_key]


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    for suffix in (".parquet", ".csv"):
        f = folder / f"{name}{suffix}"
        if f.exists():
            try:
                if suffix == ".parquet":
                    return pd.read_parquet(f)
                with open(f, encoding="utf-8") as fh:
                    head = fh.readline()
                sep = ";" if head.count(";") > head.count(",") else ","
                return pd.read_csv(f, sep=sep, dtype=str, encoding="utf-8", keep_default_na=False,
                                   na_values=[""])
            except UnicodeDecodeError as exc:
                raise RegisterError(
                    f"register table {f} is not UTF-8 ({exc}); save it as UTF-8",
                    dansk=f"Registerfilen {f.name} er ikke i UTF-8-tegnsæt.",
                ) from None
            except Exception as exc:  # parquet/csv readers raise many kinds
                raise RegisterError(f"register table {f} cannot be read: {exc}") from None
    raise RegisterError(
        f"register extract {folder} has no table {name!r} (expected {name}.parquet or {name}.csv)",
        dansk=f"Registerudtrækket mangler tabellen {name}.",
    )


def read_real_extract(folder: Path) -> RegisterExtract:
    """Read and check a real extract; every broken rule is reported with the first offending rows."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RegisterError(f"register extract folder does not exist: {folder}",
                            dansk=f"Mappen med registerudtrækket findes ikke: {folder}")
    from ..datasets.cache import fingerprint
    from .snapshots import sha256

    files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    fp = fingerprint([(p.name, sha256(p)) for p in files])
    memo_key = f"real:{folder}:{fp}"
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    try:
        personer = PERSON_SCHEMA.validate(_read_table(folder, "personer"), f"personer ({folder})")
        forloeb = EPISODE_SCHEMA.validate(_read_table(folder, "ydelsesforloeb"), f"ydelsesforloeb ({folder})")
    except SchemaError as exc:
        raise RegisterError(f"register extract breaks the contract: {exc.message}", dansk=exc.dansk) from None
    check_consistency(personer, forloeb)
    params = {}
    meta = folder / "parametre.json"
    if meta.exists():
        params = json.loads(meta.read_text(encoding="utf-8"))
    ext = RegisterExtract(personer, forloeb, False, f"Registerudtræk ({folder.name})", fp, params)
    _MEMO[memo_key] = ext
    return ext


def check_consistency(personer: pd.DataFrame, forloeb: pd.DataFrame) -> None:
    """Rules across rows and tables that a schema cannot express."""
    problems = []
    unknown = ~forloeb["person_id"].isin(personer["person_id"])
    if unknown.any():
        problems.append(f"{int(unknown.sum())} episode(s) name persons not in personer; first: "
                        f"{forloeb.loc[unknown, 'person_id'].head(5).tolist()}")
    backwards = forloeb["slut_dato"].notna() & (forloeb["slut_dato"] < forloeb["start_dato"])
    if backwards.any():
        problems.append(f"{int(backwards.sum())} episode(s) end before they start; first rows: "
                        f"{forloeb.loc[backwards, ['person_id', 'ydelse', 'start_dato', 'slut_dato']].head(5).to_dict('records')}")
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


def write_extract(ext_personer: pd.DataFrame, ext_forloeb: pd.DataFrame, folder: Path, fmt: str = "csv") -> None:
    """Write an extract in the contract's format (used to export the synthetic one and in tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (("personer", ext_personer), ("ydelsesforloeb", ext_forloeb)):
        if fmt == "parquet":
            df.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            out = df.copy()
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c].dt.strftime("%Y-%m-%d")
            out.to_csv(folder / f"{name}.csv", index=False)
