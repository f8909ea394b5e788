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
    (:func:`vidensdata.datasets.derive.serviceloven_liste`). It is derived from the
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

SOURCE_OMFANG = ("Social- og Boligstyrelsen: Borgere med psykiske vanskeligheder og komplekse støttebehov, "
                 "afsnittet Omfang (social.dk)")
#: Published range of the target group's size (lower, upper, source).
PUBLICERET_OMFANG = (32_000, 40_000, SOURCE_OMFANG)

REGISTRE = ("serviceloven", "psykiatri", "misbrug")
KONTAKT_REGISTRE = ("psykiatri", "misbrug")

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
    :func:`~vidensdata.datasets.derive.serviceloven_liste` for these tables) saves
    recomputing it.
    """
    from ..datasets.derive import serviceloven_liste
    from .snapshots import read_snapshot

    cp: CaptureParams = p.maalgruppe
    rng = np.random.default_rng([p.seed, 4])  # a stream of its own: the episodes are unchanged
    first, last = p.first_year, p.last_year
    years = np.arange(first, last + 1)
    kom = read_snapshot("kommuner_folk1a_2020k1.csv", dtype={"kommune_kode": str}).sort_values("kommune_kode")
    population = kom.set_index("kommune_kode")["indbyggere"]
    codes = population.index.to_numpy()

    ext = SimpleNamespace(personer=personer, forloeb=forloeb)
    svc = (serviceloven_liste(ext, first, last) if serviceliste is None else serviceliste).copy()
    svc["kommune_kode"] = svc["person_id"].map(personer.set_index("person_id")["kommune_kode"]).to_numpy()
    s = svc.groupby(["kommune_kode", "aar"]).size().unstack("aar").reindex(index=codes, columns=years, fill_value=0)
    s = s.fillna(0).astype(int)
    n_k = true_sizes(cp, s.max(axis=1), population, rng)
    u = n_k.to_numpy()[:, None] - s.to_numpy()  # pool members in the group, per kommune and year

    names = list(cp.strata)
    st = np.array([cp.strata[k] for k in names], dtype=float)
    share_on, share_off = st[:, 0] / st[:, 0].sum(), st[:, 1] / st[:, 1].sum()
    lp_psyk, lp_mis = _logit(st[:, 2]), _logit(st[:, 3])
    b_sp, b_pm = np.log(cp.or_serviceloven_psykiatri), np.log(cp.or_psykiatri_misbrug)

    # persons on the services list: one stratum each, for all their years
    svc_people = np.sort(svc["person_id"].unique())
    svc_stratum = pd.Series(rng.choice(len(names), size=len(svc_people), p=share_on), index=svc_people)
    # the pool: kommune, rank, stratum, age and death; in the group in year y are the first
    # N_k - S_ky of the kommune's pool persons alive in y (in rank order)
    pool_kom, pool_born, pool_male, pool_death, in_group = _pool(p, u, first, years, rng)
    pool_stratum = rng.choice(len(names), size=len(pool_kom), p=share_off)

    # contacts of the persons on the services list (years on the list only)
    sv_st = svc_stratum.loc[svc["person_id"]].to_numpy()
    sv_psyk = rng.random(len(svc)) < _expit(lp_psyk[sv_st] + b_sp)
    sv_mis = rng.random(len(svc)) < _expit(lp_mis[sv_st] + b_pm * sv_psyk)
    # contacts of the pool (years in the group only)
    pi, yi = np.nonzero(in_group)
    pl_st = pool_stratum[pi]
    pl_psyk = rng.random(len(pi)) < _expit(lp_psyk[pl_st])
    pl_mis = rng.random(len(pi)) < _expit(lp_mis[pl_st] + b_pm * pl_psyk)

    # the truth: every history, "000" included, per kommune and year
    kom_index = {c: i for i, c in enumerate(codes)}
    hist_sv = 4 + 2 * sv_psyk + sv_mis
    hist_pl = 2 * pl_psyk + pl_mis
    k_all = np.concatenate([svc["kommune_kode"].map(kom_index).to_numpy(), pool_kom[pi]])
    y_all = np.concatenate([svc["aar"].to_numpy() - first, yi])
    h_all = np.concatenate([hist_sv, hist_pl])
    cube = np.zeros((len(codes), len(years), 8), dtype=np.int64)
    np.add.at(cube, (k_all, y_all, h_all), 1)
    kk, yy, hh = np.meshgrid(np.arange(len(codes)), np.arange(len(years)), np.arange(8), indexing="ij")
    sandhed = pd.DataFrame({
        "kommune_kode": codes[kk.ravel()],
        "aar": years[yy.ravel()],
        "historie": [f"{h:03b}" for h in hh.ravel()],
        "antal": cube.ravel(),
    })
    sizes = sandhed.groupby(["kommune_kode", "aar"])["antal"].sum().unstack().to_numpy()
    assert (sizes == n_k.to_numpy()[:, None]).all(), "the planted group must have exactly N_k persons every year"

    # pool persons seen by a register become persons of the extract
    seen_py = pl_psyk | pl_mis
    seen_person = np.zeros(len(pool_kom), dtype=bool)
    seen_person[pi[seen_py]] = True
    new_index = np.full(len(pool_kom), -1)
    new_index[seen_person] = np.arange(int(seen_person.sum()))
    n_new = int(seen_person.sum())
    ids = np.array([f"M{i:07d}" for i in range(n_new)], dtype=object)
    entry_year = first + np.argmax(in_group[seen_person], axis=1)
    day = rng.integers(0, 365, size=n_new)
    entry = (entry_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day.astype("timedelta64[D]")
    death = pool_death[seen_person]
    entry = np.where(np.isnat(death) | (entry <= death), entry, death)  # dies in the entry year: enters first
    new_people = pd.DataFrame({
        "person_id": ids,
        "koen": np.where(pool_male[seen_person], "M", "K"),
        "foedselsaar": pool_born[seen_person],
        "kommune_kode": codes[pool_kom[seen_person]],
        "indgang_dato": entry.astype("datetime64[ns]"),
        "doedsdato": death.astype("datetime64[ns]"),
    })
    for col in personer.columns:  # columns other modules add to personer (e.g. emigration): empty
        if col not in new_people.columns:
            new_people[col] = pd.Series([None] * n_new, dtype=personer[col].dtype)
    personer_all = pd.concat([personer, new_people[list(personer.columns)]], ignore_index=True)

    # the registerkontakter table
    parts = []
    for reg, sv_flag, pl_flag in (("psykiatri", sv_psyk, pl_psyk), ("misbrug", sv_mis, pl_mis)):
        parts.append(pd.DataFrame({"person_id": svc["person_id"].to_numpy()[sv_flag], "register": reg,
                                   "aar": svc["aar"].to_numpy()[sv_flag]}))
        parts.append(pd.DataFrame({"person_id": ids[new_index[pi[pl_flag]]], "register": reg,
                                   "aar": years[yi[pl_flag]]}))
    kontakter = pd.concat(parts, ignore_index=True)
    kontakter["aar"] = kontakter["aar"].astype("int64")
    kontakter = kontakter.sort_values(["person_id", "register", "aar"], kind="mergesort").reset_index(drop=True)
    return personer_all, kontakter, sandhed


def _pool(p, u: np.ndarray, first: int, years: np.ndarray, rng):
    """Pool persons per kommune (row of ``u``) with sex, birth year and death (:mod:`.synthetic_mortality`).

    Returns ``(kommune, foedselsaar, male, death date, in_group[person, year])``: in
    year ``y`` the first ``u[k, y]`` pool persons of kommune ``k`` alive in ``y``
    are in the group. The pool grows until every year has enough living persons.
    """
    from . import synthetic_mortality
    from .synthetic import MAX_AGE

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
    return kom, born, male, death, in_group


def true_totals(sandhed: pd.DataFrame, kommune_koder=None) -> pd.Series:
    """The planted true size per year for some kommuner (default all), from the recorded truth."""
    d = sandhed if kommune_koder is None else sandhed[sandhed["kommune_kode"].isin(list(kommune_koder))]
    return d.groupby("aar")["antal"].sum()
