"""Population size estimation: capture–recapture, multiplier and small-area methods.

Used by the theme *målgruppestørrelse* to estimate how many citizens have psychiatric
difficulties and complex support needs when no single register sees all of them.

All functions are pure (no I/O). Capture histories are strings of ``0``/``1``, one
character per list (register), e.g. ``"101"`` = seen by lists 1 and 3 but not list 2.
The all-zero history is the unseen part of the population and is what the methods estimate.

Public API
----------
- :func:`loglinear` – log-linear capture–recapture model for 2+ lists (Poisson GLM) with a
  profile-likelihood interval for the population size (Cormack 1992; Rcapture ``closedpCI.t``).
- :func:`select_model` – all hierarchical models with two-way interactions, ranked by AIC/BIC.
- :func:`lincoln_petersen`, :func:`chapman` – two-list estimators.
- :func:`chao_lower_bound` – Chao's (1987) lower bound from capture frequencies.
- :func:`multiplier` – the multiplier (benchmark) method ``N = B / p`` with a delta-method CI.
- :func:`small_area` – distribute a national/regional estimate to kommuner via a prevalence model.
- :func:`proportional_allocation` – distribute it in proportion to those seen (what the theme uses).
- :func:`candidate_models`, :func:`model_average` – every two-way and heterogeneity model, and the
  model-averaged size with an interval that includes model uncertainty (Buckland et al. 1997).
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, UnknownColumnError, suggestion
from ._lazy import lazy
from ._resultat import Resultatvisning

sm = lazy("statsmodels.api")
optimize, special, stats = lazy("scipy.optimize"), lazy("scipy.special"), lazy("scipy.stats")

__all__ = [
    "ChaoResult",
    "DispersionResult",
    "LoglinearResult",
    "ModelAverageResult",
    "MultiplierResult",
    "TwoListResult",
    "candidate_models",
    "chao_lower_bound",
    "chapman",
    "coverage_dispersion",
    "goodness_of_fit",
    "lincoln_petersen",
    "loglinear",
    "model_average",
    "multiplier",
    "proportional_allocation",
    "select_model",
    "small_area",
]


@dataclass(frozen=True)
class LoglinearResult(Resultatvisning):
    """A fitted log-linear capture–recapture model.

    ``n_hat`` = ``observed`` + ``n0`` (the estimated number nobody saw); ``se`` its
    asymptotic standard error (delta method on the Poisson GLM, as Rcapture's ``stderr``);
    ``lower``/``upper`` the profile-likelihood interval at ``level`` for the total size.
    ``deviance``/``df`` are the goodness-of-fit of the model on the observed cells
    (``df`` = number of observed cells minus number of parameters); ``aic``/``bic`` are
    computed like Rcapture (Poisson log-likelihood of the observed cells).
    ``model`` is a text label: ``"uafhængighed"`` (independence) or the interactions such as
    ``"1×2 + 2×3"``, followed by the heterogeneity term if any (``"heterogenitet (Darroch)"``);
    ``interactions`` the fitted 1-based list pairs; ``heterogeneity`` the heterogeneity form
    (``"chao"``, ``"poisson"``, ``"darroch"``, ``"gamma"`` or None; for ``"chao"`` with every
    eta set to 0 it is None, the fit then being the model without heterogeneity) and
    ``equal_lists`` whether all lists share one capture probability (Rcapture's ``Mh``).
    ``fitted`` holds the fitted counts by capture history (including the all-zero one).
    When the data do not bound the unseen part (e.g. no person seen by two lists), ``n_hat``,
    ``n0``, ``se`` and ``upper`` are ``inf`` while ``lower`` is still finite.
    """

    n_hat: float
    se: float
    lower: float
    upper: float
    deviance: float
    df: int
    aic: float
    bic: float
    n0: float
    observed: int
    model: str
    interactions: tuple[tuple[int, int], ...]
    level: float
    n_lists: int
    fitted: pd.Series = field(repr=False, default=None)
    heterogeneity: str | None = None
    equal_lists: bool = False


@dataclass(frozen=True)
class TwoListResult(Resultatvisning):
    """A two-list estimate (Chapman): ``n_hat`` with ``se`` and CI ``lower``–``upper`` at ``level``."""

    n_hat: float
    se: float
    lower: float
    upper: float
    level: float
    n1: int
    n2: int
    m: int
    method: str


@dataclass(frozen=True)
class ChaoResult(Resultatvisning):
    """Chao's lower bound ``n_hat = S + f1**2 / (2 f2)`` with ``se`` and log-normal CI."""

    n_hat: float
    se: float
    lower: float
    upper: float
    level: float
    observed: int
    f1: int
    f2: int
    n0: float


@dataclass(frozen=True)
class MultiplierResult(Resultatvisning):
    """Multiplier (benchmark) estimate ``n_hat = benchmark / proportion`` with delta-method CI."""

    n_hat: float
    se: float
    lower: float
    upper: float
    level: float
    benchmark: float
    proportion: float
    proportion_se: float


# --------------------------------------------------------------------------- helpers

def _fmt(value) -> str:
    """A value for messages: numbers as 0, -5, 2.5 (no numpy reprs), anything else as repr."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.10g}"
    return repr(value)


def _check_level(level, who: str) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise InvalidValueError(f"{who}: level must be strictly between 0 and 1, got {_fmt(level)}",
                                dansk=f"Konfidensniveauet skal ligge mellem 0 og 1, ikke {_fmt(level)}.")
    return float(level)


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _number(value, name: str, who: str, *, minimum: float | None = 0.0, strict: bool = False,
            integer: bool = False) -> float:
    """A finite real number (>= minimum, or > minimum if strict; whole if integer)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise InvalidValueError(f"{who}: {name} must be a finite number, got {_fmt(value)}",
                                dansk=f"{name} skal være et tal, ikke {_fmt(value)}.")
    v = float(value)
    if minimum is not None and (v < minimum or (strict and v == minimum)):
        cmp = ">" if strict else ">="
        raise InvalidValueError(f"{who}: {name} must be {cmp} {_fmt(minimum)}, got {_fmt(v)}",
                                dansk=f"{name} skal være {'større end' if strict else 'mindst'} "
                                      f"{_fmt(minimum)}, ikke {_fmt(v)}.")
    if integer and not v.is_integer():
        raise InvalidValueError(f"{who}: {name} must be a whole number (a count), got {_fmt(v)}",
                                dansk=f"{name} skal være et helt tal (et antal), ikke {_fmt(v)}.")
    return v


# --------------------------------------------------------------------------- capture histories


def _parse_counts(counts, who: str, every_list_seen: bool = True) -> tuple[int, list[str], np.ndarray]:
    """Validate capture-history counts; return (number of lists, histories, counts).

    The histories are all ``2**t - 1`` non-zero histories in a fixed order (as Rcapture's
    ``histpos.t``: ``111, 110, 101, 100, 011, 010, 001`` for three lists); missing ones count 0.
    """
    if isinstance(counts, pd.Series):
        if counts.index.has_duplicates:
            dup = sorted({str(k) for k in counts.index[counts.index.duplicated()]})
            raise InvalidValueError(f"{who}: capture histories occur more than once: {dup}",
                                    dansk=f"Fangsthistorierne {dup} optræder mere end én gang.")
        items = list(counts.items())
    elif isinstance(counts, Mapping):
        items = list(counts.items())
    else:
        raise InvalidValueError(
            f"{who}: counts must map capture histories such as '101' to counts (a dict or a pandas Series), "
            f"got {type(counts).__name__}",
            dansk="Antallene skal angives pr. fangsthistorie, fx {'101': 12, '100': 40}.")
    if not items:
        raise InvalidValueError(f"{who}: no capture histories given",
                                dansk="Der er ingen fangsthistorier i data.")
    lengths: set[int] = set()
    parsed: dict[str, float] = {}
    for key, value in items:
        if not isinstance(key, str):
            raise InvalidValueError(
                f"{who}: a capture history must be a string of 0/1 such as '101', got {key!r}",
                dansk=f"En fangsthistorie skal skrives som 0/1, fx '101', ikke {key!r}.")
        h = key.strip()
        if not h or set(h) - {"0", "1"}:
            bad = sorted(set(h) - {"0", "1"}) or ["(tom)"]
            raise InvalidValueError(
                f"{who}: capture history {key!r} may only contain the characters 0 and 1 (found {bad})",
                dansk=f"Fangsthistorien {key!r} må kun indeholde 0 og 1.")
        lengths.add(len(h))
        if "1" not in h:
            raise InvalidValueError(
                f"{who}: the all-zero capture history {key!r} must not be given; it is the unseen part "
                "that the model estimates",
                dansk=f"Fangsthistorien {key!r} (set af ingen registre) kan ikke observeres; "
                      "det er netop den, der skal estimeres.")
        if h in parsed:
            raise InvalidValueError(f"{who}: capture history {h!r} occurs more than once",
                                    dansk=f"Fangsthistorien {h!r} optræder mere end én gang.")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise InvalidValueError(f"{who}: the count for {h!r} must be a finite number, got {_fmt(value)}",
                                    dansk=f"Antallet for {h!r} skal være et tal, ikke {_fmt(value)}.")
        if float(value) < 0:
            raise InvalidValueError(f"{who}: the count for {h!r} is negative ({_fmt(value)}); counts must be >= 0",
                                    dansk=f"Antallet for {h!r} kan ikke være negativt ({_fmt(value)}).")
        parsed[h] = float(value)
    if len(lengths) > 1:
        raise InvalidValueError(
            f"{who}: capture histories have unequal lengths {sorted(lengths)}; every history needs one "
            "character per list",
            dansk=f"Fangsthistorierne har forskellig længde ({sorted(lengths)}); "
                  "alle skal have ét tegn pr. register.")
    t = lengths.pop()
    if t < 2:
        raise InvalidValueError(f"{who}: capture–recapture needs at least 2 lists, got {t}",
                                dansk=f"Capture–recapture kræver mindst 2 registre, ikke {t}.")
    if t > 12:
        raise InvalidValueError(f"{who}: at most 12 lists are supported, got {t}",
                                dansk=f"Der kan højst bruges 12 registre, ikke {t}.")
    histories = _histories(t)
    y = np.array([parsed.get(h, 0.0) for h in histories])
    if y.sum() <= 0:
        raise InvalidValueError(f"{who}: all counts are 0; nobody was observed",
                                dansk="Alle antal er 0; ingen er observeret.")
    for j in range(t if every_list_seen else 0):
        if not any(c > 0 for h, c in zip(histories, y) if h[j] == "1"):
            raise InvalidValueError(
                f"{who}: list {j + 1} saw nobody (every history with a 1 in position {j + 1} is 0); "
                "leave that list out",
                dansk=f"Register {j + 1} har ikke set nogen; udelad registeret fra beregningen.")
    return t, histories, y


def _histories(t: int) -> list[str]:
    """All non-zero capture histories of ``t`` lists, in Rcapture's ``histpos.t`` order."""
    return [format(i, f"0{t}b") for i in range(2**t - 1, 0, -1)]


def _parse_interactions(interactions, t: int, who: str) -> tuple[tuple[int, int], ...]:
    if isinstance(interactions, str):
        if interactions.strip().lower() == "saturated":
            return tuple(itertools.combinations(range(1, t + 1), 2))
        raise InvalidValueError(
            f"{who}: interactions must be a sequence of list pairs such as [(1, 2)] or 'saturated', "
            f"got {interactions!r}",
            dansk=f"Vekselvirkninger skal angives som par af registre, fx [(1, 2)], eller 'saturated', "
                  f"ikke {interactions!r}.")
    if interactions is None:
        return ()
    try:
        pairs = list(interactions)
    except TypeError:
        raise InvalidValueError(f"{who}: interactions must be a sequence of list pairs, got {interactions!r}",
                                dansk="Vekselvirkninger skal angives som par af registre, fx [(1, 2)].") from None
    out: set[tuple[int, int]] = set()
    for pair in pairs:
        try:
            a, b = pair
        except (TypeError, ValueError):
            raise InvalidValueError(
                f"{who}: each interaction must be a pair of list numbers, got {pair!r}",
                dansk=f"En vekselvirkning skal være et par af registernumre, ikke {pair!r}.") from None
        for v in (a, b):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 1 <= int(v) <= t:
                raise InvalidValueError(
                    f"{who}: interaction {pair!r} names list {v!r}; the lists are numbered 1-{t}",
                    dansk=f"Vekselvirkningen {pair!r} nævner register {v!r}; registrene er nummereret 1–{t}.")
        if int(a) == int(b):
            raise InvalidValueError(f"{who}: interaction {pair!r} pairs a list with itself",
                                    dansk=f"Vekselvirkningen {pair!r} parrer et register med sig selv.")
        out.add((min(int(a), int(b)), max(int(a), int(b))))
    return tuple(sorted(out))


def _design(histories: list[str], pairs, heterogeneity: str | None = None, theta: float | None = None,
            equal_lists: bool = False) -> np.ndarray:
    """Design matrix: intercept, one column per list (or one for the number of captures when
    ``equal_lists``), one per interaction pair, then the heterogeneity column(s)."""
    h = np.array([[int(c) for c in s] for s in histories], dtype=float)
    c = h.sum(axis=1)
    cols = [np.ones(len(histories))] + ([c] if equal_lists else [h[:, j] for j in range(h.shape[1])])
    cols += [h[:, a - 1] * h[:, b - 1] for a, b in pairs]
    cols += _heterogeneity_columns(c, h.shape[1], heterogeneity, theta)
    return np.column_stack(cols)


#: The heterogeneity forms of Rivest & Baillargeon (2007) and Rcapture's ``closedp``, with their default theta.
HETEROGENEITY = {"chao": None, "poisson": 2.0, "darroch": None, "gamma": 3.5}
HETEROGENEITY_NAVNE = {"chao": "Chaos nedre grænse", "poisson": "Poisson", "darroch": "Darroch", "gamma": "Gamma"}


def _heterogeneity_columns(c: np.ndarray, t: int, form: str | None, theta: float | None) -> list[np.ndarray]:
    """Columns ``tau(c)`` of the number of captures ``c`` (all 0 at c = 0, so the intercept stays log n0).

    Poisson ``theta**c - 1``, Darroch ``c**2 / 2``, Gamma ``log(theta) - log(theta + c)``, and Chao's
    lower-bound model one column ``max(c - k + 1, 0)`` for each k = 3..t (Rivest & Baillargeon 2007).
    """
    if form is None:
        return []
    if form == "chao":
        return [np.maximum(c - k + 1, 0.0) for k in range(3, t + 1)]
    if form == "poisson":
        return [theta**c - 1]
    if form == "darroch":
        return [c**2 / 2]
    return [math.log(theta) - np.log(theta + c)]


def _model_label(pairs, heterogeneity: str | None = None, equal_lists: bool = False) -> str:
    parts = [f"{a}×{b}" for a, b in pairs]
    if heterogeneity is not None:
        parts.append(f"heterogenitet ({HETEROGENEITY_NAVNE[heterogeneity]})")
    label = " + ".join(parts) if parts else "uafhængighed"
    return ("ens registre: " + label) if equal_lists else label


def _check_heterogeneity(heterogeneity, theta, t: int, who: str) -> tuple[str | None, float | None]:
    if heterogeneity is None:
        return None, None
    form = heterogeneity.strip().lower() if isinstance(heterogeneity, str) else heterogeneity
    if form not in HETEROGENEITY:
        raise InvalidValueError(
            f"{who}: heterogeneity must be one of {sorted(HETEROGENEITY)} or None, got {heterogeneity!r}"
            + suggestion(str(heterogeneity), list(HETEROGENEITY)),
            dansk=f"Heterogenitet skal være en af {', '.join(sorted(HETEROGENEITY))}, ikke {heterogeneity!r}.")
    if t < 3:
        raise InvalidValueError(f"{who}: heterogeneity models need at least 3 lists, got {t}",
                                dansk="Modeller for heterogenitet kræver mindst 3 registre.")
    if theta is None:
        theta = HETEROGENEITY[form]
    elif form in ("chao", "darroch"):
        raise InvalidValueError(f"{who}: theta applies to the Poisson and Gamma forms only, not {form!r}",
                                dansk="Parameteren theta bruges kun i Poisson- og Gamma-formen.")
    else:
        theta = _number(theta, "theta", who, minimum=0.0, strict=True)
        if form == "poisson" and theta == 1:
            raise InvalidValueError(f"{who}: theta = 1 makes the Poisson column 0", dansk="theta må ikke være 1.")
    return form, theta


# --------------------------------------------------------------------------- Poisson fits


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson deviance ``2 sum[y log(y / mu) - (y - mu)]``, computed cell by cell (no cancellation)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d = 2 * float(np.sum(special.xlogy(y, y / mu) - (y - mu)))
    return d if math.isfinite(d) else math.inf


def _poisson_fit(X: np.ndarray, y: np.ndarray, beta0: np.ndarray | None = None,
                 max_iter: int = 200, decrement_tol: float = 1e-10) -> tuple[np.ndarray, float, bool]:
    """Newton–Raphson maximum likelihood for a log-link Poisson model (small dense problems).

    Used for the many refits of the profile likelihood, warm-started from ``beta0``. Step
    halving keeps the deviance decreasing (a step that raises it is never taken); iteration
    stops when the Newton decrement (the expected further gain in log-likelihood) is below
    ``decrement_tol`` in absolute terms, which is what the profile interval needs whatever the
    size of the counts. With zero cells a parameter may drift towards -inf, which is the MLE on
    the boundary (its fitted counts go to 0); the deviance still converges.

    Returns ``(beta, deviance, converged)``; ``converged`` is False when no step improved the
    fit although the decrement was still large (a poor start), or after ``max_iter`` steps.
    """

    def deviance(b):
        eta = X @ b
        if not np.all(np.isfinite(eta)) or eta.max() > 700:
            return math.inf, eta
        return _deviance(y, np.exp(eta)), eta

    start = np.linalg.lstsq(X, np.log(y + 0.5), rcond=None)[0]
    beta = start if beta0 is None else np.asarray(beta0, dtype=float).copy()
    dev, eta = deviance(beta)
    if not math.isfinite(dev):
        beta = start
        dev, eta = deviance(beta)
    p = X.shape[1]
    converged = False
    for _ in range(max_iter):
        mu = np.exp(eta)
        grad = X.T @ (y - mu)
        hess = X.T @ (mu[:, None] * X)
        ridge = 1e-12 * max(float(np.trace(hess)) / p, 1e-300)
        try:
            step = np.linalg.solve(hess + ridge * np.eye(p), grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        decrement = float(grad @ step)
        if not decrement > decrement_tol:
            converged = True
            break
        s = 1.0
        while s > 1e-10:
            new_dev, new_eta = deviance(beta + s * step)
            if new_dev <= dev:
                break
            s /= 2
        else:
            converged = decrement < 1e-6  # no step improves the fit: at the optimum up to rounding
            break
        beta = beta + s * step
        dev, eta = new_dev, new_eta
    return beta, dev, converged


def _stirling_rest(x: float) -> float:
    """``log(x!) - x log x + x`` (0 at x = 0), accurate for large x (Stirling series)."""
    if x <= 0:
        return 0.0
    if x < 1e5:
        return float(special.gammaln(x + 1) - x * math.log(x) + x)
    return 0.5 * math.log(2 * math.pi * x) + 1 / (12 * x) - 1 / (360 * x**3)


def _limit(fg, a: float, b: float, xtol: float) -> float:
    """Root of ``f`` on ``[a, b]`` by safeguarded Newton steps (``fg(N) -> (f, f')``), falling
    back to bisection whenever a Newton step leaves the bracket (Numerical Recipes' rtsafe)."""
    fa, _ = fg(a)
    fb, _ = fg(b)
    if fa == 0:
        return a
    if fb == 0:
        return b
    if (fa > 0) == (fb > 0):
        return a if abs(fa) < abs(fb) else b
    lo, hi = (a, b) if fa < 0 else (b, a)  # f(lo) < 0 < f(hi)
    x = (a + b) / 2
    for _ in range(100):
        fx, dx = fg(x)
        if fx == 0:
            return x
        if fx < 0:
            lo = x
        else:
            hi = x
        step = fx / dx if dx != 0 and math.isfinite(dx) else math.inf
        new = x - step
        if not (min(lo, hi) < new < max(lo, hi)):
            new = (lo + hi) / 2
        if abs(new - x) < xtol or abs(hi - lo) < xtol:
            return new
        x = new
    return x


def _root(f, a: float, b: float, xtol: float) -> float:
    """Brent's root of ``f`` on ``[a, b]``; if rounding spoils the bracket, the end nearer to 0."""
    fa, fb = f(a), f(b)
    if fa == 0:
        return a
    if fb == 0:
        return b
    if (fa > 0) == (fb > 0):
        return a if abs(fa) < abs(fb) else b
    return optimize.brentq(f, a, b, xtol=xtol)


class _Profile:
    """Cormack's (1992) multinomial profile log-likelihood of the population size N.

    For a candidate N, the unseen count ``n0 = N - n`` is added as the all-zero cell (design
    row: intercept only) and the same log-linear model is refitted on all ``2**t`` cells; the
    profile log-likelihood is ``log N! - log n0! + sum_h y_h log(mu_h / N)`` (constants in N
    dropped). This is Rcapture's ``closedpCI.t`` criterion; it is computed as
    ``-deviance / 2 + r(N) - r(n0)`` with ``r(x) = log x! - x log x + x`` (exact, no
    cancellation for large N) instead of Rcapture's Stirling approximation for N > 100. Its
    derivative (envelope theorem) is ``digamma(N + 1) - digamma(n0 + 1) + log(mu_0 / N)``,
    used to locate the maximum.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, beta_hat: np.ndarray):
        self.X = np.vstack([X, np.eye(1, X.shape[1])])
        self.y = y
        self.n = float(y.sum())
        self.beta = beta_hat.copy()
        self.calls = 0

    def both(self, N: float) -> tuple[float, float]:
        """(profile log-likelihood, its derivative) at N."""
        self.calls += 1
        n0 = max(N - self.n, 0.0)
        N = self.n + n0
        yy = np.append(self.y, n0)
        # warm start: the last fit, its intercept shifted so the fitted counts add up to N
        start = self.beta.copy()
        total = float(np.exp(np.minimum(self.X @ start, 700.0)).sum())
        if total > 0 and math.isfinite(total):
            start[0] += math.log(N / total)
        beta, dev, ok = _poisson_fit(self.X, yy, start)
        if not ok:  # a poor warm start (far along a boundary direction): start afresh
            beta2, dev2, _ = _poisson_fit(self.X, yy)
            if dev2 <= dev:
                beta = beta2
        self.beta = beta
        mu = np.exp(np.minimum(self.X @ self.beta, 700.0))
        # log N! - log n0! + sum y log(mu / N) = -deviance / 2 + rest(N) - rest(n0) + constant
        ll = -_deviance(yy, mu) / 2 + _stirling_rest(N) - _stirling_rest(n0)
        grad = float(special.digamma(N + 1) - math.log(N) - special.digamma(n0 + 1)
                     + math.log(max(mu[-1], 1e-300)))
        return ll, grad

    def __call__(self, N: float) -> float:
        return self.both(N)[0]

    def slope(self, N: float) -> float:
        return self.both(N)[1]


def _profile_interval(X, y, beta_hat, n_hat, se, level) -> tuple[float, float, bool]:
    """(lower, upper, unbounded): the profile-likelihood interval; ``unbounded`` when the
    likelihood still rises at the search limit (the MLE of N is infinite)."""
    prof = _Profile(X, y, beta_hat)
    n = prof.n
    drop = float(stats.chi2.ppf(level, 1)) / 2
    # Search limit: 100 times the estimate, at most 10,000 times the number observed. An
    # estimate beyond it counts as unbounded (e.g. Cormack et al. (2000) report "> 1,000,000"
    # for 215 observed), and so does an upper limit beyond it.
    cap = min(100 * max(n_hat, n) + 1e3, 1e4 * n + 1e6) if math.isfinite(n_hat) else 1e4 * n + 1e6
    tol = 1e-3 + 1e-9 * min(n_hat, cap)
    # 1. the maximum of the profile likelihood (a little off the Poisson estimate n_hat)
    l_n, g_n = prof.both(n)
    unbounded = False
    if not n_hat < cap:
        n_max, unbounded = cap, True
        l_max = prof(n_max)
    elif g_n <= 0:
        n_max, l_max = n, l_n
    else:
        a, b = n, max(n_hat, n + 1.0)
        g_b = prof.slope(b)
        while g_b > 0 and b < cap:
            a, b = b, min(max(b * 2, b + 2 * se), cap)
            g_b = prof.slope(b)
        if g_b > 0:  # the likelihood keeps rising: no finite estimate, no upper limit
            n_max, unbounded = b, True
        else:
            n_max = _root(prof.slope, a, b, tol)
        l_max = prof(n_max)
    target = l_max - drop

    def f(N):
        return prof(N) - target

    def fg(N):
        ll, g = prof.both(N)
        return ll - target, g

    # 2. the lower limit, never below the number observed
    lower = n if l_n >= target else _limit(fg, n, n_max, tol)
    # 3. the upper limit: step out from the maximum until the likelihood has dropped enough
    upper = math.inf
    if not unbounded:
        a = n_max
        b = min(n_max + max(2 * se if math.isfinite(se) else 0.0, 0.25 * (n_max - n), 5.0), cap)
        while True:
            if f(b) < 0:
                upper = _limit(fg, a, b, tol)
                break
            if b >= cap:
                break
            a, b = b, min(b + 2 * (b - a), cap)
    return float(lower), float(upper), unbounded


# --------------------------------------------------------------------------- log-linear models


def loglinear(counts, interactions=(), level: float = 0.95, heterogeneity: str | None = None, *,
              theta: float | None = None, equal_lists: bool = False, profile: bool = True) -> LoglinearResult:
    """Fit a log-linear capture–recapture model and estimate the population size.

    ``counts`` maps capture histories (strings of ``0``/``1`` of equal length >= 2) to
    non-negative counts; a dict or a pandas Series indexed by history. Histories not given
    count 0; the all-zero history must not be given. ``interactions`` is a sequence of
    1-based list pairs (e.g. ``[(1, 2), (2, 3)]``) or ``"saturated"`` (all two-way
    interactions; for 2 lists that model has more parameters than cells, so it is an error).

    Model: ``log E[n_h] = u + sum_j u_j h_j + sum_{(j,k)} u_jk h_j h_k + tau(c_h)``, a Poisson
    GLM (statsmodels) on the ``2**t - 1`` observed cells; the unseen count is ``n0 = exp(u)``
    and ``n_hat = observed + n0``. ``se = sqrt(n0 + n0**2 var(u))`` (Rcapture's ``closedp``).

    ``heterogeneity`` adds a term ``tau(c)`` in the number of lists ``c`` that saw a person,
    the log-linear heterogeneity models of Rivest & Baillargeon (2007) as in Rcapture's
    ``closedp`` (``Mth`` models; ``equal_lists=True`` gives the ``Mh`` models, one capture
    probability for every list): ``"poisson"`` ``theta**c - 1`` (theta 2), ``"darroch"``
    ``c**2 / 2``, ``"gamma"`` ``log(theta) - log(theta + c)`` (theta 3.5) and ``"chao"``,
    Chao's lower-bound model with one column ``max(c - k + 1, 0)`` per k = 3..t; as in
    Rcapture, a negative eta of the Chao model is set to 0 (the column dropped, refitted) until
    none is negative. They need at least three lists.

    ``lower``/``upper`` is the profile-likelihood interval (Cormack 1992; Rcapture
    ``closedpCI.t``): for each candidate N the model is refitted with the unseen cell
    ``N - observed`` included, and the interval holds the N whose multinomial profile
    log-likelihood is within ``chi2_1(level) / 2`` of its maximum, found by root-finding
    (safeguarded Newton steps with the analytic derivative). ``lower`` is never below the
    number observed; ``upper`` is ``inf`` when the likelihood has not fallen far enough by 100
    times the estimate (at most 10,000 times the number observed). When the likelihood keeps
    rising up to that limit, the estimate itself is ``inf`` (the MLE does not exist). With
    ``profile=False`` the interval is Chao's log-normal one from ``se`` (quicker, for
    simulations). A list that saw nobody is an error.
    """
    who = "loglinear"
    level = _check_level(level, who)
    t, histories, y = _parse_counts(counts, who)
    pairs = _parse_interactions(interactions, t, who)
    form, theta = _check_heterogeneity(heterogeneity, theta, t, who)
    X = _design(histories, pairs, form, theta, equal_lists)
    label = _model_label(pairs, form, equal_lists)
    n_cells, n_params = X.shape
    if n_params > n_cells:
        raise InvalidValueError(
            f"{who}: the model {label} has {n_params} parameters but only {n_cells} observed "
            f"capture histories; it cannot be estimated with {t} lists",
            dansk=f"Modellen {label} har flere parametre ({n_params}) end observerede "
                  f"fangsthistorier ({n_cells}) og kan ikke estimeres med {t} registre.")
    if np.linalg.matrix_rank(X) < n_params:
        raise InvalidValueError(f"{who}: the design of model {label} is rank deficient",
                                dansk=f"Modellen {label} kan ikke estimeres (parametrene er ikke identificerbare).")
    fit = _glm(X, y)
    if form == "chao":
        n_base = X.shape[1] - (t - 2)  # the Chao columns come last
        while X.shape[1] > n_base and np.any(fit.params[n_base:] < 0):
            drop = n_base + int(np.argmax(fit.params[n_base:] < 0))
            X = np.delete(X, drop, axis=1)
            fit = _glm(X, y)
        if X.shape[1] == n_base:
            form = None  # every eta set to 0: the model without heterogeneity
            label = _model_label(pairs, None, equal_lists) + " (Chao: η = 0)"
    return _result(X, y, fit, histories, pairs, label, level, t, form, equal_lists, profile)


def _glm(X: np.ndarray, y: np.ndarray):
    """The Poisson GLM fit (statsmodels), started from a few Newton steps of our own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = _poisson_fit(X, y, decrement_tol=1e-14, max_iter=50)[0]
        return sm.GLM(y, X, family=sm.families.Poisson()).fit(start_params=start, maxiter=200, tol=1e-12)


def _result(X, y, fit, histories, pairs, label, level, t, form, equal_lists, profile) -> LoglinearResult:
    """The :class:`LoglinearResult` of a fitted design: N, its s.e., the interval, fit statistics."""
    n_cells, n_params = X.shape
    observed = float(y.sum())
    beta = np.asarray(fit.params, dtype=float)
    cov = np.asarray(fit.cov_params(), dtype=float)
    u = float(beta[0])
    n0 = math.exp(u) if u < 700 else math.inf
    n_hat = observed + n0
    var_u = float(cov[0, 0]) if np.isfinite(cov[0, 0]) else math.inf
    se = math.sqrt(n0 + n0**2 * var_u) if n0 > 0 else 0.0
    llf = float(fit.llf)
    df = int(n_cells - n_params)
    deviance = max(float(fit.deviance), 0.0)
    if df == 0:
        deviance = 0.0 if deviance < 1e-8 else deviance
    aic = -2 * llf + 2 * n_params
    bic = -2 * llf + math.log(observed) * n_params
    if profile:
        lower, upper, unbounded = _profile_interval(X, y, beta, n_hat, se, level)
    else:
        unbounded = not math.isfinite(n_hat) or n0 > 1e4 * observed + 1e6
        lower, upper = _lognormal_ci(observed, n_hat, se**2, _z(level)) if not unbounded else (observed, math.inf)
    if unbounded:  # the likelihood rises without limit: the data do not bound the unseen part
        n0 = n_hat = se = math.inf
    mu = np.exp(X @ beta)
    fitted = pd.Series(np.append(mu, n0), index=pd.Index(histories + ["0" * t], name="historie"),
                       name="forventet")
    return LoglinearResult(
        n_hat=n_hat, se=se, lower=lower, upper=upper, deviance=deviance, df=df, aic=aic, bic=bic,
        n0=n0, observed=int(round(observed)), model=label, interactions=pairs,
        level=level, n_lists=t, fitted=fitted, heterogeneity=form, equal_lists=equal_lists,
    )


def goodness_of_fit(result: LoglinearResult) -> float:
    """The p-value of the deviance goodness-of-fit test of a fitted model (chi2 with ``df``).

    A model with no degrees of freedom left (``df == 0``, e.g. the saturated two-way model for
    three lists, or independence for two lists) fits the observed cells exactly and cannot be
    tested: that is an error.
    """
    if not isinstance(result, LoglinearResult):
        raise InvalidValueError(f"goodness_of_fit: expected a LoglinearResult, got {type(result).__name__}",
                                dansk="Forventede resultatet af en log-lineær model.")
    if result.df <= 0:
        raise InvalidValueError(
            f"goodness_of_fit: model {result.model} has no degrees of freedom left (df = {result.df}); it "
            "reproduces the observed counts exactly, so its fit cannot be tested",
            dansk=f"Modellen {result.model} har ingen frihedsgrader tilbage, så dens tilpasning kan ikke testes.")
    return float(stats.chi2.sf(result.deviance, result.df))


def candidate_models(counts, level: float = 0.95, *, heterogeneity: bool = True,
                     profile: bool = True) -> list[LoglinearResult]:
    """Every hierarchical log-linear model with two-way interactions (main effects always in; models with
    more parameters than observed cells left out) and, with ``heterogeneity`` and three or more lists,
    the four ``Mth`` heterogeneity models of Rcapture's ``closedp`` (Chao, Poisson 2, Darroch, Gamma 3.5)."""
    who = "candidate_models"
    level = _check_level(level, who)
    t, histories, y = _parse_counts(counts, who)
    if t > 5:
        raise InvalidValueError(
            f"{who}: {t} lists give 2**{t * (t - 1) // 2} candidate models; at most 5 lists (1,024 models) "
            "are searched. Fit chosen models with loglinear().",
            dansk=f"Med {t} registre er der for mange mulige modeller; vælg modellerne selv (højst 5 registre).")
    data = dict(zip(histories, y))
    all_pairs = list(itertools.combinations(range(1, t + 1), 2))
    fits: list[LoglinearResult] = []
    for k in range(len(all_pairs) + 1):
        for subset in itertools.combinations(all_pairs, k):
            if 1 + t + k <= 2**t - 1:
                fits.append(loglinear(data, subset, level=level, profile=profile))
    if heterogeneity and t >= 3:
        fits += [loglinear(data, (), level=level, heterogeneity=h, profile=profile) for h in HETEROGENEITY]
    return fits


def _model_table(fits: list[LoglinearResult]) -> pd.DataFrame:
    return pd.DataFrame([{
        "model": f.model, "interactions": f.interactions, "n_hat": f.n_hat,
        "se": f.se, "lower": f.lower, "upper": f.upper, "deviance": f.deviance, "df": f.df,
        "p_value": float(stats.chi2.sf(f.deviance, f.df)) if f.df > 0 else math.nan,
        "aic": f.aic, "bic": f.bic, "heterogeneity": f.heterogeneity,
        "_k": len(f.interactions) + (f.heterogeneity is not None), "_i": i,
    } for i, f in enumerate(fits)])


def _check_criterion(criterion, who: str) -> str:
    crit = criterion.lower().strip() if isinstance(criterion, str) else criterion
    if crit not in ("aic", "bic"):
        raise InvalidValueError(f"{who}: criterion must be 'aic' or 'bic', got {criterion!r}",
                                dansk=f"Kriteriet skal være 'aic' eller 'bic', ikke {criterion!r}.")
    return crit


def _rang(criterion: pd.Series) -> pd.Series:
    """The criterion as it ranks models: rounded to 1e-6, so models with the same fit (for three lists the
    heterogeneity models share one deviance) tie exactly and go by fewer parameters, then candidate order,
    instead of by the last bits of floating point, which differ between machines and BLAS builds."""
    return criterion.astype(float).round(6)


def select_model(counts, criterion: str = "aic", level: float = 0.95, *, heterogeneity: bool = False,
                 testable_only: bool = False) -> tuple[LoglinearResult, pd.DataFrame]:
    """Fit every candidate model (:func:`candidate_models`) and pick the best.

    Returns ``(chosen, table)``: ``table`` has one row per model with the columns ``model,
    interactions, n_hat, se, lower, upper, deviance, df, p_value, aic, bic, heterogeneity``
    (``p_value`` of the deviance test; NaN when ``df == 0``), sorted by ``criterion`` (``"aic"``
    or ``"bic"``, smallest first; ties by fewer parameters); ``chosen`` is the fit in the first
    row. With ``testable_only`` the models without degrees of freedom (whose fit cannot be
    tested, e.g. all pairs for three lists) are sorted last and never chosen unless nothing else
    can be fitted. ``heterogeneity`` adds the heterogeneity models to the candidates.
    """
    who = "select_model"
    crit = _check_criterion(criterion, who)
    level = _check_level(level, who)
    fits = candidate_models(counts, level, heterogeneity=heterogeneity)
    table = _model_table(fits)
    table["_untestable"] = testable_only & (table["df"] <= 0)
    table["_c"] = _rang(table[crit])
    table = table.sort_values(["_untestable", "_c", "_k", "_i"], kind="mergesort")
    chosen = fits[int(table["_i"].iloc[0])]
    table = table.drop(columns=["_k", "_i", "_c", "_untestable"]).reset_index(drop=True)
    return chosen, table


@dataclass(frozen=True)
class ModelAverageResult(Resultatvisning):
    """A model-averaged population size (Buckland, Burnham & Augustin 1997).

    ``n_hat`` = sum of ``w_i N_i`` over the candidate models, ``w_i`` proportional to
    ``exp(-delta_i / 2)`` with ``delta_i`` the model's criterion minus the smallest;
    ``se`` = sum of ``w_i sqrt(se_i**2 + (N_i - n_hat)**2)`` (their eq. 9: the spread between
    the models is part of the uncertainty); ``lower``/``upper`` Chao's log-normal interval at
    ``level`` for the unseen part ``n_hat - observed`` with that s.e. (never below the number
    observed). ``table`` has one row per candidate model (the columns of :func:`select_model`
    plus ``weight`` and ``c_hat``), sorted by the criterion; ``best`` the single model with the smallest
    criterion among the testable ones (``df > 0``). ``summary()`` and the notebook table list the
    average and every model with its weight.
    """

    n_hat: float
    se: float
    lower: float
    upper: float
    level: float
    observed: int
    criterion: str
    best: LoglinearResult
    table: pd.DataFrame = field(repr=False)


def model_average(counts, level: float = 0.95, criterion: str = "aic", *, heterogeneity: bool = True,
                  untestable: bool = True, overdispersion: bool = False, profile: bool = True) -> ModelAverageResult:
    """The model-averaged population size over the candidate models (:func:`candidate_models`).

    Weights from ``criterion`` (Akaike weights for ``"aic"``); ``untestable=False`` leaves the models
    without degrees of freedom out of the average (they still appear in the table with weight 0).
    Models whose estimate is infinite get weight 0. See :class:`ModelAverageResult` for the formulas.

    ``overdispersion=True`` (quasi-likelihood, Burnham & Anderson 2002, sec. 2.5): the lack of fit of the
    best testable model, ``c_hat = max(1, deviance / df)``, scales every model's variance, so a model that
    does not fit the observed overlaps gives a correspondingly wider interval. The weights stay those of
    ``criterion``: QAIC weights with a ``c_hat`` from one or two degrees of freedom are too noisy (in the
    coverage study they spread the weight to models that fit far worse and made the interval much wider
    at no gain in coverage).
    ``profile=False`` skips the single models' profile intervals (quicker; the average does not use them).
    """
    who = "model_average"
    crit = _check_criterion(criterion, who)
    level = _check_level(level, who)
    fits = candidate_models(counts, level, heterogeneity=heterogeneity, profile=profile)
    table = _model_table(fits)
    use = np.isfinite(table["n_hat"].to_numpy(float)) & (untestable | (table["df"] > 0)).to_numpy()
    if not use.any():
        raise InvalidValueError(f"{who}: no candidate model gives a finite estimate",
                                dansk="Ingen af modellerne giver et endeligt estimat; data afgrænser ikke de usete.")
    c = table[crit].to_numpy(float)
    table["_c"] = _rang(table[crit])
    c_hat = 1.0
    if overdispersion:
        testable = table[(table["df"] > 0) & use].sort_values(["_c", "_k", "_i"])
        if len(testable):
            c_hat = max(1.0, float(testable["deviance"].iloc[0]) / float(testable["df"].iloc[0]))
    table["c_hat"] = c_hat
    delta = np.where(use, c - c[use].min(), np.inf)
    w = np.exp(-delta / 2)
    w = w / w.sum()
    nn, se_i = table["n_hat"].to_numpy(float), table["se"].to_numpy(float) * math.sqrt(c_hat)
    n_bar = float(np.sum(w[use] * nn[use]))
    se = float(np.sum(w[use] * np.sqrt(se_i[use] ** 2 + (nn[use] - n_bar) ** 2)))
    observed = float(fits[0].observed)
    lower, upper = _lognormal_ci(observed, n_bar, se**2, _z(level))
    table["weight"] = w
    testable = table[(table["df"] > 0) & use]
    best_i = int((testable if len(testable) else table[use]).sort_values(["_c", "_k", "_i"]).iloc[0]["_i"])
    table = table.sort_values(["_c", "_k", "_i"], kind="mergesort").drop(columns=["_k", "_i", "_c"])
    return ModelAverageResult(n_hat=n_bar, se=se, lower=lower, upper=upper, level=level, observed=int(observed),
                              criterion=crit, best=fits[best_i], table=table.reset_index(drop=True))


# --------------------------------------------------------------------------- two lists


def _two_list_counts(n1, n2, m, who: str) -> tuple[float, float, float]:
    n1 = _number(n1, "n1", who, integer=True)
    n2 = _number(n2, "n2", who, integer=True)
    m = _number(m, "m", who, integer=True)
    if m > min(n1, n2):
        raise InvalidValueError(
            f"{who}: m (seen by both lists) = {_fmt(m)} cannot exceed n1 = {_fmt(n1)} or n2 = {_fmt(n2)}",
            dansk=f"Antallet set i begge registre ({_fmt(m)}) kan ikke være større end antallet i hvert register "
                  f"({_fmt(n1)} og {_fmt(n2)}).")
    return n1, n2, m


def lincoln_petersen(n1, n2, m) -> float:
    """Lincoln–Petersen estimate ``n1 * n2 / m`` (``m`` = seen by both lists, must be > 0)."""
    n1, n2, m = _two_list_counts(n1, n2, m, "lincoln_petersen")
    if m == 0:
        raise InvalidValueError(
            "lincoln_petersen: m = 0 (nobody seen by both lists); the estimate is infinite. Use chapman().",
            dansk="Ingen er set i begge registre, så Lincoln–Petersen-estimatet er uendeligt; brug Chapman.")
    return n1 * n2 / m


def _lognormal_ci(observed: float, n_hat: float, var: float, z: float) -> tuple[float, float]:
    """Chao's (1987) log-normal interval: ``f0 = n_hat - observed`` is log-normal; never below ``observed``."""
    f0 = n_hat - observed
    if f0 <= 0 or var <= 0:
        return n_hat, n_hat
    c = math.exp(z * math.sqrt(math.log(1 + var / f0**2)))
    return observed + f0 / c, observed + f0 * c


def chapman(n1, n2, m, level: float = 0.95) -> TwoListResult:
    """Chapman's (1951) nearly unbiased two-list estimator with Seber's variance.

    ``n_hat = (n1 + 1)(n2 + 1) / (m + 1) - 1``;
    ``var = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)**2 (m + 2))`` (Seber 1970).
    CI: Chao's (1987) log-normal interval for the unseen part ``f0 = n_hat - (n1 + n2 - m)``:
    ``C = exp(z sqrt(log(1 + var / f0**2)))``, CI ``(M + f0 / C, M + f0 C)`` with ``M`` the
    number observed, so the lower limit never falls below ``M``.
    """
    who = "chapman"
    level = _check_level(level, who)
    n1, n2, m = _two_list_counts(n1, n2, m, who)
    n_hat = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    lower, upper = _lognormal_ci(n1 + n2 - m, n_hat, var, _z(level))
    return TwoListResult(n_hat=n_hat, se=math.sqrt(var), lower=lower, upper=upper, level=level,
                         n1=int(n1), n2=int(n2), m=int(m), method="chapman")


# --------------------------------------------------------------------------- Chao


def _frequencies(counts, who: str) -> tuple[np.ndarray, int | None]:
    """f_k (k = 1, 2, ...) from capture histories or from frequencies; and the number of lists."""
    if isinstance(counts, (Mapping, pd.Series)) and len(counts) and all(isinstance(k, str) for k in counts.keys()):
        t, histories, y = _parse_counts(counts, who, every_list_seen=False)
        f = np.zeros(t)
        for h, c in zip(histories, y):
            f[h.count("1") - 1] += c
        return f, t
    if isinstance(counts, (Mapping, pd.Series)):
        items = list(counts.items())
        if not items:
            raise InvalidValueError(f"{who}: no frequencies given", dansk="Der er ingen data.")
        for k, _ in items:
            if isinstance(k, bool) or not isinstance(k, numbers.Integral) or int(k) < 1:
                raise InvalidValueError(
                    f"{who}: keys must be capture histories ('101') or capture frequencies k = 1, 2, ...; got {k!r}",
                    dansk=f"Nøglerne skal være fangsthistorier ('101') eller antal registre (1, 2, ...), ikke {k!r}.")
        kmax = max(int(k) for k, _ in items)
        f = np.zeros(kmax)
        for k, v in items:
            f[int(k) - 1] += _number(v, f"f{int(k)}", who)
        return f, None
    if isinstance(counts, (str, bytes)) or not isinstance(counts, Sequence | np.ndarray):
        raise InvalidValueError(
            f"{who}: expected capture histories -> counts, {{k: f_k}} or a sequence [f1, f2, ...], "
            f"got {type(counts).__name__}",
            dansk="Forventede antal pr. fangsthistorie eller pr. antal registre.")
    f = np.array([_number(v, f"f{i + 1}", who) for i, v in enumerate(counts)], dtype=float)
    if f.size == 0:
        raise InvalidValueError(f"{who}: no frequencies given", dansk="Der er ingen data.")
    return f, None


def chao_lower_bound(counts, level: float = 0.95) -> ChaoResult:
    """Chao's (1987) lower bound from capture frequencies.

    ``counts`` is either capture histories -> counts (as for :func:`loglinear`; ``f_k`` is
    the number of persons seen by exactly ``k`` lists), a mapping ``{1: f1, 2: f2, ...}`` or a
    sequence ``[f1, f2, ...]``. With ``S`` the number observed:

    - ``f2 > 0``: ``n_hat = S + f1**2 / (2 f2)``, ``var = f2 (r**4 / 4 + r**3 + r**2 / 2)`` with
      ``r = f1 / f2`` (Chao 1987);
    - ``f2 == 0``: the bias-corrected ``n_hat = S + f1 (f1 - 1) / 2`` with
      ``var = f1 (f1 - 1) / 2 + f1 (2 f1 - 1)**2 / 4 - f1**4 / (4 n_hat)`` (Chao 2005).

    CI: Chao's log-normal interval for ``f0 = n_hat - S``, never below ``S``. The estimate is
    a lower bound for the size under heterogeneous capture probabilities.
    """
    who = "chao_lower_bound"
    level = _check_level(level, who)
    f, _ = _frequencies(counts, who)
    if np.any(f < 0):
        k = int(np.argmax(f < 0)) + 1
        raise InvalidValueError(f"{who}: f{k} is negative ({_fmt(f[k - 1])}); counts must be >= 0",
                                dansk=f"Antallet set af {k} registre kan ikke være negativt.")
    S = float(f.sum())
    if S <= 0:
        raise InvalidValueError(f"{who}: all counts are 0; nobody was observed",
                                dansk="Alle antal er 0; ingen er observeret.")
    f1 = float(f[0])
    f2 = float(f[1]) if f.size > 1 else 0.0
    if f2 > 0:
        n_hat = S + f1**2 / (2 * f2)
        r = f1 / f2
        var = f2 * (r**4 / 4 + r**3 + r**2 / 2)
    else:
        n_hat = S + f1 * (f1 - 1) / 2
        var = f1 * (f1 - 1) / 2 + f1 * (2 * f1 - 1) ** 2 / 4 - f1**4 / (4 * n_hat)
    var = max(var, 0.0)
    lower, upper = _lognormal_ci(S, n_hat, var, _z(level))
    return ChaoResult(n_hat=n_hat, se=math.sqrt(var), lower=lower, upper=upper, level=level,
                      observed=int(round(S)), f1=int(round(f1)), f2=int(round(f2)), n0=n_hat - S)


# --------------------------------------------------------------------------- multiplier


def multiplier(benchmark_count, proportion, proportion_se=None, n_sample=None,
               level: float = 0.95) -> MultiplierResult:
    """Multiplier (benchmark) method: ``N = B / p``.

    ``benchmark_count`` ``B`` is the number of target-group persons in a benchmark source
    (treated as known, without error); ``proportion`` ``p`` the share of the target group seen
    by the benchmark, estimated from a survey. Give ``proportion_se``, or ``n_sample`` (then
    ``se(p) = sqrt(p (1 - p) / n_sample)``); ``proportion_se`` wins if both are given.
    Delta method on the log scale: ``se(log N) = se(p) / p``, CI ``N exp(-/+ z se(log N))``,
    and ``se = N se(p) / p``.
    """
    who = "multiplier"
    level = _check_level(level, who)
    B = _number(benchmark_count, "benchmark_count", who, minimum=0.0, strict=True)
    p = _number(proportion, "proportion", who, minimum=0.0, strict=True)
    if p > 1:
        raise InvalidValueError(f"{who}: proportion must be in (0, 1], got {_fmt(p)}",
                                dansk=f"Andelen skal ligge mellem 0 og 1, ikke {_fmt(p)}.")
    if proportion_se is not None:
        se_p = _number(proportion_se, "proportion_se", who)
    elif n_sample is not None:
        n = _number(n_sample, "n_sample", who, minimum=0.0, strict=True, integer=True)
        se_p = math.sqrt(p * (1 - p) / n)
    else:
        raise InvalidValueError(
            f"{who}: give proportion_se or n_sample, the uncertainty of the proportion",
            dansk="Angiv usikkerheden på andelen (standardfejl eller stikprøvestørrelse).")
    n_hat = B / p
    se_log = se_p / p
    z = _z(level)
    return MultiplierResult(n_hat=n_hat, se=n_hat * se_log, lower=n_hat * math.exp(-z * se_log),
                            upper=n_hat * math.exp(z * se_log), level=level, benchmark=B,
                            proportion=p, proportion_se=se_p)


# --------------------------------------------------------------------------- small areas


def _total_log_se(total: float, spec, level: float, who: str) -> float:
    """The standard error of log(total) from an SE, a (lower, upper) CI or a result object."""
    if hasattr(spec, "lower") and hasattr(spec, "upper") and not isinstance(spec, (tuple, list)):
        spec = (spec.lower, spec.upper)
    if isinstance(spec, (tuple, list, np.ndarray)):
        if len(spec) != 2:
            raise InvalidValueError(f"{who}: the total's CI must be (lower, upper), got {spec!r}",
                                    dansk="Konfidensintervallet for totalen skal være (nedre, øvre).")
        lo = _number(spec[0], "lower", who, minimum=0.0, strict=True)
        hi = _number(spec[1], "upper", who, minimum=0.0, strict=True)
        if not lo <= total <= hi:
            raise InvalidValueError(
                f"{who}: the total {_fmt(total)} is not inside its CI ({_fmt(lo)}, {_fmt(hi)})",
                dansk=f"Totalen {_fmt(total)} ligger ikke i sit konfidensinterval ({_fmt(lo)}–{_fmt(hi)}).")
        return (math.log(hi) - math.log(lo)) / (2 * _z(level))
    se = _number(spec, "total_se", who)
    return se / total


def small_area(total, total_se_or_ci, units: pd.DataFrame, observed="observeret", *,
               population: str = "befolkning", covariates: Sequence[str] = (),
               unit: str = "kommune_kode", level: float = 0.95, n_sim: int = 2000,
               seed: int = 0) -> pd.DataFrame:
    """Distribute a national or regional total to kommuner through a prevalence model.

    ``units`` has one row per kommune: the ``unit`` column (``kommune_kode``), the
    ``population`` column (e.g. adults) and any numeric ``covariates``. ``observed`` is a
    column name in ``units`` or a Series indexed by ``unit`` / array in row order: the number
    of target-group persons observed per kommune (e.g. seen by at least one register).

    Model: Poisson GLM ``log E[observed_i] = log(population_i) + x_i' beta`` (statsmodels);
    the predicted counts ``mu_i`` give shares ``s_i = mu_i / sum mu``, and the kommune
    estimate is ``total * s_i``, so kommune estimates add up exactly to ``total``. This
    assumes the registers' coverage of the target group is the same in every kommune (or
    varies only with the covariates' effect on what is observed).

    ``total_se_or_ci`` is the total's standard error (a number), a ``(lower, upper)`` CI at
    ``level`` (turned into a log-scale SE), or a result object with ``lower``/``upper`` (e.g.
    from :func:`loglinear`).

    Uncertainty (parametric bootstrap, ``n_sim`` draws, seeded): per draw the total is drawn
    from a log-normal with the total's uncertainty, ``beta`` from its asymptotic normal
    distribution (covariance scaled by the Pearson dispersion when it exceeds 1,
    quasi-Poisson), and the kommune counts from a multinomial with the drawn total and shares
    (the kommune's own random deviation from the model). Intervals are percentile intervals;
    every draw adds up to its drawn total.

    Returns a DataFrame with the ``unit`` column, ``estimate``, ``lower``, ``upper``,
    ``per_1000`` (estimate per 1,000 of ``population``), ``per_1000_lower`` and
    ``per_1000_upper``, in the order of ``units``.
    """
    who = "small_area"
    level = _check_level(level, who)
    total = _number(total, "total", who, minimum=0.0, strict=True)
    se_log = _total_log_se(total, total_se_or_ci, level, who)
    area = _area_data(units, observed, population, covariates, unit, who)
    model = _prevalence_model(area)
    estimate = total * model.shares(model.beta)
    lower, upper = _bootstrap_interval(total, se_log, model, level, n_sim, seed, who)
    out = pd.DataFrame({
        unit: area.keys,
        "estimate": estimate,
        "lower": lower,
        "upper": upper,
        "per_1000": estimate / area.population * 1000,
        "per_1000_lower": lower / area.population * 1000,
        "per_1000_upper": upper / area.population * 1000,
    })
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class _AreaData:
    """The checked inputs of :func:`small_area`, one entry per unit in the order of ``units``:
    the unit keys, population (> 0), observed counts (>= 0, not all 0) and the design matrix
    (intercept, then the covariates; full column rank)."""

    keys: np.ndarray
    population: np.ndarray
    observed: np.ndarray
    X: np.ndarray


def _area_data(units, observed, population: str, covariates, unit: str, who: str) -> _AreaData:
    """Check ``units`` and ``observed`` and turn them into numbers for the prevalence model."""
    covariates = _check_units(units, observed, population, covariates, unit, who)
    obs = _observed_counts(units, observed, unit, who)
    pop = _unit_values(units, unit, units[population], population, positive=True, who=who)
    y = _unit_values(units, unit, obs, "observed", positive=False, who=who)
    if y.sum() <= 0:
        raise InvalidValueError(f"{who}: all observed counts are 0; there is nothing to model",
                                dansk="Alle observerede antal er 0.")
    X = _covariate_design(units, covariates, who)
    return _AreaData(keys=units[unit].to_numpy(), population=pop, observed=y, X=X)


def _check_units(units, observed, population: str, covariates, unit: str, who: str) -> list:
    """``units`` is a non-empty DataFrame with the needed columns and one row per unit; returns the
    covariates as a list."""
    if not isinstance(units, pd.DataFrame):
        raise InvalidValueError(f"{who}: units must be a DataFrame, got {type(units).__name__}",
                                dansk="Kommunedata skal være en tabel (DataFrame).")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    needed = [unit, population] + covariates + ([observed] if isinstance(observed, str) else [])
    missing = [c for c in needed if c not in units.columns]
    if missing:
        raise UnknownColumnError(
            f"{who}: units has no column(s) {missing}; it has {list(units.columns)}."
            + suggestion(missing[0], [str(c) for c in units.columns]),
            dansk=f"Tabellen mangler kolonnen/kolonnerne {missing}.")
    if units.empty:
        raise InvalidValueError(f"{who}: units is empty", dansk="Tabellen med kommuner er tom.")
    if units[unit].duplicated().any():
        dup = sorted(units.loc[units[unit].duplicated(), unit].astype(str).unique())
        raise InvalidValueError(f"{who}: {unit} values occur more than once: {dup}",
                                dansk=f"{unit} optræder mere end én gang: {dup}.")
    return covariates


def _observed_counts(units: pd.DataFrame, observed, unit: str, who: str):
    """The observed counts in the row order of ``units``, from a column name, a Series indexed by
    ``unit`` or an array in row order (values unchecked)."""
    if isinstance(observed, str):
        return units[observed]
    if isinstance(observed, pd.Series):
        miss = [k for k in units[unit] if k not in observed.index]
        if miss:
            raise InvalidValueError(f"{who}: observed has no value for {unit} {miss[:5]}",
                                    dansk=f"Der mangler observerede antal for {miss[:5]}.")
        return observed.reindex(units[unit].to_numpy())
    obs = np.asarray(observed)
    if obs.shape != (len(units),):
        raise InvalidValueError(f"{who}: observed has {obs.size} values but units has {len(units)} rows",
                                dansk="Antallet af observerede værdier passer ikke med antallet af kommuner.")
    return obs


def _unit_values(units: pd.DataFrame, unit: str, values, name: str, *, positive: bool, who: str) -> np.ndarray:
    """One finite number per unit, > 0 if ``positive`` else >= 0; an error names the first bad unit."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{who}: {name} must be numbers",
                                dansk=f"{name} skal være tal.") from None
    bad = ~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidValueError(
            f"{who}: {name} must be {'> 0' if positive else '>= 0'} and finite; {unit} "
            f"{units[unit].iloc[i]} has {_fmt(arr[i])}",
            dansk=f"{name} for {units[unit].iloc[i]} er ugyldig ({_fmt(arr[i])}).")
    return arr


def _covariate_design(units: pd.DataFrame, covariates: list, who: str) -> np.ndarray:
    """Design matrix: an intercept and one numeric, finite column per covariate, estimable from the units."""
    X_cols = [np.ones(len(units))]
    for c in covariates:
        try:
            x = np.asarray(units[c], dtype=float)
        except (TypeError, ValueError):
            raise InvalidValueError(f"{who}: covariate {c} must be numeric",
                                    dansk=f"Forklarende variabel {c} skal være tal.") from None
        if not np.all(np.isfinite(x)):
            raise InvalidValueError(f"{who}: covariate {c} has missing or infinite values",
                                    dansk=f"Forklarende variabel {c} har manglende værdier.")
        X_cols.append(x)
    X = np.column_stack(X_cols)
    if np.linalg.matrix_rank(X) < X.shape[1] or X.shape[1] >= len(units):
        raise InvalidValueError(f"{who}: the covariates {covariates} are collinear or too many for "
                                f"{len(units)} units", dansk="De forklarende variable kan ikke estimeres.")
    return X


@dataclass(frozen=True)
class _PrevalenceModel:
    """The fitted Poisson prevalence model: ``beta`` and its covariance ``cov`` (scaled by the Pearson
    dispersion when it exceeds 1), with the design ``X`` and the offset log(population)."""

    X: np.ndarray
    offset: np.ndarray
    beta: np.ndarray
    cov: np.ndarray

    def shares(self, b: np.ndarray) -> np.ndarray:
        """Each unit's share of the predicted counts for coefficients ``b`` (one vector, or one per row)."""
        eta = self.offset + self.X @ b.T if b.ndim == 1 else self.offset[None, :] + b @ self.X.T
        eta = eta - eta.max(axis=-1, keepdims=True)
        w = np.exp(eta)
        return w / w.sum(axis=-1, keepdims=True)


def _prevalence_model(area: _AreaData) -> _PrevalenceModel:
    """Poisson GLM ``log E[observed_i] = log(population_i) + x_i' beta`` (quasi-Poisson covariance)."""
    X, y = area.X, area.observed
    offset = np.log(area.population)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    beta = np.asarray(fit.params, dtype=float)
    df_resid = len(y) - X.shape[1]
    dispersion = max(1.0, float(fit.pearson_chi2) / df_resid) if df_resid > 0 else 1.0
    cov = np.asarray(fit.cov_params(), dtype=float) * dispersion
    return _PrevalenceModel(X=X, offset=offset, beta=beta, cov=cov)


def _bootstrap_interval(total: float, se_log: float, model: _PrevalenceModel, level: float, n_sim, seed,
                        who: str) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per unit from the parametric bootstrap described in :func:`small_area`:
    a log-normal total, ``beta`` from its normal distribution, multinomial unit counts."""
    rng = np.random.default_rng(seed)
    n_sim = int(_number(n_sim, "n_sim", who, minimum=1.0, integer=True))
    totals = total * np.exp(rng.normal(0.0, se_log, size=n_sim))  # log-normal with median = total
    betas = rng.multivariate_normal(model.beta, model.cov, size=n_sim, method="eigh")
    sh = model.shares(betas)
    n_k = np.rint(totals).astype(np.int64)
    counts = rng.multinomial(n_k, sh).astype(float)
    # rescale the whole-number draw to the drawn (real) total so each draw adds up to it exactly
    draws = counts * np.where(n_k > 0, totals / np.maximum(n_k, 1), 0.0)[:, None]
    q = (0.5 - level / 2, 0.5 + level / 2)
    lower, upper = np.quantile(draws, q, axis=0)
    return lower, upper


def proportional_allocation(total, total_se_or_ci, observed, *, level: float = 0.95, n_sim: int = 4000,
                            seed: int = 0, dispersion: float = 0.0) -> pd.DataFrame:
    """Allocate a national (or regional) size to areas in proportion to those seen in each.

    This is not a model of prevalence: it assumes that the registers see the same share
    ``p = n / N`` of the target group in every area (``n`` the number seen in all areas,
    ``N`` = ``total``), so area ``k`` with ``n_k`` seen has ``N_k = N n_k / n``. The estimates
    add up to ``total``. Where the registers see a larger or smaller share than nationally,
    the estimate is too low or too high by that ratio, and nothing in the data can tell.

    ``observed`` is a pandas Series of counts seen per area (index: the area keys).
    ``total_se_or_ci`` as for :func:`small_area` (an s.e., a ``(lower, upper)`` interval or a
    result with ``lower``/``upper``). Interval (simulation, ``n_sim`` draws, seeded): the total is
    drawn log-normal with its uncertainty (the national uncertainty, common to every area), so
    ``p = n / N``; given ``p`` the area's unseen count is negative binomial (the persons not seen
    before ``n_k`` were seen, each seen with probability ``p``). ``dispersion`` ``tau`` (e.g. from
    :func:`coverage_dispersion`) adds the areas' differences in coverage: each area's draw is multiplied by
    its own ``exp(tau Z)``, ``Z`` standard normal. Percentile interval at ``level``.

    Returns a DataFrame indexed like ``observed`` with ``observed``, ``estimate``, ``lower``,
    ``upper``.
    """
    who = "proportional_allocation"
    level = _check_level(level, who)
    total = _number(total, "total", who, minimum=0.0, strict=True)
    se_log = _total_log_se(total, total_se_or_ci, level, who)
    if not isinstance(observed, pd.Series):
        raise InvalidValueError(f"{who}: observed must be a pandas Series of counts by area, got "
                                f"{type(observed).__name__}", dansk="De observerede antal skal angives pr. område.")
    obs = np.asarray(observed, dtype=float)
    if obs.size == 0 or not np.all(np.isfinite(obs)) or np.any(obs < 0) or obs.sum() <= 0:
        raise InvalidValueError(f"{who}: observed must be counts >= 0, not all 0",
                                dansk="De observerede antal skal være ikke-negative og ikke alle 0.")
    n = float(obs.sum())
    if total < n:
        raise InvalidValueError(f"{who}: the total {_fmt(total)} is below the {_fmt(n)} persons observed",
                                dansk=f"Totalen ({_fmt(total)}) er mindre end antallet set ({_fmt(n)}).")
    rng = np.random.default_rng(seed)
    n_sim = int(_number(n_sim, "n_sim", who, minimum=1.0, integer=True))
    totals = np.maximum(total * np.exp(rng.normal(0.0, se_log, size=n_sim)), n)
    p = np.clip(n / totals, 1e-9, 1.0)
    k = np.rint(obs).astype(np.int64)
    unseen = rng.negative_binomial(np.maximum(k, 1)[None, :], p[:, None]) * (k > 0)[None, :]
    draws = (k[None, :] + unseen).astype(float)
    tau = _number(dispersion, "dispersion", who)
    if tau > 0:
        draws *= np.exp(rng.normal(0.0, tau, size=draws.shape))
    q = (0.5 - level / 2, 0.5 + level / 2)
    lower, upper = np.quantile(draws, q, axis=0)
    return pd.DataFrame({"observed": obs, "estimate": total * obs / n, "lower": lower, "upper": upper},
                        index=observed.index)


@dataclass(frozen=True)
class DispersionResult(Resultatvisning):
    """Between-area spread of register coverage (see :func:`coverage_dispersion`).

    ``tau`` is the DerSimonian–Laird moment estimate (no interval); ``q`` the heterogeneity statistic over
    ``areas`` areas (``p_value`` its test), each with at least ``min_seen`` persons seen; ``model`` the
    dependence between the registers that all areas share.
    """

    tau: float
    q: float
    areas: int
    min_seen: int
    model: str

    @property
    def p_value(self) -> float:
        """The test of no differences between the areas: ``Q`` against chi-square on ``areas - 1`` df."""
        return float(stats.chi2.sf(self.q, self.areas - 1))


def coverage_dispersion(area_counts: Mapping, interactions=(), heterogeneity: str | None = None, *,
                        min_seen: int = 150) -> DispersionResult:
    """How much the registers' coverage differs between areas, beyond chance (for :func:`proportional_allocation`).

    ``area_counts`` maps an area key to its capture-history counts (as for :func:`loglinear`). The model
    ``interactions``/``heterogeneity`` is fitted to the sum over the areas; then each area with at least
    ``min_seen`` persons seen gets its own main effects with the national interaction (and heterogeneity)
    coefficients held fixed (a stratified log-linear model with common dependence), which gives its own
    estimate ``N_k`` with variance ``v_k`` (delta method, as :func:`loglinear`). With ``r_k = log(N_k / A_k)``,
    ``A_k`` the area's share of the national estimate in proportion to those seen, the between-area variance
    of ``r`` is DerSimonian & Laird's (1986) moment estimate ``tau**2 = max(0, (Q - (K - 1)) / (S1 - S2 / S1))``
    with weights ``w_k = N_k**2 / v_k``, ``Q = sum w_k (r_k - r_bar)**2``, ``S1 = sum w``, ``S2 = sum w**2``.
    Areas whose own unseen part is not bounded (e.g. a zero overlap) are left out. Only ``tau`` is used
    downstream (the single areas' estimates are not published: they rest on small cells).
    """
    who = "coverage_dispersion"
    if not isinstance(area_counts, Mapping) or not area_counts:
        raise InvalidValueError(f"{who}: area_counts must map areas to capture-history counts",
                                dansk="Angiv fangsthistorier pr. område.")
    parsed = {k: _parse_counts(c, who, every_list_seen=False) for k, c in area_counts.items()}
    t, histories, _ = next(iter(parsed.values()))
    if any(p[0] != t for p in parsed.values()):
        raise InvalidValueError(f"{who}: every area needs the same lists",
                                dansk="Alle områder skal have samme registre.")
    total = sum(p[2] for p in parsed.values())
    pairs = _parse_interactions(interactions, t, who)
    form, theta = _check_heterogeneity(heterogeneity, None, t, who)
    X = _design(histories, pairs, form, theta)
    beta = np.asarray(_glm(X, total).params, dtype=float)
    n_hat = float(total.sum()) + math.exp(beta[0])
    offset = X[:, 1 + t:] @ beta[1 + t:]
    main = X[:, :1 + t]
    r, w = [], []
    for y in (p[2] for p in parsed.values()):
        seen = float(y.sum())
        if seen < min_seen:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(y, main, family=sm.families.Poisson(), offset=offset).fit()
        u, var_u = float(fit.params[0]), float(fit.cov_params()[0, 0])
        if not (u < 50 and math.isfinite(var_u) and var_u > 0):  # the area's own unseen part is not bounded
            continue
        n0 = math.exp(u)
        n_k = seen + n0
        r.append(math.log(n_k / (n_hat * seen / float(total.sum()))))
        w.append(n_k**2 / (n0 + n0**2 * var_u))
    if len(r) < 3:
        raise InvalidValueError(f"{who}: fewer than 3 areas with at least {min_seen} persons seen",
                                dansk=f"Færre end 3 områder med mindst {min_seen} personer set.")
    r_, w_ = np.array(r), np.array(w)
    r_bar = float(np.sum(w_ * r_) / w_.sum())
    q = float(np.sum(w_ * (r_ - r_bar) ** 2))
    tau2 = max(0.0, (q - (len(r) - 1)) / (w_.sum() - np.sum(w_**2) / w_.sum()))
    return DispersionResult(tau=math.sqrt(tau2), q=q, areas=len(r), min_seen=min_seen,
                            model=_model_label(pairs, form))
