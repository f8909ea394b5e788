"""Theme: the size of the target group (målgruppestørrelse), estimated by capture-recapture.

How many citizens have psychiatric difficulties and complex support needs? No
register counts them all. Three registers each see part of them (dataset
``registeroverlap``): the services list under serviceloven, psychiatric treatment
and treatment for substance abuse. The overlaps tell how many none of them see.

This is the computing half: ``beregn`` estimates the size for one area and year and
returns a :class:`Resultat` (no HTML, no widgets); its drawing is
:mod:`vidensdata.presentation.temaer.maalgruppe`.

* Country and regions: log-linear capture-recapture models, the two-way interaction
  models and the heterogeneity models (:func:`vidensdata.methods.population_size.model_average`):
  the estimate is the average over the models whose fit can be tested (df > 0), with
  Akaike weights (QAIC when the best of them does not fit), and its interval includes
  the spread between the models and the lack of fit (Buckland et al. 1997). The
  saturated model (all pairs, df = 0) is shown but not used: its fit cannot be tested.
* Kommuner (and areas made of several kommuner): a kommune's own lists are too
  sparse, so the national estimate is allocated to the kommuner in proportion to
  those the registers see there (:func:`~vidensdata.methods.population_size.proportional_allocation`),
  which assumes the registers see the same share of the group in every kommune.
  The kommune intervals include the national uncertainty and the spread of register
  coverage between kommuner that the large kommuner's own overlaps show
  (:func:`~vidensdata.methods.population_size.coverage_dispersion`). Kommune estimates add up
  to the national estimate.

The national and regional fits and the kommune distribution are computed once per
data version, year and choice of registers and cached on disk, so a report or an
app update takes well under a second. Observed counts follow the disclosure rule
(1-4 shown as ``<5``, secondary suppression ``x`` over the geography hierarchy and
over the capture histories with their total).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import disclosure, geography
from ..disclosure import vist_antal
from ..datasets import registry as cat
from ..errors import InvalidValueError
from ..memo import Memo
from ..methods import population_size as ps
from .. import formatting as fmt
from ..storage import cached_tables, code_fingerprint, fingerprint
from ..vocabulary import PUBLICERET_OMFANG, REGISTRE
from .common import as_year, normalise_choice, Resume
from .comparison import Kommunesammenligning, Modpart, decimaler_for_land, eneste_region, kommune_ramme
from .sammenligning import IKKE_VURDERET, vurder
from .tema import Tema

TITEL = "Målgruppens størrelse"
PARAMETRE = ("geografi", "aar", "registre")
#: Datasets this theme reads (part of every report's cache key and provenance).
DATASETS = ("registeroverlap", "doedelighed_land", "kommuner")

REGISTER_NAVNE = {
    "serviceloven": "Serviceloven (botilbud eller mindst to ydelser)",
    "psykiatri": "Psykiatrisk behandling",
    "misbrug": "Misbrugsbehandling",
}
KORT = {"serviceloven": "Serviceloven", "psykiatri": "Psykiatri", "misbrug": "Misbrug"}
OFFENTLIGGJORT_NEDRE, OFFENTLIGGJORT_OEVRE, OFFENTLIGGJORT_KILDE = PUBLICERET_OMFANG
BEFOLKNING_KILDE = "Danmarks Statistik (FOLK1A 1. januar 2020; voksenandel fra FOLK1A/DODC1)"
#: The method in a source line: named, not cited (the references are in LITTERATUR, shown with the citation).
METODE_KILDE = "Egne beregninger (metoden er beskrevet under «Metode og kilder»)"
#: The literature of the method (shown with "Sådan citerer du" and in the downloads' "Om data").
LITTERATUR: tuple[str, ...] = (
    "Cormack, R. M. (1992). Interval estimation for mark-recapture studies of closed populations. "
    "Biometrics 48, 567–576.",
    "Rivest, L.-P. & Baillargeon, S. (2007). Applications and extensions of Chao's moment estimator for the size "
    "of a closed population. Biometrics 63, 999–1006.",
    "Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection: an integral part of inference. "
    "Biometrics 53, 603–618.",
)
ALT = "alt"  # the history row "seen by at least one register"
LEVEL = 0.95


@dataclass(frozen=True)
class Valg:
    """Validated choices for one view."""

    omraade: geography.Omraade
    aar: int
    registre: tuple[str, ...]


@dataclass(frozen=True)
class Resultat(Resume):
    """Everything the theme shows for one view; ``noegletal_vist(resultat)`` gives its key figures as shown."""

    valg: Valg
    niveau: str  # "land", "region", "kommune" or "flere" (several geographies as one area)
    overlap: pd.DataFrame  # historie, antal (Int64, <NA> = suppressed), undertrykt, primaer, raa, 0/1 per register
    registertal: pd.DataFrame  # register, antal, undertrykt, primaer
    observeret: int | None  # seen by at least one chosen register (None if suppressed)
    observeret_undertrykt: bool
    observeret_primaer: bool
    estimat: dict  # n_hat, lower, upper, se, metode, model (Danish), grundlag
    modeller: pd.DataFrame  # model comparison of the fit the estimate comes from
    model_omraade: str  # the area whose model table is shown (the country for kommuner)
    forklaring: str  # why the chosen model was chosen (Danish)
    kommuner: pd.DataFrame  # per-kommune small-area estimates for the figure/table
    voksne: int
    sand: int | None  # planted true size (synthetic data only)
    kilde: str
    syntetisk: bool
    noegletal: dict = field(default_factory=dict)

    @property
    def kildelinje(self) -> str:
        return fmt.source_line([self.kilde, METODE_KILDE], synthetic=self.syntetisk)

    def _resume(self) -> tuple[str, list, list]:
        v = self.valg
        return (f"{TITEL}: {v.omraade.navn}, {v.aar}", noegletal_vist(self),
                [f"Metode: {self.estimat['metode']}", self.kildelinje])


# ---------------------------------------------------------------- parameters

def data_years() -> tuple[int, int]:
    return cat.aarspaend("registeroverlap")


def valider(geografi="Hele landet", aar=None, registre="alle") -> Valg:
    """Check the parameters; raise a :class:`VidensdataError` naming any bad value."""
    first, last = data_years()
    year = last if aar is None else as_year(aar, "aar")
    if not first <= year <= last:
        from ..errors import InvalidYearsError

        raise InvalidYearsError(f"aar {year} is outside the data, which cover {first}-{last}",
                                dansk=f"Året {year} ligger uden for data, som dækker {first}–{last}.")
    chosen = normalise_choice(registre, {r: KORT[r] for r in REGISTRE}, "registre", alle="alle")
    if len(chosen) < 2:
        raise InvalidValueError(
            f"registre: capture-recapture needs at least two registers, got {list(chosen)}; choose two or more "
            f"of {', '.join(REGISTRE)}",
            dansk="Vælg mindst to registre: metoden bygger på overlappet mellem registrene.",
        )
    return Valg(geography.omraade(geografi), year, chosen)


# ---------------------------------------------------------------- data: histories of the chosen registers

def _collapse(df: pd.DataFrame, registre: tuple[str, ...]) -> pd.DataFrame:
    """Counts by kommune, year and capture history over the chosen registers (persons no chosen list saw dropped)."""
    key = df[list(registre)].astype(str).agg("".join, axis=1)
    d = df.assign(historie=key.to_numpy())
    d = d[d["historie"].str.contains("1")]
    out = d.groupby(["kommune_kode", "aar", "historie"], as_index=False)["antal"].sum()
    return out


def _histories(t: int) -> list[str]:
    return [h for h in (f"{i:0{t}b}" for i in range(2**t - 1, 0, -1))]


#: In memory, keyed on the data read (:func:`_data_key`) and the choice: suppression patterns, fits, areas.
_MOENSTRE: Memo[pd.DataFrame] = Memo("maalgruppe.moenstre", stoerrelse=8)
_ESTIMATER: Memo[dict] = Memo("maalgruppe.estimater", stoerrelse=32)
_OMRAADER: Memo[dict] = Memo("maalgruppe.omraader", stoerrelse=256)


def _data_key() -> tuple[str, ...]:
    """The fingerprints of every dataset the theme reads."""
    return tuple(cat.get(n).fingerprint() for n in DATASETS)


def _code_key() -> str:
    """The code that derives the cached patterns and estimates (this module, the estimators, suppression)."""
    return code_fingerprint(sys.modules[__name__], ps, disclosure)


def _pattern(registre: tuple[str, ...]) -> pd.DataFrame:
    """Suppression of every (geography, year, history) cell and each area's total ``alt``, for a choice of registers.

    With every register it is :func:`_full_pattern`. With fewer, each history is a sum of full histories (``11``
    over two registers is ``110 + 111``), so it is published only when every full history in it is, with the mark
    ``x`` otherwise (:func:`vidensdata.disclosure.sammensat`): a subset view is then a function of the published
    full view, and no two choices of registers can be subtracted into a hidden count.
    """
    full = _full_pattern()
    if tuple(registre) == REGISTRE:
        return full
    return _MOENSTRE.hent((_data_key(), registre), lambda: _subset_pattern(full, registre))


def _subset_pattern(full: pd.DataFrame, registre: tuple[str, ...]) -> pd.DataFrame:
    cells = full[full["historie"] != ALT]
    positions = [REGISTRE.index(r) for r in registre]
    projected = cells["historie"].map(lambda h: "".join(h[i] for i in positions))
    seen = projected.str.contains("1")  # persons none of the chosen registers saw are not in the subset view
    cells = cells[seen].assign(historie=projected[seen])
    total = cells.assign(historie=ALT)
    both = pd.concat([cells, total], ignore_index=True)
    out = both.groupby(["niveau", "kode", "aar", "historie"], as_index=False, sort=False).agg(
        antal_raa=("antal_raa", "sum"), antal_undertrykt=("antal_undertrykt", lambda s: disclosure.sammensat(s)[0]))
    out["antal_primaer"] = False  # a hidden sum shows "x", whatever its value
    out["antal"] = out["antal_raa"].astype("Int64").mask(out["antal_undertrykt"])
    return out[["niveau", "kode", "aar", "historie", "antal", "antal_undertrykt", "antal_primaer", "antal_raa"]]


def _full_pattern() -> pd.DataFrame:
    """Suppression of every (geography, year, capture history over all registers) cell and each total ``alt``.

    Relations: kommuner add up to their region and regions to the country (per year
    and history), and an area's histories add up to its total ``alt``. Computed once
    per data version (disk cache).
    """
    registre = REGISTRE

    def build():
        k = _collapse(cat.frame("registeroverlap"), registre)
        hist = _histories(len(registre))
        grid = pd.MultiIndex.from_product([[g.kode for g in geography.kommuner()], sorted(k["aar"].unique()), hist],
                                          names=["kommune_kode", "aar", "historie"])
        k = k.set_index(["kommune_kode", "aar", "historie"])["antal"].reindex(grid, fill_value=0).reset_index()
        alt = k.groupby(["kommune_kode", "aar"], as_index=False)["antal"].sum().assign(historie=ALT)
        k = pd.concat([k, alt], ignore_index=True)
        reg = {g.kode: g.region_kode for g in geography.kommuner()}
        k["region_kode"] = k["kommune_kode"].map(reg)
        kom = k.assign(niveau="kommune", kode=k["kommune_kode"])
        regi = k.groupby(["region_kode", "aar", "historie"], as_index=False)["antal"].sum()
        regi = regi.assign(niveau="region", kode=regi["region_kode"])
        land = k.groupby(["aar", "historie"], as_index=False)["antal"].sum().assign(
            niveau="land", kode=geography.LAND_KODE, region_kode=None)
        cols = ["niveau", "kode", "region_kode", "aar", "historie", "antal"]
        t = pd.concat([kom[cols], regi[cols], land[cols]], ignore_index=True)
        t["g_region"] = np.where(t["niveau"] == "kommune", t["region_kode"],
                                 np.where(t["niveau"] == "region", t["kode"], None))
        t["g_land"] = np.where(t["niveau"] == "kommune", None, "land")
        t["g_omraade"] = t["niveau"] + ":" + t["kode"]
        out = disclosure.suppress_long(t, "antal", [["g_region", "aar", "historie"], ["g_land", "aar", "historie"],
                                                    ["g_omraade", "aar"]])
        # antal_primaer (from suppress_long): the cells shown <5; a 1-4 total over several 1-4 cells is shown x
        out["antal_raa"] = t["antal"].to_numpy()
        return {"moenster": out[["niveau", "kode", "aar", "historie", "antal", "antal_undertrykt", "antal_primaer",
                                 "antal_raa"]]}

    def read():
        key = fingerprint("maalgruppe", _data_key(), list(registre), _code_key())
        return cached_tables("diskretionering", key, build)[0]["moenster"]

    return _MOENSTRE.hent((_data_key(), registre), read)


def _adult_share(aar: int) -> float:
    """National share of adults (18+) in the population (FOLK1A via the doedelighed_land snapshot).

    The snapshot has 5-year age groups, so 18-19 is taken as 2/5 of the group 15-19.
    """
    d = cat.frame("doedelighed_land")
    year = min(max(aar, int(d["aar"].min())), int(d["aar"].max()))
    d = d[d["aar"] == year]
    by = d.groupby("aldersgruppe")["befolkning"].sum()
    lower = {g: int(g.split("-")[0].rstrip("+")) for g in by.index}
    adults = sum(v for g, v in by.items() if lower[g] >= 20) + 0.4 * by.get("15-19", 0)
    return float(adults / by.sum())


def _units(aar: int, k_counts: pd.DataFrame) -> pd.DataFrame:
    """One row per kommune: estimated adults and the number seen by at least one register."""
    k = cat.frame("kommuner")[["kommune_kode", "indbyggere"]].copy()
    k["voksne"] = np.rint(k["indbyggere"].to_numpy(float) * _adult_share(aar)).astype(int)
    seen = k_counts.groupby("kommune_kode")["antal"].sum()
    k["observeret"] = k["kommune_kode"].map(seen).fillna(0).astype(int).to_numpy()
    return k


def _fit(counts: dict, n_registers: int) -> ps.ModelAverageResult:
    """The model average over the testable models (with two registers only independence, which is untestable)."""
    return ps.model_average(counts, level=LEVEL, criterion="aic", heterogeneity=True,
                            untestable=n_registers < 3, overdispersion=True)


def _dispersion(k: pd.DataFrame, best_interactions, best_heterogeneity) -> float:
    """The between-kommune spread of register coverage (tau; ``ps.coverage_dispersion``) under the national model
    with the largest weight; 0 when fewer than three kommuner have enough persons seen."""
    tables = {kode: g.set_index("historie")["antal"].to_dict() for kode, g in k.groupby("kommune_kode")}
    try:
        return ps.coverage_dispersion(tables, best_interactions, best_heterogeneity).tau
    except InvalidValueError:
        return 0.0


def _allocate(land: pd.Series | dict, units: pd.DataFrame, aar: int) -> pd.DataFrame:
    """The national estimate allocated to ``units`` in proportion to those seen (with per 1,000 adults); the
    intervals include the national uncertainty and the kommuner's differences in coverage (``land["tau"]``)."""
    obs = units.set_index("kommune_kode")["observeret"]
    sa = ps.proportional_allocation(float(land["n_hat"]), (float(land["lower"]), float(land["upper"])), obs,
                                    level=LEVEL, seed=aar, dispersion=float(land.get("tau", 0.0)))
    sa = sa.drop(columns="observed").reset_index()
    out = units[["kommune_kode", "voksne", "observeret"]].merge(sa, on="kommune_kode")
    for col, src in (("per_1000", "estimate"), ("per_1000_lower", "lower"), ("per_1000_upper", "upper")):
        out[col] = out[src] / out["voksne"] * 1000
    return out


