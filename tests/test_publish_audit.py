"""Published tables (vidensdata.publish) and the disclosure audit (vidensdata.audit, `vidensdata audit`)."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

from vidensdata import audit, geography, publish
from vidensdata.cli import main
from vidensdata.errors import ReportError, UnknownColumnError
from vidensdata import formatting as fmt
from vidensdata.themes import serviceudvikling as tema
from vidensdata.disclosure import vist_antal
from vidensdata.presentation.temaer import serviceudvikling as tegn

KILDE = "Kilde: test. Syntetiske data (demo)"


def _table(values, years=("2020", "2021"), labels=("A", "B")):
    return pd.DataFrame([[lab, *vals] for lab, vals in zip(labels, values)], columns=["Ydelse", *years])


def _write(root, tema_, slug, tables: dict, geografi=None):
    payloads = {}
    for navn, (df, kw) in tables.items():
        kw = {"personhenfoerbar": True, "antal_kolonner": [c for c in df.columns if c != "Ydelse"],
              "kilde": KILDE, "geografi": geografi, **kw}
        payloads[navn] = publish.publicer(navn, df, **kw).payload
    folder = audit.tables_folder(root, tema_, slug)
    publish.write_tables(payloads, folder, {"tema": tema_, "geografi": geografi} if geografi else None)
    (root / tema_ / f"{slug}.html").write_text("<html></html>", encoding="utf-8")
    return folder


# ---------------------------------------------------------------- publicer

def test_publicer_shows_html_and_a_machine_readable_copy():
    df = _table([["12", "<5"], ["x", "1.234"]])
    shown = publish.publicer("tabel", df, personhenfoerbar=True, antal_kolonner=["2020", "2021"], kilde=KILDE,
                             geografi="Læsø", html="<p>tabellen</p>")
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain", publish.MIME} and "tabel" in bundle["text/plain"]
    assert bundle["text/html"] == "<p>tabellen</p>" == shown._repr_html_()
    p = bundle[publish.MIME]
    assert p["navn"] == "tabel" and p["personhenfoerbar"] is True and p["kilde"] == KILDE
    assert p["columns"] == ["Ydelse", "2020", "2021"] and p["antal_kolonner"] == ["2020", "2021"]
    assert p["rows"] == [["A", "12", "<5"], ["B", "x", "1.234"]]  # exactly as shown
    assert p["noegle"] == ["Ydelse"]
    assert p["geografi"] == {"navn": "Læsø", "kode": "825", "niveau": "kommune", "region_kode": "081"}
    json.dumps(p)  # serialisable as the kernel sends it
    with pytest.raises(UnknownColumnError, match="2019"):
        publish.publicer("t", df, personhenfoerbar=True, antal_kolonner=["2019"], kilde=KILDE)
    with pytest.raises(ReportError, match="I alt"):
        publish.publicer("t", df, personhenfoerbar=True, antal_kolonner=["2020"], kilde=KILDE, total_raekke="I alt")


def test_theme_html_is_unchanged_and_carries_the_tables():
    res = tema.beregn("Læsø", 2014, 2024)
    shown = tegn.vis_tabel(res)
    # the HTML is what vis_tabel showed before publicer existed
    t = res.serie.assign(Ydelse=res.serie["ydelse"].map(tema.YDELSE_NAVNE))
    t["vist"] = [vist_antal(a, u, p) for a, u, p in zip(t["antal"], t["undertrykt"], t["primaer"])]
    wide = t.pivot(index="Ydelse", columns="aar", values="vist").reindex(
        [tema.YDELSE_NAVNE[c] for c in (tema.ALLE, *res.valg.ydelser)])
    wide.columns = [str(c) for c in wide.columns]
    old = wide.reset_index().to_html(index=False, classes="vd-tabel", border=0, escape=True)
    assert shown.data.startswith('<div class="vd-tabel-rulle"') and old in shown.data  # in its scroll box
    assert "diskretionering" in shown.data
    p = shown.payload
    assert p["columns"] == ["Ydelse", *[str(y) for y in range(2014, 2025)]]
    assert p["rows"] == wide.reset_index().astype(str).to_numpy().tolist()
    assert any(fmt.SUPPRESSED in r for r in p["rows"])  # Læsø has small counts
    assert p["geografi"]["kode"] == "825" and p["total_raekke"] is None  # "any service" is not additive
    key = tegn.vis_noegletal(res)
    assert 'data-testid="noegletal-antal"' in key.data
    assert key.payload["rows"][0][0] == vist_antal(res.noegletal["antal"], res.noegletal["undertrykt"],
                                                        res.noegletal["primaer"])
    assert key.payload["antal_kolonner"] == ["Modtagere af mindst én ydelse i 2024"]


def test_extract_tables_from_an_executed_notebook(repo):
    # the committed outputs of the theme notebook come from a real kernel run (scripts/refresh_notebook_outputs.py)
    nb = nbformat.read(repo / "notebooks/temaer/serviceudvikling.ipynb", as_version=4)
    tables = publish.extract_tables(nb)
    assert "noegletal" in tables
    assert tables["noegletal"]["geografi"]["kode"] == "000"
    assert tables["noegletal"]["rows"] == publish.extract_tables(nb)["noegletal"]["rows"]


def test_extract_tables_reads_outputs_and_rejects_clashing_names():
    def nb_with(*payloads):
        outs = [nbformat.v4.new_output("display_data", data={"text/html": "<b>t</b>", publish.MIME: p})
                for p in payloads]
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outs),
                                               nbformat.v4.new_markdown_cell("tekst")])

    a = publish.publicer("a", _table([["5", "6"], ["7", "8"]]), personhenfoerbar=True,
                         antal_kolonner=["2020"], kilde=KILDE).payload
    b = dict(a, navn="b")
    assert list(publish.extract_tables(nb_with(a, b, a))) == ["a", "b"]
    as_text = nb_with(json.dumps(a))  # some front-ends store JSON MIME data as text
    assert publish.extract_tables(as_text)["a"] == a
    with pytest.raises(ReportError, match="two different tables"):
        publish.extract_tables(nb_with(a, dict(a, rows=[["A", "9", "9"]])))


def test_write_tables_roundtrip_checksums_and_stale_files(tmp_path):
    df = _table([["12", "<5"], ["x", "1.234"]])
    p = publish.publicer("Tabel 1", df, personhenfoerbar=True, antal_kolonner=["2020", "2021"], kilde=KILDE).payload
    path = publish.write_tables({"Tabel 1": p}, tmp_path, {"tema": "t", "geografi": "Læsø"})
    assert path.name == "tabeller.json" and sorted(f.name for f in tmp_path.iterdir()) == ["tabel-1.csv",
                                                                                           "tabeller.json"]
    raw = (tmp_path / "tabel-1.csv").read_bytes()
    assert raw == "Ydelse;2020;2021\nA;12;<5\nB;x;1.234\n".encode("utf-8")
    manifest, frames = publish.read_tables(tmp_path)
    assert manifest["rapport"] == {"tema": "t", "geografi": "Læsø"}
    assert frames["Tabel 1"].to_numpy().tolist() == [["A", "12", "<5"], ["B", "x", "1.234"]]
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind
    (tmp_path / "tabel-1.csv").write_bytes(raw.replace(b"12", b"13"))
    with pytest.raises(ReportError, match="checksum"):
        publish.read_tables(tmp_path)
    q = dict(p, navn="andet")
    publish.write_tables({"andet": q}, tmp_path)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["andet.csv", "tabeller.json"]  # stale file removed


# ---------------------------------------------------------------- audit

def test_parse_cell():
    assert audit.parse_cell("1.234") == ("tal", 1234.0)
    assert audit.parse_cell("3") == ("tal", 3.0)
    assert audit.parse_cell("7,5") == ("tal", 7.5)
    assert audit.parse_cell("<5")[0] == "primaer" and audit.parse_cell("x")[0] == "sekundaer"
    assert audit.parse_cell("–")[0] == "mangler" and audit.parse_cell("")[0] == "mangler"
    assert audit.parse_cell("tre")[0] == "ugyldig"


@pytest.fixture(scope="module")
def theme_reports(tmp_path_factory):
    """The real published tables of serviceudvikling for the country, the 5 regions and Nordjylland's kommuner."""
    root = tmp_path_factory.mktemp("reports")
    geos = [geography.land(), *geography.regioner(),
            *[k for k in geography.kommuner() if k.region_kode == "081"]]
    for g in geos:
        res = tema.beregn(g.navn, 2014, 2024)
        tables = {t.payload["navn"]: t.payload for t in (tegn.vis_noegletal(res), tegn.vis_tabel(res))}
        publish.write_tables(tables, audit.tables_folder(root, "serviceudvikling", g.slug),
                             {"tema": "serviceudvikling", "geografi": g.navn})
        (root / "serviceudvikling" / f"{g.slug}.html").write_text("<html></html>", encoding="utf-8")
    return root, geos


