"""Population size methods: closed forms, published three- and four-list results, recovery, errors.

Published reference values
--------------------------
The published counts and estimates below are those that the R package Rcapture (Baillargeon &
Rivest) reproduces in its own test suite, file ``inst/tests/testPapersResults.R``
(https://github.com/cran/Rcapture/blob/master/inst/tests/testPapersResults.R, CRAN mirror, commit
09223d1f69e3e701cb0ebb81e947235c4cf75385). Capture histories there are in Rcapture's
``histpos.t`` order, for three lists ``111, 110, 101, 100, 011, 010, 001``.

- Cormack, R. M., Chang, Y.-F. & Smith, G. S. (2000). Estimating deaths from industrial injury
  by capture-recapture: a cautionary tale. International Journal of Epidemiology 29, 1053-1059.
  Table 3b (three lists): counts 72, 5, 29, 54, 24, 3, 14. Independence: N = 209, deviance 75.1
  on 3 df, profile-likelihood 95 % CI 203-217; model [2x3]: deviance 1.2 on 2 df, lower limit
  210; [1x2 + 2x3]: deviance 0.6 on 1 df; [1x3 + 2x3]: N = 233 on 1 df, lower limit 204;
  saturated: deviance 0 on 0 df. Table 3a (four lists): independence N = 215, deviance 87.1 on
  10 df; [1x2 + 1x3 + 3x4]: N = 218, deviance 2.6 on 7 df.
- Darroch, J. N., Fienberg, S. E., Glonek, G. F. V. & Junker, B. W. (1993). A three-sample
  multiple-recapture approach to census population estimation with heterogeneous
  catchability. JASA 88, 1137-1148, data R3: counts 72, 155, 7, 71, 13, 53, 43; estimates as
  published by Rivest, L.-P. (2011), A lower bound model for multiple record systems
  estimation with heterogeneous catchability, Int. J. Biostatistics 7(1): saturated N = 1240
  (s.e. 451); [1x2 + 2x3] N = 850 (s.e. 186), deviance 3.8 on 1 df.
- Bruno, G. et al. (1994), diabetes in Casale Monferrato, four lists, counts 58, 157, 18, 104,
  46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10; Rivest (2011): Bruno's model (all pairs but 1x4)
  N = 2771 (s.e. 145), deviance 7.62 on 5 df; [1x3 + 2x4 + 3x4] N = 2472 (s.e. 53), deviance
  21.97 on 7 df.

Rcapture rounds the same way as below (``round(x)`` or ``round(x, 1)``); the rows where
Rcapture's authors could not reproduce the paper (commented out in their file) are left out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, special, stats

from vidensdata.errors import InvalidValueError, UnknownColumnError, VidensdataError
from vidensdata.methods.population_size import (
    ChaoResult,
    LoglinearResult,
    MultiplierResult,
    TwoListResult,
    chao_lower_bound,
    chapman,
    goodness_of_fit,
    lincoln_petersen,
    loglinear,
    multiplier,
    select_model,
    small_area,
)

H3 = ["111", "110", "101", "100", "011", "010", "001"]  # Rcapture histpos.t(3) order
H4 = [format(i, "04b") for i in range(15, 0, -1)]  # histpos.t(4) order: 1111, 1110, ..., 0001

CORMACK3 = dict(zip(H3, [72, 5, 29, 54, 24, 3, 14]))
CORMACK4 = dict(zip(H4, [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2]))
DARROCH_R3 = dict(zip(H3, [72, 155, 7, 71, 13, 53, 43]))
DIABETES = dict(zip(H4, [58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10]))

Z95 = stats.norm.ppf(0.975)


# --------------------------------------------------------------------------- two lists, closed forms


def test_lincoln_petersen_closed_form():
    assert lincoln_petersen(100, 50, 30) == pytest.approx(100 * 50 / 30)
    assert lincoln_petersen(10, 10, 10) == pytest.approx(10)


def test_chapman_closed_form():
    r = chapman(100, 50, 30)
    assert isinstance(r, TwoListResult)
    # (101 * 51) / 31 - 1 and Seber's variance 101*51*70*20 / (31**2 * 32), by hand
    assert r.n_hat == pytest.approx(165.16129032258064, rel=1e-12)
    assert r.se == pytest.approx(math.sqrt(7211400 / 30752), rel=1e-12)
    # Chao's log-normal interval: f0 = 45.16129, C = exp(z sqrt(log(1 + var / f0^2)))
    f0 = r.n_hat - 120
    c = math.exp(Z95 * math.sqrt(math.log(1 + r.se**2 / f0**2)))
    assert (r.lower, r.upper) == pytest.approx((120 + f0 / c, 120 + f0 * c), rel=1e-12)
    assert (r.lower, r.upper) == pytest.approx((143.657, 206.214), abs=1e-3)
    assert 120 < r.lower < r.n_hat < r.upper


def test_chapman_edge_cases():
    # everybody seen twice: nothing is missing and the interval collapses
    r = chapman(40, 40, 40)
    assert (r.n_hat, r.se, r.lower, r.upper) == (40, 0, 40, 40)
    # no overlap: Chapman is still finite, (n1+1)(n2+1) - 1
    r = chapman(9, 4, 0)
    assert r.n_hat == pytest.approx(49)
    assert r.lower >= 13
    assert chapman(100, 50, 30, level=0.8).upper < chapman(100, 50, 30).upper


def test_two_list_independence_loglinear_equals_lincoln_petersen():
    n11, n10, n01 = 30, 70, 20
    r = loglinear({"11": n11, "10": n10, "01": n01})
    n1, n2 = n11 + n10, n11 + n01
    assert r.n_hat == pytest.approx(lincoln_petersen(n1, n2, n11), rel=1e-9)
    assert r.n0 == pytest.approx(n10 * n01 / n11, rel=1e-9)
    # the log-linear s.e. equals the classical variance of Lincoln-Petersen n1 n2 (n1-m)(n2-m) / m^3
    assert r.se == pytest.approx(math.sqrt(n1 * n2 * (n1 - n11) * (n2 - n11) / n11**3), rel=1e-9)
    assert r.df == 0 and r.deviance == 0
    assert r.observed == 120 and r.n_lists == 2
    assert 120 <= r.lower < r.n_hat < r.upper


# --------------------------------------------------------------------------- published results


@pytest.mark.parametrize(
    ("interactions", "n_hat", "deviance", "df", "lower", "upper"),
    [
        ((), 209, 75.1, 3, 203, 217),
        ([(2, 3)], None, 1.2, 2, 210, None),
        ([(1, 2), (2, 3)], None, 0.6, 1, None, None),
        ([(1, 3), (2, 3)], 233, None, 1, 204, None),
        ("saturated", None, 0.0, 0, None, None),
    ],
)
def test_cormack_chang_smith_2000_table_3b(interactions, n_hat, deviance, df, lower, upper):
    r = loglinear(CORMACK3, interactions)
    assert r.observed == 201 and r.n_lists == 3
    assert r.df == df
    if n_hat is not None:
        assert round(r.n_hat) == n_hat
    if deviance is not None:
        assert round(r.deviance, 1) == deviance
    if lower is not None:
        assert round(r.lower) == lower
    if upper is not None:
        assert round(r.upper) == upper


def test_cormack_chang_smith_2000_table_3a_four_lists():
    r = loglinear(CORMACK4)
    assert (round(r.n_hat), round(r.deviance, 1), r.df) == (215, 87.1, 10)
    r = loglinear(CORMACK4, [(1, 2), (1, 3), (3, 4)])
    assert (round(r.n_hat), round(r.deviance, 1), r.df) == (218, 2.6, 7)
    # all two-way interactions: the unseen part is not identified (N > 1,000,000 in the paper)
    r = loglinear(CORMACK4, "saturated")
    assert r.n_hat > 1_000_000
    assert (round(r.deviance, 1), r.df) == (1.3, 4)
    assert r.lower == 215 and math.isinf(r.upper)


def test_darroch_r3_as_published_by_rivest_2011():
    sat = loglinear(DARROCH_R3, "saturated")
    assert (round(sat.n_hat), round(sat.se)) == (1240, 451)
    inter2 = loglinear(DARROCH_R3, [(1, 2), (2, 3)])
    assert (round(inter2.n_hat), round(inter2.se), round(inter2.deviance, 1), inter2.df) == (850, 186, 3.8, 1)


def test_bruno_diabetes_as_published_by_rivest_2011():
    bruno = loglinear(DIABETES, [(1, 2), (1, 3), (2, 3), (2, 4), (3, 4)])
    assert (round(bruno.n_hat), round(bruno.se), round(bruno.deviance, 2), bruno.df) == (2771, 145, 7.62, 5)
    chosen = loglinear(DIABETES, [(1, 3), (2, 4), (3, 4)])
    assert (round(chosen.n_hat), round(chosen.se), round(chosen.deviance, 2), chosen.df) == (2472, 53, 21.97, 7)


# --------------------------------------------------------------------------- the log-linear fit itself


def _profile_loglik_statsmodels(counts: dict, pairs, N: float) -> float:
    """Cormack's multinomial profile log-likelihood, computed independently with statsmodels."""
    hist = list(counts) + ["0" * len(next(iter(counts)))]
    y = np.array(list(counts.values()) + [N - sum(counts.values())], dtype=float)
    h = np.array([[int(c) for c in s] for s in hist], dtype=float)
    X = np.column_stack([np.ones(len(hist))] + [h[:, j] for j in range(h.shape[1])]
                        + [h[:, a - 1] * h[:, b - 1] for a, b in pairs])
    mu = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12).fittedvalues
    return float(special.gammaln(N + 1) - special.gammaln(y[-1] + 1) + np.sum(special.xlogy(y, mu / N)))


