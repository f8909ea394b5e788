"""Plain Danish (issue 15, item 4): the literature is cited with "Sådan citerer du", not in the source lines
under charts and tables; Chao's lower bound has a Danish name; "profile likelihood" is explained where the
main text uses it."""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")

from vidensdata.config import paths  # noqa: E402
from vidensdata.presentation import hent  # noqa: E402
from vidensdata.presentation.temaer import maalgruppe as tegn  # noqa: E402
from vidensdata.presentation.widgets import som_html  # noqa: E402
from vidensdata.themes import maalgruppe  # noqa: E402

CITATION = re.compile(r"\b[A-Z][a-zé]+(?: (?:&|og) [A-Z][a-z]+| m\.fl\.)? (?:19|20)\d\d\b")


def test_source_lines_name_the_data_and_cite_no_literature():
    res = maalgruppe.beregn("Aarhus")
    lines = [res.kildelinje, tegn.figur_kommuner(res)._vidensdata_kilde,
             tegn.figur_overlap(res)._vidensdata_kilde]
    for line in lines:
        assert line.startswith("Kilde:")
        assert not CITATION.search(line), line
    # the key figures' and the kommune table's source lines too (what a leader reads under them)
    for html in (som_html(tegn.vis_noegletal(res)), som_html(tegn.vis_kommuner(res))):
        notes = " ".join(re.findall(r"Kilde:[^<]*", html))
        assert notes and not CITATION.search(notes), notes


def test_the_literature_is_in_the_citation_section_and_the_workbook():
    res = maalgruppe.beregn("Aarhus")
    p = hent.pakke(maalgruppe.TEMA, res, "")
    block = hent.links_html(p)
    cited = re.search(r'data-testid="litteratur">(.*?)</p>', block).group(1)
    for ref in ("Cormack", "Rivest", "Buckland"):
        assert ref in cited
    rows = dict(hent.om_data(p))
    assert "Buckland" in rows["Metoden bygger på"]


def test_chao_is_named_in_plain_danish():
    res = maalgruppe.beregn("Hele landet")
    names = maalgruppe.model_navne(res.modeller, res.valg.registre)
    chao = [n for n in names if "Chao" in n]
    assert chao and all("Chaos nedre grænse" in n for n in chao), chao
    assert "Chaos nedre grænse" in tegn.FORKLARING_MODELLER


def test_profile_likelihood_is_explained_in_one_plain_sentence_where_the_main_text_uses_it():
    nb = json.loads((paths().notebooks / "temaer" / "maalgruppe.ipynb").read_text(encoding="utf-8"))
    prose = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert not any("profile likelihood" in p for p in prose)  # English jargon
    used = [p for p in prose if "profil-likelihood" in p]
    for p in used:
        sentence = next(s for s in re.split(r"(?<=\.)\s+", p) if "profil-likelihood" in s)
        assert "rummer" in sentence and "passer" in sentence, sentence  # what the interval holds, in words
