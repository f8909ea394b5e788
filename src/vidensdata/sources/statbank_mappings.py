"""From StatBank tables to the project's tidy datasets, and the StatBank cache.

Mappings (each discovers codes through ``tableinfo`` rather than hard-coding them):

``FOLK1A`` → ``kommuner`` (population of the 98 kommuner at the newest quarter) and
``befolkning`` (kommune, year, sex, 5-year age group; population on 1 January, i.e. K1).
``DOD`` (deaths by sex and age) + ``FOLK1A`` (national, four quarters) → ``doedelighed_land``
for every year where both exist; ``FOD207`` (deaths by kommune, sex and age) → ``doedsfald``.
``HISB3`` → ``middellevetid`` (life expectancy by sex and age; reference dataset).
``HAND…`` → ``handicapmodtagere`` (recipients of adult social services by kommune and
service); the table is found through ``tables`` and ``tableinfo``, and when the table says it
covers only kommuner that approved their data, the dataset's metadata says so.

The cache lives in ``paths().cache / "statbank" / <dataset>/``: a parquet file named by its
SHA-256 and ``meta.json`` (the commit point, replaced atomically) recording ``hentet`` (date),
``kilde`` (table ids), the exact requests and notes. :func:`refresh` fetches and validates
everything asked for before it replaces anything.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import geography
from ..config import paths
from ..errors import DataError, InvalidValueError, VidensdataError, suggestion
from ..memo import Memo
from ..schema import Schema
from ..storage import atomic_write_bytes, sha256
from ..vocabulary import ALDERSGRUPPER_5
from .statbank import StatbankClient, StatbankError, parse_age

PRODUCENT = "Danmarks Statistik"
FOLK1A = "FOLK1A"
DOEDE_TABEL = "DOD"
DOEDSFALD_TABEL = "FOD207"
LEVETID_TABEL = "HISB3"
HAND_PREFIX = "HAND"


# ---------------------------------------------------------------- cache

def cache_dir() -> Path:
    return paths().cache / "statbank"


def cached_meta(navn: str) -> dict | None:
    """The cache record of a dataset (``hentet``, ``kilde``, ``fil``, ``sha256`` ...), or None."""
    meta_path = cache_dir() / navn / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        warnings.warn(f"StatBank cache record {meta_path} is unreadable ({exc}); using the embedded data",
                      stacklevel=2)
        return None
    if not isinstance(meta, dict) or not {"fil", "sha256", "hentet", "kilde"} <= set(meta):
        warnings.warn(f"StatBank cache record {meta_path} is incomplete; using the embedded data", stacklevel=2)
        return None
    return meta


#: StatBank cache files in memory, keyed on file and checksum.
_READ: Memo[pd.DataFrame] = Memo("statbank.filer", stoerrelse=16)


def read_cached(navn: str) -> pd.DataFrame | None:
    """The cached StatBank version of a dataset (checksum-verified), or None."""
    meta = cached_meta(navn)
    if meta is None:
        return None
    f = cache_dir() / navn / meta["fil"]
    def read() -> pd.DataFrame:
        if sha256(f) != meta["sha256"]:
            raise ValueError("checksum mismatch")
        return pd.read_parquet(f)

    try:
        return _READ.hent((str(f), meta["sha256"]), read).copy()
    except (OSError, ValueError) as exc:
        warnings.warn(f"StatBank cache {f} is corrupt or missing ({exc}); using the embedded data", stacklevel=2)
        return None


def fingerprint(navn: str) -> str | None:
    meta = cached_meta(navn)
    return None if meta is None else "statbank-" + meta["sha256"][:16]


def kilde_text(navn: str) -> str | None:
    """Catalog 'kilde' of a cached dataset, e.g. ``Danmarks Statistik (FOLK1A, 2026K3), StatBank API``."""
    meta = cached_meta(navn)
    if meta is None:
        return None
    tabeller = ", ".join(meta["kilde"])
    periode = f", {meta['periode']}" if meta.get("periode") else ""
    text = f"{PRODUCENT} ({tabeller}{periode}), hentet fra StatBank API"
    if meta.get("kun_godkendte_kommuner"):
        text += (f"; omfatter kun de {meta.get('antal_kommuner', '?')} kommuner, der har godkendt deres data "
                 f"(ifølge tabellens beskrivelse)")
    return text


def _write_staged(navn: str, df: pd.DataFrame, meta: dict) -> dict:
    """Write the data file (named by checksum) next to the live one; nothing live changes yet."""
    folder = cache_dir() / navn
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".staging-{dt.datetime.now().strftime('%H%M%S%f')}.parquet"
    df.to_parquet(tmp, index=False)
    digest = sha256(tmp)
    final = folder / f"data-{digest[:16]}.parquet"
    tmp.replace(final)
    record = {**meta, "navn": navn, "fil": final.name, "sha256": digest, "raekker": int(len(df))}
    record["_meta_bytes"] = json.dumps({k: v for k, v in record.items() if not k.startswith("_")},
                                       ensure_ascii=False, indent=2, default=str).encode("utf-8")
    record["_write"] = lambda: atomic_write_bytes(folder / "meta.json", record["_meta_bytes"])
    return record


def _commit(staged: list[dict]) -> None:
    for rec in staged:
        rec["_write"]()
    for rec in staged:  # remove data files no record points to any more
        folder = cache_dir() / rec["navn"]
        for f in [*folder.glob("data-*.parquet"), *folder.glob(".staging-*.parquet")]:
            if f.name != rec["fil"]:
                f.unlink(missing_ok=True)


def _discard(staged: list[dict]) -> None:
    for rec in staged:
        live = cached_meta(rec["navn"])
        if live is None or live["fil"] != rec["fil"]:
            (cache_dir() / rec["navn"] / rec["fil"]).unlink(missing_ok=True)


# ---------------------------------------------------------------- tableinfo helpers

_TOTAL_IDS = {"tot", "ialt", "i alt", "total", "000"}
_TOTAL_TEXTS = {"i alt", "total", "hele landet", "all denmark", "age, total", "alder i alt", "køn i alt"}


def variable(info: dict, *names: str, required: bool = True) -> dict | None:
    """The variable of a tableinfo answer whose id (case-insensitive) is one of ``names``."""
    wanted = {n.lower() for n in names}
    for var in info["variables"]:
        if str(var["id"]).lower() in wanted:
            return var
    if required:
        ids = [v["id"] for v in info["variables"]]
        raise DataError(f"StatBank table {info.get('id')!r} has no variable {names[0]!r}; it has {ids}"
                        f"{suggestion(names[0], ids)}")
    return None


def time_variable(info: dict) -> dict:
    for var in info["variables"]:
        if var.get("time") or str(var["id"]).lower() == "tid":
            return var
    raise DataError(f"StatBank table {info.get('id')!r} has no time variable")


def total_value(var: dict) -> str:
    """The code of a variable's total ('I alt', 'TOT', 'IALT', 'Hele landet')."""
    for v in var["values"]:
        if str(v["id"]).lower() in _TOTAL_IDS or str(v["text"]).strip().lower() in _TOTAL_TEXTS:
            return str(v["id"])
    raise DataError(f"variable {var['id']!r} has no total value (I alt); values start {var['values'][:4]}")


