"""A planted target group and three capture registers for the synthetic extract (SYNTHETIC DATA).

The size of the target group "borgere med psykiske vanskeligheder og komplekse
støttebehov" is not counted anywhere. Published estimates say about 32,000-40,000
citizens. Source: Social- og Boligstyrelsen, social.dk, theme "Borgere med
psykiske vanskeligheder og komplekse støttebehov" (section "Omfang"), see
``/work/shared/domain/README.md`` (file 000). The synthetic extract plants a true
group inside that range and three registers that each see part of it, so that
capture-recapture methods can be shown and tested against a known truth.

The three registers (one digit each in a capture history, in this order)
------------------------------------------------------------------------
``serviceloven``
    Persons with complex support needs under serviceloven in the year: a botilbud
    (§ 107/§ 108) or at least two different services
    (:func:`vidensdata.sources.episodes.serviceloven_liste`). It is derived from the
    existing service episodes, which are not changed. Everybody on this list is
    in the target group that year.
``psykiatri``
    A psychiatric treatment contact in the year (table ``registerkontakter``).
``misbrug``
    Treatment for substance abuse in the year (table ``registerkontakter``).

How the truth is planted (per kommune and year; closed population within a year)
---------------------------------------------------------------------------------
* The true size ``N_k`` of kommune ``k`` is the same every year. With a national
  size (default 36,000, the middle of the published 32,000-40,000) ``N_k`` is the
  kommune's largest yearly ``serviceloven`` list plus a share of the rest in
  proportion to its population (FOLK1A 2020K1) times a log-normal kommune effect
  (ASSUMPTION); a dict gives ``N_k`` per kommune directly.
* The target group in year ``y`` is the ``serviceloven`` list ``S_ky`` plus
  ``N_k - S_ky`` persons from a fixed, ordered pool of the kommune (the first
  ones), who receive no such services.
* Every person has a latent stratum that never changes (ASSUMPTION): mainly
  psychiatric, dual diagnosis (psychiatric and substance abuse) or few contacts.
  The strata have different shares on and off the services list and different
  probabilities of a psychiatric and a substance-abuse contact: this is the
  *heterogeneity* of capture probabilities.
* *Dependence between lists* (ASSUMPTION): being on the services list raises the
  odds of a psychiatric contact (odds ratio ``or_serviceloven_psykiatri``), and a
  psychiatric contact changes the odds of a substance-abuse contact in the same
  year (``or_psykiatri_misbrug``).
* Persons of the pool seen by at least one register are added to ``personer``
  (ids ``M0000000``...); those never seen are not in the extract, but they are
  counted in the recorded truth (history ``000``).

The recorded truth is the table ``maalgruppe_sandhed`` (``kommune_kode``, ``aar``,
``historie`` including ``"000"``, ``antal``), stored with the extract; the planted
parameters are part of :class:`~vidensdata.sources.synthetic.SyntheticParams`.
Pool persons die with the planted mortality of :mod:`.synthetic_mortality` (followed
from the first year); the dead leave the group and the next pool persons take their
place, so ``N_k`` stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..errors import InvalidValueError
from ..vocabulary import KONTAKT_REGISTRE, PUBLICERET_OMFANG
from . import synthetic_mortality
from .episodes import serviceloven_liste
from ..snapshots import read_snapshot
from .synthetic_mortality import MAX_AGE

SOURCE_OMFANG = PUBLICERET_OMFANG[2]

#: Parameters with no published figure behind them.
ASSUMPTIONS = (
    "national true size 36,000 (a value inside the published 32,000-40,000), constant over the years",
    "the services list (botilbud or at least two services) is the serviceloven register of the target group",
    "the rest of N_k is shared by population times a log-normal kommune effect (sd 0.25)",
    "latent strata, their shares on and off the services list and their contact probabilities",
    "odds ratios between the lists (services -> psychiatry 1.5, psychiatry -> substance abuse 0.7)",
    "pool persons die like the rest of the extract (synthetic_mortality, followed from the first year)",
)


@dataclass(frozen=True)
class CaptureParams:
    """Planted parameters of the target group and its capture registers (see the module docstring)."""

    # planted true size: national total (int) or {kommune_kode: size}
    maalgruppe_stoerrelse: int | dict = 36_000
    # ASSUMPTION: strata: name -> (share on the services list, share off it, P(psykiatri), P(misbrug))
    strata: dict = field(default_factory=lambda: {
        "psykisk": (0.55, 0.45, 0.60, 0.06),
        "dobbeltdiagnose": (0.30, 0.30, 0.50, 0.45),
        "faa_kontakter": (0.15, 0.20, 0.20, 0.10),
    })
    or_serviceloven_psykiatri: float = 1.5  # ASSUMPTION
    or_psykiatri_misbrug: float = 0.7  # ASSUMPTION
    kommune_sd: float = 0.25  # ASSUMPTION: sd of the log kommune effect of the pool


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers proportional to ``weights`` that add up to ``total`` (largest remainder)."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    if rest > 0:
        out[np.argsort(-(raw - out), kind="mergesort")[:rest]] += 1
    return out


def true_sizes(cp: CaptureParams, s_max: pd.Series, population: pd.Series, rng) -> pd.Series:
    """Planted true size per kommune (index: kommune_kode), never below the largest services list."""
    codes = population.index
    s_max = s_max.reindex(codes, fill_value=0)
    if isinstance(cp.maalgruppe_stoerrelse, dict):
        given = pd.Series({str(k).zfill(3): int(v) for k, v in cp.maalgruppe_stoerrelse.items()})
        unknown = sorted(set(given.index) - set(codes))
        if unknown:
            raise InvalidValueError(f"maalgruppe_stoerrelse: unknown kommune codes {unknown[:5]}",
                                    dansk=f"Ukendte kommunekoder: {', '.join(unknown[:5])}.")
        n = given.reindex(codes, fill_value=0)
        short = n[n < s_max]
        if len(short):
            k = short.index[0]
            raise InvalidValueError(
                f"maalgruppe_stoerrelse for kommune {k} is {int(n[k])}, below its services list ({int(s_max[k])} "
                f"persons in one year); every kommune needs at least its largest yearly list",
                dansk=f"Målgruppens størrelse i kommune {k} er mindre end antallet på servicelovslisten.",
            )
        return n.astype(int)
    total = int(cp.maalgruppe_stoerrelse)
    rest = total - int(s_max.sum())
    if rest < 0:
        raise InvalidValueError(
            f"maalgruppe_stoerrelse {total} is below the {int(s_max.sum())} persons on the services lists",
            dansk=f"Målgruppens størrelse ({total}) er mindre end antallet på servicelovslisterne.",
        )
    effect = np.exp(rng.normal(0.0, cp.kommune_sd, size=len(codes)) - cp.kommune_sd**2 / 2)
    pool = _allocate(rest, population.to_numpy(float) * effect)
    return pd.Series(s_max.to_numpy() + pool, index=codes).astype(int)


def extend(p, personer: pd.DataFrame, forloeb: pd.DataFrame, serviceliste: pd.DataFrame | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Plant the target group: returns ``(personer, registerkontakter, maalgruppe_sandhed)``.

    ``p`` is the :class:`~vidensdata.sources.synthetic.SyntheticParams` (its
    ``maalgruppe`` field holds the :class:`CaptureParams`). ``personer`` comes back
    with the pool persons seen by a register appended; the service episodes are
    not touched. ``serviceliste`` (the result of
    :func:`~vidensdata.sources.episodes.serviceloven_liste` for these tables) saves
    recomputing it.

    The steps, in the order they draw from the random stream: the true sizes
    (:func:`true_sizes`), a stratum for everybody on the services list, the pool
    (:func:`_pool`) and its strata, the contacts (:func:`_draw_contacts`), the
    recorded truth (:func:`_truth`), the pool persons who enter the extract
    (:func:`_seen_pool_persons`) and the table ``registerkontakter`` (:func:`_contacts_table`).
    """
    cp: CaptureParams = p.maalgruppe
    rng = np.random.default_rng([p.seed, 4])  # a stream of its own: the episodes are unchanged
    first, last = p.first_year, p.last_year
    years = np.arange(first, last + 1)
    population = _population()
    codes = population.index.to_numpy()

    svc = _services_list(personer, forloeb, first, last, serviceliste)
    s = _list_sizes(svc, codes, years)
    n_k = true_sizes(cp, s.max(axis=1), population, rng)
    u = n_k.to_numpy()[:, None] - s.to_numpy()  # pool members in the group, per kommune and year

    strata = _Strata.of(cp)
    # persons on the services list: one stratum each, for all their years
    svc_people = np.sort(svc["person_id"].unique())
    svc_stratum = pd.Series(rng.choice(len(strata.names), size=len(svc_people), p=strata.share_on),
                            index=svc_people)
    # the pool: kommune, rank, stratum, age and death; in the group in year y are the first
    # N_k - S_ky of the kommune's pool persons alive in y (in rank order)
    pool = _pool(p, u, first, years, rng)
    pool_stratum = rng.choice(len(strata.names), size=len(pool.kom), p=strata.share_off)

    # contacts of the persons on the services list (years on the list only)
    sv_psyk, sv_mis = _draw_contacts(strata, svc_stratum.loc[svc["person_id"]].to_numpy(), True, rng)
    # contacts of the pool (years in the group only)
    pi, yi = np.nonzero(pool.in_group)
    pl_psyk, pl_mis = _draw_contacts(strata, pool_stratum[pi], False, rng)

    on_list = (svc["kommune_kode"].map({c: i for i, c in enumerate(codes)}).to_numpy(),
               svc["aar"].to_numpy() - first, 4 + 2 * sv_psyk + sv_mis)
    in_pool = (pool.kom[pi], yi, 2 * pl_psyk + pl_mis)
    sandhed = _truth(codes, years, on_list, in_pool)
    sizes = sandhed.groupby(["kommune_kode", "aar"])["antal"].sum().unstack().to_numpy()
    assert (sizes == n_k.to_numpy()[:, None]).all(), "the planted group must have exactly N_k persons every year"

    seen_person = np.zeros(len(pool.kom), dtype=bool)
    seen_person[pi[pl_psyk | pl_mis]] = True
    first_seen = np.full(len(pool.kom), len(years))  # index of the first year with a contact
    np.minimum.at(first_seen, pi[pl_psyk | pl_mis], yi[pl_psyk | pl_mis])
    personer_all, ids = _seen_pool_persons(personer, pool, seen_person, codes, first + first_seen[seen_person])
    pool_ids = np.full(len(pool.kom), None, dtype=object)  # person_id of the pool persons who are seen
    pool_ids[seen_person] = ids
    kontakter = _contacts_table(
        (svc["person_id"].to_numpy(), svc["aar"].to_numpy(), sv_psyk, sv_mis),
        (pool_ids[pi], years[yi], pl_psyk, pl_mis),
    )
    return personer_all, kontakter, sandhed


