"""Generator of a synthetic, register-like extract (SYNTHETIC DATA, for demos and tests).

Real person-level data on this target group is confidential. This module makes
an extract with exactly the schema of the real-extract contract
(``docs/registerudtraek.md``): a persons table and a service-episodes table. It is
deterministic for a seed, and every planted parameter is an argument of
:class:`SyntheticParams`, recorded with the data.

Calibration targets (published national figures) and their sources
------------------------------------------------------------------
* 2016: about 31,000 adults received services under serviceloven because of
  psychiatric difficulties; about 21,500 of them socialpædagogisk bistand (§ 85)
  and about 6,000 a botilbud (§ 107/§ 108).
  Source: KL (2018), cited by Social- og Boligstyrelsen, "Socialpsykiatrien i dag"
  (social.dk, 1 May 2021).
* 2014-2017: "up to" (op mod) +17 % citizens receiving services in social psychiatry; by service
  § 85 +24 %, § 107 +5 %, § 103 +20 %, § 108 −13 %.
  Source: KL (April 2018), "Socialpsykiatrien i dag" (as above).

Everything else is an ASSUMPTION, marked as such in :data:`ASSUMPTIONS` and in
the recorded parameters: the split of the 6,000 botilbud residents between § 107
and § 108, the levels of § 103, § 104 and § 99, growth after 2017, episode
durations, sex and age distributions, and the variation between kommuner.

How it works
------------
For every service the yearly number of recipients (persons with an episode
overlapping the year) is planted exactly: each year a fixed share
``1 - 1/duration`` of last year's episodes continues (chosen at random), and the
rest of the year's target is made of new episodes. New episodes of § 107 and
§ 108 partly go to persons leaving another service (transitions); episodes of
the day services (§ 103, § 104, § 99) partly go to persons who already receive
§ 85 or a botilbud. That last share is calibrated so that persons receiving at
least one service in 2016 match the published 31,000. Persons live in kommuner
in proportion to their population (FOLK1A 2020K1) times a log-normal kommune
effect, so small kommuner such as Læsø stay small.

Deaths (:mod:`.synthetic_mortality`): every person is followed from entry (or
2010-01-01) to death; the hazard is the real national death rate by year, sex
and age times planted mortality rate ratios (``mrr``, by sex and age), calibrated
to the excess life-years lost of Erlangsen et al. (Lancet Psychiatry 2017). The
dead are replaced by new persons, so the planted yearly recipients stay exact.

Target group and capture registers (:mod:`.synthetic_capture`, applied by
``register.load_extract`` after :func:`generate`): a planted true target group
(``maalgruppe``, default 36,000, inside the published 32,000-40,000) that three
registers see in part (the services list from the episodes, psychiatric and
substance-abuse treatment in the table ``registerkontakter``); the episodes are
not changed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..storage import code_fingerprint, fingerprint
from ..vocabulary import YDELSER
from . import episodes, synthetic_capture, synthetic_mortality
from .synthetic_capture import CaptureParams
from .synthetic_mortality import MAX_AGE

PRIMARY = ("§85", "§107", "§108")
SECONDARY = ("§103", "§104", "§99")


SOURCE_KL_2018 = (
    "KL (2018), citeret i Social- og Boligstyrelsen: Socialpsykiatrien i dag (social.dk, 1. maj 2021)"
)

#: Published figures the generator is calibrated to: (what, value, source).
CALIBRATION = {
    "modtagere_i_alt_2016": (31_000, SOURCE_KL_2018),
    "modtagere_sel85_2016": (21_500, SOURCE_KL_2018),
    "modtagere_botilbud_2016": (6_000, SOURCE_KL_2018),
    "vaekst_i_alt_2014_2017_pct": (17.0, SOURCE_KL_2018),
    "vaekst_sel85_2014_2017_pct": (24.0, SOURCE_KL_2018),
    "vaekst_sel107_2014_2017_pct": (5.0, SOURCE_KL_2018),
    "vaekst_sel103_2014_2017_pct": (20.0, SOURCE_KL_2018),
    "vaekst_sel108_2014_2017_pct": (-13.0, SOURCE_KL_2018),
}

#: Parameters with no published figure behind them.
ASSUMPTIONS = (
    "botilbud_2016 split: § 107 2,400 and § 108 3,600 (sum = published 6,000)",
    "§ 103, § 104 and § 99 recipients in 2016 (3,000, 7,000, 3,000)",
    "§ 104 and § 99 growth 2014-2017 (+15 % and +15 %)",
    "a 10-year burn-in before 2014 at the 2014 level (gives the first year a history)",
    "annual growth after 2017 for every service",
    "mean episode durations, transition shares",
    "sex and age distribution at entry",
    "log-normal variation between kommuner (sd 0.25)",
)


@dataclass(frozen=True)
class SyntheticParams:
    """Planted parameters of the synthetic extract (all documented in the module docstring)."""

    seed: int = 2024
    first_year: int = 2014
    last_year: int = 2024
    # recipients in 2016 by service: §85 published; botilbud split and day services assumed
    recipients_2016: dict = field(
        default_factory=lambda: {"§85": 21_500, "§107": 2_400, "§108": 3_600, "§103": 3_000, "§104": 7_000,
                                 "§99": 3_000}
    )
    # growth 2014-2017 in percent: §85, §107, §103, §108 published (KL 2018); §104, §99 assumed
    growth_2014_2017: dict = field(
        default_factory=lambda: {"§85": 24.0, "§107": 5.0, "§108": -13.0, "§103": 20.0, "§104": 15.0, "§99": 15.0}
    )
    # ASSUMPTION: annual growth in percent after 2017 (no published figure)
    growth_after_2017: dict = field(
        default_factory=lambda: {"§85": 4.0, "§107": 1.0, "§108": -2.0, "§103": 2.0, "§104": 2.0, "§99": 2.0}
    )
    # ASSUMPTION: mean episode duration in years
    mean_duration: dict = field(
        default_factory=lambda: {"§85": 2.5, "§107": 1.5, "§108": 7.0, "§103": 3.0, "§104": 2.0, "§99": 1.5}
    )
    # ASSUMPTION: share of new episodes going to persons leaving another service (from, share)
    transitions: dict = field(default_factory=lambda: {"§107": ("§85", 0.20), "§108": ("§107", 0.40)})
    # calibration target: persons with at least one service in 2016 (published)
    any_service_2016: int = 31_000
    male_share: float = 0.55  # ASSUMPTION
    # ASSUMPTION: age at entry, (lower, upper, weight)
    entry_age: tuple = ((18, 30, 0.27), (30, 40, 0.21), (40, 50, 0.20), (50, 60, 0.17), (60, 70, 0.10), (70, 85, 0.05))
    kommune_sd: float = 0.25  # ASSUMPTION: sd of the log kommune effect
    burn_in_years: int = 10  # ASSUMPTION: years simulated before first_year at its level (not in the extract)
    # mortality rate ratio against the national rates, by sex, at the ages in mrr_ages (log-linear between,
    # constant outside; 1 under 18). Level calibrated so that the planted, year-matched excess life-years lost
    # are those of Erlangsen et al. 2017 (10.2 years men, 7.3 women); age pattern an ASSUMPTION. See
    # synthetic_mortality (CALIBRATION, planted_expected_deaths).
    mrr: dict = field(default_factory=lambda: {"M": (5.97, 4.45, 2.79, 1.64), "K": (5.35, 4.24, 2.52, 1.53)})
    mrr_ages: tuple = (18, 40, 60, 80)
    # planted target group and its three capture registers (synthetic_capture; used by register.load_extract)
    maalgruppe: CaptureParams = field(default_factory=CaptureParams)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self), ensure_ascii=False))

    def fingerprint(self) -> str:
        """The extract's fingerprint: these parameters and the code of the generator (every module that plants
        something), so a changed generator never reuses an extract cached by the old one."""
        return fingerprint(self.to_dict(), generator_code())


def generator_code() -> str:
    """Hash of the generator's source files (this module, deaths, the target group and its registers)."""
    import sys

    return code_fingerprint(sys.modules[__name__], synthetic_mortality, synthetic_capture, episodes)


