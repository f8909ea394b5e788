"""Growth measures and count trends for yearly series.

Every function takes a pandas Series of counts indexed by year (int) and is pure
(no I/O). :func:`trend` fits a log-linear GLM, ``log E[count] = a + b*(year -
first_year)``, so the annual growth is ``(exp(b) - 1) * 100`` percent, and
projects the next years with a prediction interval. It also tests whether the
straight line on the log scale fits (a quadratic term, :class:`Curvature`) and,
when it does not, widens the projection to cover the bent trend too.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InvalidValueError, InvalidYearsError
from ._lazy import lazy
from ._resultat import Resultatvisning

optimize, stats = lazy("scipy.optimize"), lazy("scipy.stats")

FAMILIES = ("poisson", "negbin")
N_SIMULATIONS = 4000
SEED = 0
#: Significance level of the curvature test: below it the straight log-linear trend is said not to fit.
CURVATURE_ALPHA = 0.05
#: Simulated means above this are beyond what a count draw supports: the projection is then unbounded.
_MAX_MEAN = 1e15

__all__ = ["CURVATURE_ALPHA", "FAMILIES", "Curvature", "TrendResult", "cagr", "index_to_base", "percent_change",
           "rate_per_1000", "trend"]


# --------------------------------------------------------------------------- validation


def _fmt(value) -> str:
    """A value for messages: numbers as 0, -5, 2.5, nan (no numpy reprs), anything else as repr."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.10g}"
    return repr(value)


