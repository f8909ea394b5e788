"""The kommune profile: each theme's headline indicator for one kommune, beside its region and the country.

One row per theme (:class:`Indikator`): the kommune's value with its 95 % confidence
interval, the region's and the country's value, the verdict against the country
(:func:`vidensdata.themes.sammenligning.vurder`, the Fingertips rule) and the direction
of the trend where the theme has one. The values come from each theme's own ``beregn``
with the parameters of its reports (``parameters/<tema>.yaml``), so a profile shows the
same numbers as the theme reports, suppressed the same way.

Headline indicators:

* **serviceudvikling**: recipients of at least one service per 1,000 inhabitants in the
  last year; the interval is the exact Poisson interval of the count (the count over
  inhabitants / 1,000: the same ratio :func:`vidensdata.methods.mortality.smr` computes);
  trend: the annual growth's 95 % CI against 0.
* **overdoedelighed**: SMR of the target group (all sexes) with its exact Poisson interval,
  against the national target group's SMR (the centre of the funnel plot); one fixed
  period, so no trend.
* **maalgruppe**: the estimated target group per 1,000 adults with its interval; trend: the
  annual growth of the yearly estimates per 1,000 adults (:func:`vidensdata.methods.growth.trend`
  on the kommune's estimates of every year up to the profile's year, hidden years left out) with
  its 95 % CI against 0 (:func:`maalgruppe_udvikling`; docs/metoder.md).

:func:`alle_kommuner` computes the 98 profiles at once and caches them on disk (keyed on
the data read and this code), so the runner, the theme maps and the profiles share one
computation. Nothing here draws: :mod:`vidensdata.presentation.profil` does.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import pandas as pd

from .. import formatting as fmt
from .. import geography
from ..datasets import registry as cat
from ..errors import VidensdataError
from ..methods import growth, mortality
from ..parameters import read_parameter_file
from ..storage import cached_tables, code_fingerprint, fingerprint
from . import TEMAER, sammenligning
from .sammenligning import IKKE_VURDERET, vurder

#: The theme whose headline indicator each row shows, in the order of the profile.
TEMA_RAEKKEFOELGE = ("serviceudvikling", "overdoedelighed", "maalgruppe")
STIGENDE, FALDENDE, UAENDRET, INGEN_TREND = "stigende", "faldende", "uaendret", "ingen"
#: The unit of each theme's headline indicator, as shown after a value.
ENHED = {"serviceudvikling": "pr. 1.000 indbyggere", "overdoedelighed": "SMR", "maalgruppe": "pr. 1.000 voksne"}
UDVIKLING_TEKST = {STIGENDE: "Stigende", FALDENDE: "Faldende", UAENDRET: "Ingen tydelig retning",
                   INGEN_TREND: "Ikke beregnet"}
#: Fewest years with a shown estimate a target-group trend is computed from (growth.trend needs 3).
MIN_AAR_TREND = 3


@dataclass(frozen=True)
class Indikator:
    """One headline indicator of one kommune, as computed (numbers) and as shown (Danish text)."""

    tema: str
    label: str
    kommune_kode: str
    vaerdi: float | None  # None: suppressed or not computable
    nedre: float | None
    oevre: float | None
    region: float | None
    land: float | None
    vurdering: str  # hoejere / som / lavere / ikke-vurderet
    udvikling: str  # stigende / faldende / uaendret / ingen
    udvikling_note: str
    decimaler: int

    def tekst(self) -> str:
        if self.vaerdi is None:
            return fmt.MISSING
        if self.nedre is None or self.oevre is None:
            return fmt.fmt_dec(self.vaerdi, self.decimaler)
        return fmt.fmt_interval(self.vaerdi, self.nedre, self.oevre, decimals=self.decimaler)

    def tal(self, x: float | None) -> str:
        return fmt.MISSING if x is None else fmt.fmt_dec(x, self.decimaler)

    @property
    def vurdering_tekst(self) -> str:
        return sammenligning.TEKST[self.vurdering]

    @property
    def udvikling_tekst(self) -> str:
        return UDVIKLING_TEKST[self.udvikling]


def _num(x) -> float | None:
    if x is None or x is pd.NA:
        return None
    f = float(x)
    return None if math.isnan(f) else f


def _udvikling(trend) -> str:
    if trend is None:
        return INGEN_TREND
    v = vurder(trend.annual_growth, trend.lower, trend.upper, 0.0)
    return {"hoejere": STIGENDE, "lavere": FALDENDE, "som": UAENDRET}.get(v, INGEN_TREND)


def _parametre(tema: str, geografi: str) -> dict:
    return {**read_parameter_file(tema), "geografi": geografi}


def _serviceudvikling(res, region, land) -> dict:
    n = res.noegletal
    v, lo, hi = None, None, None
    if n["antal"] is not None and res.befolkning > 0:
        ci = mortality.smr(n["antal"], res.befolkning / 1000)
        v, lo, hi = ci.value, ci.lower, ci.upper
    return {"label": f"Modtagere af mindst én ydelse pr. 1.000 indbyggere, {res.valg.slutaar}",
            "vaerdi": v, "nedre": lo, "oevre": hi, "region": _num(region.noegletal["pr_1000"]),
            "land": _num(land.noegletal["pr_1000"]), "udvikling": _udvikling(res.trend),
            "udvikling_note": _vaekst_note(res), "decimaler": 1}


def _vaekst_note(res) -> str:
    """The profile's note on the service trend: the annual growth with its interval, or why there is none."""
    tr = res.trend
    if tr is None:
        return res.trend_note or "Ingen trend."
    return (f"Årlig vækst i antal modtagere {res.valg.startaar}–{res.valg.slutaar}: "
            f"{fmt.fmt_interval(tr.annual_growth, tr.lower, tr.upper, decimals=1, pct=True)} (95 %-KI mod 0).")