def is_total(value: dict) -> bool:
    return str(value["id"]).lower() in _TOTAL_IDS or str(value["text"]).strip().lower() in _TOTAL_TEXTS


def sex_codes(var: dict) -> dict[str, str]:
    """StatBank sex codes → ``M``/``K`` from the value texts (Mænd/Kvinder, Men/Women)."""
    out = {}
    for v in var["values"]:
        t = str(v["text"]).strip().lower()
        if t in ("mænd", "men", "mand", "male", "males"):
            out[str(v["id"])] = "M"
        elif t in ("kvinder", "women", "kvinde", "female", "females"):
            out[str(v["id"])] = "K"
    if set(out.values()) != {"M", "K"}:
        raise DataError(f"cannot tell men and women apart in variable {var['id']!r}: {var['values'][:4]}")
    return out


def age_groups(var: dict) -> dict[str, str]:
    """Age value codes → 5-year group (``0-4`` ... ``95+``); totals left out.

    Every age value must fall inside one group (single years, 5-year groups, or an
    open group starting at 95 or later); otherwise a :class:`DataError`.
    """
    out = {}
    for v in var["values"]:
        if is_total(v):
            continue
        span = parse_age(str(v["text"]), str(v["id"]))
        if span is None:
            raise DataError(f"age value {v['id']!r} ({v['text']!r}) of variable {var['id']!r} is not understood")
        lo, hi = span
        group = "95+" if lo >= 95 else f"{lo - lo % 5}-{lo - lo % 5 + 4}"
        if lo < 95 and (hi is None or hi > lo - lo % 5 + 4):
            raise DataError(f"age value {v['text']!r} does not fit the 5-year groups {ALDERSGRUPPER_5[:2]}...")
        out[str(v["id"])] = group
    return out