def _year(value, name: str) -> int:
    """A year as int (ints, numpy ints and whole-number floats); anything else is an error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value).is_integer():
        raise InvalidYearsError(f"{name} must be a year (whole number), got {_fmt(value)}",
                                dansk=f"{name} skal være et årstal, ikke {_fmt(value)}.")
    return int(value)


def _as_series(series, what: str) -> pd.Series:
    """A float Series with a unique integer year index, sorted by year (values unchecked)."""
    if isinstance(series, Mapping) and not isinstance(series, pd.Series):
        series = pd.Series(series)
    if not isinstance(series, pd.Series):
        raise InvalidValueError(f"{what}: expected a pandas Series indexed by year, got {type(series).__name__}",
                                dansk="Forventede en tidsserie med årstal som indeks.")
    years = [_year(y, f"{what}: index value") for y in series.index]
    dup = sorted(y for y, n in Counter(years).items() if n > 1)
    if dup:
        raise InvalidYearsError(f"{what}: duplicate years {dup}; each year must occur once",
                                dansk=f"Årene {dup} optræder mere end én gang.")
    try:
        values = np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{what}: values must be numbers, got dtype {series.dtype}",
                                dansk="Værdierne skal være tal.") from None
    out = pd.Series(values, index=pd.Index(years, name=series.index.name), name=series.name)
    return out.sort_index()


def _value_at(s: pd.Series, year: int, name: str) -> float:
    if year not in s.index:
        raise InvalidYearsError(
            f"{name} {year} is not in the series, which has the years {s.index.min()}-{s.index.max()}",
            dansk=f"Året {year} findes ikke i data ({s.index.min()}–{s.index.max()}).",
        )
    return float(s.loc[year])


def _start_end(series, start_year, end_year, what: str) -> tuple[float, float, int, int]:
    s = _as_series(series, what)
    start, end = _year(start_year, "start_year"), _year(end_year, "end_year")
    if start >= end:
        raise InvalidYearsError(f"{what}: start_year {start} must be before end_year {end}",
                                dansk=f"Startåret ({start}) skal ligge før slutåret ({end}).")
    a, b = _value_at(s, start, "start_year"), _value_at(s, end, "end_year")
    for year, v in ((start, a), (end, b)):
        if not math.isfinite(v):
            raise InvalidValueError(f"{what}: the value for {year} is {_fmt(v)}; a finite number is needed",
                                    dansk=f"Værdien for {year} mangler.")
    if a == 0:
        raise InvalidValueError(f"{what}: the value for start_year {start} is 0; growth from 0 is undefined",
                                dansk=f"Værdien i startåret {start} er 0, så væksten kan ikke beregnes.")
    return a, b, start, end


# --------------------------------------------------------------------------- simple measures


def index_to_base(series, base_year) -> pd.Series:
    """The series as an index with ``base_year`` = 100: ``value / value[base_year] * 100``."""
    s = _as_series(series, "index_to_base")
    year = _year(base_year, "base_year")
    base = _value_at(s, year, "base_year")
    if base == 0 or not math.isfinite(base):
        raise InvalidValueError(f"index_to_base: the value in base_year {year} is {_fmt(base)}; "
                                "a finite, non-zero base is needed",
                                dansk=f"Værdien i basisåret {year} er {_fmt(base)}; vælg et andet basisår.")
    return s / base * 100


def percent_change(series, start_year, end_year) -> float:
    """Percent change from ``start_year`` to ``end_year``: ``(end / start - 1) * 100``."""
    a, b, _, _ = _start_end(series, start_year, end_year, "percent_change")
    return (b / a - 1) * 100


def cagr(series, start_year, end_year) -> float:
    """Compound annual growth rate in percent: ``((end / start) ** (1 / years) - 1) * 100``."""
    a, b, start, end = _start_end(series, start_year, end_year, "cagr")
    if a < 0 or b < 0:
        raise InvalidValueError(f"cagr: needs non-negative values, got {_fmt(a)} ({start}) and {_fmt(b)} ({end})",
                                dansk="Den årlige vækstrate kræver værdier, der ikke er negative.")
    return ((b / a) ** (1 / (end - start)) - 1) * 100


def rate_per_1000(count, population):
    """``count / population * 1000`` for scalars, arrays or Series (Series must share their index).

    Missing values (NaN) stay missing; a population <= 0 (or infinite) and a negative count are errors.
    """
    both_series = isinstance(count, pd.Series) and isinstance(population, pd.Series)
    if both_series and not count.index.equals(population.index):
        only_c = sorted(set(count.index) - set(population.index), key=str)
        only_p = sorted(set(population.index) - set(count.index), key=str)
        if only_c or only_p or count.index.has_duplicates or population.index.has_duplicates:
            raise InvalidValueError(
                f"rate_per_1000: count and population must have the same index; only in count: {only_c}, "
                f"only in population: {only_p}",
                dansk="Antal og befolkning dækker ikke de samme år/områder.",
            )
        population = population.reindex(count.index)

    def _floats(x, name):
        try:
            return np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise InvalidValueError(f"rate_per_1000: {name} must be numbers, got {x!r}",
                                    dansk=f"{name} skal være tal.") from None

    c, p = _floats(count, "count"), _floats(population, "population")
    bad_p = p[~np.isnan(p) & ((p <= 0) | np.isinf(p))]
    if bad_p.size:
        v = _fmt(bad_p.ravel()[0])
        raise InvalidValueError(f"rate_per_1000: population must be > 0 and finite, got {v}",
                                dansk=f"Befolkningstallet skal være større end 0, ikke {v}.")
    bad_c = c[c < 0]
    if bad_c.size:
        v = _fmt(bad_c.ravel()[0])
        raise InvalidValueError(f"rate_per_1000: count must be >= 0, got {v}",
                                dansk=f"Antallet kan ikke være negativt ({v}).")
    try:
        rate = np.divide(c, p) * 1000
    except ValueError:
        raise InvalidValueError(f"rate_per_1000: count (shape {c.shape}) and population (shape {p.shape}) "
                                "do not have matching shapes",
                                dansk="Antal og befolkning har ikke samme længde.") from None
    if isinstance(count, pd.Series):
        return pd.Series(rate, index=count.index, name=count.name)
    if isinstance(population, pd.Series):
        return pd.Series(rate, index=population.index, name=population.name)
    if rate.ndim == 0:
        return float(rate)
    return rate


# --------------------------------------------------------------------------- trend


@dataclass(frozen=True)
class Curvature:
    """Test of the straight log-linear trend against one with a quadratic term, ``+ c*(year - first)**2``.

    ``test`` is ``"F"`` when the quadratic model is overdispersed (quasi-Poisson: ``statistic`` =
    drop in deviance / its Pearson chi2/df, on ``df`` = (1, n - 3)) and ``"chi2"`` otherwise (drop in
    deviance on 1 df). ``curved`` is ``p_value < CURVATURE_ALPHA``; ``quadratic`` is ``c`` (log scale,
    per year squared): below 0 the growth slows, above 0 it speeds up. ``fitted`` are the quadratic
    model's fitted counts by year.
    """

    statistic: float
    df: tuple[int, int]
    p_value: float
    test: str
    quadratic: float
    curved: bool
    dispersion: float
    fitted: pd.Series = field(repr=False)


@dataclass(frozen=True)
class TrendResult(Resultatvisning):
    """A fitted log-linear count trend.

    ``annual_growth``, ``lower`` and ``upper`` are percent per year (CI at ``level``; a t quantile on
    ``df_resid`` degrees of freedom when the quasi-Poisson scale is estimated, else normal: ``quantile``
    is ``"t"`` or ``"z"``). ``dispersion`` is the Pearson chi2/df of the Poisson fit (> 1 means
    overdispersion); ``alpha`` is the negative binomial alpha (variance ``mu + alpha*mu**2``; 0 for
    Poisson). ``projection`` has the columns ``aar``, ``forventet``, ``nedre``, ``oevre`` (prediction
    interval). ``curvature`` is the test of the straight line (None with fewer than 4 years or when the
    quadratic model cannot be fitted); when it finds curvature the projection interval also covers the
    quadratic model's (``projection_widened``).
    """

    annual_growth: float
    lower: float
    upper: float
    family: str
    dispersion: float
    level: float
    n_years: int
    fitted: pd.Series = field(repr=False)
    projection: pd.DataFrame = field(repr=False)
    alpha: float = 0.0
    df_resid: int = 0
    quantile: str = "z"
    curvature: Curvature | None = None
    projection_widened: bool = False


def _check_counts(series) -> pd.Series:
    s = _as_series(series, "trend")
    if len(s) < 3:
        raise InvalidYearsError(f"trend: needs at least 3 years, got {len(s)} ({list(s.index)})",
                                dansk=f"En trend kræver mindst 3 år; der er {len(s)}.")
    bad = s[~np.isfinite(s.to_numpy()) | (s.to_numpy() < 0)]
    if len(bad):
        year, v = bad.index[0], bad.iloc[0]
        raise InvalidValueError(f"trend: counts must be finite and >= 0, got {_fmt(v)} in {year}",
                                dansk=f"Antallet i {year} er {_fmt(v)}; det skal være et tal på mindst 0.")
    positive = s.index[s.to_numpy() > 0]
    if len(positive) == 0:
        raise InvalidValueError("trend: all counts are 0; a growth rate cannot be estimated",
                                dansk="Alle antal er 0, så der kan ikke beregnes en udvikling.")
    if len(positive) == 1 and positive[0] in (s.index[0], s.index[-1]):
        # the log-linear MLE does not exist: b runs off to -inf/+inf
        raise InvalidValueError(f"trend: only {positive[0]} has counts > 0; a growth rate cannot be estimated",
                                dansk=f"Kun {positive[0]} har antal over 0, så udviklingen kan ikke beregnes.")
    return s


def _glm(y, X, family_obj, scale=None):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y, X, family=family_obj).fit(scale=scale, tol=1e-12, maxiter=200)
    if not np.all(np.isfinite(res.params)) or not np.all(np.isfinite(res.bse)):
        raise InvalidValueError("trend: the model could not be fitted (non-finite estimates)",
                                dansk="Trendmodellen kunne ikke beregnes for disse data.")
    return res


def _negbin_alpha(y, X, df: int) -> float:
    """Moment estimate of alpha: the alpha at which the NB fit's Pearson chi2 equals its df."""
    import statsmodels.api as sm

    def excess(alpha):
        res = _glm(y, X, sm.families.NegativeBinomial(alpha=alpha))
        return res.pearson_chi2 - df

    hi = 1.0
    while excess(hi) > 0 and hi < 1e8:  # chi2 -> 0 as alpha grows, so this finds a bracket
        hi *= 4
    return optimize.brentq(excess, 1e-10, hi, xtol=1e-10, rtol=1e-10)


