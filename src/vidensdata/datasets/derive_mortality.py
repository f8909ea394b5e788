"""Deaths and person-years of the target group, derived from the register extract (real or synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods import mortality
from ..sources.register import RegisterExtract

#: Follow-up window of the mortality datasets: from 1 January of the first year (or entry) to the
#: end of the last year (or death); the last year is the last year of the national reference rates.
FOERSTE_AAR = 2010
SIDSTE_AAR = 2021
KOEN = ("K", "M")


def years(ext: RegisterExtract) -> tuple[int, int]:
    """The calendar years of follow-up for ``ext``: 2010 (or later) to 2021 (or the extract's last year)."""
    return FOERSTE_AAR, min(SIDSTE_AAR, ext.last_year)


def doedelighed_maalgruppe(ext: RegisterExtract, kommune_koder: list[str]) -> pd.DataFrame:
    """Deaths (``doede``) and person-years (``personaar``) by kommune, year, sex and 5-year age group.

    Every person is followed from entry into the target group (``indgang_dato``, at the
    earliest 1 January 2010) to death or the end of the window (31 December 2021, or
    the extract's last year). Person-years are split by calendar year and age group with
    :func:`vidensdata.methods.mortality.lexis_split`; the birthday is taken as 1 July of
    the year of birth (the extract has the year only). Persons count in their residence
    kommune (``kommune_kode`` of ``personer``). The grid is complete: every kommune,
    year, sex and age group, zeros included.
    """
    first, last = years(ext)
    window_end = pd.Timestamp(f"{last + 1}-01-01")
    p = ext.personer
    p = p[p["indgang_dato"] < window_end]  # entering after the window: no follow-up
    birth = pd.to_datetime(p["foedselsaar"].astype(int).astype(str) + "-07-01")
    death = p["doedsdato"]
    died = death.notna() & (death < window_end)
    # lexis_split counts follow-up as [entry, exit): a death on day d ends follow-up at the end of day d
    exit_ = (death + pd.Timedelta(days=1)).where(died, pd.NaT)
    entry = p["indgang_dato"]
    # a person born after 1 July who enters in the year they turn 18 before 1 July: start at the birthday
    entry = entry.where(entry >= birth, birth)
    table = mortality.lexis_split(entry.to_numpy(), exit_.to_numpy(), birth.to_numpy(), died.to_numpy(),
                                  by={"kommune_kode": p["kommune_kode"].astype(str).to_numpy(),
                                      "koen": p["koen"].astype(str).to_numpy()},
                                  start=first, end=last)
    grid = pd.MultiIndex.from_product(
        [kommune_koder, range(first, last + 1), KOEN, mortality.AGE_GROUPS],
        names=["kommune_kode", "aar", "koen", "aldersgruppe"],
    )
    out = table.set_index(["kommune_kode", "aar", "koen", "aldersgruppe"])[["doede", "personaar"]]
    out = out.reindex(grid, fill_value=0).reset_index()
    out["doede"] = out["doede"].astype(np.int64)
    out["personaar"] = out["personaar"].astype(float)
    return out