def _quarters(var: dict) -> list[str]:
    return [str(v["id"]) for v in var["values"]]


def _fetch(client: StatbankClient, table: str, selection: dict, bulk: bool = True) -> pd.DataFrame:
    return client.data(table, selection, fmt="BULK" if bulk else "CSV", value_presentation="Code")


def _col(df: pd.DataFrame, var: dict) -> str:
    """The parsed column of a tableinfo variable (``OMRÅDE`` → ``omraade``), checked to be in ``df``."""
    from .statbank import column_name

    name = column_name(str(var["id"]))
    if name not in df.columns:
        raise DataError(f"StatBank answer has no column for variable {var['id']!r}; columns: {list(df.columns)}")
    return name


# ---------------------------------------------------------------- mappings

@dataclass
class Result:
    tables: dict[str, pd.DataFrame]
    meta: dict[str, dict] = field(default_factory=dict)


def fetch_folk1a(client: StatbankClient, wanted: set[str]) -> Result:
    """``kommuner`` (newest quarter) and ``befolkning`` (1 January of every year) from FOLK1A."""
    info = client.tableinfo(FOLK1A)
    omr, koen, alder = variable(info, "OMRÅDE"), variable(info, "KØN", "KOEN"), variable(info, "ALDER")
    tid = time_variable(info)
    others = [v for v in info["variables"] if v not in (omr, koen, alder, tid)]
    known = {g.kode: g for g in geography.kommuner()}
    codes = [str(v["id"]) for v in omr["values"] if str(v["id"]) in known]
    if not codes:
        raise DataError(f"{FOLK1A}: no kommune codes among the values of {omr['id']!r}")
    fixed = {v["id"]: total_value(v) for v in others}
    periods = _quarters(tid)
    out = Result({})
    if "kommuner" in wanted:
        newest = max(periods)
        sel = {omr["id"]: codes, koen["id"]: total_value(koen), alder["id"]: total_value(alder), **fixed,
               tid["id"]: newest}
        df = _fetch(client, FOLK1A, sel)
        df = df.rename(columns={_col(df, omr): "kommune_kode"})
        snap = pd.DataFrame([{"kommune_kode": g.kode, "kommune_navn": g.navn, "region_kode": g.region_kode,
                              "region_navn": geography.resolve_one(g.region_kode).navn} for g in known.values()])
        k = snap.merge(df[["kommune_kode", "indhold"]], on="kommune_kode", how="left")
        if k["indhold"].isna().any():
            missing = k.loc[k["indhold"].isna(), "kommune_navn"].tolist()[:5]
            raise DataError(f"{FOLK1A} {newest}: no population for kommune(r) {missing}")
        out.tables["kommuner"] = k.rename(columns={"indhold": "indbyggere"})
        out.meta["kommuner"] = {"kilde": [FOLK1A], "periode": newest,
                                "noter": f"Befolkningen den 1. i kvartalet {newest} (FOLK1A)."}
    if "befolkning" in wanted:
        firsts = [p for p in periods if re.fullmatch(r"\d{4}K1", p)]
        ages = age_groups(alder)
        sexes = sex_codes(koen)
        sel = {omr["id"]: codes, koen["id"]: list(sexes), alder["id"]: list(ages), **fixed, tid["id"]: firsts}
        df = _fetch(client, FOLK1A, sel)
        df["koen"] = df[_col(df, koen)].map(sexes)
        df["aldersgruppe"] = df[_col(df, alder)].map(ages)
        df = df.rename(columns={_col(df, omr): "kommune_kode"})
        b = (df.groupby(["kommune_kode", "aar", "koen", "aldersgruppe"], as_index=False)["indhold"]
             .sum(min_count=1).rename(columns={"indhold": "antal"}))
        out.tables["befolkning"] = b
        out.meta["befolkning"] = {"kilde": [FOLK1A], "periode": f"{firsts[0]}-{firsts[-1]}" if firsts else "",
                                  "noter": "Befolkningen 1. januar (kvartal K1) efter kommune, køn og 5-års "
                                           "aldersgruppe; enkeltår lagt sammen."}
    return out