def _smr(res) -> tuple[float | None, float | None, float | None]:
    s = res.noegletal["smr"]
    return (None, None, None) if s is None else (s.value, s.lower, s.upper)


def _overdoedelighed(res, region, land) -> dict:
    v, lo, hi = _smr(res)
    return {"label": f"Dødelighed i målgruppen i forhold til befolkningen (SMR), "
                     f"{res.valg.startaar}–{res.valg.slutaar}",
            "vaerdi": v, "nedre": lo, "oevre": hi, "region": _smr(region)[0], "land": float(land.tragt_niveau),
            "udvikling": INGEN_TREND, "udvikling_note": "Én fast periode; ingen trend.", "decimaler": 2}


def maalgruppe_udvikling(kommune_kode: str, aar: int, registre) -> tuple[str, str, object]:
    """The direction of a kommune's target-group estimate per 1,000 adults over the years up to ``aar``:
    (direction code, Danish note, the :class:`~vidensdata.methods.growth.TrendResult` or None).

    :func:`growth.trend` on the yearly estimates per 1,000 adults expressed as persons among the kommune's adults
    of the last year (``pr_1000 * voksne / 1000``; years whose estimate is hidden left out): the growth is that of
    the rate, and the Poisson floor of the variance is that of a count of persons, not of a rate in an
    arbitrary unit:
    ``stigende``/``faldende`` when the 95 % CI of the annual growth lies above/below 0, ``uaendret`` ("Ingen
    tydelig retning") when it contains 0, ``ingen`` with fewer than :data:`MIN_AAR_TREND` shown years."""
    from . import maalgruppe

    d = maalgruppe.kommuner_over_aar(aar, tuple(registre))
    d = d[d["kommune_kode"] == kommune_kode]
    voksne = float(d.sort_values("aar")["voksne"].iloc[-1]) if len(d) else 0.0
    d = d[~d["undertrykt"]].dropna(subset=["pr_1000"])
    serie = d.set_index("aar")["pr_1000"] * voksne / 1000
    if len(serie) < MIN_AAR_TREND:
        return INGEN_TREND, f"For få år med et vist skøn ({len(serie)}) til en trend.", None
    try:
        tr = growth.trend(serie, horizon=0)
    except VidensdataError:
        return INGEN_TREND, "Trenden kunne ikke beregnes.", None
    aar_tekst = f"{int(serie.index.min())}–{int(serie.index.max())}"
    if len(serie) < int(serie.index.max()) - int(serie.index.min()) + 1:
        aar_tekst += f" ({len(serie)} år; år med skjult skøn er udeladt)"
    note = (f"Årlig ændring i skønnet pr. 1.000 voksne {aar_tekst}: "
            f"{fmt.fmt_interval(tr.annual_growth, tr.lower, tr.upper, decimals=1, pct=True)} (95 %-KI mod 0).")
    return _udvikling(tr), note, tr


def _maalgruppe(res, region, land) -> dict:
    n = res.noegletal
    v = res.valg
    if len(v.omraade.dele) == 1 and v.omraade.enkelt.niveau == "kommune" and _num(n["pr_1000"]) is not None:
        udvikling, note, _ = maalgruppe_udvikling(v.omraade.enkelt.kode, v.aar, v.registre)
    else:  # a hidden estimate gets no trend either
        udvikling, note = INGEN_TREND, "Skønnet er skjult; ingen trend."
    return {"label": f"Anslået målgruppe pr. 1.000 voksne, {v.aar}",
            "vaerdi": _num(n["pr_1000"]), "nedre": _num(n["pr_1000_nedre"]), "oevre": _num(n["pr_1000_oevre"]),
            "region": _num(region.noegletal["pr_1000"]), "land": _num(land.noegletal["pr_1000"]),
            "udvikling": udvikling, "udvikling_note": note, "decimaler": 1}


