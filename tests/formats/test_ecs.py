"""ECS JSON lines: inputs we write, real ECS documents, and JSON that is not ECS."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats import jsonl as jsonl_module
from shadowscan.formats.base import ParseContext
from shadowscan.formats.jsonl import json_fields
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from tests.formats.common import (
    assert_parsed_schema,
    expected_docs,
    expected_host,
    frame,
    get,
    parse,
    peer,
    peer_frame,
)

ECS = FORMATS["ecs-json"]


def doc(**fields) -> str:
    return json.dumps({"@timestamp": "2025-12-01T10:00:00.250Z", **fields})


HTTP = doc(
    event={"kind": "event", "action": "allowed"},
    source={"ip": "10.0.0.5", "bytes": 812},
    destination={"ip": "104.18.32.47", "port": 443, "bytes": 5120},
    user={"name": "ACME\\alice"},
    url={"full": "https://chatgpt.com/backend-api/conversation?x=1", "domain": "chatgpt.com"},
    http={"request": {"method": "POST"}, "response": {"status_code": 200}},
    user_agent={"original": "Mozilla/5.0"},
)
DNS = doc(
    source={"ip": "10.0.0.7"},
    dns={"type": "query", "question": {"name": "claude.ai", "type": "AAAA"}},
)
TLS = doc(
    source={"ip": "10.0.0.9"},
    destination={"port": 443},
    tls={"client": {"server_name": "gemini.google.com"}},
)
FLOW = doc(
    **{
        "source.ip": "10.0.0.11",
        "destination.domain": "copilot.microsoft.com",
        "event.action": "deny",
    }
)


# --- samples, signature, schema ----------------------------------------------------------


def test_every_sample_is_an_event():
    assert parse(ECS, list(ECS.samples)).height == len(ECS.samples)


def test_output_columns_have_the_event_schema_dtypes():
    assert_parsed_schema(parse(ECS, [HTTP, DNS, "garbage"]))


def test_signature_needs_a_timestamp_and_a_network_field():
    assert (
        ECS.signature([DNS])
        and ECS.signature([FLOW])
        and ECS.signature([TLS.replace("tls", "url")])
    )
    assert not ECS.signature(['{"@timestamp":"2025-12-01T10:00:00Z","message":"hello"}'])
    assert not ECS.signature(['{"ts":1.5,"source":{"ip":"10.0.0.1"}}'])
    assert not ECS.signature(list(FORMATS["zeek-json"].samples))


# --- documents ---------------------------------------------------------------------------


def test_http_fields():
    r = parse(ECS, [HTTP]).row(0, named=True)
    assert (r["ts"], r["event_kind"]) == (
        datetime(2025, 12, 1, 10, 0, 0, 250000, tzinfo=UTC),
        "http",
    )
    assert (r["client_ip"], r["user_raw"], r["host_raw"], r["port"]) == (
        "10.0.0.5", "ACME\\alice", "chatgpt.com", 443,
    )  # fmt: skip
    assert (r["method"], r["url_path"], r["status"], r["action"]) == (
        "POST", "/backend-api/conversation?x=1", 200, "allowed",
    )  # fmt: skip
    assert (r["bytes_out"], r["bytes_in"], r["user_agent"], r["ok"]) == (
        812,
        5120,
        "Mozilla/5.0",
        True,
    )


def test_kinds_hosts_and_actions():
    out = parse(ECS, [DNS, TLS, FLOW])
    assert out.select("event_kind", "host_raw", "method", "action").rows() == [
        ("dns", "claude.ai", "AAAA", "unknown"),
        ("tls", "gemini.google.com", None, "unknown"),
        ("flow", "copilot.microsoft.com", None, "blocked"),
    ]
    assert out["port"].to_list() == [None, 443, None]
    assert out["ok"].all()


def test_nested_and_dotted_keys_read_alike():
    nested = doc(
        source={"ip": "10.0.0.5"}, url={"domain": "chatgpt.com", "path": "/c", "query": "q=1"}
    )
    dotted = doc(
        **{
            "source.ip": "10.0.0.5",
            "url.domain": "chatgpt.com",
            "url.path": "/c",
            "url.query": "q=1",
        }
    )
    out = parse(ECS, [nested, dotted])
    assert out.drop("source_line").unique().height == 1
    assert out["url_path"][0] == "/c?q=1"


@pytest.mark.parametrize(
    ("action", "verdict"),
    [("blocked", "blocked"), ("connection_denied", "blocked"), ("dns-request-Allowed", "allowed"),
     ("pass", "allowed"), ("password-change", "unknown"), ("network_flow", "unknown")],
)  # fmt: skip
def test_event_action_verdicts(action, verdict):
    line = doc(source={"ip": "10.0.0.1"}, event={"action": action})
    assert parse(ECS, [line])["action"][0] == verdict


def test_a_document_naming_neither_client_nor_user_is_rejected():
    out = parse(
        ECS, [doc(url={"domain": "chatgpt.com"}), doc(user={"name": "bob"}, url={"domain": "x.ai"})]
    )
    assert out["ok"].to_list() == [False, True]


def test_url_original_gives_host_and_path_when_no_domain():
    r = parse(
        ECS, [doc(source={"ip": "10.0.0.5"}, url={"original": "http://a.example:8080/p?q"})]
    ).row(0, named=True)
    assert (r["host_raw"], r["url_path"]) == ("a.example:8080", "/p?q")


@pytest.mark.parametrize(
    "line",
    [
        doc(event={"kind": "alert"}, source={"ip": "10.0.0.5"}, url={"domain": "chatgpt.com"}),
        doc(event={"kind": "metric"}, system={"cpu": 1}),
        doc(event={"kind": "enrichment"}, source={"ip": "10.0.0.5"}),
        doc(event={"kind": "event", "dataset": "administration"}, history={"name": "john"}),
        doc(source={"ip": "10.0.0.5"}, dns={"type": "answer", "answers": {"name": "x.example"}}),
    ],
    ids=["alert", "metric", "enrichment", "no-network-fields", "answer-without-question"],
)
def test_documents_that_are_not_traffic_are_skipped(line):
    assert parse(ECS, [line, DNS])["source_line"].to_list() == [2]


def test_bad_lines_are_rejected_and_the_rest_still_parsed():
    bad = [
        "not json",
        '{"@timestamp":"2025-',
        doc(**{"@timestamp": "never"}, source={"ip": "10.0.0.1"}),
        json.dumps({"source": {"ip": "10.0.0.1"}, "url": {"domain": "chatgpt.com"}}),
        doc(source={"ip": "10.0.0.1"}, dns={"question": {"type": "A"}}),
        '"text"',
    ]
    out = parse(ECS, [HTTP, *bad, DNS])
    assert out["ok"].to_list() == [True] + [False] * len(bad) + [True]
    fast = parse(ECS, [HTTP, DNS]).drop("source_line")
    assert out.filter("ok").drop("source_line").equals(fast)


def test_an_unexpected_shape_falls_back_to_json_paths():
    odd = doc(
        url="https://chatgpt.com/c", source={"ip": "10.0.0.5"}, dns={"question": {"name": "x.ai"}}
    )
    out = parse(ECS, [odd, HTTP])
    assert out["host_raw"].to_list() == ["x.ai", "chatgpt.com"]


def test_timestamps_with_offsets_nanoseconds_or_none():
    times = ["2025-12-01T11:00:00.123456789+01:00", "2025-12-01T10:00:00", "2025-12-01T10:00:00Z"]
    out = parse(ECS, [DNS.replace("2025-12-01T10:00:00.250Z", t) for t in times])
    assert out["ts"].to_list() == [
        datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC), datetime(2025, 12, 1, 10, tzinfo=UTC),
        datetime(2025, 12, 1, 10, tzinfo=UTC),
    ]  # fmt: skip


def test_ipv6_syslog_and_crlf():
    v6 = DNS.replace("10.0.0.7", "2001:db8::7")
    out = parse(ECS, ["Dec  1 10:00:00 beat01 filebeat[99]: " + v6, TLS + "\r"])
    assert out["client_ip"].to_list() == ["2001:db8::7", "10.0.0.9"]
    assert out["ok"].all()


def test_json_fields_reads_list_elements_and_objects_as_text():
    lines = frame(['{"a":{"b":[{"c":1},{"c":2}]},"d":{"e":true}}', '{"a":{"b":[]}}', "bad"])
    out = json_fields(lines, {"c": ("a", "b", 0, "c"), "d": ("d",)})
    assert out["c"].to_list() == ["1", None, None]
    assert out["d"][0].replace(" ", "") == '{"e":true}'


def test_a_stray_line_in_a_long_chunk_is_isolated_and_the_rest_read_in_bulk(monkeypatch):
    lines = [HTTP, DNS, TLS] * 100
    lines[150] = "{not json}"
    lines[151] = doc(
        url="https://chatgpt.com/", source={"ip": "10.0.0.1"}
    )  # a string, not an object
    keyed = []
    by_key = jsonl_module._by_key
    monkeypatch.setattr(
        jsonl_module, "_by_key", lambda c, p: keyed.append(c.height) or by_key(c, p)
    )
    out = parse(ECS, lines)
    assert sum(keyed) <= 2 * jsonl_module._SMALL_RUN  # only the runs around the two lines
    assert out.filter(~pl.col("ok"))["source_line"].to_list() == [151]
    assert out.filter(pl.col("source_line") == 152)["client_ip"].to_list() == ["10.0.0.1"]
    assert out.height == len(lines)


def test_empty_chunk():
    assert parse(ECS, []).height == 0


# --- real documents ----------------------------------------------------------------------


def test_peer_gatewatcher_is_detected_and_read():
    path = peer("ecs-json/sekoia__gatewatcher-aioniq-ecs.log")
    assert detect(head_lines(path)).fmt is ECS
    out = ECS.parse(peer_frame(path), ParseContext())
    # 10 alerts, an IoC enrichment, a metric, an admin action and 2 DNS answers without
    # their question are skipped; the HTTP and file-transfer metadata are events
    assert out.select("source_line", "event_kind", "ok").rows() == [
        (8, "http", True),
        (9, "http", True),
    ]
    docs = expected_docs(path)
    for r in out.iter_rows(named=True):
        expected = docs[r["source_line"] - 1]
        if host := expected_host(expected):
            assert normalise_host(r["host_raw"]) == normalise_host(host)
        assert r["client_ip"] == get(expected, "source.ip")
        assert r["ts"] == datetime.fromisoformat(expected["@timestamp"])


NOT_ECS = [
    "other-swg/sekoia__cloudflare-gateway-dns.log",
    "other-swg/sekoia__cloudflare-gateway-http.log",
    "zeek-dns/zat__json__dns.log",
    "zeek-http/zat__json__http.log",
    "zeek-ssl/zat__json__ssl.log",
    "suricata-eve/sekoia__suricata.log",
    "suricata-eve/surevego__testdata__eve.json",
]


@pytest.mark.parametrize("rel", NOT_ECS)
def test_peer_json_that_is_not_ecs_is_not_claimed(rel):
    path = peer(rel)
    head = head_lines(path)
    assert not ECS.signature(head)
    assert detect(head).fmt is not ECS
    out = ECS.parse(peer_frame(path), ParseContext())
    assert not out["ok"].any()