def fetch_doedelighed(client: StatbankClient, wanted: set[str], table: str = DOEDE_TABEL) -> Result:
    """``doedelighed_land``: deaths (``table``) and mean population of the four quarters (FOLK1A)."""
    dinfo = client.tableinfo(table)
    dk, da, dt_ = variable(dinfo, "KØN", "KOEN"), variable(dinfo, "ALDER"), time_variable(dinfo)
    dothers = [v for v in dinfo["variables"] if v not in (dk, da, dt_)]
    dsex, dages = sex_codes(dk), age_groups(da)
    sel = {dk["id"]: list(dsex), da["id"]: list(dages), **{v["id"]: total_value(v) for v in dothers},
           dt_["id"]: "*"}
    d = _fetch(client, table, sel)
    d["koen"] = d[_col(d, dk)].map(dsex)
    d["aldersgruppe"] = d[_col(d, da)].map(dages)
    if d["indhold"].isna().any():
        raise DataError(f"{table}: {int(d['indhold'].isna().sum())} death count(s) are missing ('..')")
    doede = d.groupby(["aar", "koen", "aldersgruppe"], as_index=False)["indhold"].sum().rename(
        columns={"indhold": "doede"})

    pinfo = client.tableinfo(FOLK1A)
    po, pk, pa, pt = (variable(pinfo, "OMRÅDE"), variable(pinfo, "KØN", "KOEN"), variable(pinfo, "ALDER"),
                      time_variable(pinfo))
    pothers = [v for v in pinfo["variables"] if v not in (po, pk, pa, pt)]
    years = sorted(set(doede["aar"]))
    quarters = [str(v["id"]) for v in pt["values"] if str(v["id"])[:4].isdigit() and int(str(v["id"])[:4]) in years]
    full = sorted({int(q[:4]) for q in quarters if all(f"{q[:4]}K{i}" in quarters for i in range(1, 5))})
    if not full:
        raise DataError(f"{FOLK1A} has no year with all four quarters among the years of {table} {years[:3]}...")
    psex, pages = sex_codes(pk), age_groups(pa)
    sel = {po["id"]: geography.LAND_KODE, pk["id"]: list(psex), pa["id"]: list(pages),
           **{v["id"]: total_value(v) for v in pothers},
           pt["id"]: [f"{y}K{i}" for y in full for i in range(1, 5)]}
    p = _fetch(client, FOLK1A, sel)
    p["koen"] = p[_col(p, pk)].map(psex)
    p["aldersgruppe"] = p[_col(p, pa)].map(pages)
    per_q = p.groupby(["aar", "kvartal", "koen", "aldersgruppe"], as_index=False)["indhold"].sum()
    pop = (per_q.groupby(["aar", "koen", "aldersgruppe"], as_index=False)["indhold"].mean()
           .rename(columns={"indhold": "befolkning"}))
    pop["befolkning"] = pop["befolkning"].astype(float).round().astype("int64")
    out = doede.merge(pop, on=["aar", "koen", "aldersgruppe"], how="inner")
    return Result({"doedelighed_land": out}, {"doedelighed_land": {
        "kilde": [table, FOLK1A], "periode": f"{min(full)}-{max(full)}",
        "noter": (f"Døde summeret over året ({table}); middelfolketal = gennemsnit af de fire "
                  f"kvartalsopgørelser (FOLK1A, hele landet). Kun år, hvor begge findes.")}})