@pytest.mark.parametrize("pairs", [(), ((2, 3),), ((1, 3), (2, 3))])
def test_profile_interval_is_where_the_likelihood_drops_by_chi2(pairs):
    r = loglinear(CORMACK3, pairs, level=0.95)
    best = optimize.minimize_scalar(lambda N: -_profile_loglik_statsmodels(CORMACK3, pairs, N),
                                    bounds=(r.lower, r.upper), method="bounded", options={"xatol": 1e-4})
    l_max = -best.fun
    crit = stats.chi2.ppf(0.95, 1)
    assert 2 * (l_max - _profile_loglik_statsmodels(CORMACK3, pairs, r.lower)) == pytest.approx(crit, abs=2e-3)
    assert 2 * (l_max - _profile_loglik_statsmodels(CORMACK3, pairs, r.upper)) == pytest.approx(crit, abs=2e-3)
    # just outside the interval the likelihood has fallen further
    assert 2 * (l_max - _profile_loglik_statsmodels(CORMACK3, pairs, r.upper * 1.01)) > crit
    if r.lower > r.observed + 1:
        assert 2 * (l_max - _profile_loglik_statsmodels(CORMACK3, pairs, r.lower - 1)) > crit


def test_lower_limit_is_the_number_observed_when_the_likelihood_is_flat_there():
    r = loglinear(CORMACK4)  # almost nobody unseen: N = 215.15 with 215 observed
    assert r.lower == r.observed == 215
    assert r.n_hat > r.lower


