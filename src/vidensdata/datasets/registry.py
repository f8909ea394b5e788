"""The dataset catalog: every dataset declared once, with metadata, schema and builder.

``catalog()`` lists them; ``load(navn, **filtre)`` returns one as a tidy,
validated DataFrame sorted by its key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .. import geography
from ..config import paths
from ..errors import InvalidValueError, InvalidYearsError, UnknownColumnError, UnknownDatasetError, forslag, suggestion
from ..memo import Memo
from ..storage import atomic_write_text
from ..sources import episodes, register
from ..sources import statbank_mappings as statbank_cache
from ..snapshots import read_snapshot, snapshot_info
from ..vocabulary import ALDERSGRUPPER_5, ALDERSGRUPPER_VOKSNE, FOERSTE_AAR, REGISTRE, YDELSE_KODER
from . import derive
from .schema import Column, Schema

KOEN = ("K", "M")
DST_LICENS = "Frit anvendelig med kildeangivelse (Danmarks Statistik)"
SYNTETISK_LICENS = "CC0 (syntetiske data genereret af vidensdata)"


@dataclass(frozen=True)
class Dataset:
    navn: str
    titel: str
    beskrivelse: str
    enhed: str
    schema: Schema
    build: Callable[[], pd.DataFrame]
    kilde: Callable[[], str]
    licens: Callable[[], str]
    hentet: Callable[[], str | None]
    syntetisk: Callable[[], bool]
    personhenfoerbar: bool = False  # derived from person-level data: disclosure control applies
    adresse: str = ""
    fingerprint: Callable[[], str] = field(default=lambda: "")
    tilgaengelig: Callable[[], bool] = field(default=lambda: True)  # False: only after `vidensdata data refresh`
    hentes_fra: Callable[[], str] = field(default=lambda: "")  # where a load gets it now, in Danish

    @property
    def noegle(self) -> list[str]:
        return list(self.schema.key)


def _snapshot_meta(filename: str, statbank: str | None = None):
    """Metadata of an embedded snapshot, or of the StatBank cache of dataset ``statbank`` when present."""
    def kilde():
        cached = statbank_cache.kilde_text(statbank) if statbank else None
        if cached:
            return cached
        info = snapshot_info(filename)
        return f"{info['producent']} ({', '.join(info['tabeller'])})"

    def hentet():
        meta = statbank_cache.cached_meta(statbank) if statbank else None
        return meta["hentet"] if meta else snapshot_info(filename)["hentet"]

    def fingerprint():
        cached = statbank_cache.fingerprint(statbank) if statbank else None
        return cached or snapshot_info(filename)["sha256"][:16]

    def hentes_fra():
        meta = statbank_cache.cached_meta(statbank) if statbank else None
        return f"StatBank-cache (hentet {meta['hentet']})" if meta else "indlejret øjebliksbillede"

    return dict(
        kilde=kilde,
        hentes_fra=hentes_fra,
        licens=lambda: snapshot_info(filename)["licens"],
        hentet=hentet,
        syntetisk=lambda: False,
        fingerprint=fingerprint,
    )


def _statbank_only_meta(navn: str, tabeller: str):
    """Metadata of a dataset that exists only after ``vidensdata data refresh`` (no embedded snapshot)."""
    return dict(
        kilde=lambda: statbank_cache.kilde_text(navn) or (
            f"Danmarks Statistik ({tabeller}); ikke hentet endnu: kør `vidensdata data refresh --datasets {navn}`"),
        licens=lambda: DST_LICENS,
        hentet=lambda: (statbank_cache.cached_meta(navn) or {}).get("hentet"),
        syntetisk=lambda: False,
        fingerprint=lambda: statbank_cache.fingerprint(navn) or "",
        tilgaengelig=lambda: statbank_cache.cached_meta(navn) is not None,
        hentes_fra=lambda: (f"StatBank-cache (hentet {meta['hentet']})" if (meta := statbank_cache.cached_meta(navn))
                            else f"ikke tilgængelig: hent med `{refresh_kommando(navn)}`"),
    )


def refresh_kommando(navn: str) -> str:
    """The command that fetches dataset ``navn`` from Statistics Denmark into the cache."""
    return f"vidensdata data refresh --datasets {navn}"


def _from_statbank(navn: str, tabeller: str) -> Callable[[], pd.DataFrame]:
    def build() -> pd.DataFrame:
        df = statbank_cache.read_cached(navn)
        if df is None:
            from ..errors import UnavailableDatasetError

            raise UnavailableDatasetError(
                f"dataset {navn!r} has no embedded snapshot; fetch it from Statistics Denmark first with "
                f"`{refresh_kommando(navn)}` (tables {tabeller})",
                dansk=f"Datasættet {navn} er ikke tilgængeligt her: det følger ikke med pakken og er ikke hentet "
                      f"fra Danmarks Statistik endnu ({tabeller}). Hent det med `{refresh_kommando(navn)}` "
                      "(kræver netadgang), eller i Python med "
                      f"`vidensdata.datasets.refresh.refresh([{navn!r}])`. "
                      "Kolonnen tilgaengelig i vd.catalog() viser, hvilke datasæt der kan indlæses nu.")
        return df

    return build


def registerkilde() -> dict:
    """The register extract in force, without reading it: ``kilde`` (Danish), ``synthetic``, ``fingerprint``.

    What a theme names in its source line and labels as synthetic; themes ask the datasets, not the sources.
    """
    return register.current_source()


def plantet_sandhed() -> pd.DataFrame | None:
    """The planted true target group (``aar``, ``kommune_kode``, ``antal``, …) of the synthetic extract, or
    None for a real extract (whose truth nobody knows)."""
    if not register.current_source()["synthetic"]:
        return None
    return register.load_extract().sandhed


def plantet_doedelighed() -> pd.DataFrame | None:
    """The planted mortality of the synthetic extract's follow-up (``kommune_kode``, ``aar``, ``koen``,
    ``aldersgruppe``, ``personaar``, ``forventede_befolkning``, ``forventede_plantet``; see
    ``synthetic_mortality.planted_expected_deaths``), or None for a real extract."""
    if not register.current_source()["synthetic"]:
        return None
    return register.load_extract().doedelighed_sandhed


def _register_meta(*modules):
    """Metadata of a dataset derived from the register extract by ``modules`` (its fingerprint covers both)."""
    src = register.current_source

    def kilde():
        return src()["kilde"] + (". Syntetiske data (demo)" if src()["synthetic"] else "")

    return dict(
        kilde=kilde,
        licens=lambda: SYNTETISK_LICENS if src()["synthetic"] else "Fortrolig (registerdata)",
        hentet=lambda: None,
        syntetisk=lambda: src()["synthetic"],
        hentes_fra=lambda: ("syntetisk registerudtræk (demo)" if src()["synthetic"]
                            else "rigtigt registerudtræk (VIDENSDATA_REGISTER)"),
        fingerprint=lambda: _derived_key(*modules),
    )


# ---------------------------------------------------------------- builders

def _kommuner() -> pd.DataFrame:
    cached = statbank_cache.read_cached("kommuner")
    if cached is not None:
        return cached
    return read_snapshot("kommuner_folk1a_2020k1.csv", dtype={"kommune_kode": str, "region_kode": str})


def _regioner() -> pd.DataFrame:
    k = _kommuner()
    return (k.groupby(["region_kode", "region_navn"], as_index=False)["indbyggere"].sum())


def _doedelighed_land() -> pd.DataFrame:
    cached = statbank_cache.read_cached("doedelighed_land")
    if cached is not None:
        return cached
    return read_snapshot("doedelighed_land_dodc1_folk1a.csv")


def _derived_key(*modules) -> str:
    """Fingerprint of a dataset derived from the register extract: the extract's fingerprint and the code
    deriving it (``modules``; a callable returning them is called, for modules imported only on use).
    A real extract's fingerprint covers all its files, ``parametre.json`` included; getting it reads and checks
    the extract once per process (``register.read_real_extract`` is memoised on the files' checksums)."""
    from ..storage import code_fingerprint, fingerprint

    mods = [m for entry in modules for m in (entry() if callable(entry) else (entry,))]
    return fingerprint(register.current_source()["fingerprint"], code_fingerprint(*mods))


def _mortality_code():
    """The modules deriving ``doedelighed_maalgruppe`` (imported on use: they pull in the mortality methods)."""
    from ..methods import mortality
    from . import derive_mortality

    return derive_mortality, mortality


def _derived(navn: str, derive_fn: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """Dataset ``navn`` derived from the register extract by ``derive_fn(extract, kommune_codes)``, cached on disk.

    The extract is fully checked when it is read (``register.load_extract``) and the derived table is checked
    against the dataset's schema *before* the cache entry is written, so nothing unchecked is ever cached. The
    key (``_derived_key``) covers every file of the extract, ``parametre.json`` (its window) included, and the
    deriving code: a fixed extract or a changed window is a new entry, never the old one.
    """
    from ..storage import cached_tables

    ds = get(navn)
    codes = [g.kode for g in geography.kommuner()]

    def build():
        return {"data": ds.schema.validate(derive_fn(register.load_extract(), codes), navn)}

    tables, _ = cached_tables(navn, ds.fingerprint(), build)
    return tables["data"]


def _ydelsesmodtagere() -> pd.DataFrame:
    return _derived("ydelsesmodtagere", derive.ydelsesmodtagere)


def _doedelighed_maalgruppe() -> pd.DataFrame:
    from . import derive_mortality

    return _derived("doedelighed_maalgruppe", derive_mortality.doedelighed_maalgruppe)


def _registeroverlap() -> pd.DataFrame:
    return _derived("registeroverlap", derive.registeroverlap)


# ---------------------------------------------------------------- schemas

KOMMUNE = Column("kommune_kode", "str", "Kommunekode (Danmarks Statistik, 3 cifre)", width=3)
REGION = Column("region_kode", "str", "Regionskode (081-085)", width=3, allowed=("081", "082", "083", "084", "085"))

DATASETS: dict[str, Dataset] = {}


def _declare(ds: Dataset) -> None:
    DATASETS[ds.navn] = ds


_declare(Dataset(
    navn="kommuner",
    titel="Kommuner",
    beskrivelse=("De 98 kommuner med kode, navn, region og indbyggertal 1. januar 2020 (indlejret), eller i "
                 "nyeste kvartal efter `vidensdata data refresh`."),
    enhed="personer (indbyggere)",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("kommune_navn", "str", "Kommunens navn"),
            REGION,
            Column("region_navn", "str", "Regionens navn"),
            Column("indbyggere", "int", "Indbyggere den 1. i kvartalet (FOLK1A; indlejret: 2020K1)", min=0),
        ),
        key=("kommune_kode",),
    ),
    build=_kommuner,
    adresse="https://www.statbank.dk/FOLK1A",
    **_snapshot_meta("kommuner_folk1a_2020k1.csv", statbank="kommuner"),
))

