"""Differencing attacks on the composable views, as an attacker would run them through the apps' deep links.

An area of several kommuner is published only when every part is, and a hidden area always shows ``x``
(never ``<5`` for a small sum), so no union of hidden kommuner answers "is the sum at most 4?". The excess-
mortality period is fixed, so no two periods can be subtracted. These tests run the themes' own ``beregn`` and
``tabel_til_download`` (what a user sees and downloads) over every pair and triple of the 9 smallest kommuner.
"""

import itertools

import pytest

import vidensdata as vd
from vidensdata.errors import InvalidYearsError
from vidensdata.themes import TEMAER

pytestmark = pytest.mark.slow


def _smallest(n: int) -> list[str]:
    return list(vd.load("kommuner").nsmallest(n, "indbyggere")["kommune_navn"])


SMAA = _smallest(9)
UNIONER = [list(c) for r in (2, 3) for c in itertools.combinations(SMAA, r)]


def _check_unions(cells_of):
    """``cells_of(area)`` -> {cell key: (hidden?, primary?, value or None)} for one area; checks every union."""
    single = {k: cells_of([k]) for k in SMAA}
    recovered = []
    for union in UNIONER:
        cells = cells_of(union)
        for key, (hidden, primary, value) in cells.items():
            parts_hidden = [single[k][key][0] for k in union]
            if any(parts_hidden):
                # a union with a hidden part says nothing: hidden, and with the mark that never depends on the sum
                if not hidden or primary or value is not None:
                    recovered.append((union, key, value))
            else:
                # all parts published: the union is their sum, which is already public
                assert not hidden and value == sum(single[k][key][2] for k in union), (union, key)
    assert not recovered, recovered[:10]
    return single


def test_unions_of_the_smallest_kommuner_reveal_no_service_count():
    t = TEMAER["serviceudvikling"]

    def cells(area):
        res = t.beregn(geografi=area)
        out = {}
        for r in res.serie.itertuples():
            out[(r.aar, r.ydelse)] = (bool(r.undertrykt), bool(r.primaer), None if r.undertrykt else int(r.antal))
        download = t.tabel_til_download(res)
        hidden_text = set(download.loc[download["antal"].map(lambda v: isinstance(v, str)), "antal"])
        assert hidden_text <= {"<5", "x"}
        if len(area) > 1:
            assert hidden_text <= {"x"}, (area, hidden_text)  # a union never shows "<5"
        return out

    single = _check_unions(cells)
    assert sum(h for c in single.values() for h, _, _ in c.values()) > 50  # the attack has hidden cells to aim at


def test_unions_of_the_smallest_kommuner_reveal_no_deaths():
    t = TEMAER["overdoedelighed"]

    def cells(area):
        res = t.beregn(geografi=area)
        out = {}
        for r in res.tabel.itertuples():
            out[r.koen] = (bool(r.undertrykt), bool(r.primaer), None if r.undertrykt else int(r.doede))
            if r.undertrykt:
                assert res.smr[r.koen] is None  # nothing built on a hidden count is shown
        return out

    _check_unions(cells)


def test_unions_of_the_smallest_kommuner_reveal_no_register_overlap():
    t = TEMAER["maalgruppe"]

    def cells(area):
        res = t.beregn(geografi=area, aar=2024)
        out = {("historie", r.historie): (bool(r.undertrykt), bool(r.primaer), None if r.undertrykt else int(r.antal))
               for r in res.overlap.itertuples()}
        out[("i alt",)] = (bool(res.observeret_undertrykt), bool(res.observeret_primaer), res.observeret)
        for r in res.registertal.itertuples():
            out[("register", r.register)] = (bool(r.undertrykt), bool(r.primaer),
                                            None if r.undertrykt else int(r.antal))
        return out

    _check_unions(cells)


def test_no_two_mortality_periods_can_be_subtracted():
    t = TEMAER["overdoedelighed"]
    first, last = 2010, 2021
    shown = 0
    for kommune in _smallest(12):
        for start, end in itertools.combinations(range(first, last + 1), 2):
            if (start, end) == (first, last):
                continue
            with pytest.raises(InvalidYearsError):
                t.beregn(geografi=kommune, startaar=start, slutaar=end)
        res = t.beregn(geografi=kommune)
        shown += 1
        assert (res.valg.startaar, res.valg.slutaar) == (first, last)
    assert shown == 12


def test_choosing_fewer_registers_reveals_no_hidden_history():
    """``11`` over (serviceloven, psykiatri) is ``110 + 111``: published only when both are, so no choice of
    registers can be subtracted from another into a hidden count."""
    from vidensdata.vocabulary import REGISTRE

    t = TEMAER["maalgruppe"]
    checked = hidden = 0
    for kommune in SMAA + ["Region Nordjylland"]:
        full = t.beregn(geografi=kommune, aar=2024).overlap.set_index("historie")
        for subset in itertools.combinations(REGISTRE, 2):
            res = t.beregn(geografi=kommune, aar=2024, registre=list(subset))
            pos = [REGISTRE.index(r) for r in subset]
            for r in res.overlap.itertuples():
                parts = [h for h in full.index if "".join(h[i] for i in pos) == r.historie]
                if full.loc[parts, "undertrykt"].any():
                    assert r.undertrykt and not r.primaer, (kommune, subset, r.historie)
                    hidden += 1
                else:
                    assert not r.undertrykt and int(r.antal) == int(full.loc[parts, "antal"].sum())
                checked += 1
    assert checked == 10 * 3 * 3 and hidden > 10  # 10 areas, 3 pairs of registers, 3 histories each