def test_no_overlap_means_no_upper_limit():
    # nobody seen by two lists: the likelihood rises without limit in N
    r = loglinear({"100": 30, "010": 25, "001": 20})
    assert math.isinf(r.n_hat) and math.isinf(r.upper) and math.isinf(r.se)
    # ... but it still bounds N from below: with N near 1,000 about two overlaps would be expected
    assert 500 < r.lower < 2_000


def test_sparse_tables_do_not_break_model_selection():
    sparse = {"111": 1, "100": 2, "010": 1}
    chosen, table = select_model(sparse)
    assert len(table) == 8
    assert (table["lower"] >= 4).all() and (table["upper"] >= table["lower"]).all()
    r = loglinear(sparse)
    assert 4 <= r.lower <= r.n_hat <= r.upper < 50


def test_result_fields_and_statsmodels_agreement():
    r = loglinear(CORMACK3, [(2, 3)])
    assert isinstance(r, LoglinearResult)
    assert r.interactions == ((2, 3),) and r.model == "2×3"
    assert r.n_hat == pytest.approx(r.observed + r.n0)
    assert r.level == 0.95
    # fitted counts: the observed cells add up to the observed total (Poisson score equation)
    assert r.fitted.drop("000").sum() == pytest.approx(201, rel=1e-8)
    assert r.fitted["000"] == pytest.approx(r.n0)
    # AIC and BIC from statsmodels' Poisson log-likelihood with 5 parameters
    y = np.array([CORMACK3[h] for h in H3], dtype=float)
    h = np.array([[int(c) for c in s] for s in H3], dtype=float)
    X = np.column_stack([np.ones(7), h, h[:, 1] * h[:, 2]])
    fit = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    assert r.aic == pytest.approx(fit.aic, rel=1e-8)
    assert r.bic == pytest.approx(-2 * fit.llf + math.log(201) * 5, rel=1e-8)
    assert r.deviance == pytest.approx(fit.deviance, rel=1e-6)
    assert r.n0 == pytest.approx(math.exp(fit.params[0]), rel=1e-8)


def test_interactions_are_normalised_and_history_order_does_not_matter():
    shuffled = pd.Series({h: CORMACK3[h] for h in reversed(H3)})
    a = loglinear(shuffled, [(3, 2), (2, 3)])
    b = loglinear(CORMACK3, [(2, 3)])
    assert a.interactions == b.interactions == ((2, 3),)
    assert a.n_hat == pytest.approx(b.n_hat) and a.upper == pytest.approx(b.upper)
    # a missing history counts as 0
    c = loglinear({k: v for k, v in CORMACK4.items() if v > 0})
    assert c.n_hat == pytest.approx(loglinear(CORMACK4).n_hat)


def test_higher_level_gives_a_wider_interval():
    narrow = loglinear(DARROCH_R3, [(1, 2)], level=0.8)
    wide = loglinear(DARROCH_R3, [(1, 2)], level=0.99)
    assert wide.lower < narrow.lower < narrow.n_hat < narrow.upper < wide.upper


def test_goodness_of_fit():
    r = loglinear(CORMACK3)
    assert goodness_of_fit(r) == pytest.approx(stats.chi2.sf(r.deviance, 3))
    assert goodness_of_fit(r) < 1e-10  # independence is rejected for these data
    assert goodness_of_fit(loglinear(CORMACK3, [(2, 3)])) > 0.5


# --------------------------------------------------------------------------- model selection


def test_select_model_fits_every_hierarchical_two_way_model():
    chosen, table = select_model(CORMACK3)
    assert len(table) == 8  # all subsets of the 3 pairs
    assert list(table.columns[:8]) == ["model", "interactions", "n_hat", "se", "lower", "upper", "deviance", "df"]
    assert {"aic", "bic", "p_value"} <= set(table.columns)
    assert table["aic"].is_monotonic_increasing
    assert chosen.interactions == table["interactions"].iloc[0] == ((2, 3),)
    assert chosen.aic == pytest.approx(table["aic"].min())
    # every row is the fit of that model
    for _, row in table.iterrows():
        r = loglinear(CORMACK3, row["interactions"])
        assert row["n_hat"] == pytest.approx(r.n_hat) and row["upper"] == pytest.approx(r.upper)
        assert row["df"] == r.df
    assert math.isnan(table.loc[table["df"] == 0, "p_value"].iloc[0])


def test_select_model_bic_and_four_lists():
    chosen, table = select_model(DIABETES, criterion="BIC")
    assert len(table) == 64
    assert table["bic"].is_monotonic_increasing
    assert chosen.bic == pytest.approx(table["bic"].min())


def test_select_model_two_lists_has_only_independence():
    chosen, table = select_model({"11": 30, "10": 70, "01": 20})
    assert len(table) == 1 and chosen.interactions == ()


# --------------------------------------------------------------------------- recovery of a planted size