def _estimates(aar: int, registre: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """National and regional fits, the kommune distribution and (synthetic) the truth; cached on disk."""
    def build():
        k = _collapse(cat.frame("registeroverlap"), registre)
        k = k[k["aar"] == aar]
        reg = {g.kode: g.region_kode for g in geography.kommuner()}
        k = k.assign(region_kode=k["kommune_kode"].map(reg))
        rows, models = [], []
        areas = [(geography.LAND_KODE, "land", k)] + [(r.kode, "region", k[k["region_kode"] == r.kode])
                                                      for r in geography.regioner()]
        for kode, niveau, part in areas:
            counts = part.groupby("historie")["antal"].sum().to_dict()
            ma = _fit(counts, len(registre))
            rows.append({"kode": kode, "niveau": niveau, "n_hat": ma.n_hat, "se": ma.se, "lower": ma.lower,
                         "upper": ma.upper, "observed": ma.observed, "model": ma.best.model, "df": ma.best.df,
                         "c_hat": float(ma.table["c_hat"].iloc[0]),
                         "tau": _dispersion(part, ma.best.interactions, ma.best.heterogeneity) if niveau == "land"
                         else math.nan})
            t = ma.table.assign(kode=kode, interactions=[repr(tuple(map(tuple, i))) for i in ma.table["interactions"]])
            models.append(t)
        est = pd.DataFrame(rows)
        sa = _allocate(est.set_index("kode").loc[geography.LAND_KODE], _units(aar, k), aar)
        out = {"estimater": est, "modeller": pd.concat(models, ignore_index=True), "kommuner": sa}
        ext_truth = _truth(aar)
        if ext_truth is not None:
            out["sandhed"] = ext_truth
        return out

    def read():
        key = fingerprint("maalgruppe-estimater", _data_key(), aar, list(registre), _code_key())
        return cached_tables("maalgruppe-estimater", key, build)[0]

    return _ESTIMATER.hent((_data_key(), aar, registre), read)


_AARSRAEKKER: Memo[pd.DataFrame] = Memo("maalgruppe.aarsraekker", stoerrelse=8)


def kommuner_over_aar(til_aar: int, registre: tuple[str, ...] = REGISTRE) -> pd.DataFrame:
    """Every kommune's estimate per 1,000 adults in each year of the data up to ``til_aar`` (the profile's trend).

    Columns ``kommune_kode``, ``aar``, ``voksne`` (the year's adults), ``pr_1000`` and ``undertrykt``: an
    estimate follows its kommune's observed count and is NaN (``undertrykt``) in a year where that count is
    hidden, as in the theme's own tables.
    Each year is the theme's own small-area estimate of that year (the same numbers a report of the year shows).
    """
    regs = tuple(registre)

    def build() -> pd.DataFrame:
        first, _ = data_years()
        pat = _pattern(regs)
        pat = pat[(pat["niveau"] == "kommune") & (pat["historie"] == ALT)]
        hidden = pat.set_index(["kode", "aar"])["antal_undertrykt"].astype(bool)
        parts = []
        for aar in range(first, int(til_aar) + 1):
            k = _estimates(aar, regs)["kommuner"][["kommune_kode", "voksne", "per_1000"]].rename(
                columns={"per_1000": "pr_1000"})
            k["aar"] = aar
            k["undertrykt"] = [bool(hidden.get((kode, aar), False)) for kode in k["kommune_kode"]]
            parts.append(k)
        out = pd.concat(parts, ignore_index=True)
        out["pr_1000"] = out["pr_1000"].astype(float).mask(out["undertrykt"])
        return out[["kommune_kode", "aar", "voksne", "pr_1000", "undertrykt"]].sort_values(["kommune_kode", "aar"],
                                                                                   ignore_index=True)

    return _AARSRAEKKER.hent((_data_key(), int(til_aar), regs), build)


def _truth(aar: int) -> pd.DataFrame | None:
    """Planted true size per kommune in ``aar`` (synthetic extract only)."""
    sandhed = cat.plantet_sandhed()
    if sandhed is None:
        return None
    s = sandhed[sandhed["aar"] == aar]
    return s.groupby("kommune_kode", as_index=False)["antal"].sum()


def _area_small_area(omr: geography.Omraade, aar: int, registre: tuple[str, ...]) -> dict:
    """Small-area estimate for several kommuner as one unit (so its interval is the area's own)."""
    return _OMRAADER.hent((_data_key(), aar, registre, omr.kommune_koder),
                          lambda: _compute_area_small_area(omr, aar, registre))


def _compute_area_small_area(omr: geography.Omraade, aar: int, registre: tuple[str, ...]) -> dict:
    est = _estimates(aar, registre)
    land = est["estimater"].set_index("kode").loc[geography.LAND_KODE]
    units = est["kommuner"][["kommune_kode", "voksne", "observeret"]].copy()
    inside = units["kommune_kode"].isin(omr.kommune_koder)
    merged = pd.DataFrame({"kommune_kode": ["omraade"], "voksne": [int(units.loc[inside, "voksne"].sum())],
                           "observeret": [int(units.loc[inside, "observeret"].sum())]})
    units = pd.concat([merged, units[~inside]], ignore_index=True)
    row = _allocate(land, units, aar).iloc[0]
    return {"n_hat": float(row["estimate"]), "lower": float(row["lower"]), "upper": float(row["upper"])}


# ---------------------------------------------------------------- the analysis

def _area_cells(omr: geography.Omraade, aar: int, registre: tuple[str, ...]) -> pd.DataFrame:
    """Histories (and ``alt``) of an area in a year, suppressed consistently with the published pattern."""
    pat = _pattern(registre)
    pat = pat[pat["aar"] == aar]
    g = omr.enkelt
    if g is not None:
        rows = pat[(pat["niveau"] == g.niveau) & (pat["kode"] == g.kode)]
        out = rows[["historie", "antal", "antal_undertrykt", "antal_primaer", "antal_raa"]]
        return out.rename(columns={"antal_undertrykt": "undertrykt", "antal_primaer": "primaer", "antal_raa": "raa"})
    # several kommuner as one area: a cell is published only when every part is (disclosure.sammensat)
    kom = pat[(pat["niveau"] == "kommune") & pat["kode"].isin(omr.kommune_koder)]
    raw = kom.groupby("historie", as_index=False)["antal_raa"].sum().rename(columns={"antal_raa": "raa"})
    any_supp = kom.groupby("historie", as_index=False)["antal_undertrykt"].agg(lambda s: disclosure.sammensat(s)[0])
    out = raw.merge(any_supp, on="historie").rename(columns={"antal_undertrykt": "undertrykt"})
    out["primaer"] = False  # the mark of a hidden sum is always "x": it never depends on the hidden value
    # the total and the histories form one relation: never a single suppressed cell
    cells = out[out["historie"] != ALT]
    total = out[out["historie"] == ALT]
    mask = np.append(cells["undertrykt"].to_numpy(), total["undertrykt"].to_numpy())
    values = np.append(cells["raa"].to_numpy(), total["raa"].to_numpy())
    disclosure.protect_group(values, mask)
    out.loc[cells.index, "undertrykt"] = mask[:-1]
    out.loc[total.index, "undertrykt"] = mask[-1]
    out["antal"] = out["raa"].astype("Int64").mask(out["undertrykt"])
    return out[["historie", "antal", "undertrykt", "primaer", "raa"]]


def _niveau(omr: geography.Omraade) -> str:
    if omr.enkelt is not None:
        return omr.enkelt.niveau
    if omr.er_landet:
        return "land"
    return "flere"


def _model_name(interactions, registre: tuple[str, ...], heterogeneity=None) -> str:
    pairs = list(interactions)
    het = heterogeneity if isinstance(heterogeneity, str) else None
    parts = []
    if pairs:
        parts.append("Afhængighed: " + ", ".join(f"{KORT[registre[i - 1]]}–{KORT[registre[j - 1]]}" for i, j in pairs))
    if het:
        parts.append(f"Heterogenitet ({ps.HETEROGENEITY_NAVNE[het]})")
    return "; ".join(parts) if parts else "Uafhængighed"


def model_navne(table: pd.DataFrame, registre: tuple[str, ...]) -> list[str]:
    """The Danish name of every model in a model table."""
    het = table["heterogeneity"] if "heterogeneity" in table else [None] * len(table)
    names = [_model_name(_parse_interactions(i), registre, h) for i, h in zip(table["interactions"], het)]
    # Chao's model with its eta set to 0 (Rcapture's rule for a negative eta) is the model without heterogeneity
    return [f"Heterogenitet (Chaos nedre grænse; η = 0, dvs. {n.lower()})" if "Chao: η = 0" in str(m) else n
            for n, m in zip(names, table["model"])]


def _parse_interactions(text) -> tuple:
    import ast

    return tuple(tuple(p) for p in ast.literal_eval(text)) if isinstance(text, str) else tuple(text)


def _explain(table: pd.DataFrame, registre: tuple[str, ...], omraade_navn: str) -> str:
    """How the estimate was made from the models, in plain Danish."""
    names = model_navne(table, registre)
    if len(registre) == 2:
        return ("Med to registre kan kun uafhængighedsmodellen estimeres. Den antager, at det at være i det ene "
                "register ikke ændrer chancen for at være i det andet – det kan ikke testes med to registre, så "
                "intervallet rummer ikke usikkerheden om den antagelse.")
    w = table["weight"].to_numpy(float)
    best = int(np.argmax(w))
    testable = table["df"] > 0
    parts = [f"For {omraade_navn} er estimatet et gennemsnit af de modeller, hvis tilpasning kan testes, vægtet "
             "efter hvor godt de passer til de observerede overlap (AIC-vægte, som straffer hver ekstra "
             f"parameter). Modellen «{names[best]}» har størst vægt ({fmt.fmt_pct(w[best] * 100, 0)})."]
    sat = table[~testable]
    if len(sat):
        parts.append("Modellen med alle tre parvise afhængigheder gengiver de observerede tal præcist (0 "
                     "frihedsgrader), så dens tilpasning kan ikke testes; den vises, men indgår ikke.")
    c_hat = float(table["c_hat"].iloc[0]) if "c_hat" in table else 1.0
    row = table.iloc[best]
    p = row["p_value"]
    if c_hat > 1:
        parts.append(f"Den bedste model afviger fra data (deviance {fmt.fmt_dec(row['deviance'], 1)} med "
                     f"{int(row['df'])} frihedsgrad{'er' if int(row['df']) != 1 else ''}, p = {fmt.fmt_dec(p, 3)}). "
                     f"Derfor er usikkerheden gjort {fmt.fmt_dec(math.sqrt(c_hat), 1)} gange større "
                     "(kvasi-likelihood), så intervallet også rummer den manglende tilpasning.")
    parts.append("Intervallet rummer både usikkerheden i hver model og forskellen mellem modellerne.")
    return " ".join(parts)


def beregn(geografi="Hele landet", aar=None, registre="alle") -> Resultat:
    """All numbers of the theme for one area and year."""
    return beregn_valg(valider(geografi, aar, registre))


def beregn_valg(valg: Valg) -> Resultat:
    """The theme's numbers for an already validated choice (see :func:`valider`)."""
    omr, year, regs = valg.omraade, valg.aar, valg.registre
    niveau = _niveau(omr)
    est = _estimates(year, regs)

    cells = _area_cells(geography.omraade(geography.LAND_NAVN) if niveau == "land" else omr, year, regs)
    total = cells[cells["historie"] == ALT].iloc[0]
    overlap = cells[cells["historie"] != ALT].copy()
    order = {h: i for i, h in enumerate(_histories(len(regs)))}
    overlap = overlap.sort_values("historie", key=lambda s: s.map(order)).reset_index(drop=True)
    for i, r in enumerate(regs):
        overlap[r] = overlap["historie"].str[i].astype(int)

    # per-register totals are sums of histories: shown only when every history in them is (disclosure.sammensat)
    reg_rows = []
    for r in regs:
        part = overlap[overlap[r] == 1]
        supp, primaer = disclosure.sammensat(part["undertrykt"])
        reg_rows.append({"register": r, "antal": pd.NA if supp else int(part["raa"].sum()), "undertrykt": supp,
                         "primaer": primaer})
    registertal = pd.DataFrame(reg_rows)
    registertal["antal"] = registertal["antal"].astype("Int64")

    land = est["estimater"].set_index("kode")
    modeller_all = est["modeller"]
    if niveau in ("land", "region"):
        kode = geography.LAND_KODE if niveau == "land" else omr.enkelt.kode
        row = land.loc[kode]
        tab = modeller_all[modeller_all["kode"] == kode]
        best = tab.iloc[int(np.argmax(tab["weight"].to_numpy(float)))]
        estimat = {"n_hat": float(row["n_hat"]), "lower": float(row["lower"]), "upper": float(row["upper"]),
                   "se": float(row["se"]), "metode": "capture–recapture",
                   "model": "Modelgennemsnit (AIC-vægte)" if len(regs) > 2 else "Uafhængighed",
                   "bedste_model": _model_name(_parse_interactions(best["interactions"]), regs,
                                               best.get("heterogeneity")),
                   "c_hat": float(row["c_hat"])}
        model_kode = kode
    else:
        if omr.enkelt is not None:
            k = est["kommuner"].set_index("kommune_kode").loc[omr.enkelt.kode]
            sa = {"n_hat": float(k["estimate"]), "lower": float(k["lower"]), "upper": float(k["upper"])}
        else:
            sa = _area_small_area(omr, year, regs)
        estimat = {**sa, "se": math.nan, "metode": "small area",
                   "model": "Landsestimatet fordelt efter antal set i registrene"}
        model_kode = geography.LAND_KODE
    if total["undertrykt"] and estimat["metode"] == "small area":
        # the kommune's estimate follows its observed count: suppressed with it
        estimat = {**estimat, "n_hat": math.nan, "lower": math.nan, "upper": math.nan}
    modeller = modeller_all[modeller_all["kode"] == model_kode].drop(columns="kode").reset_index(drop=True)
    model_navn = geography.LAND_NAVN if model_kode == geography.LAND_KODE else omr.navn
    forklaring = _explain(modeller, regs, model_navn)

    kommuner = _kommune_table(est, omr, niveau, year, regs)
    voksne = int(est["kommuner"].loc[est["kommuner"]["kommune_kode"].isin(omr.kommune_koder), "voksne"].sum())
    sand = None
    if "sandhed" in est:
        s = est["sandhed"]
        sand = int(s.loc[s["kommune_kode"].isin(omr.kommune_koder), "antal"].sum())
    src = cat.registerkilde()
    res = Resultat(valg, niveau, overlap, registertal,
                   None if total["undertrykt"] else int(total["antal"]), bool(total["undertrykt"]),
                   bool(total["primaer"]), estimat, modeller, model_navn, forklaring, kommuner, voksne, sand,
                   src["kilde"], src["synthetic"])
    return replace(res, noegletal=_noegletal(res))


def _kommune_table(est, omr, niveau, year, regs) -> pd.DataFrame:
    """Small-area estimates of the kommuner shown in the figure: the area's region(s), or all for the country."""
    k = est["kommuner"].copy()
    names = {g.kode: g.navn for g in geography.kommuner()}
    region = {g.kode: g.region_kode for g in geography.kommuner()}
    if niveau == "land":
        show = list(names)
    else:
        show = [c for c in names if region[c] in omr.region_koder]
    k = k[k["kommune_kode"].isin(show)].copy()
    k["kommune"] = k["kommune_kode"].map(names)
    k["valgt"] = k["kommune_kode"].isin(omr.kommune_koder) & (niveau in ("kommune", "flere"))
    # disclosure: a kommune's estimate follows its observed count, so it is hidden with it
    pat = _pattern(regs)
    pat = pat[(pat["aar"] == year) & (pat["niveau"] == "kommune") & (pat["historie"] == ALT)].set_index("kode")
    k["observeret_undertrykt"] = k["kommune_kode"].map(pat["antal_undertrykt"]).astype(bool).to_numpy()
    k["observeret_primaer"] = k["kommune_kode"].map(pat["antal_primaer"]).astype(bool).to_numpy()
    k = disclosure.apply_to_rates(k, "observeret_undertrykt",
                                  ["estimate", "lower", "upper", "per_1000", "per_1000_lower", "per_1000_upper"])
    return k.sort_values("per_1000", ascending=False, na_position="last").reset_index(drop=True)


def _noegletal(res: Resultat) -> dict:
    e = res.estimat
    n = e["n_hat"]
    unseen = None
    if res.observeret is not None and not math.isnan(n) and e["metode"] == "capture–recapture":
        unseen = n - res.observeret
    pr = None if math.isnan(n) or res.voksne == 0 else n / res.voksne * 1000
    return {"estimat": n, "nedre": e["lower"], "oevre": e["upper"], "uset": unseen,
            "uset_pct": None if unseen is None else unseen / n * 100, "pr_1000": pr,
            "pr_1000_nedre": None if pr is None else e["lower"] / res.voksne * 1000,
            "pr_1000_oevre": None if pr is None else e["upper"] / res.voksne * 1000}


# ---------------------------------------------------------------- what is shown

def noegletal_vist(res: Resultat) -> list[tuple[str, str, str]]:
    """The key figures as shown (``testid``, Danish label, value): counts suppressed, Danish numbers."""
    v, n = res.valg, res.noegletal
    publ = f"{fmt.fmt_int(OFFENTLIGGJORT_NEDRE)}–{fmt.fmt_int(OFFENTLIGGJORT_OEVRE)}"
    published = ("noegletal-publiceret", "Offentliggjort skøn for hele landet", publ)
    if not v.omraade.er_landet:  # an area is compared per 1,000 adults, never with the national count
        voksne = publiceret_voksne(v.aar, v.registre)
        published = ("noegletal-publiceret", "Offentliggjort skøn for hele landet, pr. 1.000 voksne",
                     f"{fmt.fmt_dec(OFFENTLIGGJORT_NEDRE / voksne * 1000, 1)}–"
                     f"{fmt.fmt_dec(OFFENTLIGGJORT_OEVRE / voksne * 1000, 1)}")
    out = [
        ("noegletal-estimat", f"Anslået størrelse af målgruppen {v.aar} (95 %-konfidensinterval)",
         _interval(n["estimat"], n["nedre"], n["oevre"])),
        published,
        ("noegletal-observeret", f"Set i mindst ét af de {len(v.registre)} registre",
         vist_antal(res.observeret, res.observeret_undertrykt, res.observeret_primaer)),
    ]
    if n["uset"] is not None:
        out.append(("noegletal-uset", "Anslået ikke set af nogen register",
                    f"{fmt.fmt_int(n['uset'])} ({fmt.fmt_pct(n['uset_pct'], 0)})"))
    # always shown (a hidden estimate as "–"), so every view carries its verdict against the country
    out.append(("noegletal-pr1000", "Pr. 1.000 voksne (95 %-konfidensinterval)",
                _interval(n["pr_1000"], n["pr_1000_nedre"], n["pr_1000_oevre"], decimals=1)))
    if res.syntetisk and res.sand is not None:
        out.append(("noegletal-sand", "Plantet sand størrelse (kun syntetiske data)", fmt.fmt_int(res.sand)))
    return out



def _interval(n, lo, hi, decimals: int = 0) -> str:
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return fmt.MISSING
    return fmt.fmt_interval(n, lo, hi, decimals=decimals)


def tabel_kommuner(res: Resultat) -> pd.DataFrame:
    k = res.kommuner.sort_values("kommune")
    return pd.DataFrame({
        "Kommune": k["kommune"].to_numpy(),
        "Set i registrene": [vist_antal(a, u, p) for a, u, p in zip(k["observeret"], k["observeret_undertrykt"],
                                                                    k["observeret_primaer"])],
        "Anslået størrelse (95 %-KI)": [_interval(n, lo, hi) for n, lo, hi in zip(k["estimate"], k["lower"],
                                                                                  k["upper"])],
        "Pr. 1.000 voksne (95 %-KI)": [_interval(n, lo, hi, 1) for n, lo, hi in zip(k["per_1000"],
                                                                                    k["per_1000_lower"],
                                                                                    k["per_1000_upper"])],
    })


def tabel_til_download(res: Resultat) -> pd.DataFrame:
    """The kommune table for download, suppressed exactly like the screen."""
    t = tabel_kommuner(res)
    t.insert(0, "Aar", res.valg.aar)
    t["Kilde"] = res.kildelinje
    return t


# ---------------------------------------------------------------- comparison with the region and the country

#: How the estimate per 1,000 adults is compared with the country (Danish, for the method sections).
PR1000_METODE = ("Anslået målgruppe pr. 1.000 voksne sammenlignes med hele landets; intervallet er estimatets "
                 "95 %-konfidensinterval (capture–recapture for landet og regionerne, forholdsmæssig fordeling af "
                 "landsestimatet for kommunerne) "
                 "divideret med antallet af voksne.")


def publiceret_voksne(aar: int, registre: tuple[str, ...]) -> int:
    """The country's adults (18+) in ``aar``: the denominator of the published range per 1,000 adults."""
    return int(_estimates(aar, registre)["kommuner"]["voksne"].sum())


def _pr1000_text(r: Resultat) -> str:
    return fmt.MISSING if r.noegletal["pr_1000"] is None else fmt.fmt_dec(r.noegletal["pr_1000"], 1)


def sammenligninger(res: Resultat) -> dict[str, Modpart]:
    """The estimate per 1,000 adults against the whole country's, with the region's value (by test id).

    Empty for the whole country. A kommune whose observed count is hidden has no estimate: not assessed.
    """
    omr = res.valg.omraade
    if omr.er_landet:
        return {}
    land = beregn_valg(replace(res.valg, omraade=geography.omraade(geography.LAND_NAVN)))
    reg = eneste_region(omr)
    region = beregn_valg(replace(res.valg, omraade=geography.omraade(reg.navn))) if reg is not None else None
    n = res.noegletal
    vurdering = (IKKE_VURDERET if n["pr_1000"] is None else
                 vurder(n["pr_1000"], n["pr_1000_nedre"], n["pr_1000_oevre"], land.noegletal["pr_1000"]))
    grund = "" if n["pr_1000"] is not None else "antallet set i registrene vises ikke: under 5 eller skjult"
    land_tekst = _pr1000_text(land) if n["pr_1000"] is None else fmt.fmt_dec(
        land.noegletal["pr_1000"], decimaler_for_land(land.noegletal["pr_1000"], n["pr_1000_nedre"],
                                                      n["pr_1000_oevre"], 1))
    return {"noegletal-pr1000": Modpart(vurdering, land_tekst,
                                        None if region is None else _pr1000_text(region),
                                        None if reg is None else reg.navn, grund)}


def kommuner_sammenlignet(res: Resultat) -> Kommunesammenligning:
    """The small-area estimate per 1,000 adults with its 95 % interval for all 98 kommuner (hidden with the
    observed count, as published), each against the country's estimate per 1,000 adults."""
    v = res.valg
    est = _estimates(v.aar, v.registre)
    k = _kommune_table(est, geography.omraade(geography.LAND_NAVN), "land", v.aar, v.registre)
    land = est["estimater"].set_index("kode").loc[geography.LAND_KODE]
    national = float(land["n_hat"]) / float(est["kommuner"]["voksne"].sum()) * 1000
    t = kommune_ramme(k["kommune_kode"], k["observeret"], k["observeret_undertrykt"], k["observeret_primaer"],
                      k["per_1000"], k["per_1000_lower"], k["per_1000_upper"], national)
    return Kommunesammenligning(f"Anslået målgruppe pr. 1.000 voksne, {v.aar}", "Set i registrene", 1, national,
                                "Hele landet", t, (res.kilde, BEFOLKNING_KILDE, METODE_KILDE), res.syntetisk,
                                PR1000_METODE)


TEMA = Tema(
    navn="maalgruppe",
    titel=TITEL,
    spoergsmaal="Hvor mange borgere har psykiske vanskeligheder og komplekse støttebehov?",
    datasaet=DATASETS,
    parametre=PARAMETRE,
    beregn=beregn,
    beregn_valg=beregn_valg,
    valider=valider,
    tabel_til_download=tabel_til_download,
    litteratur=LITTERATUR,
)