def target_recipients(p: SyntheticParams) -> pd.DataFrame:
    """Planted yearly recipients by service (rows: years, columns: services)."""
    years = np.arange(p.first_year, p.last_year + 1)
    out = {}
    for s in YDELSER:
        g1 = (1 + p.growth_2014_2017[s] / 100) ** (1 / 3) - 1
        g2 = p.growth_after_2017[s] / 100
        level_2016 = p.recipients_2016[s]
        vals = []
        for y in years:
            if y <= 2017:
                vals.append(level_2016 * (1 + g1) ** (y - 2016))
            else:
                vals.append(level_2016 * (1 + g1) ** (2017 - 2016) * (1 + g2) ** (y - 2017))
        out[s] = np.rint(vals).astype(int)
    return pd.DataFrame(out, index=pd.Index(years, name="aar"))


@dataclass
class _Episodes:
    """Growing column arrays of episodes (one service at a time)."""

    person: list = field(default_factory=list)
    service: list = field(default_factory=list)
    start_year: list = field(default_factory=list)
    end_year: list = field(default_factory=list)  # last year active; last_year+1 means ongoing


def generate(params: SyntheticParams | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate ``(personer, ydelsesforloeb)`` for the given parameters (deterministic)."""
    p = params or SyntheticParams()
    rng = np.random.default_rng(p.seed)
    targets = _with_burn_in(target_recipients(p), p.burn_in_years)
    years = targets.index.to_numpy()

    next_id = 0

    def new_persons(n: int) -> np.ndarray:
        nonlocal next_id
        ids = np.arange(next_id, next_id + n)
        next_id += n
        return ids

    # episodes of § 85 and the botilbud, year by year
    episodes: dict[str, dict[str, np.ndarray]] = {}
    for s in PRIMARY:
        episodes[s] = _simulate_service(s, p, targets[s], years, rng, new_persons, episodes)
    # day services: partly given to persons already receiving a primary service
    episodes, n_persons, _share = _calibrate_secondary(p, targets, years, episodes, int(rng.integers(2**32)), next_id)
    # keep what overlaps the observation window; persons seen only in the burn-in drop out
    for s, e in episodes.items():
        keep = e["end_year"] >= p.first_year
        episodes[s] = {k: v[keep] for k, v in e.items()}
    seen = np.zeros(n_persons, dtype=bool)
    for e in episodes.values():
        seen[e["person"]] = True
    new_index = np.cumsum(seen) - 1
    for e in episodes.values():
        e["person"] = new_index[e["person"]]
    personer = _person_table(p, int(seen.sum()), episodes, rng)
    # deaths; the dead are replaced by new persons, so the planted yearly recipients stay exact
    personer, episodes = synthetic_mortality.apply_mortality(
        p, personer, episodes, rng, lambda first_start, kommune, first_index: _person_rows(
            p, first_start, kommune, rng, first_index))
    forloeb = _episode_table(p, episodes, personer, rng)
    forloeb = synthetic_mortality.clamp_episodes_to_death(forloeb, personer)
    cols = ["person_id", "koen", "foedselsaar", "kommune_kode", "indgang_dato", "doedsdato"]
    return personer[cols].reset_index(drop=True), forloeb


def _with_burn_in(targets: pd.DataFrame, years: int) -> pd.DataFrame:
    """Prepend ``years`` of burn-in at the first year's level, so the first observed year has a history."""
    first = targets.index[0]
    burn = pd.DataFrame([targets.iloc[0].to_numpy()] * years, columns=targets.columns,
                        index=pd.Index(range(first - years, first), name="aar"))
    return pd.concat([burn, targets])


def _simulate_service(s, p, target, years, rng, new_persons, done, primary_share=None, primary_active=None):
    """Episodes of one service with exactly ``target[y]`` recipients in every year."""
    cont = 1 - 1 / p.mean_duration[s]
    first = years[0]
    cap = int(target.sum())  # at most one new episode per recipient-year
    person = np.empty(cap, dtype=np.int64)
    start = np.empty(cap, dtype=int)
    end = np.full(cap, p.last_year + 1, dtype=int)
    # initial stock in the first year: some new this year, the rest began earlier
    n0 = int(target.iloc[0])
    growth = target.iloc[1] / target.iloc[0] if len(target) > 1 else 1.0
    n_new0 = int(round(n0 - cont * n0 / growth))
    start[:n0] = np.concatenate([first - np.minimum(rng.geometric(1 - cont, n0 - n_new0), 25), np.full(n_new0, first)])
    person[:n0] = _assign_persons(s, p, first, n0, rng, new_persons, done, np.array([], dtype=np.int64),
                                  primary_share, primary_active)
    active = np.arange(n0)
    total = n0
    for i, y in enumerate(years[1:], start=1):
        n_cont = min(int(round(cont * int(target.iloc[i - 1]))), len(active), int(target.iloc[i]))
        keep = np.sort(rng.choice(active, size=n_cont, replace=False)) if n_cont else np.array([], dtype=int)
        end[np.setdiff1d(active, keep)] = y - 1
        n_new = int(target.iloc[i]) - n_cont
        busy = person[keep]  # already receiving this service in year y
        person[total:total + n_new] = _assign_persons(s, p, y, n_new, rng, new_persons, done, busy,
                                                      primary_share, primary_active)
        start[total:total + n_new] = y
        active = np.concatenate([keep, np.arange(total, total + n_new)])
        total += n_new
    return {"person": person[:total], "start_year": start[:total], "end_year": end[:total]}


def _active_persons(done, services, y):
    parts = []
    for s in services:
        e = done.get(s)
        if e is None:
            continue
        m = (e["start_year"] <= y) & (e["end_year"] >= y)
        parts.append(e["person"][m])
    return np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)


