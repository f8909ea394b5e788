"""Aggregates derived from the person-level register extract (vectorised)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sources.episodes import episode_years, serviceloven_liste
from ..sources.register import RegisterExtract
from ..vocabulary import ALDERSGRUPPER_VOKSNE, ALLE, REGISTRE, YDELSE_KODER


def adult_age_group(age: np.ndarray) -> np.ndarray:
    """Age (whole years) to the adult age groups; under 18 gives ``None``."""
    bins = np.array([18, 30, 40, 50, 60, 70])
    idx = np.searchsorted(bins, age, side="right") - 1
    labels = np.array(ALDERSGRUPPER_VOKSNE, dtype=object)
    return np.where(idx >= 0, labels[np.clip(idx, 0, len(labels) - 1)], None)


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
    born = rows["person_id"].map(people["foedselsaar"]).to_numpy()
    rows["aldersgruppe"] = adult_age_group(rows["aar"].to_numpy() - born)
    rows = rows[rows["aldersgruppe"].notna()]
    counts = rows.groupby(["kommune_kode", "aar", "ydelse", "koen", "aldersgruppe"]).size().rename("antal")
    grid = pd.MultiIndex.from_product(
        [kommune_koder, range(first, last + 1), YDELSE_KODER, ("K", "M"), ALDERSGRUPPER_VOKSNE],
        names=["kommune_kode", "aar", "ydelse", "koen", "aldersgruppe"],
    )
    return counts.reindex(grid, fill_value=0).reset_index()


# ---------------------------------------------------------------- capture-recapture lists (registeroverlap)

#: Every observable capture history ("000", the unseen, is never observed).
HISTORIER = tuple(f"{i:03b}" for i in range(7, 0, -1))


def registeroverlap(ext, kommune_koder: list[str], serviceliste: pd.DataFrame | None = None) -> pd.DataFrame:
    """Persons by capture history (which of the three registers saw them) by kommune and year.

    Registers: ``serviceloven`` (:func:`serviceloven_liste`), ``psykiatri`` and
    ``misbrug`` (persons with a contact that year in the extract's
    ``registerkontakter``). Only adults alive in the year are counted, once per
    year, in their kommune of residence (``personer.kommune_kode``). ``historie``
    is one digit per register in the order of :data:`REGISTRE` (``"101"``: seen
    by serviceloven and misbrug). The grid is complete (zeros included); the
    unseen history ``"000"`` is never observed and not in the table. ``serviceliste``
    (:func:`serviceloven_liste` of the extract) saves recomputing it.
    """
    first, last = ext.first_year, ext.last_year
    n_years = last - first + 1
    people = ext.personer.set_index("person_id")
    ids = people.index
    parts_id, parts_year, parts_bit = [], [], []
    svc = serviceloven_liste(ext, first, last) if serviceliste is None else serviceliste
    parts_id.append(ids.get_indexer(svc["person_id"]))
    parts_year.append(svc["aar"].to_numpy())
    parts_bit.append(np.full(len(svc), 4, dtype=np.int64))
    kontakter = getattr(ext, "kontakter", None)
    if kontakter is not None and len(kontakter):
        k = kontakter[kontakter["aar"].between(first, last)]
        pos = ids.get_indexer(k["person_id"])
        yr = k["aar"].to_numpy()
        age = yr - people["foedselsaar"].to_numpy()[pos]
        death = people["doedsdato"].dt.year.fillna(10_000).to_numpy()[pos]
        ok = (pos >= 0) & (age >= 18) & (yr <= death)
        parts_id.append(pos[ok])
        parts_year.append(yr[ok])
        parts_bit.append(k["register"].map({"psykiatri": 2, "misbrug": 1}).to_numpy(dtype=np.int64)[ok])
    pos = np.concatenate(parts_id).astype(np.int64)
    key = pos * n_years + (np.concatenate(parts_year) - first)
    uniq, inv = np.unique(key, return_inverse=True)
    acc = np.zeros(len(uniq), dtype=np.int64)
    np.bitwise_or.at(acc, inv, np.concatenate(parts_bit))
    kom_codes = {c: i for i, c in enumerate(kommune_koder)}
    kom = people["kommune_kode"].map(kom_codes).to_numpy()[uniq // n_years]
    cube = np.zeros((len(kommune_koder), n_years, 8), dtype=np.int64)
    np.add.at(cube, (kom.astype(np.int64), uniq % n_years, acc), 1)
    hist_index = [int(h, 2) for h in HISTORIER]
    kk, yy, hh = np.meshgrid(np.arange(len(kommune_koder)), np.arange(n_years), np.arange(len(HISTORIER)),
                             indexing="ij")
    out = pd.DataFrame({
        "kommune_kode": np.asarray(kommune_koder, dtype=object)[kk.ravel()],
        "aar": (yy.ravel() + first).astype("int64"),
        "historie": np.asarray(HISTORIER, dtype=object)[hh.ravel()],
        "antal": cube[:, :, hist_index].ravel(),
    })
    for i, r in enumerate(REGISTRE):
        out[r] = out["historie"].str[i].astype("int64")
    return out[["kommune_kode", "aar", "historie", *REGISTRE, "antal"]]