def _simulate(rng, N=3000, p1=0.3, p2_if_1=0.5, p2_if_not=0.2, p3=0.25) -> dict[str, int]:
    """Three lists; list 2 depends on list 1 (a planted 1x2 interaction), list 3 independent."""
    c1 = rng.random(N) < p1
    c2 = rng.random(N) < np.where(c1, p2_if_1, p2_if_not)
    c3 = rng.random(N) < p3
    code = np.bincount(4 * c1 + 2 * c2 + c3, minlength=8)
    return {format(i, "03b"): int(code[i]) for i in range(1, 8)}


def test_recovers_planted_size_and_ci_covers_it():
    N = 3000
    estimates, covered, naive = [], 0, []
    for seed in range(60):
        counts = _simulate(np.random.default_rng(seed), N=N)
        r = loglinear(counts, [(1, 2)])
        estimates.append(r.n_hat)
        covered += r.lower <= N <= r.upper
        if seed < 20:
            naive.append(loglinear(counts).n_hat)
    assert abs(np.mean(estimates) / N - 1) < 0.02
    # 95 % intervals: 60 replicates, P(coverage < 52/60) under the nominal level is about 0.005
    assert covered >= 52
    # ignoring the positive 1-2 dependence underestimates the size
    assert np.mean(naive) < 0.95 * N


def test_select_model_finds_the_planted_dependence():
    exact_aic = 0
    for seed in range(6):
        counts = _simulate(np.random.default_rng(100 + seed))
        by_aic, _ = select_model(counts)
        by_bic, _ = select_model(counts, criterion="bic")
        # the planted 1-2 dependence is always found; BIC (heavier penalty) finds exactly it
        assert (1, 2) in by_aic.interactions
        assert by_bic.interactions == ((1, 2),)
        exact_aic += by_aic.interactions == ((1, 2),)
    # AIC sometimes adds a spurious interaction (model-selection uncertainty; 3 of these 6 seeds)
    assert exact_aic >= 3


# --------------------------------------------------------------------------- Chao's lower bound


def test_chao_lower_bound_from_histories():
    r = chao_lower_bound(CORMACK3)
    assert isinstance(r, ChaoResult)
    # f1 = 54 + 3 + 14, f2 = 5 + 29 + 24, S = 201
    assert (r.f1, r.f2, r.observed) == (71, 58, 201)
    assert r.n_hat == pytest.approx(201 + 71**2 / (2 * 58))
    ratio = 71 / 58
    var = 58 * (ratio**4 / 4 + ratio**3 + ratio**2 / 2)
    assert r.se == pytest.approx(math.sqrt(var))
    f0 = r.n0
    c = math.exp(Z95 * math.sqrt(math.log(1 + var / f0**2)))
    assert (r.lower, r.upper) == pytest.approx((201 + f0 / c, 201 + f0 * c))


def test_chao_lower_bound_other_inputs():
    a = chao_lower_bound({1: 71, 2: 58, 3: 72})
    b = chao_lower_bound([71, 58, 72])
    assert a.n_hat == b.n_hat == pytest.approx(chao_lower_bound(CORMACK3).n_hat)
    # f2 = 0: the bias-corrected form S + f1 (f1 - 1) / 2
    r = chao_lower_bound([5, 0, 3])
    assert r.n_hat == pytest.approx(8 + 5 * 4 / 2)
    assert r.lower >= 8
    # nobody seen once: nothing is missing
    r = chao_lower_bound([0, 4, 3])
    assert r.n_hat == r.lower == r.upper == 7
    # a list that saw nobody does not matter to Chao's bound (it does to the log-linear models)
    assert chao_lower_bound({"110": 4, "100": 6, "010": 2}).n_hat == pytest.approx(12 + 8**2 / 8)


# --------------------------------------------------------------------------- multiplier


def test_multiplier_delta_method():
    r = multiplier(1000, 0.25, proportion_se=0.05)
    assert isinstance(r, MultiplierResult)
    assert r.n_hat == pytest.approx(4000)
    assert r.se == pytest.approx(4000 * 0.05 / 0.25)
    assert (r.lower, r.upper) == pytest.approx((4000 * math.exp(-Z95 * 0.2), 4000 * math.exp(Z95 * 0.2)))
    s = multiplier(1000, 0.25, n_sample=400)
    assert s.proportion_se == pytest.approx(math.sqrt(0.25 * 0.75 / 400))
    assert s.upper - s.lower < r.upper - r.lower
    assert multiplier(1000, 1.0, proportion_se=0).n_hat == multiplier(1000, 1.0, proportion_se=0).upper == 1000


# --------------------------------------------------------------------------- small areas


@pytest.fixture(scope="module")
def units():
    rng = np.random.default_rng(11)
    k = 98
    df = pd.DataFrame({
        "kommune_kode": [f"{i:03d}" for i in range(101, 101 + k)],
        "befolkning": rng.integers(5_000, 400_000, k),
        "by": rng.integers(0, 2, k),
    })
    df["sand_rate"] = 0.008 * np.exp(0.4 * df["by"])
    df["observeret"] = rng.poisson(df["befolkning"] * df["sand_rate"] * 0.6)
    return df