_UDTRAEK = {"serviceudvikling": _serviceudvikling, "overdoedelighed": _overdoedelighed, "maalgruppe": _maalgruppe}


def _rows(tema: str) -> pd.DataFrame:
    """One theme's headline indicator for every kommune, computed from the theme's results (one row a kommune)."""
    rows = []
    t = TEMAER[tema]
    land = t.beregn(**_parametre(tema, geography.LAND_NAVN))
    regioner = {r.kode: t.beregn(**_parametre(tema, r.navn)) for r in geography.regioner()}
    for k in geography.kommuner():
        res = t.beregn(**_parametre(tema, k.navn))
        d = _UDTRAEK[tema](res, regioner[k.region_kode], land)
        d["vurdering"] = vurder(d["vaerdi"], d["nedre"], d["oevre"], d["land"])
        rows.append({"tema": tema, "kommune_kode": k.kode, **d})
    out = pd.DataFrame(rows)
    for c in ("vaerdi", "nedre", "oevre", "region", "land"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def _key(tema: str) -> str:
    prints = [cat.get(n).fingerprint() for n in sorted(TEMAER[tema].datasaet)]
    mods = [sys.modules[__name__], sammenligning, sys.modules[TEMAER[tema].beregn.__module__]]
    return fingerprint(tema, prints, read_parameter_file(tema), code_fingerprint(*mods))


def tema_tabel(tema: str) -> pd.DataFrame:
    """One theme's headline indicators of all 98 kommuner (cached on disk per theme: a theme's map needs only
    its own, not the other themes' computations)."""
    if tema not in _UDTRAEK:
        from ..errors import InvalidValueError

        raise InvalidValueError(f"no profile indicator for theme {tema!r}",
                                dansk=f"Temaet {tema!r} har ingen indikator på profilen; "
                                      f"mulige: {', '.join(TEMA_RAEKKEFOELGE)}.")
    return cached_tables("profiler", _key(tema), lambda: {"profiler": _rows(tema)})[0]["profiler"]


def tabel() -> pd.DataFrame:
    """The headline indicators of all 98 kommuner, every theme (see the module docstring)."""
    return pd.concat([tema_tabel(t) for t in TEMA_RAEKKEFOELGE], ignore_index=True)


def _indikator(r) -> Indikator:
    return Indikator(r.tema, r.label, r.kommune_kode, _num(r.vaerdi), _num(r.nedre), _num(r.oevre), _num(r.region),
                     _num(r.land), r.vurdering, r.udvikling, r.udvikling_note, int(r.decimaler))


def profil(geografi) -> list[Indikator]:
    """The headline indicators of one kommune (a code or name in any form :func:`geography.resolve_one` takes)."""
    g = geography.resolve_one(geografi)
    if g.niveau != "kommune":
        from ..errors import InvalidValueError

        raise InvalidValueError(f"a profile is made for a kommune, got {g.navn!r} ({g.niveau})",
                                dansk=f"Profiler findes kun for kommuner, ikke for {g.navn}.")
    t = tabel()
    rows = t[t["kommune_kode"] == g.kode]
    order = {n: i for i, n in enumerate(TEMA_RAEKKEFOELGE)}
    return sorted((_indikator(r) for r in rows.itertuples()), key=lambda i: order[i.tema])


def alle_kommuner() -> dict[str, list[Indikator]]:
    """Every kommune's headline indicators, by kommune code."""
    out: dict[str, list[Indikator]] = {}
    for r in tabel().itertuples():
        out.setdefault(r.kommune_kode, []).append(_indikator(r))
    return out


def kommunevaerdier(tema: str) -> pd.DataFrame:
    """One theme's headline indicator for the 98 kommuner (``kommune_kode``, ``vaerdi``, ``nedre``, ``oevre``,
    ``vurdering``; ``vaerdi`` NaN where suppressed): what the theme's map shows."""
    t = tema_tabel(tema)
    return t[["kommune_kode", "label", "vaerdi", "nedre", "oevre", "vurdering", "decimaler"]].reset_index(drop=True)


__all__ = ["Indikator", "TEMA_RAEKKEFOELGE", "ENHED", "UDVIKLING_TEKST", "IKKE_VURDERET", "tabel", "tema_tabel",
           "profil", "alle_kommuner", "kommunevaerdier", "maalgruppe_udvikling"]