def _assign_persons(s, p, y, n, rng, new_persons, done, busy, primary_share=None, primary_active=None):
    """Persons for ``n`` new episodes of service ``s`` starting in year ``y``."""
    if n <= 0:
        return np.array([], dtype=np.int64)
    if primary_share is not None:  # day services: partly persons with § 85 or a botilbud
        pool, share = primary_active[y], primary_share
    elif s in p.transitions and p.transitions[s][0] in done:  # e.g. § 107 -> § 108
        src = done[p.transitions[s][0]]
        pool = np.unique(src["person"][(src["end_year"] == y - 1) | (src["end_year"] == y)])
        share = p.transitions[s][1]
    else:
        return new_persons(n)
    pool = np.setdiff1d(pool, busy, assume_unique=True)
    k = min(int(rng.binomial(n, share)), len(pool))
    old = rng.choice(pool, size=k, replace=False) if k else np.array([], dtype=np.int64)
    return np.concatenate([old, new_persons(n - k)])


def _simulate_secondary(p, targets, years, primary, seed, first_id, share, primary_active):
    counter = [first_id]

    def fresh(n):
        ids = np.arange(counter[0], counter[0] + n)
        counter[0] += n
        return ids

    rng = np.random.default_rng(seed)
    out = dict(primary)
    for s in SECONDARY:
        out[s] = _simulate_service(s, p, targets[s], years, rng, fresh, out, share, primary_active)
    return out, counter[0]