def test_small_area_adds_up_and_recovers_the_planted_pattern(units):
    out = small_area(40_000, (36_000, 45_000), units, covariates=["by"])
    assert list(out.columns) == ["kommune_kode", "estimate", "lower", "upper", "per_1000",
                                 "per_1000_lower", "per_1000_upper"]
    assert out["kommune_kode"].tolist() == units["kommune_kode"].tolist()
    assert out["estimate"].sum() == pytest.approx(40_000, rel=1e-12)
    assert (out["lower"] <= out["estimate"]).all() and (out["estimate"] <= out["upper"]).all()
    assert out["per_1000"].to_numpy() == pytest.approx((out["estimate"] / units["befolkning"] * 1000).to_numpy())
    # the planted urban effect exp(0.4) shows in the rates per 1,000
    ratio = out.loc[units["by"] == 1, "per_1000"].mean() / out.loc[units["by"] == 0, "per_1000"].mean()
    assert ratio == pytest.approx(math.exp(0.4), rel=0.05)
    # true counts when the total is right: estimates within their intervals for nearly all kommuner
    truth = 40_000 * (units["befolkning"] * units["sand_rate"]) / (units["befolkning"] * units["sand_rate"]).sum()
    inside = ((out["lower"] <= truth) & (truth <= out["upper"])).mean()
    assert inside >= 0.9


def test_small_area_without_covariates_distributes_by_population(units):
    out = small_area(1_000, 50, units)
    share = units["befolkning"] / units["befolkning"].sum()
    assert out["estimate"].to_numpy() == pytest.approx((1_000 * share).to_numpy(), rel=1e-9)


def test_small_area_uncertainty_and_inputs(units):
    narrow = small_area(40_000, 500, units, covariates=["by"])
    wide = small_area(40_000, 5_000, units, covariates=["by"])
    assert ((wide["upper"] - wide["lower"]) > (narrow["upper"] - narrow["lower"])).all()
    # deterministic for a seed; a result object's lower/upper can be the CI
    again = small_area(40_000, 500, units, covariates=["by"])
    pd.testing.assert_frame_equal(narrow, again)
    r = loglinear(CORMACK3, [(2, 3)])
    out = small_area(r.n_hat, r, units, observed=units.set_index("kommune_kode")["observeret"])
    assert out["estimate"].sum() == pytest.approx(r.n_hat)
    out2 = small_area(r.n_hat, (r.lower, r.upper), units, observed=units["observeret"].to_numpy())
    pd.testing.assert_frame_equal(out, out2)


def test_small_area_model_with_a_group_covariate_is_the_group_rate(units):
    """Hand-computed: with an intercept and a 0/1 covariate the Poisson MLE rate of each group is its
    observed / population, so a kommune's share is population x group rate / sum of the same."""
    out = small_area(10_000, 100, units, covariates=["by"])
    g = units.groupby("by")[["observeret", "befolkning"]].sum()
    rate = units["by"].map(g["observeret"] / g["befolkning"])
    mu = units["befolkning"] * rate
    assert out["estimate"].to_numpy() == pytest.approx((10_000 * mu / mu.sum()).to_numpy(), rel=1e-9)


def test_small_area_every_draw_adds_up_to_the_total(units):
    """With a known total (se 0) and a single draw, the 'interval' is that draw: whole-number counts per
    kommune, rescaled so that they add up to the total exactly."""
    out = small_area(1_234.5, 0, units, covariates=["by"], n_sim=1, seed=8)
    assert (out["lower"] == out["upper"]).all()
    assert out["lower"].sum() == pytest.approx(1_234.5, rel=1e-12)
    assert np.allclose(out["lower"] / (1_234.5 / 1_234), np.rint(out["lower"] / (1_234.5 / 1_234)))
    assert not out["lower"].equals(out["estimate"])  # a random draw, not the model's expectation


# --------------------------------------------------------------------------- errors


def _raises(fn, *args, match=None, **kwargs) -> VidensdataError:
    with pytest.raises(InvalidValueError, match=match) as info:
        fn(*args, **kwargs)
    assert info.value.dansk and info.value.dansk != info.value.message  # a Danish text for the apps
    return info.value


@pytest.mark.parametrize("fn", [loglinear, select_model, chao_lower_bound])
def test_error_unequal_lengths(fn):
    err = _raises(fn, {"11": 3, "101": 4}, match="unequal lengths")
    assert "længde" in err.dansk


@pytest.mark.parametrize("bad", [{"1a": 3, "11": 2}, {"12": 3, "11": 2}, {" ": 1, "11": 2}, {11: 3, "10": 2}])
def test_error_characters_other_than_0_1(bad):
    _raises(loglinear, bad, match="0")


def test_error_negative_count():
    err = _raises(loglinear, {"11": 3, "10": -1, "01": 2}, match="negative")
    assert "negativ" in err.dansk
    _raises(loglinear, pd.Series({"11": 3.0, "10": float("nan"), "01": 2.0}), match="finite")


def test_error_all_zero_history_given():
    err = _raises(loglinear, {"11": 3, "10": 4, "01": 2, "00": 10}, match="all-zero")
    assert "00" in err.message


def test_error_fewer_than_two_lists():
    _raises(loglinear, {"1": 30}, match="at least 2 lists")


def test_error_a_list_that_saw_nobody():
    err = _raises(loglinear, {"100": 10, "110": 3, "010": 5}, match="list 3 saw nobody")
    assert "Register 3" in err.dansk


def test_error_other_bad_counts():
    _raises(loglinear, {}, match="no capture histories")
    _raises(loglinear, [("11", 3)], match="dict or a pandas Series")
    _raises(loglinear, {"11": 0, "10": 0, "01": 0}, match="nobody was observed")
    _raises(loglinear, pd.Series([1, 2, 3], index=["11", "10", "10"]), match="more than once")


