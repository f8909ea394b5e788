"""Growth measures and the GLM count trend, checked against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from vidensdata.errors import InvalidValueError, InvalidYearsError, VidensdataError
from vidensdata.methods.growth import (
    FAMILIES,
    TrendResult,
    cagr,
    index_to_base,
    percent_change,
    rate_per_1000,
    trend,
)

Z95 = stats.norm.ppf(0.975)  # 1.959964

TEN_PCT = pd.Series({2014: 100, 2015: 110, 2016: 121, 2017: 133.1})
# round(1000 * 1.05**t) for t = 0..7
EXPONENTIAL = pd.Series(dict(zip(range(2010, 2018), [1000, 1050, 1102, 1158, 1216, 1276, 1340, 1407])))
# alternating high/low years: far more variable than Poisson around the trend
OVERDISPERSED = pd.Series(dict(zip(range(2010, 2018), [100, 160, 90, 180, 110, 200, 120, 210])))
# years with gaps (2012 and 2015 missing)
GAPPY = pd.Series({2010: 52, 2011: 61, 2013: 55, 2014: 70, 2016: 81, 2017: 74})


def _log_width(res: TrendResult) -> float:
    """Width of the growth CI on the log scale: log(1+upper/100) - log(1+lower/100) = 2*z*se(b)."""
    return math.log1p(res.upper / 100) - math.log1p(res.lower / 100)


def _mean_ci(res: TrendResult, series: pd.Series, variance, scale: float = 1.0):
    """Delta-method CI of the projected mean, computed by hand from the fitted values.

    cov(a, b) = scale * (X' W X)^-1 with W = mu^2 / Var(mu) (the GLM weights for a log link);
    var(eta_h) = x_h' cov x_h, and the CI of the mean is exp(eta_h -/+ z*sd).
    """
    mu = res.fitted.to_numpy()
    x = series.index.to_numpy() - series.index[0]
    X = np.column_stack([np.ones_like(x), x]).astype(float)
    W = mu**2 / variance(mu)
    cov = scale * np.linalg.inv(X.T @ (W[:, None] * X))
    xh = np.column_stack([np.ones(len(res.projection)), res.projection["aar"] - series.index[0]])
    var_eta = np.einsum("ij,jk,ik->i", xh, cov, xh)
    eta = np.log(res.projection["forventet"].to_numpy())
    return np.exp(eta - Z95 * np.sqrt(var_eta)), np.exp(eta + Z95 * np.sqrt(var_eta)), var_eta


# --------------------------------------------------------------------------- index, change, CAGR


def test_index_to_base():
    idx = index_to_base(TEN_PCT, 2014)
    assert idx[2014] == pytest.approx(100.0)  # 100/100*100
    assert idx[2016] == pytest.approx(121.0)  # 121/100*100
    assert idx[2017] == pytest.approx(133.1)  # 133.1/100*100
    idx15 = index_to_base(TEN_PCT, 2015)
    assert idx15[2014] == pytest.approx(90.909090909)  # 100/110*100
    assert idx15[2017] == pytest.approx(121.0)  # 133.1/110*100
    assert list(idx.index) == [2014, 2015, 2016, 2017]


def test_index_to_base_keeps_missing_values_missing():
    s = pd.Series({2014: 50.0, 2015: np.nan, 2016: 75.0})
    idx = index_to_base(s, 2014)
    assert math.isnan(idx[2015])
    assert idx[2016] == pytest.approx(150.0)  # 75/50*100


def test_percent_change():
    assert percent_change(TEN_PCT, 2014, 2017) == pytest.approx(33.1)  # (133.1/100 - 1)*100
    assert percent_change(TEN_PCT, 2015, 2016) == pytest.approx(10.0)  # (121/110 - 1)*100
    assert percent_change(pd.Series({2020: 80, 2021: 60}), 2020, 2021) == pytest.approx(-25.0)  # (60/80-1)*100


def test_cagr():
    assert cagr(TEN_PCT, 2014, 2017) == pytest.approx(10.0)  # (133.1/100)**(1/3) = 1.1
    assert cagr(TEN_PCT, 2015, 2017) == pytest.approx(10.0)  # (133.1/110)**(1/2) = 1.21**0.5 = 1.1
    # 100 -> 400 over 2 years: 4**(1/2) = 2 -> +100 % a year
    assert cagr(pd.Series({2000: 100, 2001: 150, 2002: 400}), 2000, 2002) == pytest.approx(100.0)
    # 200 -> 50 over 2 years: 0.25**0.5 = 0.5 -> -50 % a year
    assert cagr(pd.Series({2000: 200, 2001: 100, 2002: 50}), 2000, 2002) == pytest.approx(-50.0)


# --------------------------------------------------------------------------- rates


def test_rate_per_1000_scalars_and_arrays():
    assert rate_per_1000(25, 12500) == pytest.approx(2.0)  # 25/12500*1000
    assert isinstance(rate_per_1000(25, 12500), float)
    out = rate_per_1000(np.array([3, 9]), np.array([1500, 2000]))
    np.testing.assert_allclose(out, [2.0, 4.5])  # 3/1500*1000, 9/2000*1000
    assert rate_per_1000(0, 100) == 0.0


def test_rate_per_1000_series_align_by_year():
    count = pd.Series({2020: 30, 2021: 45}, name="modtagere")
    pop = pd.Series({2021: 18000, 2020: 15000})  # other order: must align by year, not position
    out = rate_per_1000(count, pop)
    assert isinstance(out, pd.Series)
    assert out[2020] == pytest.approx(2.0)  # 30/15000*1000
    assert out[2021] == pytest.approx(2.5)  # 45/18000*1000
    assert out.name == "modtagere"
    # a Series against a scalar population
    assert rate_per_1000(count, 10000)[2021] == pytest.approx(4.5)  # 45/10000*1000
    # missing stays missing
    assert math.isnan(rate_per_1000(pd.Series({2020: np.nan}), pd.Series({2020: 100}))[2020])


# --------------------------------------------------------------------------- trend: estimates


def test_trend_exact_doubling_by_hand():
    # 100, 200, 400 is exactly log-linear, so the Poisson MLE fits it exactly: b = ln 2 (+100 %/year).
    res = trend(pd.Series({2020: 100, 2021: 200, 2022: 400}))
    assert res.annual_growth == pytest.approx(100.0, abs=1e-6)
    np.testing.assert_allclose(res.fitted.to_numpy(), [100, 200, 400], rtol=1e-8)
    assert res.dispersion == pytest.approx(0.0, abs=1e-8)  # perfect fit: Pearson chi2 = 0
    # Fisher information X'diag(mu)X with x = 0,1,2 and mu = 100,200,400:
    #   sum mu = 700, sum x*mu = 1000, sum x^2*mu = 1800; det = 700*1800 - 1000^2 = 260000
    #   var(b) = 700/260000 = 0.0026923, se = 0.0518875
    #   CI: exp(ln2 -/+ 1.959964*0.0518875) - 1 = 0.806605 .. 1.214097
    assert res.lower == pytest.approx(80.66054511, abs=1e-5)
    assert res.upper == pytest.approx(121.40971608, abs=1e-5)
    assert (res.family, res.level, res.n_years, res.alpha) == ("poisson", 0.95, 3, 0.0)


def test_trend_recovers_five_percent():
    res = trend(EXPONENTIAL)
    assert res.annual_growth == pytest.approx(5.0, abs=0.05)  # data are round(1000*1.05**t)
    assert res.lower < 5.0 < res.upper
    assert res.lower < res.annual_growth < res.upper
    # rounding moves each count by at most 0.5, so the fit is within ~1 of every count
    assert np.max(np.abs(res.fitted.to_numpy() - EXPONENTIAL.to_numpy())) < 1.0
    assert list(res.fitted.index) == list(range(2010, 2018))
    assert res.dispersion < 1  # no overdispersion, so plain Poisson errors (scale 1)


def _profile_score_b(years: np.ndarray, y: np.ndarray) -> float:
    """Independent Poisson MLE of b: profile out a (exp(a) = sum y / sum exp(b x)) and solve
    the score for b, sum x*y - sum y * sum(x exp(bx)) / sum(exp(bx)) = 0, by bisection."""
    x = years - years[0]

    def score(b):
        w = np.exp(b * x)
        return np.sum(x * y) - np.sum(y) * np.sum(x * w) / np.sum(w)

    return optimize.brentq(score, -2, 2, xtol=1e-14, rtol=1e-15)


def test_trend_matches_independent_poisson_mle_with_gaps():
    res = trend(GAPPY)
    b_hand = _profile_score_b(GAPPY.index.to_numpy(), GAPPY.to_numpy(dtype=float))
    assert math.log1p(res.annual_growth / 100) == pytest.approx(b_hand, abs=1e-6)
    # Poisson likelihood equations with an intercept: sum of fitted = sum of data (393)
    assert res.fitted.sum() == pytest.approx(393.0, rel=1e-8)
    # fitted values are exp(a + b*x) with exp(a) = 393 / sum exp(b*x)
    x = GAPPY.index.to_numpy() - 2010
    mu_hand = 393 / np.exp(b_hand * x).sum() * np.exp(b_hand * x)
    np.testing.assert_allclose(res.fitted.to_numpy(), mu_hand, rtol=1e-6)
    assert list(res.fitted.index) == [2010, 2011, 2013, 2014, 2016, 2017]


def test_trend_int_and_float_counts_agree():
    a = trend(GAPPY.astype(int))
    b = trend(GAPPY.astype(float))
    assert a.annual_growth == b.annual_growth
    pd.testing.assert_frame_equal(a.projection, b.projection)


def test_trend_unsorted_input_is_sorted_by_year():
    a = trend(GAPPY)
    b = trend(GAPPY.iloc[::-1])
    assert a.annual_growth == pytest.approx(b.annual_growth, abs=1e-12)
    assert list(b.projection["aar"]) == [2018, 2019, 2020]


# --------------------------------------------------------------------------- trend: projection


def test_projection_years_and_ordering():
    res = trend(EXPONENTIAL, horizon=4)
    proj = res.projection
    assert list(proj.columns) == ["aar", "forventet", "nedre", "oevre"]
    assert list(proj["aar"]) == [2018, 2019, 2020, 2021]  # last year 2017 + 1..4
    assert (proj["nedre"] <= proj["forventet"]).all() and (proj["forventet"] <= proj["oevre"]).all()
    # point projection is the fitted curve continued: ~1000*1.05**8 = 1477.5 for 2018
    assert proj["forventet"].iloc[0] == pytest.approx(1000 * 1.05**8, rel=0.005)
    assert proj["forventet"].iloc[1] / proj["forventet"].iloc[0] == pytest.approx(1 + res.annual_growth / 100)
    assert len(trend(EXPONENTIAL, horizon=0).projection) == 0


def test_prediction_interval_is_wider_than_mean_ci_and_matches_normal_approximation():
    res = trend(EXPONENTIAL)
    proj = res.projection
    lo_mean, hi_mean, var_eta = _mean_ci(res, EXPONENTIAL, variance=lambda m: m)  # Poisson: Var = mu
    assert (proj["nedre"].to_numpy() < lo_mean).all()
    assert (proj["oevre"].to_numpy() > hi_mean).all()
    # The simulation mixes both sources; for large counts it is close to the normal approximation
    # Var(count) ~ mu + mu^2 * var(eta), e.g. 2018: mu = 1477, half width 1.96*sqrt(mu + mu^2 var_eta)
    mu = proj["forventet"].to_numpy()
    half = Z95 * np.sqrt(mu + mu**2 * var_eta)
    np.testing.assert_allclose((proj["oevre"] - proj["nedre"]).to_numpy(), 2 * half, rtol=0.08)


def test_projection_is_deterministic():
    for family in FAMILIES:
        a = trend(OVERDISPERSED, family=family)
        b = trend(OVERDISPERSED, family=family)
        pd.testing.assert_frame_equal(a.projection, b.projection)
        assert (a.lower, a.upper) == (b.lower, b.upper)


# --------------------------------------------------------------------------- trend: overdispersion


def test_quasi_poisson_scales_the_interval_by_pearson_dispersion():
    res = trend(OVERDISPERSED)
    mu, y = res.fitted.to_numpy(), OVERDISPERSED.to_numpy()
    chi2_df = np.sum((y - mu) ** 2 / mu) / (8 - 2)  # Pearson chi2 / (n - 2 parameters)
    assert res.dispersion == pytest.approx(chi2_df, rel=1e-8)
    assert res.dispersion > 5  # strongly overdispersed
    # plain Poisson se(b) from the Fisher information by hand; quasi-Poisson = sqrt(dispersion) times it
    x = np.arange(8.0)
    info = np.array([[mu.sum(), (x * mu).sum()], [(x * mu).sum(), (x * x * mu).sum()]])
    se_plain = math.sqrt(np.linalg.inv(info)[1, 1])
    # the scale is estimated, so the quantile is Student's t on n - 2 = 6 df (2.446912), not z
    t6 = stats.t.ppf(0.975, 6)
    assert (res.quantile, res.df_resid) == ("t", 6)
    assert _log_width(res) == pytest.approx(2 * t6 * se_plain * math.sqrt(chi2_df), rel=1e-6)
    assert _log_width(res) > 2 * Z95 * se_plain * math.sqrt(chi2_df)  # wider than with z


def test_negbin_alpha_interval_and_projection():
    pois, nb = trend(OVERDISPERSED), trend(OVERDISPERSED, family="negbin")
    assert nb.family == "negbin" and nb.alpha > 0
    mu, y = nb.fitted.to_numpy(), OVERDISPERSED.to_numpy()
    # moment estimate: with Var = mu + alpha*mu^2 the NB Pearson chi2 equals its df (8 - 2 = 6)
    assert np.sum((y - mu) ** 2 / (mu + nb.alpha * mu**2)) == pytest.approx(6.0, rel=1e-6)
    # plain Poisson se(b) at the Poisson fit, by hand
    mu_p = pois.fitted.to_numpy()
    x = np.arange(8.0)
    info = np.array([[mu_p.sum(), (x * mu_p).sum()], [(x * mu_p).sum(), (x * x * mu_p).sum()]])
    se_plain = math.sqrt(np.linalg.inv(info)[1, 1])
    assert _log_width(nb) > 2 * Z95 * se_plain
    # both overdispersion-aware projections are wider than a plain Poisson prediction interval
    # (normal approximation 2*1.96*sqrt(mu + mu^2 var_eta) with plain Poisson var_eta)
    _, _, var_eta_plain = _mean_ci(pois, OVERDISPERSED, variance=lambda m: m)
    m = pois.projection["forventet"].to_numpy()
    plain_width = 2 * Z95 * np.sqrt(m + m**2 * var_eta_plain)
    for res in (pois, nb):
        width = (res.projection["oevre"] - res.projection["nedre"]).to_numpy()
        assert (width > 1.5 * plain_width).all()
        assert (res.projection["nedre"] <= res.projection["forventet"]).all()
        assert (res.projection["forventet"] <= res.projection["oevre"]).all()


def test_negbin_without_overdispersion_is_poisson():
    pois, nb = trend(EXPONENTIAL), trend(EXPONENTIAL, family="negbin")
    assert nb.alpha == 0.0
    assert nb.annual_growth == pytest.approx(pois.annual_growth, abs=1e-10)
    pd.testing.assert_frame_equal(nb.projection, pois.projection)


def test_level_changes_interval_width():
    narrow, wide = trend(GAPPY, level=0.8), trend(GAPPY, level=0.99)
    # log-scale widths scale with the normal quantile: z(0.995)/z(0.9) = 2.575829/1.281552
    ratio = stats.norm.ppf(0.995) / stats.norm.ppf(0.9)
    assert _log_width(wide) / _log_width(narrow) == pytest.approx(ratio, rel=1e-8)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "needle"),
    [
        (lambda: index_to_base(TEN_PCT, 2000), InvalidYearsError, "2000"),
        (lambda: index_to_base(pd.Series({2014: 0, 2015: 5}), 2014), InvalidValueError, "base_year 2014 is 0;"),
        (lambda: index_to_base(pd.Series({2014: np.nan, 2015: 5}), 2014), InvalidValueError, "nan"),
        (lambda: percent_change(TEN_PCT, 2014, 2030), InvalidYearsError, "2030"),
        (lambda: percent_change(TEN_PCT, 2017, 2014), InvalidYearsError, "2017"),
        (lambda: percent_change(TEN_PCT, 2015, 2015), InvalidYearsError, "2015"),
        (lambda: percent_change(pd.Series({2014: 0, 2015: 5}), 2014, 2015), InvalidValueError, "2014 is 0"),
        (lambda: cagr(TEN_PCT, 2010, 2017), InvalidYearsError, "2010"),
        (lambda: cagr(TEN_PCT, 2016, 2015), InvalidYearsError, "2016"),
        (lambda: cagr(pd.Series({2014: 0, 2016: 5}), 2014, 2016), InvalidValueError, "2014 is 0"),
        (lambda: cagr(TEN_PCT, 2014.5, 2017), InvalidYearsError, "2014.5"),
        (lambda: rate_per_1000(5, 0), InvalidValueError, "got 0"),
        (lambda: rate_per_1000(np.array([1, 2]), np.array([100, -5])), InvalidValueError, "-5"),
        (lambda: rate_per_1000(-3, 100), InvalidValueError, "-3"),
        (lambda: rate_per_1000(pd.Series({2020: 1}), pd.Series({2021: 100})), InvalidValueError, "2021"),
        (lambda: trend(pd.Series({2020: 5, 2021: 6})), InvalidYearsError, "got 2"),
        (lambda: trend(pd.Series({2020: 5, 2021: -3, 2022: 6})), InvalidValueError, "-3"),
        (lambda: trend(pd.Series({2020: 5, 2021: np.nan, 2022: 6})), InvalidValueError, "nan in 2021"),
        (lambda: trend(pd.Series({2020: 5, 2021: np.inf, 2022: 6})), InvalidValueError, "inf in 2021"),
        (lambda: trend(pd.Series({2020: 0, 2021: 0, 2022: 0})), InvalidValueError, "all counts are 0"),
        (lambda: trend(pd.Series({2020: 0, 2021: 0, 2022: 7})), InvalidValueError, "only 2022"),
        (lambda: trend(GAPPY, family="gamma"), InvalidValueError, "'gamma'; valid families: poisson, negbin"),
        (lambda: trend(GAPPY, level=1.5), InvalidValueError, "1.5"),
        (lambda: trend(GAPPY, level=0), InvalidValueError, "got 0"),
        (lambda: trend(GAPPY, level=1), InvalidValueError, "got 1"),
        (lambda: trend(GAPPY, horizon=-1), InvalidValueError, "-1"),
        (lambda: trend(pd.Series([5, 6, 7], index=[2020, 2020, 2021])), InvalidYearsError, "[2020]"),
        (lambda: trend(pd.Series([5, 6, 7], index=[2020.5, 2021, 2022])), InvalidYearsError, "2020.5"),
        (lambda: trend([5, 6, 7]), InvalidValueError, "list"),
    ],
)
def test_errors_name_the_bad_value(call, error, needle):
    with pytest.raises(error) as info:
        call()
    assert needle in info.value.message  # English detail; str() is the Danish text
    assert isinstance(info.value, VidensdataError) and isinstance(info.value, ValueError)
    assert info.value.dansk  # a Danish text for stakeholders


def test_gaps_are_allowed_but_a_single_interior_year_is_enough():
    # counts only in the middle year: the MLE exists (b = 0, mean 5/3 per year)
    res = trend(pd.Series({2020: 0, 2021: 5, 2022: 0}), horizon=0)
    assert res.annual_growth == pytest.approx(0.0, abs=1e-6)
    assert res.fitted.to_numpy() == pytest.approx([5 / 3] * 3, rel=1e-6)
    assert res.curvature is None  # 3 years: nothing left to test a bend with


@pytest.mark.parametrize("horizon", [1, 3, 6])
def test_unbounded_projection_is_a_clear_error(horizon):
    """0, 5, 0: dispersion 10 on 1 df, so t(0.975, 1) = 12.7 and the projection has no upper bound. Formerly
    numpy's "lam value too large"; now the package's error, naming the horizon, with a Danish text."""
    with pytest.raises(InvalidValueError) as info:
        trend(pd.Series({2020: 0, 2021: 5, 2022: 0}), horizon=horizon)
    assert f"horizon {horizon}" in info.value.message and "no upper bound" in info.value.message
    assert "for usikker" in info.value.dansk


# --------------------------------------------------------------------------- trend: t quantile and curvature

# log-quadratic: growth from 10 % a year slowing by 2 points a year (counts round(1000*exp(0.1t - 0.01t^2)))
BENT = pd.Series(dict(zip(range(2010, 2021), np.rint(1000 * np.exp(0.1 * np.arange(11) - 0.01 * np.arange(11) ** 2)))))


def test_quasi_poisson_interval_matches_statsmodels_with_t():
    import statsmodels.api as sm

    for series in (OVERDISPERSED, GAPPY * 10, BENT + np.array([0, 40, -35, 50, -30, 20, -45, 35, -20, 30, -40])):
        res = trend(series)
        x = series.index.to_numpy() - series.index[0]
        fit = sm.GLM(series.to_numpy(float), sm.add_constant(x.astype(float)), family=sm.families.Poisson()).fit(
            scale="X2", use_t=True)
        lo, hi = fit.conf_int(alpha=0.05)[1]
        assert res.dispersion > 1 and res.quantile == "t" and res.df_resid == len(series) - 2
        assert res.lower == pytest.approx(math.expm1(lo) * 100, rel=1e-6)
        assert res.upper == pytest.approx(math.expm1(hi) * 100, rel=1e-6)
    plain = trend(EXPONENTIAL)  # no overdispersion: scale 1 is known, so z
    assert plain.quantile == "z" and _log_width(plain) / 2 / Z95 == pytest.approx(
        math.sqrt(sm.GLM(EXPONENTIAL.to_numpy(float), sm.add_constant(np.arange(8.0)),
                         family=sm.families.Poisson()).fit().cov_params()[1, 1]), rel=1e-6)


def _poisson_fit_by_hand(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Poisson MLE by Newton-Raphson on the log-likelihood (independent of statsmodels): fitted means."""
    beta = np.zeros(X.shape[1])
    beta[0] = math.log(y.mean())
    for _ in range(100):
        mu = np.exp(X @ beta)
        step = np.linalg.solve(X.T @ (mu[:, None] * X), X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-13:
            break
    return np.exp(X @ beta)


def _deviance(y, mu):
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return 2 * np.sum(term - (y - mu))


def test_curvature_test_by_hand():
    """Quasi-likelihood F-test: (D_lin - D_quad) / phi_quad on 1 and n - 3 df, phi from the quadratic fit's
    Pearson chi2 (McCullagh & Nelder 1989, sec. 9.2)."""
    noisy = BENT + np.array([0, 40, -35, 50, -30, 20, -45, 35, -20, 30, -40])
    y = noisy.to_numpy(float)
    x = np.arange(11.0)
    lin = _poisson_fit_by_hand(y, np.column_stack([np.ones(11), x]))
    quad = _poisson_fit_by_hand(y, np.column_stack([np.ones(11), x, x ** 2]))
    phi = np.sum((y - quad) ** 2 / quad) / 8
    f = (_deviance(y, lin) - _deviance(y, quad)) / phi
    res = trend(noisy)
    c = res.curvature
    assert c.test == "F" and c.df == (1, 8) and phi > 1
    assert c.statistic == pytest.approx(f, rel=1e-6)
    assert c.p_value == pytest.approx(stats.f.sf(f, 1, 8), rel=1e-6)
    assert c.curved and c.quadratic == pytest.approx(-0.01, abs=0.003)  # the planted bend
    np.testing.assert_allclose(c.fitted.to_numpy(), quad, rtol=1e-6)


def test_straight_trend_is_not_curved():
    res = trend(EXPONENTIAL)
    assert res.curvature is not None and not res.curvature.curved and res.curvature.p_value > 0.5
    assert res.curvature.test == "chi2"  # the quadratic fit is not overdispersed: deviance chi2 on 1 df
    assert not res.projection_widened
    assert trend(pd.Series({2020: 100, 2021: 200, 2022: 400})).curvature is None


def test_projection_widens_to_cover_the_bent_trend():
    noisy = BENT + np.array([0, 40, -35, 50, -30, 20, -45, 35, -20, 30, -40])
    res = trend(noisy, horizon=4)
    assert res.projection_widened
    # the straight trend's point projection is kept ...
    x = np.arange(11.0)
    y = noisy.to_numpy(float)
    assert res.projection["forventet"].iloc[0] / res.fitted.iloc[-1] == pytest.approx(1 + res.annual_growth / 100)
    # ... and the interval also covers the quadratic model's projection, far below the straight line
    quad = _poisson_fit_by_hand(y, np.column_stack([np.ones(11), x, x ** 2]))
    beta = np.linalg.lstsq(np.column_stack([np.ones(11), x, x ** 2]), np.log(quad), rcond=None)[0]
    future = np.arange(11.0, 15.0)
    bent = np.exp(np.column_stack([np.ones(4), future, future ** 2]) @ beta)
    assert (bent < res.projection["forventet"].to_numpy() * 0.9).all()
    assert (res.projection["nedre"].to_numpy() < bent).all() and (bent < res.projection["oevre"].to_numpy()).all()
    assert (res.projection["nedre"] <= res.projection["forventet"]).all()