_declare(Dataset(
    navn="regioner",
    titel="Regioner",
    beskrivelse=("De 5 regioner med kode, navn og indbyggertal 1. januar 2020 (summen af regionens kommuner; "
                 "Danmarks Statistiks tal for Region Hovedstaden, 1.846.023, omfatter også Christiansø)."),
    enhed="personer (indbyggere)",
    schema=Schema(
        columns=(REGION, Column("region_navn", "str", "Regionens navn"),
                 Column("indbyggere", "int", "Indbyggere 1. januar 2020", min=0)),
        key=("region_kode",),
    ),
    build=_regioner,
    adresse="https://www.statbank.dk/FOLK1A",
    **_snapshot_meta("kommuner_folk1a_2020k1.csv", statbank="kommuner"),
))

_declare(Dataset(
    navn="doedelighed_land",
    titel="Dødelighed i hele befolkningen",
    beskrivelse=("Døde og middelfolketal for hele landet efter år, køn og 5-års aldersgruppe, 2008-2021 "
                 "(indlejret) eller alle tilgængelige år efter `vidensdata data refresh`. "
                 "Referencedødeligheden for befolkningen."),
    enhed="personer (døde) og personer (middelfolketal)",
    schema=Schema(
        columns=(
            Column("aar", "int", "År", min=1901, max=2100),
            Column("koen", "str", "Køn: M eller K", allowed=KOEN),
            Column("aldersgruppe", "str", "5-års aldersgruppe (0-4 ... 90-94, 95+)", allowed=ALDERSGRUPPER_5),
            Column("doede", "int", "Døde i året (DODC1; efter refresh DOD)", min=0),
            Column("befolkning", "int", "Middelfolketal: gennemsnit af fire kvartalsopgørelser (FOLK1A)", min=0),
        ),
        key=("aar", "koen", "aldersgruppe"),
        sort_values={"aldersgruppe": ALDERSGRUPPER_5},
    ),
    build=_doedelighed_land,
    adresse="https://www.statbank.dk/DODC1",
    **_snapshot_meta("doedelighed_land_dodc1_folk1a.csv", statbank="doedelighed_land"),
))

