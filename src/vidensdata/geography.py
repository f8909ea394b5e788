"""The geography resolver used everywhere a geography is taken.

Accepts a Statistics Denmark code (``"101"``, ``101``, ``"084"``, ``"000"``), a name
in any case with or without "Kommune"/"Region" (``"aarhus"``, ``"Århus Kommune"``,
``"region hovedstaden"``, ``"Hovedstaden"``), the official names with their genitive
(``"Københavns Kommune"``, ``"Bornholms Regionskommune"``, ``"Frederiksbergs Kommune"``),
a level (``"kommuner"``, ``"regioner"``, ``"landet"``), or a list of any of these. Anything else raises
:class:`~vidensdata.errors.UnknownGeographyError` listing close matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .errors import UnknownGeographyError

LAND_KODE = "000"
LAND_NAVN = "Hele landet"
LEVELS = ("landet", "regioner", "kommuner")
#: Separates the parts of an area made of several kommuner in its string form (``Aarhus,Skanderborg``).
SKILLETEGN = ","


@dataclass(frozen=True, order=True)
class Geografi:
    """One geography: the whole country, a region or a kommune."""

    niveau: str  # "land", "region" or "kommune"
    kode: str
    navn: str
    kommune_koder: tuple[str, ...]
    region_kode: str | None = None

    def __repr__(self) -> str:
        return f"Geografi({self.niveau!r}, {self.kode!r}, {self.navn!r})"

    @property
    def slug(self) -> str:
        """File-name form: ``hele-landet``, ``region-hovedstaden``, ``koebenhavn``."""
        return slugify(self.navn)

    @property
    def visningsnavn(self) -> str:
        return self.navn

    def __str__(self) -> str:
        return self.navn


@dataclass(frozen=True)
class Omraade:
    """An area analysed as one: the whole country, one region, or one or more kommuner.

    Made by :func:`omraade`, which holds the rule for what a valid area is and puts the
    parts in their canonical order, so the same area has the same object (and the same
    :attr:`noegle`, :attr:`slug` and cache key) however it was asked for.
    """

    dele: tuple[Geografi, ...]

    @property
    def noegle(self) -> str:
        """The area's one string form, used in URLs, papermill parameters and cache keys:
        ``"Hele landet"``, ``"Region Hovedstaden"``, ``"Aarhus"``, ``"Aarhus,Odder,Skanderborg"``
        (:func:`omraade` reads it back)."""
        return SKILLETEGN.join(g.navn for g in self.dele)

    @property
    def slug(self) -> str:
        """File-name form: ``aarhus``, ``hele-landet``, ``aarhus+odder+skanderborg``."""
        return "+".join(g.slug for g in self.dele)

    @property
    def kommune_koder(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for g in self.dele:
            for k in g.kommune_koder:
                seen[k] = None
        return tuple(sorted(seen))

    @property
    def navn(self) -> str:
        names = [g.navn for g in self.dele]
        if len(names) == 1:
            return names[0]
        if len(names) <= 4:
            return ", ".join(names[:-1]) + " og " + names[-1]
        return f"{len(names)} områder ({', '.join(names[:3])} m.fl.)"

    @property
    def enkelt(self) -> Geografi | None:
        return self.dele[0] if len(self.dele) == 1 else None

    @property
    def er_landet(self) -> bool:
        return any(g.niveau == "land" for g in self.dele)

    @property
    def region_koder(self) -> tuple[str, ...]:
        regs = {_table().kommune_region[k] for k in self.kommune_koder}
        return tuple(sorted(regs))


def slugify(text: str) -> str:
    folded = _fold(text.lower())
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _fold(text: str) -> str:
    return text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace("é", "e")


def _norm(text: str) -> str:
    t = _fold(str(text).strip().lower())
    t = re.sub(r"['’]", "", t)  # "Aarhus' Kommune"
    t = re.sub(r"[\s\-_]+", " ", t)
    t = re.sub(r"\s+(regions)?kommune$", "", t)  # "Bornholms Regionskommune"
    t = re.sub(r"^region\s+", "", t)
    return t.strip()


def _uden_genitiv(key: str) -> str | None:
    """``key`` without a genitive -s (``koebenhavns`` → ``koebenhavn``), or None if it has none.

    The official names of kommuner are often genitive ("Københavns Kommune", "Bornholms
    Regionskommune"); a name that itself ends in -s (Aarhus, Horsens, Nordfyns) is found
    before this is tried, so it is never cut.
    """
    return key[:-1] if len(key) > 3 and key.endswith("s") else None


#: Other names of a kommune that people type: Statistics Denmark's genitive names without the -s.
ANDRE_NAVNE: dict[str, tuple[str, ...]] = {"480": ("Nordfyn",), "820": ("Vesthimmerland",)}


def andre_navne(g: Geografi) -> tuple[str, ...]:
    """The other names ``g`` is found by, besides its name, code and their spellings (for search pages)."""
    return ANDRE_NAVNE.get(g.kode, ()) if g.niveau == "kommune" else ()


@dataclass(frozen=True)
class _Table:
    land: Geografi
    regioner: tuple[Geografi, ...]
    kommuner: tuple[Geografi, ...]
    by_key: dict[str, tuple[Geografi, ...]]
    kommune_region: dict[str, str]

    @property
    def all(self) -> tuple[Geografi, ...]:
        return (self.land, *self.regioner, *self.kommuner)


@lru_cache(maxsize=1)
def _table() -> _Table:
    from .snapshots import read_snapshot

    df = read_snapshot("kommuner_folk1a_2020k1.csv", dtype={"kommune_kode": str, "region_kode": str})
    kommuner = tuple(
        Geografi("kommune", r.kommune_kode, r.kommune_navn, (r.kommune_kode,), r.region_kode)
        for r in df.sort_values("kommune_kode").itertuples()
    )
    regioner = []
    for kode, grp in df.groupby("region_kode", sort=True):
        regioner.append(Geografi("region", kode, grp["region_navn"].iloc[0], tuple(sorted(grp["kommune_kode"])), kode))
    land = Geografi("land", LAND_KODE, LAND_NAVN, tuple(k.kode for k in kommuner))
    by_key: dict[str, tuple[Geografi, ...]] = {}

    def add(key: str, geos: tuple[Geografi, ...]) -> None:
        by_key.setdefault(_norm(key), geos)

    for g in (land, *regioner, *kommuner):
        add(g.kode, (g,))
        add(g.navn, (g,))
    for kode, navne in ANDRE_NAVNE.items():
        for navn in navne:
            add(navn, tuple(k for k in kommuner if k.kode == kode))
    for alias in ("landet", "hele landet", "danmark", "hele danmark", "land", "0", "00"):
        add(alias, (land,))
    add("regioner", tuple(regioner))
    add("kommuner", kommuner)
    add("alle kommuner", kommuner)
    add("alle regioner", tuple(regioner))
    return _Table(land, tuple(regioner), kommuner, by_key, {k.kode: k.region_kode for k in kommuner})


def _candidates() -> list[str]:
    t = _table()
    return [g.navn for g in t.all] + list(LEVELS)


def resolve(spec) -> list[Geografi]:
    """All geographies named by ``spec`` (a code, name, level or list of them), in order, without repeats."""
    items = _flatten(spec)
    if not items:
        raise UnknownGeographyError(
            "empty geography: give a kommune, a region, 'Hele landet' or a level (kommuner, regioner, landet)",
            dansk="Vælg mindst én geografi.",
        )
    out: dict[Geografi, None] = {}
    for item in items:
        for g in _resolve_item(item):
            out[g] = None
    return list(out)


def resolve_one(spec) -> Geografi:
    """Exactly one geography; a list or a level naming several is an error."""
    geos = resolve(spec)
    if len(geos) != 1:
        raise UnknownGeographyError(
            f"expected one geography, got {len(geos)} from {spec!r}",
            dansk=f"Vælg én geografi, ikke {len(geos)}.",
        )
    return geos[0]


def omraade(spec) -> Omraade:
    """The area ``spec`` names, analysed as one; the one rule for a valid area lives here.

    An area is the whole country, one region, or one or more kommuner (``["Aarhus",
    "Skanderborg"]`` or its string form ``"Aarhus,Skanderborg"``); anything else (a region
    with a kommune, two regions, a level) is refused with a message that says so. The
    kommuner of an area are put in Danish alphabetical order, so an area has one form.
    """
    if isinstance(spec, Omraade):
        return spec
    geos = resolve(spec)
    flere_niveauer = len(geos) > 1 and any(g.niveau != "kommune" for g in geos)
    et_niveau = any(isinstance(i, str) and _norm(i) in _FLERTAL for i in _flatten(spec))  # "kommuner" is a list
    if flere_niveauer or et_niveau:
        named = ", ".join(g.navn for g in geos[:4]) + (" …" if len(geos) > 4 else "")
        raise UnknownGeographyError(
            f"an area is the whole country, one region, or one or more kommuner; got {len(geos)} geographies "
            f"that are not all kommuner ({named})",
            dansk="Vælg hele landet, én region eller en eller flere kommuner – ikke en blanding af niveauer "
                  f"({named}).",
        )
    return Omraade(tuple(sorted(geos, key=lambda g: _alfabetisk(g.navn))))


_FLERTAL = {"kommuner", "alle kommuner", "regioner", "alle regioner"}


def _alfabetisk(navn: str) -> str:
    """Sort key in Danish alphabetical order (æ, ø, å after z)."""
    return navn.casefold().translate(str.maketrans({"æ": "{", "ø": "|", "å": "}"}))


def kommune_koder(spec) -> list[str]:
    """The sorted kommune codes covered by ``spec`` (any geographies, e.g. several regions)."""
    return sorted({k for g in resolve(spec) for k in g.kommune_koder})


def region_koder(spec) -> list[str]:
    """The sorted region codes of the kommuner covered by ``spec``."""
    kr = _table().kommune_region
    return sorted({kr[k] for k in kommune_koder(spec)})


def land() -> Geografi:
    return _table().land


def regioner() -> list[Geografi]:
    return list(_table().regioner)


def kommuner() -> list[Geografi]:
    return list(_table().kommuner)


def region_of(kommune_kode: str) -> Geografi:
    rk = _table().kommune_region[kommune_kode]
    return next(r for r in _table().regioner if r.kode == rk)


def report_geographies() -> list[Geografi]:
    """Hele landet, the 5 regions and the 98 kommuner (104 in all)."""
    return list(_table().all)


def _flatten(spec) -> list:
    if spec is None:
        return []
    if isinstance(spec, str) and SKILLETEGN in spec:  # the string form of an area of several kommuner
        return [part for part in spec.split(SKILLETEGN) if part.strip()]
    if isinstance(spec, (Geografi, str, int)):
        return [spec]
    if isinstance(spec, Omraade):
        return list(spec.dele)
    if isinstance(spec, Iterable):
        out = []
        for s in spec:
            out.extend(_flatten(s))
        return out
    return [spec]


def _resolve_item(item) -> tuple[Geografi, ...]:
    if isinstance(item, Geografi):
        return (item,)
    if isinstance(item, bool) or not isinstance(item, (str, int)):
        raise UnknownGeographyError(
            f"unknown geography {item!r} of type {type(item).__name__}: give a code, a name or a level",
            dansk=f"Ukendt geografi: {item!r}.",
        )
    table = _table()
    key = _norm(str(item))
    if isinstance(item, int) or key.isdigit():
        key = key.zfill(3)
    hit = table.by_key.get(key)
    if hit is None and key.isdigit():
        hit = table.by_key.get(key.lstrip("0").zfill(3))
    if hit is None and (kort := _uden_genitiv(key)) is not None:
        genitiv = table.by_key.get(kort)
        if genitiv is not None and len(genitiv) == 1 and genitiv[0].niveau == "kommune":
            hit = genitiv
    if hit is not None:
        return hit
    if key == "411" or key == "christiansoe":
        raise UnknownGeographyError(
            "Christiansø (411) is not a kommune; it is part of 'Hele landet' only",
            dansk="Christiansø (411) er ikke en kommune.",
        )
    hints = forslag(item)
    tail = f" Did you mean: {', '.join(hints)}?" if hints else ""
    dansk_tail = (f" Mente du: {', '.join(hints)}?" if hints else
                  " Angiv en kommune, en region, »Hele landet« eller et niveau (kommuner, regioner, landet) "
                  "som navn eller kode.")
    raise UnknownGeographyError(
        f"unknown geography {item!r}: not a kommune, region or level (kommuner, regioner, landet).{tail}",
        dansk=f"Ukendt geografi: »{item}«.{dansk_tail}",
    )


#: How alike (difflib ratio of the folded names) a name must be to be suggested; a level word must be closer.
LIGHED_NAVN = 0.75
LIGHED_NIVEAU = 0.85


def forslag(item, n: int = 5) -> list[str]:
    """Geography names that look like ``item`` (best first), for "Mente du: …?".

    Compares folded, normalised names (``Koebenhavn`` ~ ``København``, ``Region Midt`` ~ ``Midtjylland``):
    names whose difflib ratio is at least :data:`LIGHED_NAVN`, or that start with the input (3 characters
    or more). A level (``kommuner``, ``regioner``, ``landet``) is suggested only for a misspelling of the
    level word itself, never because an unknown name shares a few letters with it (``Atlantis``).
    """
    import difflib

    key = _norm(str(item))
    if not key:
        return []
    scored: dict[str, float] = {}
    for g in _table().all:
        name = _norm(g.navn)
        ratio = difflib.SequenceMatcher(None, key, name).ratio()
        if len(key) >= 3 and name.startswith(key):
            ratio = max(ratio, LIGHED_NAVN + 0.01 * len(key) / len(name))
        if ratio >= LIGHED_NAVN:
            scored[g.navn] = max(ratio, scored.get(g.navn, 0.0))
    for level in LEVELS:
        ratio = difflib.SequenceMatcher(None, key, level).ratio()
        if ratio >= LIGHED_NIVEAU:
            scored[level] = ratio
    return [name for name, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))][:n]