def test_audit_passes_the_real_theme_tables(theme_reports):
    root, geos = theme_reports
    result = audit.audit(root)
    assert result.fund == [], result.summary()
    assert result.ok and result.rapporter == len(geos) == 17 and result.tabeller == 2 * 17
    assert result.celler == 17 * (7 * 11 + 1)
    r = CliRunner().invoke(main, ["audit", str(root)])
    assert r.exit_code == 0, r.output
    assert "Ingen problemer" in r.output and "No problems" in r.output


def test_audit_finds_a_recoverable_kommune_in_the_real_tables(theme_reports, tmp_path):
    """Publishing one of two suppressed kommuner of a region lets anyone compute the other."""
    import shutil

    root, _ = theme_reports
    copy = tmp_path / "reports"
    shutil.copytree(root, copy)
    kommuner = [k for k in geography.kommuner() if k.region_kode == "081"]
    frames = {k.slug: publish.read_tables(audit.tables_folder(copy, "serviceudvikling", k.slug)) for k in kommuner}
    region_slug = geography.resolve_one("081").slug
    region = publish.read_tables(audit.tables_folder(copy, "serviceudvikling", region_slug))[1]["tabel"]
    # find a cell (row, year) where exactly two kommuner are suppressed and the region is published
    for pos in range(len(region)):
        for col in region.columns[1:]:
            hidden = [k for k in kommuner if frames[k.slug][1]["tabel"].iloc[pos][col] in ("<5", "x")]
            if len(hidden) == 2 and audit.parse_cell(region.iloc[pos][col])[0] == "tal":
                break
        else:
            continue
        break
    else:
        pytest.fail("no region cell with exactly two suppressed kommuner in the synthetic data")
    leak, victim = hidden
    manifest, tables = frames[leak.slug]
    payloads = {}
    for navn, meta in manifest["tabeller"].items():
        payloads[navn] = {**meta, "rows": tables[navn].to_numpy().tolist()}
    payloads["tabel"]["rows"][pos][payloads["tabel"]["columns"].index(col)] = "7"  # "un-suppressed"
    publish.write_tables(payloads, audit.tables_folder(copy, "serviceudvikling", leak.slug), manifest["rapport"])
    result = audit.audit(copy)
    assert not result.ok
    named = [f for f in result.fund if f.rapport == f"serviceudvikling/{victim.slug}"]
    assert len(named) == 1 and named[0].tabel == "tabel"
    assert col in named[0].celle and region.iloc[pos]["Ydelse"] in named[0].celle
    assert "region" in named[0].message