_declare(Dataset(
    navn="ydelsesmodtagere",
    titel="Modtagere af ydelser efter serviceloven",
    beskrivelse=("Personer i målgruppen, der modtager hver ydelse (og 'alle': mindst én ydelse), efter "
                 "handlekommune, år, køn og aldersgruppe. Afledt af registerudtrækket; syntetisk, medmindre "
                 "et rigtigt udtræk er angivet med VIDENSDATA_REGISTER."),
    enhed="personer",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("aar", "int", "År", min=FOERSTE_AAR, max=2100),
            Column("ydelse", "str", "Ydelse (§85, §107, §108, §103, §104, §99) eller 'alle'",
                   allowed=YDELSE_KODER),
            Column("koen", "str", "Køn: M eller K", allowed=KOEN),
            Column("aldersgruppe", "str", "Aldersgruppe ved årets udgang", allowed=ALDERSGRUPPER_VOKSNE),
            Column("antal", "int", "Antal personer", min=0),
        ),
        key=("kommune_kode", "aar", "ydelse", "koen", "aldersgruppe"),
        sort_values={"ydelse": YDELSE_KODER},
    ),
    build=_ydelsesmodtagere,
    personhenfoerbar=True,
    **_register_meta(derive, episodes),
))

_declare(Dataset(
    navn="befolkning",
    titel="Befolkningen efter kommune, køn og alder",
    beskrivelse=("Befolkningen 1. januar (FOLK1A, 1. kvartal) efter kommune, år, køn og 5-års aldersgruppe. "
                 "Findes kun efter `vidensdata data refresh`: der er ikke indlejret nok data til hele tabellen."),
    enhed="personer",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("aar", "int", "År (befolkningen 1. januar)", min=1900, max=2100),
            Column("koen", "str", "Køn: M eller K", allowed=KOEN),
            Column("aldersgruppe", "str", "5-års aldersgruppe (0-4 ... 90-94, 95+)", allowed=ALDERSGRUPPER_5),
            Column("antal", "int", "Antal personer (FOLK1A)", min=0),
        ),
        key=("kommune_kode", "aar", "koen", "aldersgruppe"),
        sort_values={"aldersgruppe": ALDERSGRUPPER_5},
    ),
    build=_from_statbank("befolkning", "FOLK1A"),
    adresse="https://www.statbank.dk/FOLK1A",
    **_statbank_only_meta("befolkning", "FOLK1A"),
))

