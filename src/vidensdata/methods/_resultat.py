"""How a method's result explains itself: a small Danish table in a notebook and a ``summary()`` text.

Every result dataclass of :mod:`vidensdata.methods` inherits :class:`Resultatvisning`. Its
``_repr_html_`` (what Jupyter shows) and ``summary()`` (plain text, like statsmodels' results)
are built from one description per result type, :func:`oversigt`: a Danish title and rows of
(label, value) with the estimate, its interval, the method and the inputs. The descriptions
live here, in one place, so the method modules only add the base class.

Numbers are Danish (``1.234,5``; intervals ``2,00 (1,22–3,09)``) through Babel with locale
``da_DK``; methods import nothing of the package but ``errors``, so this does not use
:mod:`vidensdata.formatting`. The HTML uses inline styles only (no ``<style>`` block), so it
looks the same in an untrusted notebook, where JupyterLab strips style sheets.
"""

from __future__ import annotations

import html
import math
import numbers

import numpy as np
from babel.numbers import format_decimal

LOCALE = "da_DK"


class Resultatvisning:
    """Mixin for result dataclasses: ``_repr_html_`` (a Danish table) and ``summary()`` (Danish text)."""

    __slots__ = ()

    def summary(self) -> str:
        """The result as Danish plain text: title, then one line per row (label and value)."""
        titel, rows = oversigt(self)
        width = max((len(label) for label, _ in rows), default=0)
        lines = [titel, "=" * len(titel)]
        lines += [f"{label:<{width}}  {value}" for label, value in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        titel, rows = oversigt(self)
        cell = "padding:2px 10px;border-bottom:1px solid #ddd;vertical-align:top"
        body = "".join(
            f'<tr><th scope="row" style="{cell};text-align:left;font-weight:600">{html.escape(label)}</th>'
            f'<td style="{cell};text-align:{"right" if _tal_foerst(value) else "left"};'
            f'font-variant-numeric:tabular-nums">{html.escape(value)}</td></tr>'
            for label, value in rows)
        return (f'<table class="vd-metoderesultat" style="border-collapse:collapse;margin:4px 0">'
                f'<caption style="text-align:left;font-weight:700;padding:2px 0 4px">{html.escape(titel)}</caption>'
                f"<tbody>{body}</tbody></table>")


# ---------------------------------------------------------------- Danish numbers

def _tal_foerst(value: str) -> bool:
    """True for a value that starts with a number (right-aligned); text such as the method is left-aligned."""
    return bool(value) and (value[0].isdigit() or value[0] in "−-∞")


def tal(x, decimals: int = 2) -> str:
    """A number in Danish form with ``decimals`` decimals; ``∞`` for infinity, ``–`` for missing."""
    if x is None:
        return "–"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(v, format=pattern, locale=LOCALE).replace("-", "−")


def interval(lower, upper, decimals: int = 2, pct: bool = False) -> str:
    tail = " %" if pct else ""
    return f"{tal(lower, decimals)}–{tal(upper, decimals)}{tail}"


def niveau(level) -> str:
    """``0.95`` -> ``95 %-konfidensinterval``."""
    return f"{tal(100 * float(level), 0 if float(level * 100).is_integer() else 1)} %-konfidensinterval"


def _scalar(x) -> bool:
    return isinstance(x, numbers.Real) or (isinstance(x, np.ndarray) and x.ndim == 0)


# ---------------------------------------------------------------- one description per result type

def oversigt(res) -> tuple[str, list[tuple[str, str]]]:
    """The Danish title and (label, value) rows that describe ``res``."""
    describe = _BESKRIVELSER.get(type(res).__name__)
    if describe is None:  # a new result type without a description: its fields, plainly
        fields = getattr(res, "__dataclass_fields__", {})
        return type(res).__name__, [(n, _value(getattr(res, n))) for n, f in fields.items() if f.repr]
    return describe(res)


def _value(x) -> str:
    if isinstance(x, bool) or not _scalar(x):
        return str(x)
    return tal(x, 0 if float(x).is_integer() else 2)


def _smr(r):
    if not _scalar(r.value):  # array input: one line per element
        rows = [(f"SMR [{i}]", f"{tal(v)} ({interval(lo, hi)}); observeret {tal(o, 0)}, forventet {tal(e, 1)}")
                for i, (v, lo, hi, o, e) in enumerate(zip(np.ravel(r.value), np.ravel(r.lower), np.ravel(r.upper),
                                                          np.ravel(r.observed), np.ravel(r.expected)))]
        return "Standardiseret mortalitetsratio (SMR)", rows + [("Metode", _SMR_METODE)]
    return "Standardiseret mortalitetsratio (SMR)", [
        ("SMR", tal(r.value)),
        (niveau(r.level), interval(r.lower, r.upper)),
        ("Metode", _SMR_METODE),
        ("Observerede døde", tal(r.observed, 0 if float(r.observed).is_integer() else 1)),
        ("Forventede døde", tal(r.expected, 1)),
    ]


_SMR_METODE = "observerede / forventede døde; eksakt Poisson-interval (Breslow & Day 1987)"


def _rate_ratio(r):
    rows = [("Rate ratio", tal(r.value)), (niveau(r.level), interval(r.lower, r.upper)),
            ("Metode", "Poisson-regression (GLM) af døde med personår som offset, justeret for år, køn og alder")]
    if r.data is not None and {"doede", "personaar", "maalgruppe"} <= set(r.data.columns):
        for flag, name in ((1, "målgruppen"), (0, "referencen")):
            part = r.data[r.data["maalgruppe"] == flag]
            rows.append((f"Døde i {name}", tal(part["doede"].sum(), 0)))
            rows.append((f"Personår i {name}", tal(part["personaar"].sum(), 0)))
    return "Dødelighedsratio, målgruppen mod befolkningen", rows


_CI_METODE = {"delta": "deltametoden (normalfordelingsinterval)", "bootstrap": "parametrisk bootstrap"}


def _gap(r):
    return "Forskel i middellevetid (år)", [
        ("Forskel (reference − målgruppe)", tal(r.value)),
        (niveau(r.level), interval(r.lower, r.upper)),
        ("Metode", f"middellevetid efter Chiang; interval ved {_CI_METODE.get(r.method, r.method)}"),
        ("Middellevetid, målgruppe", tal(r.target)),
        ("Middellevetid, reference", tal(r.reference)),
        ("Standardfejl", tal(r.se)),
    ]


def _lyl(r):
    return "Ekstra tabte leveår (LYL)", [
        ("Ekstra tabte leveår", tal(r.value)),
        (niveau(r.level), interval(r.lower, r.upper)),
        ("Metode", f"tabte leveår mellem {tal(r.age, 0)} og {tal(r.tau, 0)} år (Andersen 2013); "
                   f"interval ved {_CI_METODE.get(r.method, r.method)}"),
        ("Tabte leveår, målgruppe", tal(r.target)),
        ("Tabte leveår, reference", tal(r.reference)),
        ("Levede år, målgruppe", tal(r.target_mean)),
        ("Levede år, reference", tal(r.reference_mean)),
        ("Standardfejl", tal(r.se)),
    ]


def _loglinear(r):
    model = "uafhængighed mellem listerne" if r.model == "uafhængighed" else f"vekselvirkninger {r.model}"
    return "Populationsstørrelse, log-lineær capture–recapture", [
        ("Estimeret størrelse", tal(r.n_hat, 0)),
        (niveau(r.level), interval(r.lower, r.upper, 0) + " (profil-likelihood)"),
        ("Metode", f"log-lineær Poisson-model med {model} (som Rcapture)"),
        ("Antal lister", tal(r.n_lists, 0)),
        ("Set af mindst én liste", tal(r.observed, 0)),
        ("Estimeret uset", tal(r.n0, 0)),
        ("Standardfejl", tal(r.se, 1)),
        ("Devians (frihedsgrader)", f"{tal(r.deviance)} ({r.df})"),
        ("AIC / BIC", f"{tal(r.aic)} / {tal(r.bic)}"),
    ]


def _two_list(r):
    return "Populationsstørrelse fra to lister", [
        ("Estimeret størrelse", tal(r.n_hat, 0)),
        (niveau(r.level), interval(r.lower, r.upper, 0)),
        ("Metode", "Chapmans estimator (Lincoln–Petersen uden skævhed)" if r.method == "chapman" else r.method),
        ("Set af liste 1", tal(r.n1, 0)),
        ("Set af liste 2", tal(r.n2, 0)),
        ("Set af begge", tal(r.m, 0)),
        ("Standardfejl", tal(r.se, 1)),
    ]


def _chao(r):
    return "Populationsstørrelse, Chaos nedre grænse", [
        ("Estimeret størrelse (mindst)", tal(r.n_hat, 0)),
        (niveau(r.level), interval(r.lower, r.upper, 0)),
        ("Metode", "Chaos estimator S + f1² / (2·f2); log-normalt interval"),
        ("Set i alt (S)", tal(r.observed, 0)),
        ("Set præcis én gang (f1)", tal(r.f1, 0)),
        ("Set præcis to gange (f2)", tal(r.f2, 0)),
        ("Estimeret uset", tal(r.n0, 0)),
        ("Standardfejl", tal(r.se, 1)),
    ]


def _multiplier(r):
    return "Populationsstørrelse ved multiplikatormetoden", [
        ("Estimeret størrelse", tal(r.n_hat, 0)),
        (niveau(r.level), interval(r.lower, r.upper, 0)),
        ("Metode", "benchmark / andel; interval ved deltametoden"),
        ("Benchmark (antal)", tal(r.benchmark, 0)),
        ("Andel med benchmark", f"{tal(100 * r.proportion, 1)} % (standardfejl {tal(100 * r.proportion_se, 1)} %)"),
        ("Standardfejl", tal(r.se, 1)),
    ]


def _model_average(r):
    t = r.table
    rows = [
        ("Estimeret størrelse", tal(r.n_hat, 0)),
        (niveau(r.level), interval(r.lower, r.upper, 0) + " (log-normalt)"),
        ("Metode", f"gennemsnit af log-lineære capture–recapture-modeller med {r.criterion.upper()}-vægte "
                   "(Buckland, Burnham & Augustin 1997); forskellen mellem modellerne indgår i usikkerheden"),
        ("Set af mindst én liste", tal(r.observed, 0)),
        ("Estimeret uset", tal(r.n_hat - r.observed, 0)),
        ("Standardfejl", tal(r.se, 1)),
        ("Bedste testbare model", f"{r.best.model} (devians {tal(r.best.deviance)}, {r.best.df} frihedsgrader)"),
    ]
    if "c_hat" in t.columns and len(t) and float(t["c_hat"].iloc[0]) > 1:
        rows.append(("Overspredning (ĉ)", tal(float(t["c_hat"].iloc[0]))))
    shown = t[t["weight"] >= 0.0005]  # the models whose weight shows as at least 0,001
    for m in shown.itertuples():
        ki = "" if math.isnan(float(m.lower)) else f" ({interval(m.lower, m.upper, 0)})"
        rows.append((f"Model {m.model}", f"{tal(m.n_hat, 0)}{ki}; vægt {tal(m.weight, 3)}"))
    if len(shown) < len(t):
        rows.append(("Øvrige modeller", f"{tal(len(t) - len(shown), 0)} med vægt under 0,001 (se .table)"))
    return "Populationsstørrelse, modelgennemsnit", rows


def _dispersion(r):
    return "Forskelle mellem områder i registrenes dækning", [
        ("τ (spredning i log-dækning)", tal(r.tau, 3)),
        ("Interval", "ikke beregnet (τ er et momentestimat); se testen for forskelle"),
        ("Metode", "DerSimonian–Lairds momentestimat af variansen mellem områderne; hvert område får sin egen "
                   "log-lineære model med de fælles afhængigheder"),
        ("Test for forskelle (Q)", f"{tal(r.q, 1)} på {r.areas - 1} frihedsgrader, "
                                   f"p {'< 0,001' if r.p_value < 0.001 else '= ' + tal(r.p_value, 3)}"),
        ("Områder i beregningen", f"{tal(r.areas, 0)} (hver med mindst {tal(r.min_seen, 0)} personer set)"),
        ("Fælles afhængigheder", r.model),
    ]


_FAMILIE = {"poisson": "Poisson-regression", "negbin": "negativ binomial regression"}


def _trend(r):
    familie = _FAMILIE.get(r.family, r.family)
    if r.family == "poisson" and r.dispersion > 1:
        familie = "kvasi-Poisson-regression (data varierer mere end Poisson)"
    rows = [
        ("Årlig vækst", f"{tal(r.annual_growth, 1)} %"),
        (niveau(r.level), interval(r.lower, r.upper, 1, pct=True)),
        ("Metode", f"log-lineær trend, {familie} af antal på år"),
        ("Antal år", tal(r.n_years, 0)),
    ]
    if r.fitted is not None and len(r.fitted):
        rows.append(("Periode", f"{r.fitted.index.min()}–{r.fitted.index.max()}"))
    rows.append(("Spredning (Pearson χ²/df)", tal(r.dispersion)))
    if r.alpha:
        rows.append(("Negativ binomial α", tal(r.alpha, 4)))
    if r.projection is not None and len(r.projection):
        last = r.projection.iloc[-1]
        rows.append((f"Fremskrevet {int(last['aar'])}",
                     f"{tal(last['forventet'], 0)} ({interval(last['nedre'], last['oevre'], 0)}, prædiktionsinterval)"))
    return "Trend i antal", rows


_BESKRIVELSER = {
    "SMRResult": _smr,
    "RateRatioResult": _rate_ratio,
    "GapResult": _gap,
    "LYLResult": _lyl,
    "LoglinearResult": _loglinear,
    "TwoListResult": _two_list,
    "ChaoResult": _chao,
    "MultiplierResult": _multiplier,
    "TrendResult": _trend,
    "ModelAverageResult": _model_average,
    "DispersionResult": _dispersion,
}
