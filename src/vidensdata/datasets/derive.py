"""Aggregates derived from the person-level register extract (vectorised)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sources.register import RegisterExtract
from ..sources.synthetic import YDELSER

ALDERSGRUPPER_VOKSNE = ("18-29", "30-39", "40-49", "50-59", "60-69", "70+")
ALLE = "alle"  # persons receiving at least one service
YDELSE_KODER = (*YDELSER, ALLE)


def adult_age_group(age: np.ndarray) -> np.ndarray:
    """Age (whole years) to the adult age groups; under 18 gives ``None``."""
    bins = np.array([18, 30, 40, 50, 60, 70])
    idx = np.searchsorted(bins, age, side="right") - 1
    labels = np.array(ALDERSGRUPPER_VOKSNE, dtype=object)
    return np.where(idx >= 0, labels[np.clip(idx, 0, len(labels) - 1)], None)


def episode_years(ext: RegisterExtract, first: int, last: int) -> pd.DataFrame:
    """One row per episode and calendar year it overlaps (within ``first``..``last``)."""
    f = ext.forloeb
    sy = f["start_dato"].dt.year.to_numpy()
    ey = f["slut_dato"].dt.year.fillna(last).to_numpy().astype(int)
    death = f["person_id"].map(ext.personer.set_index("person_id")["doedsdato"]).dt.year
    ey = np.minimum(ey, death.fillna(last).to_numpy().astype(int))
    sy_c, ey_c = np.maximum(sy, first), np.minimum(ey, last)
    n = np.clip(ey_c - sy_c + 1, 0, None)
    rep = np.repeat(np.arange(len(f)), n)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    return pd.DataFrame({
        "person_id": f["person_id"].to_numpy()[rep],
        "ydelse": f["ydelse"].to_numpy()[rep],
        "aar": sy_c[rep] + offset,
        "kommune_kode": f["handlekommune_kode"].to_numpy()[rep],
        "start_dato": f["start_dato"].to_numpy()[rep],
    })


def ydelsesmodtagere(ext: RegisterExtract, kommune_koder: list[str]) -> pd.DataFrame:
    """Persons receiving each service (and ``alle``: at least one) by kommune, year, sex and age group.

    A person counts once per service and year, in the acting kommune of the
    latest-starting episode that year, so kommuner add up to regions and the
    country without double counting movers. Only adults (18+ at the end of the
    year) are counted.
    """
    first, last = ext.first_year, ext.last_year
    ey = episode_years(ext, first, last).sort_values(["person_id", "aar", "start_dato"], kind="mergesort")
    per_service = ey.drop_duplicates(["person_id", "aar", "ydelse"], keep="last")
    any_service = ey.drop_duplicates(["person_id", "aar"], keep="last").assign(ydelse=ALLE)
    rows = pd.concat([per_service, any_service], ignore_index=True)
    people = ext.personer.set_index("person_id")
    rows["koen"] = rows["person_id"].map(people["koen"]).to_numpy()
    rows["aldersgruppe"] = adult_age_group(rows["aar"].to_numpy() - rows["person_id"].map(people["foedselsaar"]).to_numpy())
    rows = rows[rows["aldersgruppe"].notna()]
    counts = rows.groupby(["kommune_kode", "aar", "ydelse", "koen", "aldersgruppe"]).size().rename("antal")
    grid = pd.MultiIndex.from_product(
        [kommune_koder, range(first, last + 1), YDELSE_KODER, ("K", "M"), ALDERSGRUPPER_VOKSNE],
        names=["kommune_kode", "aar", "ydelse", "koen", "aldersgruppe"],
    )
    return counts.reindex(grid, fill_value=0).reset_index()