def trend(series, horizon: int = 3, family: str = "poisson", level: float = 0.95) -> TrendResult:
    """Fit ``log E[count] = a + b*(year - first_year)`` by a GLM and project ``horizon`` years ahead.

    Poisson: if the Pearson chi2/df exceeds 1 the standard errors use that scale (quasi-Poisson,
    ``scale="X2"``). Negbin: alpha is the moment estimate (NB Pearson chi2 = df, 0 if the Poisson fit
    is not overdispersed) and the NB GLM is fitted with it. Gaps in the years are allowed.

    The CI of the growth is a Wald interval for ``b``; when the quasi-Poisson scale is estimated
    (Pearson chi2/df > 1, family poisson) its quantile is Student's t on the residual degrees of
    freedom (n - 2), as for any estimated scale (McCullagh & Nelder 1989, sec. 9.2; statsmodels'
    ``use_t=True``); otherwise (plain Poisson, or the NB with its moment alpha) the normal quantile.

    The projection is the fitted mean; its prediction interval is simulated (seed 0): 4000 draws of
    (a, b) from their estimated distribution (multivariate t on n - 2 df where the t quantile is used,
    else normal) give means ``mu``, and counts are drawn around them from Poisson(mu), a gamma-Poisson
    with variance ``dispersion*mu`` (quasi-Poisson) or the NB; the interval is the counts' quantiles,
    widened to include the point projection if needed. A trend so uncertain that the interval has no
    upper bound (simulated means beyond 1e15) is an error naming the horizon.

    Curvature: with at least 4 years the log-linear model is tested against one with a quadratic term
    (:class:`Curvature`; quasi-likelihood F-test on 1 and n - 3 df when the quadratic model is
    overdispersed, else the deviance chi2 test; both families). When the straight line does not fit
    (p < ``CURVATURE_ALPHA``) the point projection stays the straight trend, but its prediction
    interval is widened to the union with the quadratic model's (simulated the same way), so it also
    covers the case that the bend goes on.
    """
    s = _check_counts(series)
    family = _check_options(family, level, horizon)
    fit = _fit_trend(s, family)
    growth, lower, upper = _growth_interval(fit, level)
    curvature, quad = _curvature(s)
    projection = _projection(fit, horizon, level)
    widened = curvature is not None and curvature.curved and horizon > 0
    if widened:  # the straight line does not fit: cover the bent trend's prediction interval too
        bent = _projection(quad, horizon, level)
        projection["nedre"] = np.minimum(projection["nedre"], bent["nedre"])
        projection["oevre"] = np.maximum(projection["oevre"], bent["oevre"])
    return TrendResult(
        annual_growth=growth,
        lower=lower,
        upper=upper,
        family=family,
        dispersion=fit.dispersion,
        level=float(level),
        n_years=len(fit.fitted),
        fitted=fit.fitted,
        projection=projection,
        alpha=fit.alpha,
        df_resid=fit.df_resid,
        quantile="t" if fit.phi > 1 else "z",
        curvature=curvature,
        projection_widened=widened,
    )