@pytest.mark.parametrize("interactions", [[(1, 4)], [(0, 2)], [(1, "2")], [(1, 1)], [(1, 2, 3)], "all", [1]])
def test_error_interactions(interactions):
    _raises(loglinear, CORMACK3, interactions)


def test_error_unknown_list_number_names_the_valid_range():
    err = _raises(loglinear, CORMACK3, [(1, 2), (2, 4)], match="numbered 1-3")
    assert "1–3" in err.dansk


def test_error_model_not_estimable():
    _raises(loglinear, {"11": 30, "10": 70, "01": 20}, "saturated", match="cannot be estimated")


def test_error_no_degrees_of_freedom_for_the_test():
    err = _raises(goodness_of_fit, loglinear(CORMACK3, "saturated"), match="no degrees of freedom")
    assert "frihedsgrader" in err.dansk
    _raises(goodness_of_fit, loglinear({"11": 30, "10": 70, "01": 20}), match="no degrees of freedom")


def test_error_levels_and_criterion():
    _raises(loglinear, CORMACK3, level=1.0, match="level")
    _raises(chapman, 10, 10, 5, level=0, match="level")
    _raises(select_model, CORMACK3, criterion="deviance", match="aic")
    six = {format(1 << i, "06b"): 5 for i in range(6)} | {"110000": 2}
    _raises(select_model, six, match="at most 5 lists")


def test_error_two_list_counts():
    _raises(lincoln_petersen, 10, 10, 0, match="m = 0")
    _raises(chapman, 10, 5, 6, match="cannot exceed")
    _raises(chapman, -1, 5, 0, match=">= 0")
    _raises(chapman, 10.5, 5, 1, match="whole number")


def test_error_chao_and_multiplier():
    _raises(chao_lower_bound, [-1, 2], match="f1 must be >= 0")
    _raises(chao_lower_bound, [0, 0], match="nobody")
    _raises(chao_lower_bound, {0: 3}, match="capture frequencies")
    _raises(multiplier, 1000, 1.2, 0.1, match=r"\(0, 1\]")
    _raises(multiplier, 1000, 0, 0.1, match="proportion")
    _raises(multiplier, 0, 0.5, 0.1, match="benchmark_count")
    _raises(multiplier, 1000, 0.5, match="proportion_se or n_sample")
    _raises(multiplier, 1000, 0.5, n_sample=10.5, match="whole number")


def test_error_small_area(units):
    with pytest.raises(UnknownColumnError, match="indbyggere"):
        small_area(1000, 10, units, population="indbyggere")
    _raises(small_area, 1000, (1100, 1200), units, match="not inside its CI")
    _raises(small_area, 0, 10, units, match="total")
    _raises(small_area, 1000, -1, units, match="total_se")
    dup = pd.concat([units, units.iloc[[0]]])
    _raises(small_area, 1000, 10, dup, match="more than once")
    bad = units.assign(observeret=units["observeret"].where(units.index != 3, -2))
    _raises(small_area, 1000, 10, bad, match="observed")
    zero_pop = units.assign(befolkning=units["befolkning"].where(units.index != 5, 0))
    _raises(small_area, 1000, 10, zero_pop, match="befolkning")
    _raises(small_area, 1000, 10, units, observed=np.ones(3), match="rows")
    _raises(small_area, 1000, 10, units.assign(observeret=0), match="all observed counts are 0")


def test_error_small_area_units_and_covariates(units):
    _raises(small_area, 1000, 10, units.to_dict(), match="DataFrame")
    _raises(small_area, 1000, 10, units.iloc[:0], match="empty")
    partial = units.set_index("kommune_kode")["observeret"].iloc[1:]
    _raises(small_area, 1000, 10, units, observed=partial, match=r"no value for kommune_kode \['101'\]")
    _raises(small_area, 1000, 10, units.assign(by="x"), covariates=["by"], match="covariate by must be numeric")
    _raises(small_area, 1000, 10, units.assign(by=np.nan), covariates=["by"], match="missing or infinite")
    twice = units.assign(by2=2 * units["by"])
    _raises(small_area, 1000, 10, twice, covariates=["by", "by2"], match="collinear")
    _raises(small_area, 1000, 10, units.head(2), covariates=["by"], match="too many for 2 units")
    _raises(small_area, 1000, 10, units, n_sim=0, match="n_sim")


# --------------------------------------------------------------------------- heterogeneity models (issue 16)
#
# Published reference: Rcapture's documented example output (R package Rcapture, Baillargeon & Rivest,
# tests/Examples/Rcapture-Ex.Rout.save of version 1.3-1, CRAN mirror commit 09223d1), examples of ``closedp``:
# ``closedp.t(hare)`` (snowshoe hare, 68 animals, 6 occasions, Otis et al. 1978) and
# ``closedp.t(mvole[, 11:15])`` (meadow voles, 49 animals, 5 occasions, Williams et al. 2002). The capture
# histories below are the rows of the data sets ``hare`` and ``mvole`` shipped with Rcapture, tallied.