def fetch_doedsfald(client: StatbankClient, wanted: set[str], table: str = DOEDSFALD_TABEL) -> Result:
    """``doedsfald``: deaths by kommune, year, sex and 5-year age group (a table with an area variable)."""
    info = client.tableinfo(table)
    kommuner = {g.kode for g in geography.kommuner()}
    area = _area_variable(info, kommuner)
    if area is None:
        ids = [v["id"] for v in info["variables"]]
        raise DataError(f"{table} has no variable with kommune codes; variables: {ids}")
    k, a, t = variable(info, "KØN", "KOEN"), variable(info, "ALDER"), time_variable(info)
    sexes, ages = sex_codes(k), age_groups(a)
    sel = {area["id"]: [str(v["id"]) for v in area["values"] if str(v["id"]) in kommuner],
           k["id"]: list(sexes), a["id"]: list(ages), t["id"]: "*"}
    for var in info["variables"]:
        if var not in (area, k, a, t):
            sel[var["id"]] = total_value(var)
    df = _fetch(client, table, sel)
    if df["indhold"].isna().any():
        raise DataError(f"{table}: {int(df['indhold'].isna().sum())} death count(s) are missing ('..')")
    df["kommune_kode"] = df[_col(df, area)]
    df["koen"] = df[_col(df, k)].map(sexes)
    df["aldersgruppe"] = df[_col(df, a)].map(ages)
    out = (df.groupby(["kommune_kode", "aar", "koen", "aldersgruppe"], as_index=False)["indhold"].sum()
           .rename(columns={"indhold": "doede"}))
    return Result({"doedsfald": out}, {"doedsfald": {
        "kilde": [table], "periode": f"{out['aar'].min()}-{out['aar'].max()}",
        "noter": f"Døde efter bopælskommune, år, køn og 5-års aldersgruppe ({table}: {info.get('text', '')})."}})


def fetch_levetid(client: StatbankClient, wanted: set[str], table: str = LEVETID_TABEL) -> Result:
    """``middellevetid``: life expectancy by period, sex and age (national)."""
    info = client.tableinfo(table)
    k, a, t = variable(info, "KØN", "KOEN"), variable(info, "ALDER"), time_variable(info)
    sexes = sex_codes(k)
    ages = {}
    for v in a["values"]:
        if is_total(v):
            continue
        span = parse_age(str(v["text"]), str(v["id"]))
        if span is not None:
            ages[str(v["id"])] = span[0]
    sel: dict = {k["id"]: list(sexes), a["id"]: list(ages), t["id"]: "*"}
    for var in info["variables"]:
        if var in (k, a, t):
            continue
        chosen = [v for v in var["values"] if re.search(r"middellevetid|life expectancy|expected lifetime",
                                                          str(v["text"]), re.IGNORECASE)]
        sel[var["id"]] = str(chosen[0]["id"]) if chosen else total_value(var)
    df = _fetch(client, table, sel)
    df["koen"] = df[_col(df, k)].map(sexes)
    df["alder"] = df[_col(df, a)].map(ages)
    df = df.rename(columns={"tid": "periode", "indhold": "middellevetid"})
    if "aar_fra" not in df.columns:
        df["aar_fra"] = df["aar"]
        df["aar_til"] = df["aar"]
    df["middellevetid"] = df["middellevetid"].astype("Float64")
    out = df[["periode", "aar_fra", "aar_til", "koen", "alder", "middellevetid"]]
    return Result({"middellevetid": out}, {"middellevetid": {
        "kilde": [table], "periode": f"{out['periode'].min()}-{out['periode'].max()}",
        "noter": f"Middellevetid (år) efter køn og alder, hele landet ({table}: {info.get('text', '')})."}})


