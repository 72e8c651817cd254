"""FortiGate / FortiProxy key=value logs: lines we write, then the peer projects' real logs."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from tests.formats.common import (
    CEF_LINE,
    check_expected,
    check_samples_with_garbage,
    parse,
    peer,
    peer_frame,
)

FG = FORMATS["fortigate"]
WEB, DNS, FLOW = FG.samples


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(FG)


def test_webfilter_dns_and_traffic_fields():
    web, dns, flow = parse(FG, list(FG.samples)).rows(named=True)
    assert web["ts"] == datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)  # eventtime in ns
    assert (web["event_kind"], web["client_ip"], web["user_raw"], web["host_raw"]) == (
        "http", "10.0.0.5", "alice", "chatgpt.com",
    )  # fmt: skip
    assert (web["port"], web["url_path"], web["action"], web["bytes_out"], web["bytes_in"]) == (
        443, "/backend-api/conversation", "allowed", 1234, 5678,
    )  # fmt: skip
    assert (dns["event_kind"], dns["host_raw"], dns["method"], dns["port"]) == (
        "dns", "claude.ai", "A", None,
    )  # fmt: skip
    assert (flow["event_kind"], flow["host_raw"], flow["action"]) == ("flow", None, "blocked")
    assert flow["ts"] == datetime(2025, 12, 1, 10, 0, 5, tzinfo=UTC)  # eventtime in seconds


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('date=2025-12-01 time=11:00:00 tz="+0100"', datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ('date=2025-12-01 time=11:00:00 tz="UTC+2"', datetime(2025, 12, 1, 9, tzinfo=UTC)),
        ("date=2025-12-01 time=11:00:00", datetime(2025, 12, 1, 10, tzinfo=UTC)),  # --timezone
        ("date=2025-03-30 time=02:30:00", None),  # did not exist in Paris
        ("time=11:00:00 timestamp=1764583200", datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ("time=11:00:00", None),
    ],
)
def test_time_without_eventtime(keys, expected):
    line = f'{keys} type="traffic" subtype="forward" srcip=10.0.0.1 dstport=443'
    r = parse(FG, [line], ParseContext(timezone="Europe/Paris")).row(0, named=True)
    assert (r["ts"], r["ok"]) == (expected, expected is not None)


def test_quoting_comma_separated_lines_syslog_and_crlf():
    lines = [
        '<189>date=2025-12-01 time=11:00:00 devname="FG" logid="0317013312" type="utm" '
        'subtype="webfilter" srcip=10.0.0.5 hostname="chatgpt.com" url="/c/1?a=b c" '
        'user="ACME\\\\alice" action="passthrough" eventtime=1764583200 msg="a \\"quoted\\" msg"\r',
        'date=2025-12-01,time=11:00:01,logid="1501054802",type="dns",subtype="dns-response",'
        'srcip=10.0.0.6,qname="[gemini.google.com]",qtype="AAAA",action="pass",'
        'ipaddr="1.2.3.4, 5.6.7.8",eventtime=1764583201',
        'Dec  1 11:00:02 fg1 date=2025-12-01 time=11:00:02 devname=""FG"" type=""traffic"" '
        'subtype=""forward"" srcip=2001:db8::9 dstport=443 user=""bob"" eventtime=1764583202',
    ]
    out = parse(FG, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "gemini.google.com", None]
    assert out["url_path"].to_list()[0] == "/c/1?a=b c"
    assert out["user_raw"].to_list() == ["ACME\\\\alice", None, "bob"]
    assert out["client_ip"].to_list() == ["10.0.0.5", "10.0.0.6", "2001:db8::9"]
    assert out["ok"].all()


def test_other_types_are_skipped_and_bad_lines_rejected():
    event = (
        'date=2025-12-01 time=11:00:00 logid="0100032001" type="event" subtype="system" user="x"'
    )
    ips = 'date=2025-12-01 time=11:00:00 type="utm" subtype="ips" srcip=10.0.0.1 action="dropped"'
    dns_without_query = 'type="utm" subtype="dns" srcip=10.0.0.1 qtype="NS" eventtime=1764583200'
    local = 'type="traffic" subtype="local"'
    out = parse(FG, [event, ips, "garbage", WEB, dns_without_query, local])
    assert out.select("source_line", "ok").rows() == [(3, False), (4, True), (5, False), (6, False)]


def test_fortiproxy_http_transaction_and_fortinet_user_cleanup():
    line = (
        'date=2025-12-01 time=12:00:00 type="traffic" subtype="http-transaction" srcip=10.6.0.1 '
        'hostname="claude.ai" url="https://claude.ai/api/x" httpmethod="POST" statuscode=201 '
        'user="john.doe,cn=john.doe" utmaction="block" agent="curl/8" eventtime=1764590400'
    )
    r = parse(FG, [line]).row(0, named=True)
    assert (r["event_kind"], r["host_raw"], r["url_path"], r["method"], r["status"]) == (
        "http", "claude.ai", "/api/x", "POST", 201,
    )  # fmt: skip
    assert (r["user_raw"], r["action"], r["user_agent"]) == ("john.doe", "blocked", "curl/8")


# --- real logs from other projects --------------------------------------------------------

#: Lines of the real logs rightly rejected, and why.
KNOWN_REJECTS = {
    "fortigate/sekoia__fortigate.log": {
        4: "a DNS query record without `qname`: no host to count",
        86: "FortiWeb `slb_http` record with `time=` only: no date, no epoch",
    },
    "other-swg/sekoia__fortiproxy.log": {},
}


@pytest.mark.parametrize("rel", list(KNOWN_REJECTS))
def test_peer_file(rel):
    path = peer(rel)
    lines = peer_frame(path).filter(~pl.col("line").str.contains(CEF_LINE))  # CEF: cef's
    out = FG.parse(lines, ParseContext())
    rejected = set(out.filter(~pl.col("ok"))["source_line"])
    assert rejected == set(KNOWN_REJECTS[rel])
    assert out.height >= 12
    assert check_expected(out, path) >= 5  # hosts compared


KNOWN = [
    ("fortigate/sekoia__fortigate.log", 27, dict(
        ts=datetime(2018, 12, 27, 22, 45, 26, tzinfo=UTC), event_kind="dns", user_raw="bob",
        host_raw="example.com", method="A", action="allowed")),
    ("fortigate/sekoia__fortigate.log", 92, dict(
        event_kind="http", host_raw="example.com", url_path="/", port=443, bytes_out=421,
        bytes_in=0, action="allowed")),
    ("fortigate/sekoia__fortigate.log", 70, dict(
        ts=datetime(2025, 3, 22, 3, 15, 30, 828471, tzinfo=UTC), event_kind="flow", port=53)),
    ("other-swg/sekoia__fortiproxy.log", 11, dict(
        event_kind="http", host_raw="example.com", url_path="/some/long/path?query=param",
        user_agent="Microsoft-Delivery-Optimization/10.0", action="blocked")),
    ("other-swg/sekoia__fortiproxy.log", 25, dict(
        host_raw="example.com", user_raw="johndoe@DOMAIN", client_ip="1.2.3.4")),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "line", "want"), KNOWN, ids=[f"{r}:{n}" for r, n, _ in KNOWN])
def test_peer_known_values(rel, line, want):
    out = FG.parse(peer_frame(peer(rel)), ParseContext())
    row = out.filter(pl.col("source_line") == line)
    assert {k: row[k][0] for k in want} == want


# --- UTM records that name a host, DNS answers, envelope times ----------------------------


def utm(subtype: str, keys: str, action: str = "pass") -> str:
    return (
        f'date=2025-12-01 time=11:00:05 logid="0000000000" type="utm" subtype="{subtype}" '
        f'srcip=10.0.0.11 dstport=443 user="erin" {keys} action="{action}" eventtime=1764583205'
    )


@pytest.mark.parametrize(
    ("subtype", "keys", "action", "kind", "host", "verdict"),
    [
        ("app-ctrl", 'app="ChatGPT" hostname="chatgpt.com" url="/"', "pass", "http", "chatgpt.com",
         "allowed"),
        ("app-ctrl", 'app="Claude" hostname="claude.ai" url="/api/x"', "block", "http", "claude.ai",
         "blocked"),
        ("dlp", 'hostname="claude.ai" url="/api/upload" filename="q3.xlsx"', "log-only", "http",
         "claude.ai", "allowed"),
        ("ips", 'hostname="gemini.google.com" url="/app" attack="X"', "dropped", "http",
         "gemini.google.com", "blocked"),
        ("virus", 'url="https://files.example/a.exe"', "blocked", "http", "files.example",
         "blocked"),
        ("waf", 'url="http://api.mistral.ai/v1/chat"', "passthrough", "http", "api.mistral.ai",
         "allowed"),
        ("file-filter", 'hostname="chat.deepseek.com" url="/upload"', "block", "http",
         "chat.deepseek.com", "blocked"),
        ("ssl", 'hostname="copilot.microsoft.com" eventtype="ssl-negotiation"', "bypass", "tls",
         "copilot.microsoft.com", "allowed"),
    ],
)  # fmt: skip
def test_utm_records_that_name_a_host_are_events(subtype, keys, action, kind, host, verdict):
    r = parse(FG, [utm(subtype, keys, action)]).row(0, named=True)
    assert (r["ok"], r["event_kind"], r["host_raw"], r["action"]) == (True, kind, host, verdict)
    assert (r["client_ip"], r["user_raw"], r["port"]) == ("10.0.0.11", "erin", 443)


def test_utm_records_that_name_no_host_stay_skipped():
    lines = [utm("ips", 'attack="X"', "dropped"), utm("app-ctrl", 'app="DNS" url="/"')]
    assert parse(FG, lines).height == 0


def dns(subtype: str, session: int, name: str, extra: str = "", second: int = 1) -> str:
    return (
        f'date=2025-12-01 time=11:00:0{second} logid="1501054401" type="dns" subtype="{subtype}" '
        f'srcip=10.0.0.9 sessionid={session} qname="{name}" qtype="A" {extra}'
        f"eventtime=176458320{second}"
    )


def test_a_response_to_a_query_of_the_same_session_and_name_is_merged_into_it():
    lines = [
        dns("dns-query", 7, "claude.ai"),
        dns("dns-query", 8, "chatgpt.com"),
        dns("dns-response", 7, "Claude.ai", 'rcode=3 action="block" '),  # answers line 1
        dns("dns-response", 9, "chatgpt.com", 'rcode=0 action="pass" '),  # another session
        dns("dns-response", 7, "claude.ai", 'rcode=0 action="pass" '),  # line 1 already answered
    ]
    out = parse(FG, lines)
    assert out.select("source_line", "host_raw", "status", "action").rows() == [
        (1, "claude.ai", 3, "blocked"),
        (2, "chatgpt.com", None, "unknown"),  # no answer seen
        (4, "chatgpt.com", 0, "allowed"),
        (5, "claude.ai", 0, "allowed"),
    ]
    assert out["ok"].all()


def test_utm_dns_records_pair_by_event_type():
    query = dns("dns", 5, "gemini.google.com").replace(
        'subtype="dns"', 'subtype="dns" eventtype="dns-query"'
    )
    answer = dns("dns", 5, "gemini.google.com", 'action="pass" ', 2).replace(
        'subtype="dns"', 'subtype="dns" eventtype="dns-response"'
    )
    out = parse(FG, [query, answer])
    assert out.select("source_line", "action").rows() == [(1, "allowed")]


def test_the_syslog_header_time_serves_a_record_without_a_date():
    line = 'Dec  1 11:00:02 fg1 time=11:00:02 type="traffic" subtype="forward" srcip=10.0.0.1'
    r = parse(FG, [line], ParseContext(year=2025)).row(0, named=True)
    assert (r["ok"], r["ts"]) == (True, datetime(2025, 12, 1, 11, 0, 2, tzinfo=UTC))
