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

``parametre.json`` (optional) sets the window (``first_year``, ``last_year``). Every file is checked before
it is read (``register_files``: size, bytes, fingerprint of all files) and the extract is checked completely
(``register_rules``: dates, the order of a life, the window, codes, empty tables; errors or
``RegisterWarning``) before anything is derived from it. See ``docs/registerudtraek.md`` for the full
contract. :func:`load_extract` returns the configured real extract, or else the synthetic one (generated
once and cached).
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
from ..storage import atomic_write_text, cached_tables
from ..vocabulary import KONTAKT_REGISTRE, YDELSER
from . import register_files, register_rules, synthetic, synthetic_capture, synthetic_mortality
from .register_rules import check_consistency

__all__ = ["EPISODE_SCHEMA", "KONTAKT_SCHEMA", "PERSON_SCHEMA", "RegisterExtract", "check_consistency",
           "current_source", "load_extract", "read_real_extract", "write_extract"]

PERSON_SCHEMA = Schema(
    columns=(
        Column("person_id", "str", "Pseudonymt person-id"),
        Column("koen", "str", "Køn: M (mand) eller K (kvinde)", allowed=("M", "K")),
        Column("foedselsaar", "int", "Fødselsår", min=1900, max=2100),  # after this year: register_rules
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
    # synthetic only: the planted mortality of the follow-up (synthetic_mortality.planted_expected_deaths)
    doedelighed_sandhed: pd.DataFrame | None = None
    advarsler: tuple[str, ...] = ()  # real only: the Danish warnings of the checks (register_rules)

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


def current_source() -> dict:
    """Cheap description of the extract in force, without loading it: synthetic?, kilde, fingerprint
    (and, for the synthetic extract, the generator's ``seed``, which belongs in provenance, not in source lines)."""
    real = config.register_path()
    if real is None:
        p = synthetic.SyntheticParams(seed=config.synthetic_seed())
        # the source line names the source; the generator's seed is kept for the provenance record
        return {"synthetic": True, "kilde": SYNTHETIC_SOURCE, "seed": p.seed, "fingerprint": p.fingerprint()}
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
        doedelighed = synthetic_mortality.planted_expected_deaths(personer, p.mrr, p.mrr_ages, p.last_year)
        return {"personer": personer, "ydelsesforloeb": forloeb, "registerkontakter": kontakter,
                "maalgruppe_sandhed": sandhed, "doedelighed_sandhed": doedelighed}

    def load():
        tables, _meta = cached_tables("register-syntetisk", key, build, {"parametre": p.to_dict()})
        personer = PERSON_SCHEMA.validate(tables["personer"], "personer (syntetisk)")
        forloeb = EPISODE_SCHEMA.validate(tables["ydelsesforloeb"], "ydelsesforloeb (syntetisk)")
        kontakter = KONTAKT_SCHEMA.validate(tables["registerkontakter"], "registerkontakter (syntetisk)")
        return RegisterExtract(personer, forloeb, True, SYNTHETIC_SOURCE, key, p.to_dict(),
                               kontakter=kontakter, sandhed=tables["maalgruppe_sandhed"],
                               doedelighed_sandhed=tables["doedelighed_sandhed"])

    return _EXTRACTS.hent((str(config.paths().cache), key), load)


def _read_table(folder: Path, name: str, optional: bool = False) -> pd.DataFrame | None:
    """Table ``name`` as read from its file, after the file's size and bytes are checked (``register_files``)."""
    f = register_files.table_file(folder, name)
    if f is None:
        if optional:
            return None
        raise RegisterError(
            f"register extract {folder} has no table {name!r} (expected {name}.parquet or {name}.csv)",
            dansk=f"Registerudtrækket mangler tabellen {name}.",
        )
    try:
        if f.suffix == ".parquet":
            register_files.file_digest(f)
            return pd.read_parquet(f)
        return register_files.read_csv(f)
    except UnicodeDecodeError as exc:
        lines = _undecodable_lines(f)
        raise RegisterError(
            f"register table {f} is not UTF-8 ({exc.reason}); first offending lines: {lines}; save it as UTF-8",
            dansk=f"Registerfilen {f.name} er ikke i UTF-8-tegnsæt (linje {', '.join(str(n) for n, _ in lines)}).",
        ) from None
    except RegisterError:
        raise
    except Exception as exc:  # parquet/csv readers raise many kinds
        raise RegisterError(f"register table {f} cannot be read: {exc}",
                            dansk=f"Registerfilen {f.name} kan ikke læses: {exc}") from None


def _undecodable_lines(f: Path, n: int = 5) -> list[tuple[int, str]]:
    """The first ``n`` lines (1-based, header = line 1) that are not valid UTF-8, with a preview."""
    bad = []
    with open(f, "rb") as fh:  # lines are bounded: the file's scan allows none over MAX_LINE_BYTES
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append((number, raw.decode("utf-8", errors="replace").rstrip("\r\n")[:80]))
                if len(bad) >= n:
                    break
    return bad


def read_real_extract(folder: Path) -> RegisterExtract:
    """Read and check a real extract; every broken rule is reported with the first offending rows.

    Each file's size is checked before it is read, its bytes in one streamed pass; the fingerprint covers
    every file of the extract (tables and ``parametre.json``). The extract is fully checked here, before
    anything is derived from it or cached.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RegisterError(f"register extract folder does not exist: {folder}",
                            dansk=f"Mappen med registerudtrækket findes ikke: {folder}")
    fp = register_files.extract_fingerprint(folder)
    return _EXTRACTS.hent((str(folder), fp), lambda: _read_checked(folder, fp))


def _validated(folder: Path, name: str, schema: Schema, optional: bool = False) -> pd.DataFrame | None:
    """Table ``name``: its codes checked (with the offending rows), then coerced and checked by ``schema``."""
    raw = _read_table(folder, name, optional=optional)
    if raw is None:
        return None
    f = register_files.table_file(folder, name)
    register_rules.report(register_rules.check_codes(name, raw), {name: str(f)})
    try:
        return schema.validate(raw, f"{name} ({f})")
    except SchemaError as exc:
        raise RegisterError(f"register extract breaks the contract: {exc.message}", dansk=exc.dansk) from None


def _read_checked(folder: Path, fp: str) -> RegisterExtract:
    """Read the tables of a real extract and check its contract and consistency."""
    params = register_files.read_parametre(folder)
    personer = _validated(folder, "personer", PERSON_SCHEMA)
    forloeb = _validated(folder, "ydelsesforloeb", EPISODE_SCHEMA)
    kontakter = _validated(folder, "registerkontakter", KONTAKT_SCHEMA, optional=True)
    filer = {name: f.name for name in register_files.TABLES if (f := register_files.table_file(folder, name))}
    filer["parametre.json"] = register_files.PARAMETRE
    advarsler = check_consistency(personer, forloeb, kontakter, filer=filer,
                                  vindue=(params.get("first_year"), params.get("last_year")))
    return RegisterExtract(personer, forloeb, False, f"Registerudtræk ({folder.name})", fp, params,
                           kontakter=kontakter, advarsler=tuple(advarsler))


def write_extract(ext_personer: pd.DataFrame, ext_forloeb: pd.DataFrame, folder: Path, fmt: str = "csv",
                  kontakter: pd.DataFrame | None = None, parametre: dict | None = None) -> None:
    """Write an extract in the contract's format (used to export the synthetic one and in tests).

    ``kontakter`` (the optional table ``registerkontakter``) is written when given, and ``parametre`` (the
    window, ``{"first_year": …, "last_year": …}``) as ``parametre.json``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if parametre is not None:
        atomic_write_text(folder / register_files.PARAMETRE, json.dumps(parametre, indent=2) + "\n")
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