def test_audit_fails_on_a_published_small_count(tmp_path):
    _write(tmp_path, "t", "laesoe", {"tabel": (_table([["12", "3"], ["x", "<5"]]), {})}, geografi="Læsø")
    _write(tmp_path, "t", "samsoe", {"befolkning": (_table([["2", "3"], ["1", "4"]]),
                                                    {"personhenfoerbar": False})}, geografi="Samsø")
    _write(tmp_path, "t", "fanoe", {"befolkning": (_table([["2", "3"], ["1", "4"]]),
                                                   {"personhenfoerbar": False, "antal_kolonner": []})},
           geografi="Fanø")  # public statistics: no count columns declared, nothing to check
    result = audit.audit(tmp_path)
    assert not result.ok
    got = [(f.rapport, f.tabel, f.celle) for f in result.fund]
    assert got[0] == ("t/laesoe", "tabel", "Ydelse=A, 2021")
    assert "1–4" in result.fund[0].dansk and "count 3" in result.fund[0].message
    # the table's own flag (personhenfoerbar=False) exempts no count column it declares
    assert got[1:] == [("t/samsoe", "befolkning", f"Ydelse={r}, {y}") for y in ("2020", "2021") for r in "AB"]
    r = CliRunner().invoke(main, ["audit", str(tmp_path)])
    assert r.exit_code == 1
    assert "t/laesoe | tabel | Ydelse=A, 2021" in r.output and "5 problem" in r.output