_declare(Dataset(
    navn="doedsfald",
    titel="Døde efter kommune, køn og alder",
    beskrivelse=("Døde efter bopælskommune, år, køn og 5-års aldersgruppe (Danmarks Statistik, FOD207). "
                 "Findes kun efter `vidensdata data refresh`."),
    enhed="personer (døde)",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("aar", "int", "År", min=1900, max=2100),
            Column("koen", "str", "Køn: M eller K", allowed=KOEN),
            Column("aldersgruppe", "str", "5-års aldersgruppe (0-4 ... 90-94, 95+)", allowed=ALDERSGRUPPER_5),
            Column("doede", "int", "Døde i året", min=0),
        ),
        key=("kommune_kode", "aar", "koen", "aldersgruppe"),
        sort_values={"aldersgruppe": ALDERSGRUPPER_5},
    ),
    build=_from_statbank("doedsfald", "FOD207"),
    adresse="https://www.statbank.dk/FOD207",
    **_statbank_only_meta("doedsfald", "FOD207"),
))

_declare(Dataset(
    navn="middellevetid",
    titel="Middellevetid (reference)",
    beskrivelse=("Middellevetid i år for hele landet efter periode, køn og alder (Danmarks Statistiks "
                 "dødelighedstavler, HISB3). Referencedatasæt; findes kun efter `vidensdata data refresh`."),
    enhed="år",
    schema=Schema(
        columns=(
            Column("periode", "str", "Periode som i StatBank (fx 2022:2023)"),
            Column("aar_fra", "int", "Periodens første år", min=1800, max=2100),
            Column("aar_til", "int", "Periodens sidste år", min=1800, max=2100),
            Column("koen", "str", "Køn: M eller K", allowed=KOEN),
            Column("alder", "int", "Alder (år)", min=0, max=130),
            Column("middellevetid", "float", "Forventet restlevetid i år", nullable=True, min=0),
        ),
        key=("periode", "koen", "alder"),
    ),
    build=_from_statbank("middellevetid", "HISB3"),
    adresse="https://www.statbank.dk/HISB3",
    **_statbank_only_meta("middellevetid", "HISB3"),
))