def _calibrate_secondary(p, targets, years, primary, seed, first_id):
    """Give day-service episodes to primary recipients with the share that makes the
    number of persons with any service in 2016 match the published figure (secant search)."""
    y16 = 2016 if 2016 in years else years[-1]
    primary_active = {y: _active_persons(primary, PRIMARY, y) for y in years}

    def run(share):
        eps, next_id = _simulate_secondary(p, targets, years, primary, seed, first_id, share, primary_active)
        return eps, next_id, len(_active_persons(eps, PRIMARY + SECONDARY, y16)) - p.any_service_2016

    a, b = 0.5, 0.9
    ea, eb = run(a)[2], run(b)[2]
    best = None
    for _ in range(6):
        share = float(np.clip(b - eb * (b - a) / (eb - ea) if eb != ea else b, 0.0, 1.0))
        eps, next_id, err = run(share)
        if best is None or abs(err) < abs(best[3]):
            best = (eps, next_id, share, err)
        if abs(err) <= 0.002 * p.any_service_2016:
            break
        a, ea, b, eb = b, eb, share, err
    return best[0], best[1], best[2]


def _person_table(p, n, episodes, rng) -> pd.DataFrame:
    first_start = np.full(n, 10_000, dtype=int)
    for e in episodes.values():
        np.minimum.at(first_start, e["person"], e["start_year"])
    return _person_rows(p, first_start, _draw_kommuner(p, n, rng), rng, 0)