HARE = {"111111": 2, "110010": 1, "110001": 1, "101100": 1, "101010": 1, "101000": 1, "100111": 1,
        "100100": 2, "100010": 2, "100001": 1, "100000": 3, "011111": 1, "011101": 2, "011011": 1,
        "011001": 2, "010111": 1, "010101": 3, "010100": 3, "010011": 1, "010010": 3, "010001": 1,
        "010000": 6, "001101": 1, "001011": 1, "001001": 2, "001000": 5, "000111": 1, "000110": 1,
        "000101": 4, "000100": 3, "000011": 2, "000010": 4, "000001": 4}
MVOLE3 = {"11111": 7, "11110": 3, "11101": 3, "11100": 1, "11011": 1, "11001": 2, "11000": 1, "10110": 1,
          "10100": 1, "10011": 2, "10010": 1, "10001": 1, "10000": 2, "01100": 1, "01011": 2, "01010": 2,
          "01000": 7, "00100": 3, "00010": 6, "00001": 2}


@pytest.mark.parametrize(("data", "form", "equal", "expected"), [
    # Rcapture: abundance, stderr, deviance, df, AIC
    (HARE, "chao", True, (79.8, 6.4, 58.023, 58, 150.214)),
    (HARE, "poisson", True, (81.5, 5.7, 59.107, 60, 147.298)),
    (HARE, "darroch", True, (90.4, 11.6, 61.600, 60, 149.791)),
    (HARE, "gamma", True, (100.6, 21.7, 62.771, 60, 150.961)),
    (HARE, "chao", False, (79.6, 6.3, 47.115, 52, 151.305)),
    (HARE, "poisson", False, (81.1, 5.6, 48.137, 55, 146.327)),
    (HARE, "darroch", False, (90.5, 11.7, 50.706, 55, 148.896)),
    (HARE, "gamma", False, (101.6, 22.4, 51.956, 55, 150.147)),
    (MVOLE3, "chao", True, (71.9, 14.2, 33.556, 26, 95.486)),
    (MVOLE3, "poisson", True, (61.0, 6.3, 37.902, 28, 95.833)),
    (MVOLE3, "darroch", True, (93.2, 26.7, 34.611, 28, 92.541)),
    (MVOLE3, "gamma", True, (203.2, 119.1, 33.984, 28, 91.915)),
    (MVOLE3, "chao", False, (71.0, 13.7, 26.120, 22, 96.051)),
    (MVOLE3, "poisson", False, (60.5, 6.1, 30.652, 24, 96.582)),
    (MVOLE3, "darroch", False, (93.1, 26.6, 27.178, 24, 93.108)),
    (MVOLE3, "gamma", False, (209.9, 124.3, 26.539, 24, 92.470)),
])
def test_heterogeneity_models_reproduce_rcapture_closedp(data, form, equal, expected):
    r = loglinear(data, heterogeneity=form, equal_lists=equal)
    n, se, dev, df, aic = expected
    assert (round(r.n_hat, 1), round(r.se, 1), round(r.deviance, 3), r.df, round(r.aic, 3)) == (n, se, dev, df, aic)
    assert r.heterogeneity == form and r.lower <= r.n_hat <= r.upper
    assert r.observed == sum(data.values())


def test_hare_mt_and_m0_as_in_rcapture():
    r = loglinear(HARE)  # Mt: 75.1 (3.4), deviance 58.314 on 56 df, AIC 154.505
    assert (round(r.n_hat, 1), round(r.se, 1), round(r.deviance, 3), r.df, round(r.aic, 3)) == (
        75.1, 3.4, 58.314, 56, 154.505)


def test_heterogeneity_column_algebra_for_three_lists():
    """For three lists Darroch's c^2/2 equals the sum of the pairwise terms plus c/2, so Darroch + two pairs
    is the saturated model again; Chao's column is the 111 indicator, and a negative eta is set to 0."""
    sat = loglinear(CORMACK3, "saturated")
    d = loglinear(CORMACK3, [(1, 2), (1, 3)], heterogeneity="darroch")
    assert d.n_hat == pytest.approx(sat.n_hat, rel=1e-6) and d.df == 0
    with pytest.raises(InvalidValueError, match="8 parameters"):
        loglinear(CORMACK3, "saturated", heterogeneity="darroch")
    with pytest.raises(InvalidValueError, match="rank deficient"):
        loglinear(CORMACK4, "saturated", heterogeneity="darroch")
    chao = loglinear(CORMACK3, heterogeneity="chao")
    ind = loglinear(CORMACK3)
    if chao.heterogeneity is None:  # eta < 0: the independence model, as Rcapture's neg = TRUE
        assert chao.n_hat == pytest.approx(ind.n_hat) and "η = 0" in chao.model
    else:
        assert chao.fitted["111"] == pytest.approx(CORMACK3["111"], rel=1e-6)


def test_heterogeneity_errors():
    with pytest.raises(InvalidValueError, match="darroch"):
        loglinear(CORMACK3, heterogeneity="darrock")
    with pytest.raises(InvalidValueError, match="at least 3 lists"):
        loglinear({"11": 3, "10": 4, "01": 5}, heterogeneity="poisson")
    with pytest.raises(InvalidValueError, match="theta"):
        loglinear(CORMACK3, heterogeneity="darroch", theta=2)
    assert loglinear(HARE, heterogeneity="poisson", theta=2).n_hat == pytest.approx(
        loglinear(HARE, heterogeneity="poisson").n_hat)