_declare(Dataset(
    navn="handicapmodtagere",
    titel="Modtagere af ydelser til voksne med handicap og udsatte voksne (Danmarks Statistik)",
    beskrivelse=("Offentliggjorte antal modtagere efter kommune, periode og ydelse fra Danmarks Statistiks "
                 "tabeller om handicapområdet (HAND…); ydelseskoderne findes via tableinfo. Dækker tabellen kun "
                 "kommuner, der har godkendt deres data, står det i kilden. Tomme antal er fortrolige ('..'). "
                 "Findes kun efter `vidensdata data refresh`."),
    enhed="personer (modtagere)",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("periode", "str", "Periode som i StatBank (fx 2022K4 eller 2022)"),
            Column("aar", "int", "År", min=2000, max=2100),
            Column("kvartal", "int", "Kvartal (tomt for årstal)", nullable=True, min=1, max=4),
            Column("ydelse", "str", "StatBanks kode for ydelsen"),
            Column("ydelse_navn", "str", "Ydelsens navn i StatBank (med §)"),
            Column("antal", "int", "Antal modtagere (tomt: fortroligt eller mangler)", nullable=True, min=0),
        ),
        key=("kommune_kode", "periode", "ydelse"),
    ),
    build=_from_statbank("handicapmodtagere", "HAND…"),
    adresse="https://www.statbank.dk/HAND01",
    **_statbank_only_meta("handicapmodtagere", "HAND…"),
))

_declare(Dataset(
    navn="doedelighed_maalgruppe",
    titel="Dødelighed i målgruppen",
    beskrivelse=("Døde og personår for personer i målgruppen efter bopælskommune, år, køn og 5-års "
                 "aldersgruppe, 2010-2021. Hver person følges fra indgang i målgruppen (tidligst 1. januar "
                 "2010) til død eller udgangen af 2021. Afledt af registerudtrækket; syntetisk, medmindre et "
                 "rigtigt udtræk er angivet med VIDENSDATA_REGISTER."),
    enhed="personer (døde) og personår",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("aar", "int", "År", min=FOERSTE_AAR, max=2100),
            Column("koen", "str", "Køn: M eller K", allowed=KOEN),
            Column("aldersgruppe", "str", "5-års aldersgruppe (alder på dagen; 95+ åben)", allowed=ALDERSGRUPPER_5),
            Column("doede", "int", "Antal døde", min=0),
            Column("personaar", "float", "Personår (dage i opfølgning / 365,25)", min=0),
        ),
        key=("kommune_kode", "aar", "koen", "aldersgruppe"),
        sort_values={"aldersgruppe": ALDERSGRUPPER_5},
    ),
    build=_doedelighed_maalgruppe,
    personhenfoerbar=True,
    **_register_meta(_mortality_code),
))