def _population() -> pd.Series:
    """Population per kommune (FOLK1A 2020K1; index: kommune_kode, sorted)."""
    kom = read_snapshot("kommuner_folk1a_2020k1.csv", dtype={"kommune_kode": str}).sort_values("kommune_kode")
    return kom.set_index("kommune_kode")["indbyggere"]


def _services_list(personer: pd.DataFrame, forloeb: pd.DataFrame, first: int, last: int,
                   serviceliste: pd.DataFrame | None) -> pd.DataFrame:
    """The serviceloven list (``person_id``, ``aar``) with each person's ``kommune_kode`` of residence."""
    ext = SimpleNamespace(personer=personer, forloeb=forloeb)
    svc = (serviceloven_liste(ext, first, last) if serviceliste is None else serviceliste).copy()
    svc["kommune_kode"] = svc["person_id"].map(personer.set_index("person_id")["kommune_kode"]).to_numpy()
    return svc


def _list_sizes(svc: pd.DataFrame, codes: np.ndarray, years: np.ndarray) -> pd.DataFrame:
    """Persons on the services list per kommune (rows, ``codes``) and year (columns, ``years``)."""
    s = svc.groupby(["kommune_kode", "aar"]).size().unstack("aar").reindex(index=codes, columns=years, fill_value=0)
    return s.fillna(0).astype(int)


