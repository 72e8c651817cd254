"""Suricata EVE JSON: inputs we write, then the peer projects' real eve.json files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from tests.formats.common import (
    PEER,
    assert_parsed_schema,
    expected_docs,
    expected_host,
    get,
    needs_peer,
    parse,
    peer,
    peer_frame,
)

EVE = FORMATS["suricata"]


def eve(event_type: str, src: str = "10.0.0.5", dport: int = 443, **sections) -> str:
    record = {
        "timestamp": "2025-12-01T10:00:00.123456+0000", "flow_id": 1, "event_type": event_type,
        "src_ip": src, "src_port": 50000, "dest_ip": "192.0.2.10", "dest_port": dport, **sections,
    }  # fmt: skip
    return json.dumps(record)


DNS_V1 = eve("dns", dport=53, dns={"type": "query", "rrname": "chatgpt.com", "rrtype": "A"})
QUERIES = [{"rrname": "claude.ai", "rrtype": "AAAA"}, {"rrname": "ignored.example", "rrtype": "A"}]
DNS_V3 = eve("dns", dport=53, dns={"version": 3, "type": "request", "queries": QUERIES})
TLS = eve("tls", tls={"sni": "gemini.google.com", "version": "TLS 1.3"})
QUIC = eve("quic", quic={"version": "1", "sni": "copilot.microsoft.com"})
HTTP = eve(
    "http",
    dport=80,
    http={
        "hostname": "example.com",
        "url": "/a?b=1",
        "http_method": "POST",
        "status": 201,
        "length": 512,
        "http_user_agent": "curl/8.5.0",
    },
)


# --- samples, signature, schema ----------------------------------------------------------


def test_samples_return_no_row_for_the_dns_answer():
    assert parse(EVE, list(EVE.samples)).height == len(EVE.samples) - 1


def test_output_columns_have_the_event_schema_dtypes():
    assert_parsed_schema(parse(EVE, [DNS_V1, TLS, HTTP, "garbage"]))


def test_signature():
    assert EVE.signature([" " + DNS_V1])
    assert EVE.signature(["Dec  1 10:00:00 ids suricata[1]: " + TLS])
    assert not EVE.signature(list(FORMATS["zeek-json"].samples))
    assert not EVE.signature(['{"@timestamp":"2025-12-01T10:00:00Z","source":{"ip":"10.0.0.1"}}'])


# --- records -----------------------------------------------------------------------------


def test_event_kinds_and_fields():
    out = parse(EVE, [DNS_V1, DNS_V3, TLS, QUIC, HTTP])
    assert out["event_kind"].to_list() == ["dns", "dns", "tls", "tls", "http"]
    assert out["host_raw"].to_list() == [
        "chatgpt.com", "claude.ai", "gemini.google.com", "copilot.microsoft.com", "example.com",
    ]  # fmt: skip
    assert out["method"].to_list() == ["A", "AAAA", None, None, "POST"]
    assert out["port"].to_list() == [None, None, 443, 443, 80]  # a DNS port is the resolver's
    assert out["ts"].unique().to_list() == [datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)]
    http = out.row(4, named=True)
    assert (http["url_path"], http["status"], http["bytes_in"]) == ("/a?b=1", 201, 512)
    assert http["user_agent"] == "curl/8.5.0"
    assert "bytes_out" not in out.columns  # EVE logs no request size
    assert out["action"].unique().to_list() == ["unknown"]
    assert out["client_ip"].unique().to_list() == ["10.0.0.5"]
    assert out["ok"].all()


def test_offsets_are_converted_to_utc():
    line = DNS_V1.replace("+0000", "+0100")
    assert parse(EVE, [line])["ts"][0] == datetime(2025, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "record",
    [
        eve("flow", flow={"bytes_toserver": 10}),
        eve("alert", alert={"signature_id": 1, "signature": "x"}, http={"hostname": "a.example"}),
        eve("fileinfo", fileinfo={"filename": "/"}),
        eve("netflow", netflow={"bytes": 1}),
        eve("anomaly", anomaly={"type": "applayer"}),
        '{"timestamp":"2025-12-01T10:00:00.000000+0000","event_type":"stats","stats":{"uptime":1}}',
        eve(
            "dns", dns={"version": 2, "type": "answer", "rrname": "chatgpt.com", "rcode": "NOERROR"}
        ),
        eve("dns", dns={"version": 3, "type": "response", "queries": [{"rrname": "claude.ai"}]}),
    ],
    ids=["flow", "alert", "fileinfo", "netflow", "anomaly", "stats", "answer-v2", "response-v3"],
)
def test_records_that_are_not_traffic_or_repeat_it_are_skipped(record):
    assert parse(EVE, [record, DNS_V1])["source_line"].to_list() == [2]


def test_a_record_without_event_type_is_typed_by_its_sections():
    no_type = [json.loads(line) for line in (DNS_V1, TLS, eve("alert", alert={"signature_id": 1}))]
    lines = [json.dumps({k: v for k, v in r.items() if k != "event_type"}) for r in no_type]
    out = parse(EVE, [*lines, '{"host":"probe","system":{"memory":{"total":1}}}'])
    assert out.select("source_line", "event_kind", "ok").rows() == [
        (1, "dns", True), (2, "tls", True), (4, None, False),
    ]  # fmt: skip


def test_ipv6_clients():
    line = eve("dns", src="2001:db8::5", dport=53, dns={"type": "query", "rrname": "x.ai"})
    out = parse(EVE, [line])
    assert (out["client_ip"][0], out["ok"][0]) == ("2001:db8::5", True)


def test_bad_lines_are_rejected_and_the_rest_still_parsed():
    bad = ["not json", '{"timestamp":"2025-12-01T10:0', "[1, 2]", eve("dns", dns={"type": "query"})]
    bad.append(DNS_V1.replace("2025-12-01T10:00:00.123456+0000", "yesterday"))
    out = parse(EVE, [DNS_V1, *bad, TLS])
    assert out["ok"].to_list() == [True] + [False] * len(bad) + [True]
    fast = parse(EVE, [DNS_V1, TLS]).drop("source_line")
    assert out.filter("ok").drop("source_line").equals(fast)  # the fallback reads the same


def test_syslog_wrapped_crlf_and_indented_lines():
    lines = [
        "Dec  1 10:00:00 ids01 suricata[2211]: " + DNS_V1,
        "<14>1 2025-12-01T10:00:00Z ids01 suricata 2211 - - " + TLS,
        " " + HTTP + "\r",
    ]
    out = parse(EVE, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "gemini.google.com", "example.com"]
    assert out["ok"].all()


def test_http_host_from_an_absolute_or_connect_url_when_no_hostname():
    absolute = eve("http", http={"url": "http://api.openai.com/v1/models", "http_method": "GET"})
    connect = eve("http", http={"url": "claude.ai:443", "http_method": "CONNECT"})
    out = parse(EVE, [absolute, connect])
    assert out["host_raw"].to_list() == ["api.openai.com", "claude.ai:443"]
    assert out["url_path"].to_list() == ["/v1/models", None]


def test_empty_chunk():
    assert parse(EVE, []).height == 0


# --- real logs from other projects --------------------------------------------------------

#: Lines rejected on purpose, by file: not Suricata records at all.
REJECTED = {"sekoia__suricata.log": [4]}  # a Metricbeat `system` document (no event_type)


def peer_files() -> list[Path]:
    folder = PEER / "suricata-eve"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.endswith(("-expected.json", ".assert")))


@needs_peer
@pytest.mark.parametrize("path", peer_files(), ids=lambda p: p.name)
def test_peer_file_is_detected_and_read(path):
    assert detect(head_lines(path)).fmt is EVE
    lines = peer_frame(path)
    out = EVE.parse(lines, ParseContext())
    rejected = out.filter(~pl.col("ok"))["source_line"].to_list()
    assert rejected == REJECTED.get(path.name, [])
    assert len(rejected) <= max(0.01 * lines.height, len(REJECTED.get(path.name, [])))
    assert not out.filter("ok").select(pl.col("ts", "client_ip").is_null().any()).row(0)[0]


def test_peer_values_match_the_expected_output():
    path = peer("suricata-eve/sekoia__suricata.log")
    docs = expected_docs(path)
    out = EVE.parse(peer_frame(path), ParseContext()).filter("ok")
    assert out.height == 1  # the only DNS query; the rest are alerts, answers, flows, …
    for row in out.iter_rows(named=True):
        doc = docs[row["source_line"] - 1]
        host = normalise_host(expected_host(doc))
        assert normalise_host(row["host_raw"]) == host == "rp1.sekoia.io"
        assert row["client_ip"] == get(doc, "source.ip")
        assert row["ts"] == datetime.fromisoformat(doc["@timestamp"])


def test_peer_surevego_counts():
    out = EVE.parse(peer_frame(peer("suricata-eve/surevego__testdata__eve.json")), ParseContext())
    # 48 dns records: 9 queries, 39 answers; 68 http; alerts, fileinfo, flows and stats skipped
    assert dict(out["event_kind"].value_counts().rows()) == {"dns": 9, "http": 68}
    assert out["ok"].all()