_declare(Dataset(
    navn="registeroverlap",
    titel="Målgruppen i tre registre (fangsthistorier)",
    beskrivelse=("Personer i målgruppen efter, hvilke af tre registre der så dem i året (fangsthistorie): "
                 "serviceloven (botilbud eller mindst to ydelser), psykiatrisk behandling og misbrugsbehandling; "
                 "efter bopælskommune og år. Kun voksne i live i året. Grundlaget for capture-recapture-estimatet "
                 "af målgruppens størrelse. Afledt af registerudtrækket; syntetisk, medmindre et rigtigt udtræk "
                 "er angivet med VIDENSDATA_REGISTER."),
    enhed="personer",
    schema=Schema(
        columns=(
            KOMMUNE,
            Column("aar", "int", "År", min=FOERSTE_AAR, max=2100),
            Column("historie", "str", "Fangsthistorie: ét ciffer pr. register (serviceloven, psykiatri, misbrug), "
                   "fx 101 = set af serviceloven og misbrug", allowed=derive.HISTORIER),
            *(Column(r, "int", f"1 hvis registeret {r} så personerne, ellers 0", min=0, max=1)
              for r in REGISTRE),
            Column("antal", "int", "Antal personer", min=0),
        ),
        key=("kommune_kode", "aar", "historie"),
        sort_values={"historie": derive.HISTORIER},
    ),
    build=_registeroverlap,
    personhenfoerbar=True,
    **_register_meta(derive, episodes),
))

# ---------------------------------------------------------------- public API

def get(navn: str) -> Dataset:
    try:
        return DATASETS[navn]
    except (KeyError, TypeError):
        raise UnknownDatasetError(
            f"unknown dataset {navn!r}; valid names: {', '.join(DATASETS)}.{suggestion(navn, DATASETS)}",
            dansk=f"Ukendt datasæt: {navn!r}. Gyldige: {', '.join(DATASETS)}.{forslag(navn, DATASETS)}",
        ) from None


def catalog() -> pd.DataFrame:
    """One row per dataset: navn, titel, beskrivelse, enhed, kilde, licens, hentet, syntetisk, noegle,
    tilgaengelig and hentes_fra.

    ``tilgaengelig`` says whether ``load`` can return the dataset now, without a network; ``hentes_fra``
    where it comes from now (in Danish): the embedded snapshot, the StatBank cache (with its date), the
    synthetic or the real register extract, or, when it is not available, the command that fetches it.
    """
    rows = []
    for ds in DATASETS.values():
        rows.append({
            "navn": ds.navn,
            "titel": ds.titel,
            "beskrivelse": ds.beskrivelse,
            "enhed": ds.enhed,
            "kilde": ds.kilde(),
            "licens": ds.licens(),
            "hentet": ds.hentet(),
            "syntetisk": bool(ds.syntetisk()),
            "noegle": ds.noegle,
            "tilgaengelig": bool(ds.tilgaengelig()),
            "hentes_fra": ds.hentes_fra(),
        })
    out = pd.DataFrame(rows)
    out["syntetisk"] = out["syntetisk"].astype(bool)
    out["tilgaengelig"] = out["tilgaengelig"].astype(bool)
    return out


#: Validated datasets in memory, keyed on (name, data fingerprint): a refreshed dataset is a new key.
_FRAMES: Memo[pd.DataFrame] = Memo("datasets.frames", stoerrelse=32)


def frame(navn: str) -> pd.DataFrame:
    """The whole dataset, validated (memoised per data fingerprint)."""
    ds = get(navn)
    return _FRAMES.hent((navn, ds.fingerprint()), lambda: ds.schema.validate(ds.build(), navn))


_AARSPAEND: Memo[tuple[int, int]] = Memo("datasets.aarspaend", stoerrelse=32)


