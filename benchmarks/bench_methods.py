"""Coverage study of the capture-recapture procedures on the synthetic generator (issue 16).

Each replicate is a new planted target group and new register contacts (``synthetic_capture.extend`` with
another seed, on the same service episodes), and every year 2014-2024 of it is one national three-list
table with a known truth (36,000). For each procedure the share of 95 % intervals that cover the truth,
the mean relative error and the mean interval width are printed.

Procedures:

* ``før``: the model with the lowest AIC among the two-way interaction models, saturated model included
  (what the theme did before issue 16), profile-likelihood interval;
* ``bedste testbare``: the lowest AIC among the models with df > 0 (heterogeneity models included),
  profile-likelihood interval;
* ``gennemsnit, alle``: Buckland model average with AIC weights over every model (saturated included);
* ``gennemsnit, testbare``: the same over the testable models only;
* ``valgt``: the testable models' average with the variance scaled by the best model's lack of fit
  (``c_hat``), what the theme reports.

Usage: ``python benchmarks/bench_methods.py [--seeds 25] [--first-seed 100]`` (``make bench-methods``);
25 seeds x 11 years = 275 replicates take about two minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

from vidensdata.datasets import derive
from vidensdata.methods import population_size as ps
from vidensdata.sources import register, synthetic, synthetic_capture

PROCEDURES = ("før", "bedste testbare", "gennemsnit, alle", "gennemsnit, testbare", "valgt")


def replicates(first_seed: int, n_seeds: int):
    """(seed, year, counts by history, planted truth) for every year of every replicate extract."""
    ext = register.load_extract()
    personer = ext.personer[~ext.personer["person_id"].str.startswith("M")].reset_index(drop=True)
    svc = derive.serviceloven_liste(ext, ext.first_year, ext.last_year)
    for seed in range(first_seed, first_seed + n_seeds):
        p = dataclasses.replace(synthetic.SyntheticParams(), seed=seed)
        pers, kontakter, truth = synthetic_capture.extend(p, personer, ext.forloeb, svc)
        e = SimpleNamespace(personer=pers, forloeb=ext.forloeb, kontakter=kontakter, first_year=ext.first_year,
                            last_year=ext.last_year)
        ov = derive.registeroverlap(e, sorted(truth["kommune_kode"].unique()), serviceliste=svc)
        true = truth.groupby("aar")["antal"].sum()
        for year, g in ov.groupby("aar"):
            yield seed, int(year), g.groupby("historie")["antal"].sum().to_dict(), int(true[year])


def intervals(counts: dict) -> dict[str, tuple[float, float, float]]:
    """(estimate, lower, upper) of every procedure for one table."""
    fits = ps.candidate_models(counts, heterogeneity=True, profile=False)
    tab = ps._model_table(fits)
    two_way = tab[tab["heterogeneity"].isna() & ~tab["model"].str.contains("Chao")]
    before = fits[int(two_way.sort_values(["aic", "_k"]).iloc[0]["_i"])]
    before = ps.loglinear(counts, before.interactions)
    testable = tab[tab["df"] > 0].sort_values(["aic", "_k"]).iloc[0]
    best = ps.loglinear(counts, fits[int(testable["_i"])].interactions,
                        heterogeneity=fits[int(testable["_i"])].heterogeneity)
    out = {"før": (before.n_hat, before.lower, before.upper), "bedste testbare": (best.n_hat, best.lower, best.upper)}
    for name, kw in (("gennemsnit, alle", {}), ("gennemsnit, testbare", {"untestable": False}),
                     ("valgt", {"untestable": False, "overdispersion": True})):
        m = ps.model_average(counts, profile=False, **kw)
        out[name] = (m.n_hat, m.lower, m.upper)
    return out


def study(first_seed: int = 100, n_seeds: int = 25) -> pd.DataFrame:
    """One row per procedure: replicates, coverage, mean relative error (%) and mean width."""
    rows = []
    for seed, year, counts, true in replicates(first_seed, n_seeds):
        for proc, (n, lo, hi) in intervals(counts).items():
            rows.append({"procedure": proc, "seed": seed, "aar": year, "sand": true, "n_hat": n, "lower": lo,
                         "upper": hi})
    d = pd.DataFrame(rows)
    d["daekker"] = (d["lower"] <= d["sand"]) & (d["sand"] <= d["upper"])
    d["fejl_pct"] = (d["n_hat"] / d["sand"] - 1) * 100
    d["bredde"] = d["upper"] - d["lower"]
    g = d.groupby("procedure", sort=False)
    return pd.DataFrame({"replikater": g.size(), "daekning": g["daekker"].mean(), "fejl_pct": g["fejl_pct"].mean(),
                         "bredde": g["bredde"].mean()}).reindex(list(PROCEDURES))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=25, help="replicate extracts (11 years each)")
    ap.add_argument("--first-seed", type=int, default=100)
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = study(a.first_seed, a.seeds)
    print(f"Dækning af 95 %-intervaller, plantet sand størrelse 36.000 (syntetiske data), "
          f"{int(res['replikater'].iloc[0])} replikater (seeds {a.first_seed}-{a.first_seed + a.seeds - 1}, "
          f"2014-2024), {time.perf_counter() - t0:.0f} s")
    print(res.to_string(formatters={"daekning": "{:.1%}".format, "fejl_pct": "{:+.2f}".format,
                                    "bredde": "{:,.0f}".format}))
    reached = res.loc["valgt", "daekning"] >= 0.9
    print(f"Mål: mindst 90 % for den valgte procedure: {'nået' if reached else 'IKKE nået'}")
    if not np.isfinite(res["bredde"]).all():
        print("Advarsel: uendelige intervaller")


if __name__ == "__main__":
    main()