@dataclass(frozen=True)
class _Strata:
    """The latent strata as arrays: shares on and off the services list, log-odds of contacts, odds ratios."""

    names: list
    share_on: np.ndarray
    share_off: np.ndarray
    lp_psyk: np.ndarray
    lp_mis: np.ndarray
    b_sp: float  # log odds ratio: on the services list -> psychiatric contact
    b_pm: float  # log odds ratio: psychiatric contact -> substance-abuse contact

    @classmethod
    def of(cls, cp: CaptureParams) -> _Strata:
        names = list(cp.strata)
        st = np.array([cp.strata[k] for k in names], dtype=float)
        return cls(names, st[:, 0] / st[:, 0].sum(), st[:, 1] / st[:, 1].sum(), _logit(st[:, 2]), _logit(st[:, 3]),
                   np.log(cp.or_serviceloven_psykiatri), np.log(cp.or_psykiatri_misbrug))


def _draw_contacts(strata: _Strata, stratum: np.ndarray, on_list: bool, rng) -> tuple[np.ndarray, np.ndarray]:
    """Psychiatric and substance-abuse contacts (booleans) of person-years in the given strata."""
    lp = strata.lp_psyk[stratum] + strata.b_sp if on_list else strata.lp_psyk[stratum]
    psyk = rng.random(len(stratum)) < _expit(lp)
    mis = rng.random(len(stratum)) < _expit(strata.lp_mis[stratum] + strata.b_pm * psyk)
    return psyk, mis