def aarspaend(navn: str, kolonne: str = "aar") -> tuple[int, int]:
    """The first and last value of a year column of a dataset, without holding the dataset in memory.

    The widgets of every app kernel need each theme's years before anything is drawn; loading the dataset
    for two numbers cost an app kernel ~60 MB that it never used when its views came from the view cache.
    The pair is kept beside the data caches (``<cache>/aarspaend/<navn>-<kolonne>-<fingerprint>.json``),
    written by the first process that reads the data (the report run), so a refreshed dataset is a new file.
    """
    ds = get(navn)
    key = (navn, kolonne, ds.fingerprint())

    def beregn() -> tuple[int, int]:
        fil = paths().cache / "aarspaend" / f"{navn}-{kolonne}-{key[2]}.json"
        try:
            first, last = json.loads(fil.read_text(encoding="utf-8"))
            return int(first), int(last)
        except (OSError, ValueError, TypeError):
            pass
        df = frame(navn)
        if kolonne not in df.columns:
            raise UnknownColumnError(f"dataset {navn!r} has no column {kolonne!r}",
                                     dansk=f"Datasættet {navn!r} har ingen kolonne {kolonne!r}.")
        pair = (int(df[kolonne].min()), int(df[kolonne].max()))
        try:
            atomic_write_text(fil, json.dumps(pair))
        except OSError:
            pass  # a cache that cannot be written is no error: the years were read
        return pair

    return _AARSPAEND.hent(key, beregn)


def invalidate(navn: str | None = None) -> None:
    """Forget the memoised frames of dataset ``navn`` (default: of every dataset); they are rebuilt on use."""
    if navn is not None:
        get(navn)  # an unknown name is an error, not a silent no-op
    _FRAMES.glem(None if navn is None else (lambda key: key[0] == navn))


GEO_FILTERS = ("geografi", "kommune_kode", "region_kode")


def load(navn: str, **filtre) -> pd.DataFrame:
    """A tidy, validated dataset sorted by its key, filtered by column values.

    Filters take a value or a list of values per column; geography columns
    (``kommune_kode``, ``region_kode``) and the pseudo-column ``geografi`` take
    anything the geography resolver accepts (codes, names, regions, levels).
    """
    ds = get(navn)
    df = frame(navn)
    mask = pd.Series(True, index=df.index)
    for col, value in filtre.items():
        if col == "geografi":
            if "kommune_kode" in df.columns:
                mask &= df["kommune_kode"].isin(geography.kommune_koder(value))
            elif "region_kode" in df.columns:
                mask &= df["region_kode"].isin(geography.region_koder(value))
            else:
                raise UnknownColumnError(f"dataset {navn!r} has no geography column to filter by geografi",
                                         dansk=f"Datasættet {navn} har ingen geografi at filtrere på; "
                                               "udelad geografi=.")
            continue
        if col not in df.columns:
            raise UnknownColumnError(
                f"dataset {navn!r} has no column {col!r}; valid columns: {', '.join(df.columns)}"
                f"{suggestion(col, df.columns)}",
                dansk=f"Datasættet {navn} har ingen kolonne {col!r}. Kolonnerne er: {', '.join(df.columns)}."
                      f"{forslag(col, df.columns)}",
            )
        if col == "kommune_kode":
            mask &= df[col].isin(geography.kommune_koder(value))
        elif col == "region_kode":
            mask &= df[col].isin(geography.region_koder(value))
        else:
            values = _as_list(value)
            _check_values(ds, df, col, values)
            mask &= df[col].isin(values)
    return df.loc[mask].reset_index(drop=True)


def _as_list(value) -> list:
    if isinstance(value, (str, bytes, int, float)) or value is None:
        return [value]
    return list(value)


def _check_values(ds: Dataset, df: pd.DataFrame, col: str, values: list) -> None:
    present = set(df[col].unique())
    missing = [v for v in values if v not in present]
    if not missing:
        return
    if col == "aar":
        lo, hi = int(df[col].min()), int(df[col].max())
        raise InvalidYearsError(
            f"dataset {ds.navn!r} has no data for year(s) {missing}; it covers {lo}-{hi}",
            dansk=f"Ingen data for år {', '.join(map(str, missing))}; data dækker {lo}-{hi}.",
        )
    valid = sorted(map(str, present))
    raise InvalidValueError(
        f"column {col!r} of dataset {ds.navn!r} has no value(s) {missing}; valid values: {', '.join(valid[:30])}"
        f"{suggestion(missing[0], valid)}",
        dansk=f"Ukendt værdi for {col}: {missing}. Gyldige: {', '.join(valid[:30])}.",
    )