def find_hand_table(client: StatbankClient) -> tuple[dict, dict]:
    """The HAND… table with recipients by kommune and service: (tables entry, tableinfo)."""
    kandidater = sorted((t for t in client.tables() if str(t.get("id", "")).upper().startswith(HAND_PREFIX)),
                        key=lambda t: str(t["id"]))
    kommuner = {g.kode for g in geography.kommuner()}
    tried = []
    for entry in kandidater:
        text = f"{entry.get('text', '')} {entry.get('unit', '')}".lower()
        if "modtager" not in text and "recipient" not in text:
            tried.append(f"{entry['id']} (not recipients)")
            continue
        info = client.tableinfo(str(entry["id"]))
        area = _area_variable(info, kommuner)
        service = _service_variable(info)
        if area is not None and service is not None:
            return entry, info
        tried.append(f"{entry['id']} (no kommune and service variables)")
    raise DataError("no StatBank table HAND… with recipients by kommune and service; looked at: "
                    + (", ".join(tried) or "no HAND tables"))


def _area_variable(info: dict, kommuner: set[str]) -> dict | None:
    for var in info["variables"]:
        if any(str(v["id"]) in kommuner for v in var["values"]) and not var.get("time"):
            return var
    return None


def _service_variable(info: dict) -> dict | None:
    for var in info["variables"]:
        if any("§" in str(v["text"]) for v in var["values"]):
            return var
    return None


def fetch_handicap(client: StatbankClient, wanted: set[str]) -> Result:
    """``handicapmodtagere``: recipients of adult social services by kommune, period and service."""
    entry, info = find_hand_table(client)
    table = str(info.get("id") or entry["id"])
    kommuner = {g.kode for g in geography.kommuner()}
    area, service, t = _area_variable(info, kommuner), _service_variable(info), time_variable(info)
    codes = [str(v["id"]) for v in area["values"] if str(v["id"]) in kommuner]
    services = {str(v["id"]): str(v["text"]) for v in service["values"] if not is_total(v)}
    sel = {area["id"]: codes, service["id"]: list(services), t["id"]: "*"}
    for var in info["variables"]:
        if var not in (area, service, t):
            sel[var["id"]] = total_value(var)
    df = _fetch(client, table, sel)
    df = df.rename(columns={_col(df, area): "kommune_kode", _col(df, service): "ydelse", "tid": "periode",
                            "indhold": "antal"})
    df["ydelse_navn"] = df["ydelse"].map(services)
    if "kvartal" not in df.columns:
        df["kvartal"] = pd.NA
    df["kvartal"] = df["kvartal"].astype("Int64")
    out = df[["kommune_kode", "periode", "aar", "kvartal", "ydelse", "ydelse_navn", "antal"]]
    blob = " ".join(str(info.get(k) or "") for k in ("text", "description", "footnote", "documentation"))
    blob += " " + str(entry.get("text", ""))
    godkendt = bool(re.search(r"godkendt|approved", blob, re.IGNORECASE))
    with_data = out.loc[out["antal"].notna(), "kommune_kode"].nunique()
    return Result({"handicapmodtagere": out}, {"handicapmodtagere": {
        "kilde": [table], "periode": f"{out['periode'].min()}-{out['periode'].max()}",
        "kun_godkendte_kommuner": godkendt, "antal_kommuner": int(with_data),
        "ydelser": services,
        "noter": (f"{info.get('text', entry.get('text', ''))}. Ydelseskoder fundet via tableinfo. '..' "
                  f"(fortroligt/mangler) gemmes som tom værdi."
                  + (" Tabellen omfatter kun kommuner, der har godkendt deres data." if godkendt else ""))}})


@dataclass(frozen=True)
class Job:
    datasets: tuple[str, ...]
    fetch: Callable[[StatbankClient, set[str]], Result]
    beskrivelse: str