def test_audit_fails_on_a_cell_recoverable_from_a_total_row(tmp_path):
    df = pd.DataFrame({"Aldersgruppe": ["18-29", "30-49", "50+", "I alt"],
                       "Kvinder": ["<5", "20", "31", "54"], "Mænd": ["<5", "x", "25", "40"],
                       "I alt": ["x", "x", "56", "94"]})
    _write(tmp_path, "t", "hele-landet", {"alder": (df, {"antal_kolonner": ["Kvinder", "Mænd", "I alt"],
                                                         "total_raekke": "I alt", "total_kolonne": "I alt"})})
    result = audit.audit(tmp_path)
    cells = sorted(f.celle for f in result.fund)
    # Kvinder: 54 - 20 - 31 = 3 (the one <5); row 18-29 and 30-49 each have 2 hidden, column Mænd has 2 hidden,
    # column "I alt" has 2 hidden: only the Kvinder cell is recoverable
    assert cells == ["Aldersgruppe=18-29, Kvinder"], result.summary()
    assert "kolonne" in result.fund[0].dansk
    # a suppressed total with every cell published is recoverable too
    df2 = pd.DataFrame({"Aldersgruppe": ["18-29", "30-49"], "Kvinder": ["10", "20"], "I alt": ["x", "30"]})
    _write(tmp_path, "t", "hele-landet", {"alder": (df2, {"antal_kolonner": ["Kvinder", "I alt"],
                                                          "total_kolonne": "I alt"})})
    result = audit.audit(tmp_path)
    assert [(f.celle, "summen" in f.dansk) for f in result.fund] == [("Aldersgruppe=18-29, I alt", True)]


def test_audit_region_minus_kommuner_and_country_minus_regions(tmp_path):
    kommuner = [k for k in geography.kommuner() if k.region_kode == "085"]
    for i, k in enumerate(kommuner):
        cell = "<5" if i == 3 else "10"
        _write(tmp_path, "t", k.slug, {"tabel": (_table([[cell, "10"], ["10", "10"]]), {})}, geografi=k.kode)
    total = str(10 * (len(kommuner) - 1) + 3)
    _write(tmp_path, "t", "region-sjaelland", {"tabel": (_table([[total, "x"], ["<5", "x"]]), {})},
           geografi="085")
    result = audit.audit(tmp_path)
    got = sorted((f.rapport, f.celle) for f in result.fund)
    assert got == [
        ("t/region-sjaelland", "Ydelse=A, 2021"),   # suppressed region, every kommune published: their sum
        ("t/region-sjaelland", "Ydelse=B, 2020"),   # a <5 region is the sum of its published kommuner too
        ("t/region-sjaelland", "Ydelse=B, 2021"),
        (f"t/{kommuner[3].slug}", "Ydelse=A, 2020"),  # region total minus the other kommuner
    ], result.summary()
    # a missing kommune report means its cell is unknown: nothing can be recovered from that relation;
    # only the made-up region B 2020 (<5 over kommuner of 10 each) still contradicts its kommuner
    other = kommuner[0]
    (audit.tables_folder(tmp_path, "t", other.slug) / "tabeller.json").unlink()
    (tmp_path / "t" / f"{other.slug}.html").unlink()
    assert [(f.celle, "modsiger" in f.dansk) for f in audit.audit(tmp_path).fund] == [("Ydelse=B, 2020", True)]


def test_audit_country_minus_regions(tmp_path):
    """Without geografi in the tables or the manifest, the report's file name places it in the hierarchy."""
    for i, r in enumerate(geography.regioner()):
        _write(tmp_path, "t", r.slug, {"noegletal": (pd.DataFrame({"Modtagere": ["x" if i == 0 else "100"]}), {
            "antal_kolonner": ["Modtagere"]})})
    _write(tmp_path, "t", geography.land().slug, {"noegletal": (pd.DataFrame({"Modtagere": ["407"]}), {
        "antal_kolonner": ["Modtagere"]})})
    result = audit.audit(tmp_path)
    assert [(f.rapport, f.tabel, f.celle) for f in result.fund] == [
        (f"t/{geography.regioner()[0].slug}", "noegletal", "række 1, Modtagere")]
    assert "lands" in result.fund[0].dansk


def test_audit_requires_table_files_for_every_report(tmp_path):
    _write(tmp_path, "t", "laesoe", {"tabel": (_table([["12", "30"], ["x", "x"]]), {})}, geografi="Læsø")
    assert audit.audit(tmp_path).ok
    (tmp_path / "t" / "samsoe.html").write_text("<html></html>", encoding="utf-8")
    result = audit.audit(tmp_path)
    assert [(f.rapport, "tabelfiler" in f.dansk) for f in result.fund] == [("t/samsoe", True)]
    empty = tmp_path / "tom"
    empty.mkdir()
    r = CliRunner().invoke(main, ["audit", str(empty)])
    assert r.exit_code == 1 and "Ingen offentliggjorte tabeller" in r.output
    r = CliRunner().invoke(main, ["audit", str(tmp_path / "findes-ikke")])
    assert r.exit_code == 2 and "rapportmappen" in r.output and "findes ikke" in r.output


