"""Broadcom (Symantec) Cloud SWG JSON lines: records we write, then the peer project's."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from shadowscan.pipeline import parse_file
from tests.formats.common import (
    FIXTURES,
    assert_parsed_schema,
    check_samples_with_garbage,
    clean_user,
    expected_docs,
    expected_host,
    get,
    parse,
    peer,
    peer_frame,
)

SWG = FORMATS["broadcom-cloud-swg"]
T0 = datetime(2025, 12, 1, 10, tzinfo=UTC)
#: The JSON formats whose lines look most like ours: neither may take the other's.
JSON_FORMATS = ("zscaler", "ecs-json", "netskope", "cloudflare-gateway", "suricata", "zeek-json")


def rec(**fields) -> str:
    """A record with W3C keys: `cs_host` → `cs-host`, `UA` → `cs(User-Agent)`."""
    keys = {"UA": "cs(User-Agent)"}
    return json.dumps({keys.get(k, k.replace("_", "-")): v for k, v in fields.items()})


POST = rec(
    date="2025-12-01", time="10:00:00", c_ip="10.0.0.5", cs_username="alice",
    cs_userdn="ACME\\alice", sc_filter_result="OBSERVED", sc_status=200, s_action="TCP_NC_MISS",
    cs_method="POST", cs_uri_scheme="https", cs_host="chatgpt.com", cs_uri_port=443,
    cs_uri_path="/backend-api/conversation", cs_uri_query="model=gpt-4o", cs_bytes=18311,
    sc_bytes=52311, UA="Mozilla/5.0 (X11)", cs_categories=["Artificial Intelligence"],
)  # fmt: skip
DENIED = rec(
    date="2025-12-01", time="10:00:00", c_ip="10.0.0.7", cs_userdn="bob@acme.example",
    sc_filter_result="DENIED", sc_status="403", s_action="TCP_DENIED", cs_method="GET",
    cs_uri_scheme="https", cs_host="claude.ai", cs_uri_port="443", cs_uri_path="/",
    cs_uri_query="-", cs_bytes="512", sc_bytes="1290",
)  # fmt: skip


# --- samples, signature, schema ----------------------------------------------------------


def test_samples_are_events_and_garbage_is_rejected():
    assert parse(SWG, list(SWG.samples))["ok"].all()
    check_samples_with_garbage(SWG)
    assert_parsed_schema(parse(SWG, [POST, DENIED, "{}", "[]", "x", '{"c-ip":']))


def test_signature():
    assert SWG.signature([POST]) and SWG.signature(["  " + DENIED])
    assert not SWG.signature(['{"c-ip":"10.0.0.5"}'])  # the address alone says too little
    assert not SWG.signature(["c-ip=10.0.0.5 cs-host=chatgpt.com"])  # Blue Coat key=value


@pytest.mark.parametrize("other", JSON_FORMATS)
def test_other_json_formats_neither_take_nor_are_taken(other):
    fmt = FORMATS[other]
    assert not fmt.signature([POST, DENIED])
    assert not SWG.signature(list(fmt.samples))
    assert not parse(SWG, list(fmt.samples))["ok"].any()
    assert detect([POST, DENIED]).fmt is SWG


def test_w3c_and_bluecoat_formats_do_not_take_json_records():
    for other in ("w3c", "bluecoat-kv"):
        assert not FORMATS[other].signature([POST, DENIED])


# --- fields ------------------------------------------------------------------------------


def test_fields():
    r = parse(SWG, [POST]).row(0, named=True)
    assert (r["ts"], r["event_kind"], r["client_ip"], r["user_raw"]) == (
        T0, "http", "10.0.0.5", "alice",  # `cs-username` before `cs-userdn`, as in `w3c`
    )  # fmt: skip
    assert (r["host_raw"], r["port"], r["method"], r["url_path"], r["status"]) == (
        "chatgpt.com", 443, "POST", "/backend-api/conversation?model=gpt-4o", 200,
    )  # fmt: skip
    assert (r["action"], r["bytes_out"], r["bytes_in"], r["user_agent"]) == (
        "allowed", 18311, 52311, "Mozilla/5.0 (X11)",
    )  # fmt: skip
    assert r["ok"]


def test_strings_numbers_and_placeholders():
    r = parse(SWG, [DENIED]).row(0, named=True)
    assert (r["user_raw"], r["url_path"], r["status"], r["port"], r["bytes_out"]) == (
        "bob@acme.example", "/", 403, 443, 512,
    )  # fmt: skip
    assert (r["action"], r["user_agent"]) == ("blocked", None)


@pytest.mark.parametrize(
    ("filter_result", "action", "verdict"),
    [
        ("OBSERVED", "TCP_NC_MISS", "allowed"),
        ("PROXIED", "TCP_HIT", "allowed"),
        ("DENIED", "TCP_DENIED", "blocked"),
        ("Allowed", "Allow", "allowed"),  # SEKOIA's test records
        ("-", "TCP_DENIED", "blocked"),
        ("-", "TCP_TUNNELED", "allowed"),
        ("-", "-", "unknown"),
    ],
)
def test_verdicts(filter_result, action, verdict):
    line = rec(date="2025-12-01", time="10:00:00", c_ip="10.0.0.5", cs_host="chatgpt.com",
               sc_filter_result=filter_result, s_action=action)  # fmt: skip
    assert parse(SWG, [line])["action"].to_list() == [verdict]


def test_undecrypted_tls_tunnels_and_connect_requests():
    tls = rec(date="2025-12-01", time="10:00:00", c_ip="10.0.0.9", cs_method="unknown",
              cs_uri_scheme="ssl", cs_host="gemini.google.com", cs_uri_port="443",
              cs_uri_path="/", sc_status="0")  # fmt: skip
    connect = rec(date="2025-12-01", time="10:00:00", c_ip="10.0.0.9", cs_method="CONNECT",
                  cs_uri_scheme="tcp", cs_host="-", cs_uri="perplexity.ai:443",
                  cs_uri_path="/", sc_status=200)  # fmt: skip
    out = parse(SWG, [tls, connect])
    assert out.select("event_kind", "host_raw", "method", "url_path", "status").rows() == [
        ("tls", "gemini.google.com", None, None, None),
        ("http", "perplexity.ai:443", "CONNECT", None, 200),
    ]
    assert out["ok"].all()


@pytest.mark.parametrize(
    ("stamp", "want"),
    [
        ({"date": "2025-12-01", "time": "10:00:00"}, T0),
        ({"date": "2025-12-01", "time": "10:00:00.250"}, T0.replace(microsecond=250000)),
        ({"x-timestamp-unix": 1764583200}, T0),
        ({"x-timestamp-unix": "1764583200"}, T0),
        ({"date": "2025-12-01", "time": "10:00:00", "x-timestamp-unix": 1}, T0),  # date wins
    ],
)
def test_times_are_gmt_whatever_the_timezone(stamp, want):
    line = json.dumps({**stamp, "c-ip": "10.0.0.5", "cs-host": "chatgpt.com"})
    assert parse(SWG, [line], ParseContext(timezone="Europe/Paris"))["ts"].to_list() == [want]


def test_bad_lines_are_rejected_one_by_one():
    bad = [
        POST[:120],  # truncated
        "not json at all",
        '["2025-12-01", "10:00:00", "10.0.0.5", "chatgpt.com"]',
        rec(date="2025-12-01", time="yesterday", c_ip="10.0.0.5", cs_host="chatgpt.com"),
        rec(date="2025-12-01", time="10:00:00", c_ip="10.0.0.5", cs_host="-"),  # no host
        rec(date="2025-12-01", time="10:00:00", c_ip="", cs_userdn="-", cs_host="claude.ai"),
        rec(date="2025-12-01", time="10:00:00", c_ip="10.0.0.5", cs_host={"n": "chatgpt.com"}),
        rec(date="2025-12-01", time="10:00:00", c_ip=["10.0.0.5"], cs_host="chatgpt.com"),
        "{" * 500,
    ]
    out = parse(SWG, [POST, *bad, DENIED])
    assert out["source_line"].to_list() == list(range(1, len(bad) + 3))
    assert out["ok"].to_list() == [True] + [False] * len(bad) + [True]
    assert out["host_raw"].to_list()[-1] == "claude.ai"  # nothing shifted past the bad lines


def test_syslog_wrapped_and_crlf():
    lines = ["<14>1 2025-12-01T10:00:00Z wss-collector swg - - - " + POST, DENIED + "\r"]
    out = parse(SWG, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "claude.ai"]
    assert out["ok"].all()


def test_empty_chunk():
    assert parse(SWG, []).height == 0


def test_rejected_lines_fixture_counts():
    """Truncated, non-JSON, timeless, hostless, anonymous and misshapen records are counted."""
    result, _ = parse_file(FIXTURES / "broadcom-cloud-swg" / "rejected_lines.log")
    assert (result.lines, result.events, result.rejected) == (13, 7, 6)


# --- real logs from another project -------------------------------------------------------


def test_peer_file_is_detected_and_matches_the_expected_output():
    """Host, client (SEKOIA's `client.ip`), user (`client.user.name`) and time, every line."""
    path = peer("w3c-elff/sekoia__broadcom-cloud-swg.log")
    assert detect(head_lines(path)).fmt is SWG
    lines = peer_frame(path)
    out = SWG.parse(lines, ParseContext())
    assert out["ok"].all() and out["source_line"].to_list() == lines["source_line"].to_list()
    docs = expected_docs(path)
    for r in out.iter_rows(named=True):
        doc = docs[r["source_line"] - 1]
        assert normalise_host(r["host_raw"]) == normalise_host(expected_host(doc))
        assert r["client_ip"] == get(doc, "client.ip")
        assert clean_user(r["user_raw"]) == clean_user(get(doc, "client.user.name"))
        assert r["ts"] == datetime.fromisoformat(doc["@timestamp"])
        assert r["port"] == get(doc, "url.port")
