"""Views of the register extract's service episodes: episode-years and the serviceloven list.

Both are about the raw extract (its ``personer`` and ``ydelsesforloeb`` tables), so
they live with the sources: the synthetic generator plants the target group around
the serviceloven list, and the datasets count from the same views.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocabulary import YDELSER

#: Botilbud: one of these alone puts a person on the serviceloven list.
BOTILBUD = ("§107", "§108")


def episode_years(ext, first: int, last: int) -> pd.DataFrame:
    """One row per episode and calendar year it overlaps (within ``first``..``last``).

    ``ext`` is a :class:`~vidensdata.sources.register.RegisterExtract` or anything
    with its ``personer`` and ``forloeb`` tables.
    """
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


def serviceloven_liste(ext, first: int, last: int) -> pd.DataFrame:
    """The social-services list: persons with *complex* support needs under serviceloven, per year.

    A person is on the list in a year when, alive and an adult (18+ at the end of
    the year), they have an episode of a botilbud (§ 107/§ 108) overlapping the
    year, or episodes of at least two different services overlapping it. Not every
    recipient of a service is in the target group "psykiske vanskeligheder og
    komplekse støttebehov"; this rule is the operational definition of the list.
    Returns ``person_id``, ``aar`` (unique rows, sorted).
    """
    ey = episode_years(ext, first, last)
    codes, people = pd.factorize(ey["person_id"], sort=True)
    n_years = last - first + 1
    key = codes.astype(np.int64) * n_years + (ey["aar"].to_numpy() - first)
    service_bit = {s: 1 << i for i, s in enumerate(YDELSER)}
    bits = ey["ydelse"].map(service_bit).to_numpy(dtype=np.int64)
    uniq, inv = np.unique(key, return_inverse=True)
    acc = np.zeros(len(uniq), dtype=np.int64)
    np.bitwise_or.at(acc, inv, bits)
    n_services = np.zeros(len(uniq), dtype=np.int64)
    for b in service_bit.values():
        n_services += (acc & b) > 0
    botilbud = (acc & sum(service_bit[s] for s in BOTILBUD)) > 0
    keep = (n_services >= 2) | botilbud
    pid, aar = uniq[keep] // n_years, uniq[keep] % n_years + first
    born = ext.personer.set_index("person_id")["foedselsaar"].reindex(people).to_numpy()
    adult = aar - born[pid] >= 18
    return pd.DataFrame({"person_id": np.asarray(people, dtype=object)[pid[adult]],
                         "aar": aar[adult].astype("int64")})
