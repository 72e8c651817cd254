"""Cloudflare Gateway Logpush JSON: records we write, then the peer project's real ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

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

CF = FORMATS["cloudflare-gateway"]
T0 = datetime(2025, 12, 1, 10, tzinfo=UTC)


def rec(**fields) -> str:
    return json.dumps(fields, separators=(",", ":"))


DNS = rec(
    Datetime="2025-12-01T10:00:00Z", SrcIP="10.0.0.5", Email="alice@acme.example",
    QueryName="chatgpt.com", QueryType=1, QueryTypeName="A", RCode=0,
    ResolverDecision="allowedOnNoPolicyMatch", DstIP="162.159.36.1", DstPort=443,
)  # fmt: skip
HTTP = rec(
    Action="block", Datetime="2025-12-01T10:00:00Z", DestinationIP="160.79.104.10",
    DestinationPort=443, Email="bob@acme.example", HTTPHost="claude.ai", HTTPMethod="POST",
    HTTPStatusCode=403, SourceIP="203.0.113.7", SourceInternalIP="10.0.0.7",
    URL="https://claude.ai/api/append_message?x=1", UserAgent="Mozilla/5.0 (X11)",
)  # fmt: skip
NETWORK = rec(
    Action="allowedOnNoRuleMatch", Datetime="2025-12-01T10:00:00Z", DestinationIP="1.2.3.4",
    DestinationPort=443, Email="", SNI="gemini.google.com", SessionID="abc", SourceIP="10.0.0.9",
    SourceInternalIP="", TransportProtocol="tcp",
)  # fmt: skip
ACCESS = rec(
    Action="login", Allowed=False, AppDomain="ai.acme.example/admin",
    CreatedAt="2025-12-01T10:00:00Z", Email="carol@acme.example", IPAddress="2001:db8::5",
    RayID="8e9f0a1b2c3d4e5f",
)  # fmt: skip


# --- samples, signature, schema ----------------------------------------------------------


def test_samples_are_events_and_garbage_is_rejected():
    assert parse(CF, list(CF.samples))["ok"].all()
    check_samples_with_garbage(CF)
    assert_parsed_schema(parse(CF, [DNS, HTTP, NETWORK, ACCESS, "{}", "x"]))


def test_signature():
    assert CF.signature([DNS]) and CF.signature([HTTP]) and CF.signature([ACCESS])
    assert not CF.signature(['{"Datetime":"2025-12-01T10:00:00Z","foo":1}'])
    assert not CF.signature(['{"@timestamp":"x","source":{"ip":"10.0.0.5"}}'])
    for other in ("zscaler", "ecs-json", "suricata", "zeek-json"):
        assert not CF.signature(list(FORMATS[other].samples))


# --- the datasets ------------------------------------------------------------------------


def test_dns_fields():
    r = parse(CF, [DNS]).row(0, named=True)
    assert (r["ts"], r["event_kind"], r["client_ip"], r["user_raw"]) == (
        T0, "dns", "10.0.0.5", "alice@acme.example",
    )  # fmt: skip
    assert (r["host_raw"], r["method"], r["status"], r["action"], r["port"]) == (
        "chatgpt.com", "A", 0, "allowed", None,  # DstPort is the resolver's, not the service's
    )  # fmt: skip
    assert r["ok"]


@pytest.mark.parametrize(
    ("decision", "action"),
    [
        ("allowedByQueryName", "allowed"),
        ("allowedOnNoLocation", "allowed"),
        ("allowedRule", "allowed"),
        ("blockedByQueryName", "blocked"),
        ("blockedByCategory", "blocked"),
        ("blockedAlwaysCategory", "blocked"),
        ("blockedRule", "blocked"),
        ("overrideForSafeSearch", "allowed"),
        ("overrideApplied", "blocked"),
        ("3", "blocked"),  # GraphQL's numbering
        ("5", "allowed"),
        ("somethingNew", "unknown"),
    ],
)
def test_resolver_decisions(decision, action):
    line = rec(Datetime="2025-12-01T10:00:00Z", SrcIP="10.0.0.5", QueryName="a.example",
               ResolverDecision=decision)  # fmt: skip
    assert parse(CF, [line])["action"].to_list() == [action]


def test_query_type_number_only_and_root_query():
    subset = rec(Datetime=1764583200, SrcIP="10.0.0.5", QueryName="claude.ai", QueryType=65)
    odd = rec(Datetime=1764583200, SrcIP="10.0.0.5", QueryName="x.example", QueryType=4242)
    root = rec(Datetime=1764583200, SrcIP="10.0.0.5", QueryName=".", QueryType=2)
    out = parse(CF, [subset, odd, root])
    assert out["method"].to_list() == ["HTTPS", "4242", "NS"]
    assert out["ok"].to_list() == [True, True, False]  # a DNS event needs a name


def test_http_fields():
    r = parse(CF, [HTTP]).row(0, named=True)
    assert (r["event_kind"], r["client_ip"], r["user_raw"], r["host_raw"]) == (
        "http", "10.0.0.7", "bob@acme.example", "claude.ai",  # the LAN address DHCP knows
    )  # fmt: skip
    assert (r["url_path"], r["method"], r["status"], r["action"], r["port"]) == (
        "/api/append_message?x=1", "POST", 403, "blocked", 443,
    )  # fmt: skip
    assert r["user_agent"] == "Mozilla/5.0 (X11)"
    assert "bytes_out" not in r  # Gateway HTTP logs no byte counts: "not logged", never 0


def test_http_host_falls_back_to_the_url_and_zero_status_is_null():
    line = rec(Action="isolate", Datetime="2025-12-01T10:00:00Z", SourceIP="10.0.0.5",
               URL="https://gemini.google.com/app", HTTPMethod="GET", HTTPStatusCode=0,
               DestinationPort=0)  # fmt: skip
    r = parse(CF, [line]).row(0, named=True)
    assert (r["host_raw"], r["url_path"], r["status"], r["port"], r["action"]) == (
        "gemini.google.com", "/app", None, None, "allowed",
    )  # fmt: skip


def test_network_sessions_are_tls_with_an_sni_else_flows():
    no_sni = NETWORK.replace('"gemini.google.com"', '""')
    out = parse(CF, [NETWORK, no_sni])
    assert out.select("event_kind", "host_raw", "client_ip", "port", "action", "ok").rows() == [
        ("tls", "gemini.google.com", "10.0.0.9", 443, "allowed", True),
        ("flow", None, "10.0.0.9", 443, "allowed", True),
    ]


def test_access_requests():
    r = parse(CF, [ACCESS]).row(0, named=True)
    assert (r["ts"], r["event_kind"], r["client_ip"], r["user_raw"]) == (
        T0, "http", "2001:db8::5", "carol@acme.example",
    )  # fmt: skip
    assert (r["host_raw"], r["url_path"], r["method"], r["action"]) == (
        "ai.acme.example", "/admin", None, "blocked",
    )  # fmt: skip


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-12-01T10:00:00Z",
        "2025-12-01T11:00:00+01:00",
        "2025-12-01T10:00:00.000Z",
        1764583200,  # timestamp_format=unix
        "1764583200",
        1764583200000000000,  # unixnano, the default
        "1764583200000000000",
        1764583200000,  # milliseconds, told by magnitude
    ],
)
def test_datetime_formats(stamp):
    line = rec(Datetime=stamp, SrcIP="10.0.0.5", QueryName="chatgpt.com")
    assert parse(CF, [line])["ts"].to_list() == [T0]


def test_nanoseconds_keep_microseconds():
    line = rec(Datetime=1764583200123456789, SrcIP="10.0.0.5", QueryName="chatgpt.com")
    assert parse(CF, [line])["ts"].item() == T0.replace(microsecond=123456)


def test_bad_lines_are_rejected():
    bad = [
        DNS[:60],  # truncated
        DNS.replace("2025-12-01T10:00:00Z", "yesterday"),
        rec(Datetime="2025-12-01T10:00:00Z", HTTPHost="chatgpt.com", SourceIP="", Email=""),
        rec(When="2025-12-01T10:00:00Z", ActorEmail="admin@acme.example"),  # audit_logs
        "not json at all",
    ]
    out = parse(CF, [DNS, *bad, HTTP])
    assert out["ok"].to_list() == [True, False, False, False, False, False, True]


def test_syslog_wrapped_and_crlf():
    lines = ["<14>1 2025-12-01T10:00:00Z fwd01 logpush - - - " + DNS, HTTP + "\r"]
    out = parse(CF, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "claude.ai"]
    assert out["ok"].all()


def test_empty_chunk():
    assert parse(CF, []).height == 0


# --- real logs from another project -------------------------------------------------------


def cf_file(kind: str) -> Path:
    return peer(f"other-swg/sekoia__cloudflare-gateway-{kind}.log")


@pytest.mark.parametrize("kind", ["dns", "http"])
def test_peer_files_are_detected_and_every_line_read(kind):
    path = cf_file(kind)
    assert detect(head_lines(path)).fmt is CF
    out = CF.parse(peer_frame(path), ParseContext())
    assert out["ok"].all() and out.height == peer_frame(path).height


@pytest.mark.parametrize("kind", ["dns", "http"])
def test_peer_values_match_the_expected_output(kind):
    """Host, client, user (SEKOIA's `user.email`) and time as SEKOIA reads them.

    The HTTP file's first nine lines are Access requests and its last a Gateway
    network session: SEKOIA reads only the user from the former and no host from
    the latter (we read the app domain and the SNI), so those are not compared.
    """
    path = cf_file(kind)
    docs = expected_docs(path)
    out = CF.parse(peer_frame(path), ParseContext())
    hosts = 0
    for r in out.iter_rows(named=True):
        doc = docs[r["source_line"] - 1]
        if (host := expected_host(doc)) is not None:
            assert normalise_host(r["host_raw"]) == normalise_host(host)
            hosts += 1
        if (ip := get(doc, "source.ip")) is not None:
            assert r["client_ip"] == ip
        if (email := get(doc, "user.email")) is not None:
            assert clean_user(r["user_raw"]) == clean_user(email)
        if (stamp := doc.get("@timestamp")) is not None:
            assert r["ts"] == datetime.fromisoformat(stamp)
    assert hosts == 2


def test_peer_http_kinds():
    out = CF.parse(peer_frame(cf_file("http")), ParseContext())
    assert out["event_kind"].to_list() == ["http"] * 11 + ["tls"]
    assert out["host_raw"].to_list()[-1] == "1234.something.com"
    assert out["action"].to_list()[9:] == ["blocked", "allowed", "allowed"]


def test_rejected_lines_fixture_counts():
    """Truncated, timeless, nameless, anonymous, other-dataset and non-JSON lines are counted."""
    result, _ = parse_file(FIXTURES / "cloudflare-gateway" / "rejected_lines.log")
    assert (result.lines, result.events, result.rejected) == (12, 6, 6)