def _check_options(family, level, horizon) -> str:
    """Check the options of :func:`trend`; returns the family in its canonical form."""
    if not isinstance(family, str) or family.strip().lower() not in FAMILIES:
        raise InvalidValueError(f"trend: unknown family {family!r}; valid families: {', '.join(FAMILIES)}",
                                dansk=f"Ukendt modeltype {family!r}; vælg {' eller '.join(FAMILIES)}.")
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise InvalidValueError(f"trend: level must be strictly between 0 and 1, got {_fmt(level)}",
                                dansk=f"Konfidensniveauet skal ligge mellem 0 og 1, ikke {_fmt(level)}.")
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 0:
        raise InvalidValueError(f"trend: horizon must be a whole number >= 0, got {horizon!r}",
                                dansk=f"Antal fremskrevne år skal være et helt tal ≥ 0, ikke {horizon!r}.")
    return family.strip().lower()


@dataclass(frozen=True)
class _TrendFit:
    """``log E[count] = a + b*(year - first) (+ c*(year - first)**2)`` fitted: ``params``, their covariance
    ``cov`` and the fitted means by year. ``dispersion`` is the Pearson chi2/df of the Poisson fit; the extra
    variance used is ``phi`` (quasi-Poisson scale, 1 if none) or ``alpha`` (negative binomial, 0 if none).
    ``df_resid`` = n - number of parameters; with ``phi > 1`` the parameters are drawn from a t on it."""

    params: np.ndarray
    cov: np.ndarray
    fitted: pd.Series
    first: int
    last: int
    dispersion: float
    phi: float
    alpha: float
    df_resid: int = 0
    degree: int = 1


