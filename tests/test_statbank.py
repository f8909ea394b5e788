"""The StatBank connector: real sample files, a loopback StatBank server, refresh and failures.

No test reaches the internet. The fake server below answers POST /v1/tables, /v1/tableinfo and
/v1/data in StatBank's format (header names with Danish letters, BOM and CRLF for CSV, LF for BULK,
``;``, decimal commas with lang=da, ``..`` for confidential cells, the 1,000,000-cell REQUEST-LIMIT
error). Its FOLK1A/DOD/HISB3/HAND numbers are CONSTRUCTED by formula (not Statistics Denmark's);
the real StatBank answers are the files in tests/data/statbank/.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import vidensdata as vd
from vidensdata import geography
from vidensdata.cli import main
from vidensdata.datasets import registry as cat
from vidensdata.datasets.refresh import refresh
from vidensdata.errors import DataError
from vidensdata.sources import statbank_mappings as sbm
from vidensdata.sources.statbank import (RequestLimitError, StatbankClient, StatbankError, parse_age,
                                         read_statbank_csv)

DATA = Path(__file__).parent / "data" / "statbank"


# ---------------------------------------------------------------- real sample files

def test_bulk_codes_sample():
    raw = (DATA / "folk1a_bulk_codes.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw  # no BOM, LF
    df = read_statbank_csv(DATA / "folk1a_bulk_codes.csv")
    assert list(df.columns) == ["omraade", "koen", "alder", "tid", "aar", "kvartal", "indhold"]
    assert df.shape == (31200, 7) and str(df["indhold"].dtype) == "Int64"
    assert df.iloc[0].tolist() == ["000", "1", "0", "2008K1", 2008, 1, 32976]
    assert df.iloc[-1].tolist() == ["751", "2", "100", "2020K1", 2020, 1, 23]
    assert set(df["omraade"]) == {"000", "081", "082", "083", "084", "085", "147", "400", "461", "561", "751", "851"}
    assert set(df["kvartal"]) == {1} and sorted(df["aar"].unique()) == list(range(2008, 2021))
    assert df["indhold"].notna().all()
    # 100 single ages: 0-100 except 38 (the request's selection); 200 cells per area and quarter
    assert set(range(101)) - set(df["alder"].astype(int)) == {38}
    assert (df.groupby(["omraade", "tid"]).size() == 200).all()
    # Frederiksberg 1 January 2020 without age 38 and 100+ is below the published total 104,305 (FOLK1A)
    fb = df[(df["omraade"] == "147") & (df["tid"] == "2020K1")]["indhold"].sum()
    assert 100_000 < fb <= 104_305


def test_labels_national_sample_with_bom_and_crlf():
    raw = (DATA / "folk1a_labels_national.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    df = read_statbank_csv(DATA / "folk1a_labels_national.csv")
    assert list(df.columns) == ["omraade", "civilstand", "tid", "aar", "kvartal", "indhold"]
    assert len(df) == 52 and set(df["omraade"]) == {"Hele landet"} and set(df["civilstand"]) == {"I alt"}
    s = df.set_index("tid")["indhold"]
    assert s["2008K1"] == 5_475_791 and s["2020K1"] == 5_822_763 and s["2020K4"] == 5_837_213
    assert not df["tid"].str.contains("\r").any()
    assert df[["aar", "kvartal"]].iloc[-1].tolist() == [2020, 4]


def test_labels_area_sample_variable_order_follows_request():
    df = read_statbank_csv(DATA / "folk1a_labels_area_2020k1.csv")
    assert list(df.columns)[:2] == ["civilstand", "omraade"]
    tot = df[df["civilstand"] == "I alt"].set_index("omraade")["indhold"]
    assert tot["Hele landet"] == 5_822_763 and tot["Region Hovedstaden"] == 1_846_023
    assert tot["København"] == 632_340 and tot["Læsø"] == 1786
    # the kommuner sum to the embedded snapshot's total (Christiansø is not a kommune)
    names = {g.navn for g in geography.kommuner()}
    assert tot[tot.index.isin(names)].sum() == 5_822_679 == vd.load("kommuner")["indbyggere"].sum()
    assert df.iloc[-1].tolist()[:2] == ["Fraskilt", "Aalborg"] and df.iloc[-1]["indhold"] == 17649


def test_labels_kbh_civilstand_sample():
    df = read_statbank_csv(DATA / "folk1a_labels_kbh_civilstand.csv")
    s = df.set_index(["tid", "civilstand"])["indhold"]
    assert s[("2008K1", "I alt")] == 509_861 and s[("2008K1", "Ugift")] == 309_661
    assert s[("2020K1", "Fraskilt")] == 54_740
    parts = df[df["civilstand"] != "I alt"].groupby("tid")["indhold"].sum()
    assert (parts == df[df["civilstand"] == "I alt"].set_index("tid")["indhold"]).all()


def test_labels_dragoer_age_sample():
    df = read_statbank_csv(DATA / "folk1a_labels_dragoer_age.csv")
    assert list(df.columns) == ["omraade", "alder", "tid", "aar", "kvartal", "civilstand", "indhold"]
    assert df.iloc[0].tolist() == ["Dragør", "10 år", "2008K1", 2008, 1, "Ugift", 181]
    assert {"Gift/separeret", "Enke/enkemand"} <= set(df["civilstand"])
    s = df.set_index(["omraade", "alder", "tid", "civilstand"])["indhold"]
    assert s[("Region Syddanmark", "33 år", "2019K1", "Enke/enkemand")] == 12
    assert {parse_age(a) for a in df["alder"].unique()} >= {(10, 10), (33, 33)}


def test_parser_decimal_comma_missing_cells_and_time_codes(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes("\ufeffKØN;TID;INDHOLD\r\nMænd;2019M01;81,25\r\nKvinder;2019M02;..\r\n".encode("utf-8"))
    df = read_statbank_csv(f)
    assert list(df.columns) == ["koen", "tid", "aar", "maaned", "indhold"]
    assert df["indhold"].iloc[0] == 81.25 and pd.isna(df["indhold"].iloc[1])
    assert df["maaned"].tolist() == [1, 2]
    f.write_text("TID;INDHOLD\n2019:2020;80,1\n2020:2021;80,4\n", encoding="utf-8")
    assert read_statbank_csv(f)[["aar_fra", "aar_til"]].values.tolist() == [[2019, 2020], [2020, 2021]]
    f.write_text("OMRÅDE;TID;INDHOLD\n101;2016;5\n101;2017\n", encoding="utf-8")  # cut off mid-row
    with pytest.raises(DataError, match="missing fields"):
        read_statbank_csv(f)
    f.write_text("OMRÅDE;TID;INDHOLD\n101;2016;fem\n", encoding="utf-8")
    with pytest.raises(DataError, match="non-numeric"):
        read_statbank_csv(f)
    f.write_text('{"errorTypeCode":"X"}', encoding="utf-8")
    with pytest.raises(DataError):
        read_statbank_csv(f)
    assert parse_age("100 år og derover", "100-") == (100, None) and parse_age("I alt", "IALT") is None


# ---------------------------------------------------------------- a fake StatBank on loopback

def _values(ids_texts):
    return [{"id": i, "text": t} for i, t in ids_texts]


AGES = [(str(a), f"{a} år") for a in range(0, 106)]


class FakeTable:
    def __init__(self, tid, text, variables, value, description="", unit="Antal"):
        self.id, self.text, self.variables, self.value = tid, text, variables, value
        self.description, self.unit = description, unit

    def info(self):
        return {"id": self.id, "text": self.text, "description": self.description, "unit": self.unit,
                "suppressedDataValue": "0", "updated": "2026-08-11T08:00:00", "active": True,
                "footnote": None,
                "variables": [{"id": vid, "text": vtext, "elimination": vid.lower() != "tid",
                               "time": vid.lower() == "tid", "values": _values(vals)}
                              for vid, vtext, vals in self.variables]}


class FakeStatbank:
    """State of the fake server: tables, a version bump for 'new numbers', failure modes, a log."""

    def __init__(self, first_year: int = 2022, last_year: int = 2024):
        # FOLK1A quarters first_year K1 .. last_year K2; deaths (DOD) first_year-1 .. last_year-1
        self.folk_tid = [f"{y}K{q}" for y in range(first_year, last_year + 1) for q in (1, 2, 3, 4)][:-2]
        self.dod_tid = [str(y) for y in range(first_year - 1, last_year)]
        self.version = 0
        self.limit = 1_000_000
        self.fail = None  # None or (mode, predicate(path, body)) with mode 500|close|truncate|slow|400
        self.log = []
        geos = [("000", "Hele landet"), ("084", "Region Hovedstaden")] + [
            (g.kode, g.navn) for g in geography.kommuner()] + [("411", "Christiansø")]
        folk = FakeTable("FOLK1A", "Befolkningen den 1. i kvartalet", [
            ("OMRÅDE", "område", geos),
            ("KØN", "køn", [("TOT", "I alt"), ("1", "Mænd"), ("2", "Kvinder")]),
            ("ALDER", "alder", [("IALT", "Alder i alt")] + AGES),
            ("CIVILSTAND", "civilstand", [("TOT", "I alt"), ("U", "Ugift"), ("G", "Gift/separeret")]),
            ("Tid", "tid", [(t, t) for t in self.folk_tid]),
        ], self.folk_value)
        dod = FakeTable("DOD", "Døde efter alder og køn", [
            ("ALDER", "alder", [("TOT", "Alder i alt")] + [(str(a), f"{a} år") for a in range(99)]
             + [("99-", "99 år og derover")]),
            ("KØN", "køn", [("TOT", "I alt"), ("M", "Mænd"), ("K", "Kvinder")]),
            ("Tid", "tid", [(t, t) for t in self.dod_tid]),
        ], self.dod_value)
        fod = FakeTable("FOD207", "Døde efter område, alder og køn", [
            ("OMRÅDE", "område", [("000", "Hele landet"), ("084", "Region Hovedstaden"), ("101", "København"),
                                  ("147", "Frederiksberg"), ("751", "Aarhus")]),
            ("ALDER", "alder", [("TOT", "Alder i alt")] + [(str(a), f"{a} år") for a in range(100)]
             + [("100-", "100 år og derover")]),
            ("KØN", "køn", [("TOT", "I alt"), ("1", "Mænd"), ("2", "Kvinder")]),
            ("Tid", "tid", [(t, t) for t in self.dod_tid]),
        ], self.fod_value)
        hisb = FakeTable("HISB3", "Dødelighedstavle (2-års tavler)", [
            ("KØN", "køn", [("M", "Mænd"), ("K", "Kvinder")]),
            ("ALDER", "alder", [(str(a), f"{a} år") for a in range(0, 100)]),
            ("TAVLE", "dødelighedstavle", [("DOD", "Dødshyppighed (pr. 100.000)"), ("LEV", "Middellevetid (år)")]),
            ("Tid", "tid", [("2021:2022", "2021:2022"), ("2022:2023", "2022:2023")]),
        ], self.hisb_value)
        hand = FakeTable("HAND03", "Modtagere af ydelser efter område, ydelsestype og tid", [
            ("OMRÅDE", "område", [("000", "Hele landet"), ("101", "København"), ("147", "Frederiksberg"),
                                  ("751", "Aarhus")]),
            ("YDELSESTYPE", "ydelsestype", [("TOT", "I alt"), ("85", "Socialpædagogisk støtte (§85)"),
                                            ("107", "Midlertidige botilbud (§107)"),
                                            ("108", "Længerevarende botilbud (§108)")]),
            ("KØN", "køn", [("TOT", "I alt"), ("1", "Mænd"), ("2", "Kvinder")]),
            ("Tid", "tid", [("2021K4", "2021K4"), ("2022K4", "2022K4")]),
        ], self.hand_value,
            description="Tabellen indeholder data for de kommuner, som har godkendt data for hele perioden.")
        hand01 = FakeTable("HAND01", "Fuldtidsydelser efter kommune og ydelsestype", [], lambda c: 0)
        self.tables = {t.id: t for t in (folk, dod, fod, hisb, hand, hand01)}

    # constructed numbers ------------------------------------------------
    def folk_value(self, c):
        if c["KØN"] == "TOT":
            return sum(self.folk_value({**c, "KØN": s}) for s in ("1", "2"))
        if c["ALDER"] == "IALT":
            return sum(self.folk_value({**c, "ALDER": a}) for a, _ in AGES)
        q = self.folk_tid.index(c["Tid"])
        scale = 2000 if c["OMRÅDE"] == "000" else 1  # a national population of a plausible size
        age_sex = 3 + (int(c["ALDER"]) * 7 + int(c["KØN"]) * 5) % 11
        return scale * (int(c["OMRÅDE"]) % 97 + 3) * age_sex + q + self.version

    def dod_value(self, c):
        a = 99 if c["ALDER"] == "99-" else int(c["ALDER"])
        return a * a // 40 + (2 if c["KØN"] == "M" else 1) + int(c["Tid"]) - 2000 + self.version

    def fod_value(self, c):
        a = 100 if c["ALDER"] == "100-" else int(c["ALDER"])
        return (a // 10) * (int(c["OMRÅDE"]) % 7 + 1) + int(c["KØN"]) + int(c["Tid"]) % 3 + self.version

    def hisb_value(self, c):
        if c["ALDER"] == "99":
            return None  # ".."
        base = (80.0 - int(c["ALDER"]) * 0.8 + (3.5 if c["KØN"] == "K" else 0.0)
                + (0.25 if c["Tid"] == "2022:2023" else 0))
        return round(max(base, 1.5), 2) if c["TAVLE"] == "LEV" else 1000.0

    def hand_value(self, c):
        if c["OMRÅDE"] == "147" and c["YDELSESTYPE"] == "107" and c["Tid"] == "2021K4":
            return None  # confidential
        return int(c["OMRÅDE"]) // 3 + int(c["YDELSESTYPE"]) + (10 if c["Tid"] == "2022K4" else 0) + self.version

    # answers ------------------------------------------------------------
    def answer(self, path, body):
        fn = path.rsplit("/", 1)[-1]
        if fn == "tables":
            return 200, "application/json", json.dumps([
                {"id": t.id, "text": t.text, "unit": t.unit, "updated": "2026-08-11T08:00:00",
                 "firstPeriod": "", "latestPeriod": "", "active": True,
                 "variables": [v[1] for v in t.variables]} for t in self.tables.values()],
                ensure_ascii=False).encode()
        table = self.tables.get(str(body.get("table", "")).upper())
        if table is None:
            return 400, "application/json", json.dumps({
                "errorTypeCode": "TABLE-NOTFOUND", "message": f"Tabellen {body.get('table')!r} blev ikke fundet"},
                ensure_ascii=False).encode()
        if fn == "tableinfo":
            return 200, "application/json", json.dumps(table.info(), ensure_ascii=False).encode()
        return self.data(table, body)

    def data(self, table, body):
        allvars = {vid: [i for i, _ in vals] for vid, _, vals in table.variables}
        req = body.get("variables", [])
        sel = {}
        for v in req:
            vid = next((k for k in allvars if k.lower() == v["code"].lower()), None)
            if vid is None:
                return 400, "application/json", json.dumps({"errorTypeCode": "VARIABLE-NOTFOUND",
                                                            "message": f"Variablen {v['code']} findes ikke"}).encode()
            sel[vid] = allvars[vid] if v["values"] == ["*"] else v["values"]
        fmt = body.get("format", "CSV")
        if fmt == "BULK" and set(sel) != set(allvars):
            return 400, "application/json", json.dumps({"errorTypeCode": "BULK-REQUIRES-ALL",
                                                        "message": "BULK kræver en værdi for alle variable"}).encode()
        cells = 1
        for vals in sel.values():
            cells *= len(vals)
        if fmt != "BULK" and cells > self.limit:
            return 400, "application/json", json.dumps({
                "errorTypeCode": "REQUEST-LIMIT",
                "message": f"Forespørgslen giver {cells} celler; grænsen er {self.limit} celler."},
                ensure_ascii=False).encode()
        order = list(sel)
        header = ";".join(v.upper() for v in order) + ";INDHOLD"
        lines = [header]
        da = body.get("lang", "da") == "da"
        for combo in itertools.product(*(sel[v] for v in order)):
            c = dict(zip(order, combo))
            val = table.value(c)
            if val is None:
                cell = ".."
            elif isinstance(val, float) and not float(val).is_integer():
                cell = f"{val}".replace(".", ",") if da else f"{val}"
            else:
                cell = str(int(val))
            lines.append(";".join(combo) + ";" + cell)
        if fmt == "BULK":
            return 200, "text/csv; charset=utf-8", ("\n".join(lines) + "\n").encode("utf-8")
        return 200, "text/csv; charset=utf-8", ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    fake: FakeStatbank = None

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length).decode("utf-8") or "{}")
        fake = self.server.fake
        fake.log.append((self.path, body))
        mode = None
        if fake.fail is not None and fake.fail[1](self.path, body):
            mode = fake.fail[0]
        if mode == "close":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
            return
        if mode == "500":
            self._send(500, "text/html", b"<html>Internal Server Error</html>")
            return
        if mode == "slow":
            time.sleep(1.5)
        status, ctype, payload = fake.answer(self.path, body)
        if mode == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self._send(status, ctype, payload)

    def _send(self, status, ctype, payload):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that timed out is expected here
        pass


@pytest.fixture(scope="module")
def server():
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.fake = FakeStatbank()
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server, monkeypatch, tmp_path):
    """A fresh fake state, the client pointed at it, and a private cache folder."""
    server.fake = FakeStatbank()
    monkeypatch.setenv("VIDENSDATA_STATBANK_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("VIDENSDATA_STATBANK_BACKOFF", "0.01")
    monkeypatch.setenv("VIDENSDATA_STATBANK_RETRIES", "2")
    monkeypatch.setenv("VIDENSDATA_STATBANK_TIMEOUT", "5")
    monkeypatch.setenv("VIDENSDATA_CACHE", str(tmp_path / "cache"))
    cat.invalidate()
    yield server.fake
    cat.invalidate()


# ---------------------------------------------------------------- client round trips

def test_tables_and_tableinfo(fake):
    c = StatbankClient()
    ids = [t["id"] for t in c.tables()]
    assert {"FOLK1A", "DOD", "HISB3", "HAND03"} <= set(ids)
    info = c.tableinfo("folk1a")
    assert [v["id"] for v in info["variables"]] == ["OMRÅDE", "KØN", "ALDER", "CIVILSTAND", "Tid"]
    path, body = fake.log[-1]
    assert path == "/v1/tableinfo" and body == {"table": "folk1a", "format": "JSON", "lang": "da"}


def test_data_csv_parses_bom_crlf_and_decimal_comma(fake):
    df = StatbankClient(lang="da").data("HISB3", {"KØN": "*", "ALDER": ["0", "99"], "TAVLE": "LEV", "Tid": "*"})
    assert list(df.columns) == ["koen", "alder", "tavle", "tid", "aar_fra", "aar_til", "indhold"]
    s = df.set_index(["koen", "alder", "tid"])["indhold"]
    assert s[("K", "0", "2022:2023")] == 83.75 and pd.isna(s[("M", "99", "2021:2022")])
    body = fake.log[-1][1]
    assert body["format"] == "CSV" and body["valuePresentation"] == "Code"
    assert body["variables"][0] == {"code": "KØN", "values": ["*"]}


def test_bulk_is_streamed_to_disk(fake, tmp_path):
    progress = []
    dest = tmp_path / "folk1a.csv"
    out = StatbankClient().data("FOLK1A", {"OMRÅDE": ["101", "147"], "KØN": ["1", "2"], "ALDER": "*",
                                           "CIVILSTAND": "TOT", "Tid": "*"}, fmt="BULK", dest=dest,
                                progress=progress.append)
    assert out == dest and len(progress) > 1 and sum(progress) == dest.stat().st_size  # several chunks
    raw = dest.read_bytes()
    assert raw.startswith("OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n".encode()) and b"\r" not in raw
    df = read_statbank_csv(dest)
    assert len(df) == 2 * 2 * 107 * len(fake.folk_tid)
    assert not list(tmp_path.glob(".statbank-*"))  # no temporary file left behind


def test_request_limit_switches_to_bulk(fake):
    fake.limit = 1000
    c = StatbankClient()
    df = c.data("FOLK1A", {"OMRÅDE": ["101"], "KØN": ["1", "2"], "ALDER": "*", "CIVILSTAND": "TOT", "Tid": "*"})
    assert len(df) == 2 * 107 * len(fake.folk_tid)
    assert [b["format"] for p, b in fake.log if p == "/v1/data"] == ["CSV", "BULK"]
    with pytest.raises(RequestLimitError, match="REQUEST-LIMIT") as e:  # a CSV answer cannot be split further
        c._download("data", {"table": "FOLK1A", "format": "CSV", "variables": [
            {"code": "OMRÅDE", "values": ["*"]}, {"code": "ALDER", "values": ["*"]}]}, Path(os.devnull), None)
    assert "1000 celler" in e.value.message or "grænsen" in e.value.message


def test_4xx_carries_statbanks_own_error_text(fake):
    with pytest.raises(StatbankError) as e:
        StatbankClient().tableinfo("NOSUCH")
    assert "TABLE-NOTFOUND" in e.value.message and "blev ikke fundet" in e.value.message
    assert "/v1/tableinfo" in e.value.message and e.value.status == 400
    assert len(fake.log) == 1  # 4xx is not retried


@pytest.mark.parametrize("mode, text", [("500", "HTTP 500"), ("close", "closed the connection"),
                                        ("truncate", "cut off"), ("slow", "timed out")])
def test_network_failures_are_retried_then_named(fake, mode, text):
    fake.fail = (mode, lambda p, b: True)
    c = StatbankClient(timeout=0.5 if mode == "slow" else 5, retries=2, backoff=0.01)
    with pytest.raises(StatbankError) as e:
        c.data("FOLK1A", {"OMRÅDE": "101", "KØN": "1", "ALDER": "0", "CIVILSTAND": "TOT", "Tid": "*"})
    assert text in e.value.message and e.value.url.endswith("/v1/data") and "3 attempt(s)" in e.value.message
    assert len([p for p, _ in fake.log if p == "/v1/data"]) == 3


def test_retry_recovers_after_a_5xx(fake):
    calls = []

    def first_only(p, b):
        calls.append(p)
        return len(calls) == 1

    fake.fail = ("500", first_only)
    sleeps = []
    c = StatbankClient(retries=3, backoff=0.2, sleep=sleeps.append)
    assert c.tableinfo("FOLK1A")["id"] == "FOLK1A" and sleeps == [0.2]


# ---------------------------------------------------------------- refresh end to end

def _expected_kommune(fake, kode, tid):
    return fake.folk_value({"OMRÅDE": kode, "KØN": "TOT", "ALDER": "IALT", "CIVILSTAND": "TOT", "Tid": tid})


def test_refresh_replaces_numbers_not_schema(fake):
    before = {n: vd.load(n) for n in ("kommuner", "regioner", "doedelighed_land")}
    records = refresh()
    assert {r["navn"] for r in records} == set(sbm.REFRESHABLE)
    k = vd.load("kommuner")
    assert list(k.columns) == list(before["kommuner"].columns) and len(k) == 98
    assert (k.dtypes == before["kommuner"].dtypes).all()
    kk = k.set_index("kommune_kode")
    assert kk.loc["101", "indbyggere"] == _expected_kommune(fake, "101", "2024K2")
    assert kk.loc["101", "kommune_navn"] == "København" and kk.loc["825", "region_kode"] == "081"
    names = ["kommune_kode", "kommune_navn", "region_kode", "region_navn"]
    pd.testing.assert_frame_equal(k[names], before["kommuner"][names])  # only the numbers change
    r = vd.load("regioner")
    assert r["indbyggere"].sum() == k["indbyggere"].sum() != before["regioner"]["indbyggere"].sum()
    # befolkning: 1 January (K1) of each year, single ages summed into 5-year groups
    b = vd.load("befolkning", kommune_kode="Aarhus", aar=2023)
    assert sorted(vd.load("befolkning")["aar"].unique()) == [2022, 2023, 2024]
    row = b[(b["koen"] == "K") & (b["aldersgruppe"] == "10-14")]["antal"].item()
    assert row == sum(fake.folk_value({"OMRÅDE": "751", "KØN": "2", "ALDER": str(a), "CIVILSTAND": "TOT",
                                       "Tid": "2023K1"}) for a in range(10, 15))
    assert b[b["aldersgruppe"] == "95+"]["antal"].sum() == sum(
        fake.folk_value({"OMRÅDE": "751", "KØN": s, "ALDER": str(a), "CIVILSTAND": "TOT", "Tid": "2023K1"})
        for s in ("1", "2") for a in range(95, 106))
    # doedelighed_land: years with deaths and all four FOLK1A quarters; same columns and age order
    d = vd.load("doedelighed_land")
    assert list(d.columns) == list(before["doedelighed_land"].columns)
    assert sorted(d["aar"].unique()) == [2022, 2023]
    m = d.set_index(["aar", "koen", "aldersgruppe"])
    assert m.loc[(2023, "M", "95+"), "doede"] == sum(fake.dod_value({"ALDER": a, "KØN": "M", "Tid": "2023"})
                                                       for a in ("95", "96", "97", "98", "99-"))
    pop = [fake.folk_value({"OMRÅDE": "000", "KØN": "2", "ALDER": str(a), "CIVILSTAND": "TOT", "Tid": f"2022K{q}"})
           for q in range(1, 5) for a in range(0, 5)]
    assert m.loc[(2022, "K", "0-4"), "befolkning"] == round(sum(pop) / 4)
    # doedsfald: by kommune (only the kommuner the table has), single ages summed into 5-year groups
    f = vd.load("doedsfald", geografi="Aarhus", aar=2023).set_index(["koen", "aldersgruppe"])["doede"]
    assert set(vd.load("doedsfald")["kommune_kode"]) == {"101", "147", "751"}
    assert f[("K", "95+")] == sum(fake.fod_value({"OMRÅDE": "751", "ALDER": a, "KØN": "2", "Tid": "2023"})
                                  for a in ("95", "96", "97", "98", "99", "100-"))
    # middellevetid: decimal commas, '..' as NA
    lv = vd.load("middellevetid").set_index(["periode", "koen", "alder"])["middellevetid"]
    assert lv[("2022:2023", "K", 0)] == pytest.approx(83.75) and pd.isna(lv[("2021:2022", "M", 99)])
    # handicapmodtagere: the HAND table found through tables/tableinfo; approved-kommuner note in kilde
    h = vd.load("handicapmodtagere")
    assert set(h["kommune_kode"]) == {"101", "147", "751"} and set(h["ydelse"]) == {"85", "107", "108"}
    assert pd.isna(h.set_index(["kommune_kode", "periode", "ydelse"]).loc[("147", "2021K4", "107"), "antal"])
    assert h["ydelse_navn"].str.contains("§").all()
    c = vd.catalog().set_index("navn")
    assert "godkendt" in c.loc["handicapmodtagere", "kilde"] and "HAND03" in c.loc["handicapmodtagere", "kilde"]
    assert c.loc["kommuner", "kilde"].startswith("Danmarks Statistik (FOLK1A, 2024K2)")
    assert c.loc["doedelighed_land", "kilde"].startswith("Danmarks Statistik (DOD, FOLK1A")
    assert c.loc["kommuner", "hentet"] == records[0]["hentet"]
    meta = sbm.cached_meta("kommuner")
    assert meta["kilde"] == ["FOLK1A"] and meta["anmodninger"][-1]["table"] == "FOLK1A"


def test_interrupted_refresh_leaves_previous_cache_intact(fake):
    refresh(["kommuner", "doedelighed_land"])
    old_k = vd.load("kommuner")
    old_meta = (sbm.cache_dir() / "kommuner" / "meta.json").read_bytes()
    files = sorted(p.name for p in sbm.cache_dir().rglob("*"))
    fake.version = 7  # new numbers on the server...
    fake.fail = ("truncate", lambda p, b: p.endswith("/data") and b.get("table") == "DOD")  # ...cut off halfway
    with pytest.raises(StatbankError, match="cut off"):
        refresh(["kommuner", "doedelighed_land"])
    assert (sbm.cache_dir() / "kommuner" / "meta.json").read_bytes() == old_meta
    assert sorted(p.name for p in sbm.cache_dir().rglob("*")) == files  # nothing staged is left behind
    pd.testing.assert_frame_equal(vd.load("kommuner"), old_k)
    fake.fail = None
    refresh(["kommuner"])
    k = vd.load("kommuner").set_index("kommune_kode")
    assert k.loc["101", "indbyggere"] == _expected_kommune(fake, "101", "2024K2")
    assert k.loc["101", "indbyggere"] != old_k.set_index("kommune_kode").loc["101", "indbyggere"]


def test_invalid_data_is_not_cached(fake):
    orig = fake.folk_value
    fake.tables["FOLK1A"].value = lambda c: -5 if c["OMRÅDE"] == "101" else orig(c)
    with pytest.raises(DataError, match="below 0"):
        refresh(["kommuner"])
    assert sbm.cached_meta("kommuner") is None and vd.load("kommuner")["indbyggere"].sum() == 5_822_679


def test_corrupt_cache_falls_back_to_embedded_snapshot(fake):
    refresh(["kommuner"])
    meta = sbm.cached_meta("kommuner")
    (sbm.cache_dir() / "kommuner" / meta["fil"]).write_bytes(b"garbage")
    cat.invalidate()
    sbm._READ.glem()  # as in a new process: the corrupt file is read again
    with pytest.warns(UserWarning, match="corrupt"):
        assert vd.load("kommuner")["indbyggere"].sum() == 5_822_679


def test_befolkning_needs_a_refresh_first(fake):
    with pytest.raises(DataError, match="vidensdata data refresh --datasets befolkning"):
        vd.load("befolkning")
    assert not cat.get("befolkning").tilgaengelig()
    with pytest.raises(vd.VidensdataError, match="cannot be refreshed"):
        refresh(["ydelsesmodtagere"])


# ---------------------------------------------------------------- CLI

def test_cli_refresh_and_status(fake):
    runner = CliRunner()
    r = runner.invoke(main, ["data", "status"])
    assert r.exit_code == 0
    lines = {ln.split()[0]: ln for ln in r.output.splitlines()}
    assert "embedded snapshot" in lines["kommuner"] and "synthetic register extract" in lines["ydelsesmodtagere"]
    assert "not available" in lines["befolkning"]
    r = runner.invoke(main, ["data", "refresh", "--datasets", "kommuner,befolkning", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "kommuner" in r.output and "FOLK1A" in r.output
    r = runner.invoke(main, ["data", "status"])
    lines = {ln.split()[0]: ln for ln in r.output.splitlines()}
    assert "StatBank cache (FOLK1A, hentet" in lines["kommuner"] and "StatBank cache" in lines["regioner"]
    assert "embedded snapshot" in lines["doedelighed_land"]


@pytest.mark.parametrize("mode", ["500", "close", "truncate"])
def test_cli_network_failure_is_clear_and_keeps_cache(fake, mode):
    runner = CliRunner()
    assert runner.invoke(main, ["data", "refresh", "--datasets", "kommuner", "--no-progress"]).exit_code == 0
    meta = (sbm.cache_dir() / "kommuner" / "meta.json").read_bytes()
    fake.fail = (mode, lambda p, b: p.endswith("/data"))
    r = runner.invoke(main, ["data", "refresh", "--datasets", "kommuner", "--no-progress"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "error (while fetching kommuner): could not fetch http://127.0.0.1" in r.output
    assert "/v1/data" in r.output
    assert "nothing was replaced" in r.output and "kommuner: StatBank cache (FOLK1A" in r.output
    assert "doedelighed_land: embedded snapshot" in r.output
    assert (sbm.cache_dir() / "kommuner" / "meta.json").read_bytes() == meta


# ---------------------------------------------------------------- notebooks on refreshed data

@pytest.mark.slow
def test_theme_notebooks_run_unchanged_on_refreshed_data(server, monkeypatch, tmp_path, repo):
    import papermill as pm

    cache = tmp_path / "cache"
    cache.mkdir()
    session_cache = Path(os.environ["VIDENSDATA_CACHE"])
    if session_cache.is_dir():  # reuse the session's synthetic extract; the StatBank cache stays private
        for entry in session_cache.iterdir():
            (cache / entry.name).symlink_to(entry)
    server.fake = FakeStatbank(first_year=2008)
    monkeypatch.setenv("VIDENSDATA_STATBANK_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("VIDENSDATA_CACHE", str(cache))
    cat.invalidate()
    try:
        refresh(["kommuner", "doedelighed_land"])
        assert sorted(vd.load("doedelighed_land")["aar"].unique()) == list(range(2008, 2024))
        assert vd.load("kommuner")["indbyggere"].sum() != 5_822_679
        notebooks = sorted((repo / "notebooks" / "temaer").glob("*.ipynb"))
        assert notebooks

        def run(nb: Path) -> Path:
            out = tmp_path / nb.name
            pm.execute_notebook(str(nb), str(out), kernel_name="python3", progress_bar=False, cwd=str(nb.parent))
            return out

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(notebooks)) as pool:  # one kernel each, side by side
            outputs = {out.stem: out.read_text(encoding="utf-8") for out in pool.map(run, notebooks)}
        for name, text in outputs.items():
            assert '"output_type": "error"' not in text, name
        # the kernels really used the refreshed numbers: the population base of Hele landet
        from vidensdata.formatting import fmt_int

        assert fmt_int(int(vd.load("kommuner")["indbyggere"].sum())) in outputs["serviceudvikling"]
    finally:
        cat.invalidate()


def test_cli_names_a_failing_mapping_and_suggests_the_others(fake):
    del fake.tables["HAND03"]  # no HAND table with recipients by kommune and service any more
    r = CliRunner().invoke(main, ["data", "refresh", "--no-progress"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "error (while fetching handicapmodtagere): no StatBank table HAND" in r.output
    assert "HAND01 (not recipients)" in r.output
    assert "--datasets kommuner,befolkning,doedelighed_land,doedsfald,middellevetid" in r.output
    assert sbm.cached_meta("kommuner") is None  # all or nothing


# ---------------------------------------------------------------- the catalog says what can be loaded now

def test_catalog_says_what_is_available_now_and_from_where(fake):
    """Offline: the embedded snapshots and the register extract are there, befolkning is not (and loading it says
    how to get it, in Danish); after a refresh the catalog says it comes from the StatBank cache."""
    from vidensdata.errors import UnavailableDatasetError

    before = vd.catalog().set_index("navn")
    assert before["tilgaengelig"].dtype == bool
    assert before.loc["kommuner", "hentes_fra"] == "indlejret øjebliksbillede"
    assert before.loc["ydelsesmodtagere", "hentes_fra"] == "syntetisk registerudtræk (demo)"
    assert before.loc["befolkning", "hentes_fra"] == ("ikke tilgængelig: hent med "
                                                      "`vidensdata data refresh --datasets befolkning`")
    assert sorted(before.index[~before["tilgaengelig"]]) == ["befolkning", "doedsfald", "handicapmodtagere",
                                                           "middellevetid"]
    with pytest.raises(UnavailableDatasetError) as e:
        vd.load("befolkning")
    assert str(e.value).startswith("Datasættet befolkning er ikke tilgængeligt her")
    assert "`vidensdata data refresh --datasets befolkning`" in str(e.value)
    for navn in before.index[before["tilgaengelig"]]:
        assert len(vd.load(navn)) > 0, navn  # what the catalog calls available loads offline
    refresh(["befolkning"])
    after = vd.catalog().set_index("navn")
    assert after.loc["befolkning", "tilgaengelig"]
    assert after.loc["befolkning", "hentes_fra"].startswith("StatBank-cache (hentet 20")
    assert len(vd.load("befolkning", geografi="Læsø")) > 0