def _truth(codes: np.ndarray, years: np.ndarray, *groups: tuple) -> pd.DataFrame:
    """The recorded truth: persons per kommune, year and history (``"000"`` included), zeros included.

    Each group is ``(kommune index, year index, history as an int)`` of its person-years.
    """
    k_all, y_all, h_all = (np.concatenate(parts) for parts in zip(*groups))
    cube = np.zeros((len(codes), len(years), 8), dtype=np.int64)
    np.add.at(cube, (k_all, y_all, h_all), 1)
    kk, yy, hh = np.meshgrid(np.arange(len(codes)), np.arange(len(years)), np.arange(8), indexing="ij")
    return pd.DataFrame({
        "kommune_kode": codes[kk.ravel()],
        "aar": years[yy.ravel()],
        "historie": [f"{h:03b}" for h in hh.ravel()],
        "antal": cube.ravel(),
    })


def _seen_pool_persons(personer: pd.DataFrame, pool: _Pool, seen_person: np.ndarray, codes: np.ndarray,
                       entry_year: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """``personer`` with the pool persons seen by a register appended (ids ``M0000000``...), and those ids.

    A pool person enters the extract on 1 January of the first year a register sees them (``entry_year``), not
    the first year they are in the group: counting the years before they were seen would count time they were
    bound to survive (immortal time), and the deaths of the synthetic extract would fall short of the planted
    rates (:func:`.synthetic_mortality.planted_expected_deaths`). Being in the group in a year requires being
    alive on its first day, so nobody dies before entering.
    """
    n_new = int(seen_person.sum())
    ids = np.array([f"M{i:07d}" for i in range(n_new)], dtype=object)
    entry = (np.asarray(entry_year) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    death = pool.death[seen_person]
    entry = np.where(np.isnat(death) | (entry <= death), entry, death)  # never after death
    new_people = pd.DataFrame({
        "person_id": ids,
        "koen": np.where(pool.male[seen_person], "M", "K"),
        "foedselsaar": pool.born[seen_person],
        "kommune_kode": codes[pool.kom[seen_person]],
        "indgang_dato": entry.astype("datetime64[ns]"),
        "doedsdato": death.astype("datetime64[ns]"),
    })
    for col in personer.columns:  # columns other modules add to personer (e.g. emigration): empty
        if col not in new_people.columns:
            new_people[col] = pd.Series([None] * n_new, dtype=personer[col].dtype)
    return pd.concat([personer, new_people[list(personer.columns)]], ignore_index=True), ids


def _contacts_table(*groups: tuple) -> pd.DataFrame:
    """The table ``registerkontakter`` from groups of ``(person_id, aar, psykiatri, misbrug)`` per person-year."""
    parts = []
    for i, reg in enumerate(KONTAKT_REGISTRE):
        for person_id, aar, *flags in groups:
            parts.append(pd.DataFrame({"person_id": person_id[flags[i]], "register": reg, "aar": aar[flags[i]]}))
    kontakter = pd.concat(parts, ignore_index=True)
    kontakter["aar"] = kontakter["aar"].astype("int64")
    return kontakter.sort_values(["person_id", "register", "aar"], kind="mergesort").reset_index(drop=True)


@dataclass(frozen=True)
class _Pool:
    """Pool persons (see :func:`_pool`): kommune index, birth year, male, death date, in the group per year."""

    kom: np.ndarray
    born: np.ndarray
    male: np.ndarray
    death: np.ndarray
    in_group: np.ndarray


def _pool(p, u: np.ndarray, first: int, years: np.ndarray, rng) -> _Pool:
    """Pool persons per kommune (row of ``u``) with sex, birth year and death (:mod:`.synthetic_mortality`).

    Returns a :class:`_Pool` (kommune, foedselsaar, male, death date, in_group[person, year]): in
    year ``y`` the first ``u[k, y]`` pool persons of kommune ``k`` alive in ``y``
    are in the group. The pool grows until every year has enough living persons.
    """
    bands = np.array([b[:2] for b in p.entry_age])
    w = np.array([b[2] for b in p.entry_age], dtype=float)
    need = u.max(axis=1)
    size = np.ceil(need * 1.15).astype(int) + 3
    start = np.full(1, np.datetime64(f"{first}-01-01"), dtype="datetime64[D]")
    kom = np.empty(0, dtype=int)
    born = np.empty(0, dtype=int)
    male = np.empty(0, dtype=bool)
    death = np.empty(0, dtype="datetime64[D]")
    have = np.zeros(len(u), dtype=int)
    while True:
        add = size - have
        n = int(add.sum())
        if n:
            band = rng.choice(len(bands), size=n, p=w / w.sum())
            age = rng.integers(bands[band, 0], bands[band, 1])
            b = np.maximum(first - age, first - MAX_AGE)
            m = rng.random(n) < p.male_share
            mrr = getattr(p, "mrr", None)
            if mrr is not None:
                d = synthetic_mortality.simulate_deaths(np.repeat(start, n), b, m, int(years[-1]), mrr,
                                                        p.mrr_ages, rng)
            else:
                d = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            new_kom = np.repeat(np.arange(len(u)), add)
            kom, born = np.concatenate([kom, new_kom]), np.concatenate([born, b])
            male, death = np.concatenate([male, m]), np.concatenate([death, d])
            order = np.argsort(kom, kind="stable")  # kommune by kommune, older ranks first
            kom, born, male, death = kom[order], born[order], male[order], death[order]
            have = size.copy()
        death_year = np.where(np.isnat(death), 10_000, death.astype("datetime64[Y]").astype(int) + 1970)
        alive = death_year[:, None] >= years[None, :]
        starts = np.cumsum(have) - have
        cum = np.cumsum(alive, axis=0)
        before = np.where(starts[kom][:, None] > 0, cum[np.maximum(starts[kom] - 1, 0)], 0)
        rank_alive = cum - before  # 1-based rank among the living of the kommune, per year
        enough = np.array([(alive[kom == k].sum(axis=0) >= u[k]).all() for k in range(len(u))])
        if enough.all():
            break
        size = np.where(enough, size, np.ceil(size * 1.2).astype(int) + 3)
    in_group = alive & (rank_alive <= u[kom])
    return _Pool(kom, born, male, death, in_group)


def true_totals(sandhed: pd.DataFrame, kommune_koder=None) -> pd.Series:
    """The planted true size per year for some kommuner (default all), from the recorded truth."""
    d = sandhed if kommune_koder is None else sandhed[sandhed["kommune_kode"].isin(list(kommune_koder))]
    return d.groupby("aar")["antal"].sum()