def test_model_average_buckland_formulas():
    from vidensdata.methods.population_size import ModelAverageResult, model_average

    r = model_average(DIABETES)
    assert isinstance(r, ModelAverageResult)
    t = r.table
    w = np.exp(-(t["aic"] - t["aic"].min()) / 2)
    w = w / w.sum()
    assert t["weight"].to_numpy() == pytest.approx(w.to_numpy())
    n_bar = float((w * t["n_hat"]).sum())
    assert r.n_hat == pytest.approx(n_bar)
    se = float((w * np.sqrt(t["se"] ** 2 + (t["n_hat"] - n_bar) ** 2)).sum())
    assert r.se == pytest.approx(se)
    assert r.observed <= r.lower < r.n_hat < r.upper
    # the model uncertainty widens the interval beyond that of the best single model's s.e.
    assert r.se >= float((w * t["se"]).sum())
    text = r.summary()  # its content is tested in test_resultater.py
    assert text.startswith("Populationsstørrelse, modelgennemsnit") and "vægt 0,601" in text
    # leaving out the untestable models (df = 0) gives them weight 0
    rt = model_average(CORMACK3, untestable=False)
    assert (rt.table.loc[rt.table["df"] == 0, "weight"] == 0).all()
    assert rt.best.df > 0
    # the lack of fit of the best testable model scales the variances (quasi-likelihood)
    ro = model_average(CORMACK3, untestable=False, overdispersion=True)
    c_hat = max(1.0, rt.best.deviance / rt.best.df)
    assert float(ro.table["c_hat"].iloc[0]) == pytest.approx(c_hat)
    assert ro.n_hat == pytest.approx(rt.n_hat) and ro.se >= rt.se


def test_proportional_allocation():
    from vidensdata.methods.population_size import proportional_allocation

    obs = pd.Series([100, 10, 0, 2000], index=["a", "b", "c", "d"])
    r = proportional_allocation(3000, (2800, 3300), obs, seed=1)
    assert r["estimate"].sum() == pytest.approx(3000)
    assert r["estimate"].to_numpy() == pytest.approx((3000 * obs / obs.sum()).to_numpy())
    assert (r["lower"] <= r["estimate"]).all() and (r["estimate"] <= r["upper"]).all()
    assert r.loc["c", ["lower", "upper"]].tolist() == [0, 0]
    # the big area's relative interval is at least the national one (the national uncertainty is common)
    assert (r.loc["d", "upper"] - r.loc["d", "lower"]) / r.loc["d", "estimate"] >= 0.9 * 500 / 3000
    with pytest.raises(InvalidValueError, match="below"):
        proportional_allocation(100, 5, obs)


def _area_tables(rng, n_areas: int, spread: float) -> dict:
    """Independent three-list tables of 2,000 persons per area; the capture probabilities of each area are
    shifted on the logit scale by a normal effect with sd ``spread`` (the areas' coverage differences)."""
    base = np.log(np.array([0.4, 0.3, 0.25]) / (1 - np.array([0.4, 0.3, 0.25])))
    hist = [format(i, "03b") for i in range(8)]
    out = {}
    for a in range(n_areas):
        p = 1 / (1 + np.exp(-(base + rng.normal(0, spread))))
        probs = np.array([np.prod([p[j] if h[j] == "1" else 1 - p[j] for j in range(3)]) for h in hist])
        n = rng.multinomial(2_000, probs)
        out[f"k{a}"] = {h: int(c) for h, c in zip(hist, n) if h != "000"}
    return out


def test_coverage_dispersion_finds_planted_differences_in_coverage():
    from vidensdata.methods.population_size import DispersionResult, coverage_dispersion

    rng = np.random.default_rng(5)
    same = coverage_dispersion(_area_tables(rng, 40, 0.0))
    assert isinstance(same, DispersionResult) and same.areas == 40
    assert same.tau < 0.03  # no differences planted: tau is (near) 0
    differ = coverage_dispersion(_area_tables(rng, 40, 0.6))
    assert differ.tau > 0.1 and differ.q > differ.areas  # heterogeneity beyond chance
    assert "τ" in differ.summary()
    with pytest.raises(InvalidValueError, match="fewer than 3"):
        coverage_dispersion(_area_tables(rng, 2, 0.0))


def test_proportional_allocation_dispersion_widens_the_intervals():
    from vidensdata.methods.population_size import proportional_allocation

    obs = pd.Series([100, 2000], index=["a", "b"])
    narrow = proportional_allocation(3000, (2800, 3300), obs, seed=1)
    wide = proportional_allocation(3000, (2800, 3300), obs, seed=1, dispersion=0.2)
    assert (wide["estimate"] == narrow["estimate"]).all()
    assert ((wide["upper"] - wide["lower"]) > (narrow["upper"] - narrow["lower"])).all()


def test_models_with_the_same_fit_rank_in_candidate_order_not_by_rounding_noise():
    """For three lists the Poisson, Darroch and Gamma models have one deviance; their AICs differed in the last
    bits between machines, so the published model table changed order (CI passed, a fresh machine failed)."""
    from vidensdata.methods.population_size import _rang, select_model

    _, table = select_model(CORMACK3, heterogeneity=True)
    het = table[table["heterogeneity"].isin(["poisson", "darroch", "gamma"])]
    assert het["deviance"].round(6).nunique() == 1  # the premise: the same fit
    assert list(het["heterogeneity"]) == ["poisson", "darroch", "gamma"]
    noisy = pd.Series([522.0 + 3e-11, 522.0, 522.0 - 2e-12])
    assert _rang(noisy).nunique() == 1 and _rang(pd.Series([1.0, 1.00001])).nunique() == 2