def _fit_trend(s: pd.Series, family: str) -> _TrendFit:
    """The Poisson GLM, refitted as quasi-Poisson or negative binomial when it is overdispersed."""
    import statsmodels.api as sm

    years = s.index.to_numpy()
    first = int(years[0])
    y = s.to_numpy()
    X = _design(years - first, 1)
    df = len(y) - 2

    pois = _glm(y, X, sm.families.Poisson())
    dispersion = float(pois.pearson_chi2 / df)
    res, alpha, phi = pois, 0.0, 1.0  # no overdispersion: plain Poisson for both families
    if dispersion > 1 and family == "poisson":
        phi = dispersion
        res = _glm(y, X, sm.families.Poisson(), scale="X2")
    elif dispersion > 1:
        alpha = float(_negbin_alpha(y, X, df))
        res = _glm(y, X, sm.families.NegativeBinomial(alpha=alpha))

    fitted = pd.Series(np.asarray(res.fittedvalues, dtype=float), index=pd.Index(years, name="aar"),
                       name="forventet")
    return _TrendFit(params=np.asarray(res.params, dtype=float), cov=np.asarray(res.cov_params(), dtype=float),
                     fitted=fitted, first=first, last=int(years[-1]), dispersion=dispersion, phi=phi, alpha=alpha,
                     df_resid=df)