def _person_rows(p, first_start, kommune, rng, first_index: int) -> pd.DataFrame:
    """Persons entering the target group in the years ``first_start`` (sex, age and entry day drawn)."""
    n = len(first_start)
    bands = np.array([b[:2] for b in p.entry_age])
    w = np.array([b[2] for b in p.entry_age], dtype=float)
    band = rng.choice(len(bands), size=n, p=w / w.sum())
    age = rng.integers(bands[band, 0], bands[band, 1])
    koen = np.where(rng.random(n) < p.male_share, "M", "K")
    day = rng.integers(0, 365, size=n)
    indgang = (np.asarray(first_start) - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day.astype(
        "timedelta64[D]")
    return pd.DataFrame({
        "person_id": [f"S{i:07d}" for i in range(first_index, first_index + n)],
        "koen": koen,
        # nobody is older than MAX_AGE in the first observed year at entry (deaths come later)
        "foedselsaar": np.maximum(first_start - age, p.first_year - MAX_AGE),
        "kommune_kode": kommune,
        "indgang_dato": indgang.astype("datetime64[ns]"),
        "_start_year": first_start,
    })


def _draw_kommuner(p, n, rng) -> np.ndarray:
    from ..snapshots import read_snapshot

    k = read_snapshot("kommuner_folk1a_2020k1.csv", dtype={"kommune_kode": str}).sort_values("kommune_kode")
    effect = np.exp(rng.normal(0.0, p.kommune_sd, size=len(k)) - p.kommune_sd**2 / 2)
    w = k["indbyggere"].to_numpy(float) * effect
    return rng.choice(k["kommune_kode"].to_numpy(), size=n, p=w / w.sum())


def _episode_table(p, episodes, personer, rng) -> pd.DataFrame:
    entry = personer["indgang_dato"].to_numpy()
    entry_year = personer["_start_year"].to_numpy()
    frames = []
    for s, e in episodes.items():
        n = len(e["person"])
        person = e["person"]
        sy, ey = e["start_year"], e["end_year"]
        # start: a day in the start year, never before the person's entry date
        offset = rng.integers(0, 365, n).astype("timedelta64[D]")
        start = pd.to_datetime(sy.astype(str), format="%Y").to_numpy() + offset
        start = np.where(sy == entry_year[person], np.maximum(start, entry[person]), start)
        # end: a day in the end year after the start; ongoing episodes have no end date
        year_end = pd.to_datetime((ey + 1).astype(str), format="%Y").to_numpy() - np.timedelta64(1, "D")
        year_begin = pd.to_datetime(ey.astype(str), format="%Y").to_numpy()
        lo = np.maximum(year_begin, start)
        span = ((year_end - lo) / np.timedelta64(1, "D")).astype(int)
        end = lo + (rng.random(n) * (span + 1)).astype(int).astype("timedelta64[D]")
        end = np.where(ey > p.last_year, np.datetime64("NaT"), end)
        frames.append(pd.DataFrame({
            "person_id": personer["person_id"].to_numpy()[person],
            "ydelse": s,
            "start_dato": start.astype("datetime64[ns]"),
            "slut_dato": end.astype("datetime64[ns]"),
            "handlekommune_kode": personer["kommune_kode"].to_numpy()[person],
        }))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["person_id", "start_dato", "ydelse"], kind="mergesort").reset_index(drop=True)