JOBS = (
    Job(("kommuner", "befolkning"), fetch_folk1a, "FOLK1A: befolkning"),
    Job(("doedelighed_land",), fetch_doedelighed, f"{DOEDE_TABEL} + FOLK1A: dødelighed"),
    Job(("doedsfald",), fetch_doedsfald, f"{DOEDSFALD_TABEL}: døde efter kommune"),
    Job(("middellevetid",), fetch_levetid, f"{LEVETID_TABEL}: middellevetid"),
    Job(("handicapmodtagere",), fetch_handicap, "HAND…: modtagere af ydelser"),
)
ALIASES = {"regioner": "kommuner"}  # regioner is derived from kommuner
REFRESHABLE = tuple(n for j in JOBS for n in j.datasets)


def _resolve(datasets: Iterable[str] | None) -> list[str]:
    if not datasets:
        return list(REFRESHABLE)
    out = []
    for name in datasets:
        name = ALIASES.get(name, name)
        if name not in REFRESHABLE:
            raise InvalidValueError(
                f"dataset {name!r} cannot be refreshed from StatBank; refreshable: {', '.join(REFRESHABLE)}"
                f"{suggestion(name, REFRESHABLE)}",
                dansk=f"Datasættet {name!r} kan ikke hentes fra Danmarks Statistik.")
        if name not in out:
            out.append(name)
    return out


def refresh(datasets: Iterable[str] | None = None, client: StatbankClient | None = None,
            progress: bool = False, today: dt.date | None = None, *, schema: Callable[[str], Schema]
            ) -> list[dict]:
    """Fetch, validate and only then replace the StatBank cache of the given datasets.

    ``schema(navn)`` is the schema each fetched dataset is validated against (the
    catalog's; :func:`vidensdata.datasets.refresh.refresh` passes it and then drops
    the catalog's memoised frames).
    All-or-nothing: if any request or validation fails, nothing in the cache changes
    and the error (a :class:`StatbankError` or :class:`DataError`) is raised.
    Returns one record per refreshed dataset (``navn``, ``kilde``, ``hentet``, ``raekker``, ...).
    """
    names = _resolve(datasets)
    client = client or StatbankClient()
    jobs = [j for j in JOBS if set(j.datasets) & set(names)]
    hentet = (today or dt.date.today()).isoformat()
    staged: list[dict] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="StatBank", unit="tabel")
    try:
        for job in jobs:
            if bar is not None:
                bar.set_postfix_str(job.beskrivelse)
            wanted = set(job.datasets) & set(names)
            before = len(client.requests)
            try:
                result = job.fetch(client, wanted)
            except VidensdataError as exc:
                exc.datasaet = sorted(wanted)  # the CLI names them and suggests refreshing the others
                raise
            requests = [r["body"] | {"funktion": r["funktion"]} for r in client.requests[before:]]
            for navn in wanted:
                df = schema(navn).validate(_plain(result.tables[navn]), f"{navn} (StatBank)")
                meta = {"hentet": hentet,
                        "hentet_tidspunkt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                        "adresse": client.url, "anmodninger": requests, **result.meta.get(navn, {})}
                staged.append(_write_staged(navn, df, meta))
            if bar is not None:
                bar.update(1)
        _commit(staged)
    except BaseException:
        _discard(staged)
        raise
    finally:
        if bar is not None:
            bar.close()
    return [{k: v for k, v in rec.items() if not k.startswith("_")} for rec in staged]


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Pyarrow-backed columns (pandas may produce them from string data) to pandas' own nullable dtypes."""
    out = df.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.ArrowDtype):
            kind = dtype.numpy_dtype.kind if hasattr(dtype, "numpy_dtype") else "O"
            out[col] = out[col].astype({"i": "Int64", "u": "Int64", "f": "Float64", "b": "boolean"}.get(kind, "string"))
    return out


def status_line(navn: str) -> str:
    """Where a refreshable dataset comes from now (for ``vidensdata data status``)."""
    meta = cached_meta(ALIASES.get(navn, navn))
    if meta is None:
        return "not cached"
    return f"StatBank cache ({', '.join(meta['kilde'])}, hentet {meta['hentet']})"


__all__ = ["JOBS", "REFRESHABLE", "StatbankError", "cached_meta", "read_cached", "refresh", "status_line"]