def _design(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns 1, x (, x**2) of the years since the first."""
    return np.column_stack([x.astype(float) ** k for k in range(degree + 1)])


def _curvature(s: pd.Series) -> tuple[Curvature | None, _TrendFit | None]:
    """Quasi-likelihood test of the straight log-linear trend against the quadratic one, and the quadratic fit
    (quasi-Poisson, for the projection). None for both with fewer than 4 years or a quadratic model that
    cannot be fitted (e.g. zeros at both ends)."""
    import statsmodels.api as sm

    years = s.index.to_numpy()
    n = len(years)
    if n < 4:
        return None, None
    x = years - years[0]
    y = s.to_numpy()
    try:
        lin = _glm(y, _design(x, 1), sm.families.Poisson())
        quad = _glm(y, _design(x, 2), sm.families.Poisson())
    except InvalidValueError:
        return None, None
    df2 = n - 3
    phi = float(quad.pearson_chi2 / df2)
    drop = max(float(lin.deviance - quad.deviance), 0.0)
    if phi > 1:
        test, stat, p = "F", drop / phi, float(stats.f.sf(drop / phi, 1, df2))
        quad = _glm(y, _design(x, 2), sm.families.Poisson(), scale="X2")
    else:
        test, stat, p = "chi2", drop, float(stats.chi2.sf(drop, 1))
    fitted = pd.Series(np.asarray(quad.fittedvalues, dtype=float), index=pd.Index(years, name="aar"),
                       name="forventet")
    curvature = Curvature(statistic=float(stat), df=(1, df2), p_value=p, test=test, quadratic=float(quad.params[2]),
                          curved=bool(p < CURVATURE_ALPHA), dispersion=phi, fitted=fitted)
    fit = _TrendFit(params=np.asarray(quad.params, dtype=float), cov=np.asarray(quad.cov_params(), dtype=float),
                    fitted=fitted, first=int(years[0]), last=int(years[-1]), dispersion=phi, phi=max(phi, 1.0),
                    alpha=0.0, df_resid=df2, degree=2)
    return curvature, fit


def _percent_growth(b: float) -> float:
    """Annual growth in percent for the log-scale slope ``b`` (inf beyond what a float holds)."""
    try:
        return math.expm1(b) * 100
    except OverflowError:
        return math.inf


def _quantile(fit: _TrendFit, level: float) -> float:
    """The two-sided quantile at ``level``: t on the residual df when the scale is estimated, else normal."""
    if fit.phi > 1:
        return float(stats.t.ppf(0.5 + level / 2, fit.df_resid))
    return float(stats.norm.ppf(0.5 + level / 2))


def _growth_interval(fit: _TrendFit, level: float) -> tuple[float, float, float]:
    """Annual growth in percent with its Wald CI at ``level`` (computed for b, then transformed)."""
    q = _quantile(fit, level)
    b, se_b = fit.params[1], math.sqrt(fit.cov[1, 1])
    return _percent_growth(b), _percent_growth(b - q * se_b), _percent_growth(b + q * se_b)


def _projection(fit: _TrendFit, horizon: int, level: float) -> pd.DataFrame:
    """The next ``horizon`` years: the fitted mean continued, with a simulated prediction interval
    widened to include it (columns ``aar``, ``forventet``, ``nedre``, ``oevre``)."""
    future = np.arange(fit.last + 1, fit.last + 1 + horizon)
    Xf = _design(future - fit.first, fit.degree)
    point = np.exp(Xf @ fit.params)
    counts = _simulated_counts(fit, Xf)
    q = (0.5 - level / 2, 0.5 + level / 2)
    lo, hi = (np.quantile(counts, q, axis=0, method="inverted_cdf") if horizon
              else (np.empty(0), np.empty(0)))
    if not np.all(np.isfinite(hi)):
        year = int(future[np.argmax(~np.isfinite(hi))])
        raise InvalidValueError(
            f"trend: the {level:.0%} prediction interval for {year} (horizon {horizon}) has no upper bound: the "
            f"trend of {len(fit.fitted)} years is too uncertain (dispersion {fit.dispersion:.3g}); use a smaller "
            "horizon (horizon=0 gives the growth only)",
            dansk=f"Udviklingen er for usikker til at blive fremskrevet til {year}: der er for få år eller for stor "
                  "variation fra år til år. Vælg en kortere fremskrivning (eller ingen).")
    return pd.DataFrame({
        "aar": future.astype(int),
        "forventet": point,
        "nedre": np.minimum(lo, point).astype(float),
        "oevre": np.maximum(hi, point).astype(float),
    })


def _simulated_counts(fit: _TrendFit, Xf: np.ndarray) -> np.ndarray:
    """Counts for the design rows ``Xf`` (seed ``SEED``, ``N_SIMULATIONS`` rows, floats): the parameters drawn
    from their normal distribution (multivariate t on ``df_resid`` when the scale is estimated), then counts
    around the means from Poisson, gamma-Poisson with variance ``phi*mu`` (quasi-Poisson) or the negative
    binomial. Means beyond ``_MAX_MEAN`` give inf (no count draw supports them)."""
    rng = np.random.default_rng(SEED)
    draws = rng.multivariate_normal(np.zeros(len(fit.params)), fit.cov, size=N_SIMULATIONS)
    if fit.phi > 1:  # multivariate t: normal / sqrt(chi2_df / df)
        draws = draws / np.sqrt(rng.chisquare(fit.df_resid, size=(N_SIMULATIONS, 1)) / fit.df_resid)
    eta = (fit.params + draws) @ Xf.T  # (N_SIMULATIONS, horizon)
    huge = eta > math.log(_MAX_MEAN)
    mu = np.exp(np.minimum(eta, math.log(_MAX_MEAN)))
    if fit.alpha > 0:
        mu = rng.gamma(shape=1 / fit.alpha, scale=fit.alpha * mu)
    elif fit.phi > 1:
        mu = rng.gamma(shape=mu / (fit.phi - 1), scale=fit.phi - 1)
    counts = rng.poisson(np.minimum(mu, _MAX_MEAN)).astype(float)
    counts[huge | (mu > _MAX_MEAN)] = np.inf
    return counts