def test_audit_finds_a_count_shown_only_in_the_html(tmp_path):
    """A table drawn in the page but not published through publicer is a finding (a planted 3 more so)."""
    _write(tmp_path, "t", "laesoe", {"tabel": (_table([["12", "30"], ["x", "x"]]), {})}, geografi="Læsø")
    assert audit.audit(tmp_path).ok
    page = tmp_path / "t" / "laesoe.html"
    page.write_text("<html><table><tr><th>Register</th><th>Antal</th></tr>"
                    "<tr><td>Psykiatri</td><td>3</td></tr></table></html>", encoding="utf-8")
    result = audit.audit(tmp_path)
    assert [(f.rapport, f.tabel) for f in result.fund] == [("t/laesoe", "html-tabel 1")]
    assert "3" in result.fund[0].message and "HTML" in result.fund[0].message
    r = CliRunner().invoke(main, ["audit", str(tmp_path)])
    assert r.exit_code == 1
    # the published table itself in the page is fine
    page.write_text(publish.publicer("tabel", _table([["12", "30"], ["x", "x"]]), personhenfoerbar=True,
                                     antal_kolonner=["2020", "2021"], kilde=KILDE).html, encoding="utf-8")
    assert audit.audit(tmp_path).ok


def test_audit_solves_the_published_relations(tmp_path):
    """Region Syddanmark, §107, 2019: the region shows 482 and its published kommuner add up to 480."""
    kommuner = [k for k in geography.kommuner() if k.region_kode == "083"]
    shown = ["<5", "<5", *(["24"] * (len(kommuner) - 2))]
    for k, cell in zip(kommuner, shown):
        _write(tmp_path, "t", k.slug, {"tabel": (_table([[cell]], years=("2019",), labels=("§107",)), {})},
               geografi=k.kode)
    _write(tmp_path, "t", "region-syddanmark", {"tabel": (_table([["482"]], years=("2019",), labels=("§107",)),
                                                          {})}, geografi="083")
    result = audit.audit(tmp_path)
    assert sorted(f.rapport for f in result.fund) == sorted(f"t/{k.slug}" for k in kommuner[:2]), result.summary()
    assert all("[1, 1]" in f.message and f.celle == "Ydelse=§107, 2019" for f in result.fund)
    assert CliRunner().invoke(main, ["audit", str(tmp_path)]).exit_code == 1
    # with the suppression: a complement that carries value is hidden too, and the audit passes
    from vidensdata import disclosure

    values = [1, 1, *([24] * (len(kommuner) - 2))]
    t = pd.DataFrame({"niveau": ["kommune"] * len(kommuner) + ["region"], "kode": [k.kode for k in kommuner] + ["083"],
                      "region_kode": "083", "aar": 2019, "antal": [*values, sum(values)]})
    out = disclosure.suppress_geography(t, "antal", by=["aar"])
    texts = [vist_antal(a, u, p) for a, u, p in zip(out["antal"], out["antal_undertrykt"], out["antal_primaer"])]
    for k, cell in zip(kommuner, texts):
        _write(tmp_path, "t", k.slug, {"tabel": (_table([[cell]], years=("2019",), labels=("§107",)), {})},
               geografi=k.kode)
    assert texts[-1] == "482" and texts[:2] == ["<5", "<5"] and "x" in texts
    result = audit.audit(tmp_path)
    assert result.ok, result.summary()


def test_audit_checks_declared_relations_between_tables(tmp_path):
    """Per-register counts are sums of capture histories: a <5 pinned by them is found."""
    overlap = pd.DataFrame({"Fangsthistorie": ["11", "10", "01", "I alt"], "Antal": ["<5", "<5", "20", "x"]})
    registre = pd.DataFrame({"Register": ["A", "B"], "Antal": ["6", "x"]})  # 11 + 10 = 6: each >= 2
    rel = [{"total": ["registre", "A", "Antal"], "dele": [["overlap", "11", "Antal"], ["overlap", "10", "Antal"]]}]
    _write(tmp_path, "t", "laesoe", {
        "overlap": (overlap, {"antal_kolonner": ["Antal"], "total_raekke": "I alt"}),
        "registre": (registre, {"antal_kolonner": ["Antal"], "relationer": rel})}, geografi="Læsø")
    result = audit.audit(tmp_path)
    assert sorted(f.celle for f in result.fund) == ["Fangsthistorie=10, Antal", "Fangsthistorie=11, Antal"]
    registre.loc[0, "Antal"] = "x"
    _write(tmp_path, "t", "laesoe", {
        "overlap": (overlap, {"antal_kolonner": ["Antal"], "total_raekke": "I alt"}),
        "registre": (registre, {"antal_kolonner": ["Antal"], "relationer": rel})}, geografi="Læsø")
    assert audit.audit(tmp_path).ok
