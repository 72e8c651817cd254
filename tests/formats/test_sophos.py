"""Sophos Firewall (SFOS / XG) and Sophos UTM key=value logs: lines we write, then the peer
projects' real log."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from tests.formats.common import (
    check_expected,
    check_samples_with_garbage,
    parse,
    peer,
    peer_frame,
)

SOPHOS = FORMATS["sophos"]
WEB, FLOW = SOPHOS.samples
PEER_FILE = "sophos/sekoia__sophos-firewall.log"


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(SOPHOS)


def test_content_filtering_and_firewall_fields():
    web, flow = parse(SOPHOS, list(SOPHOS.samples)).rows(named=True)
    assert web["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)  # CET
    assert (web["event_kind"], web["client_ip"], web["user_raw"], web["host_raw"]) == (
        "http", "10.0.0.5", "alice", "chatgpt.com",
    )  # fmt: skip
    assert (web["port"], web["url_path"], web["status"], web["action"]) == (
        443, "/backend-api/conversation", 200, "allowed",
    )  # fmt: skip
    assert (web["bytes_out"], web["bytes_in"], web["user_agent"]) == (
        2311, 8421, "Mozilla/5.0 (X11; Linux x86_64)",
    )  # fmt: skip
    # v19.5+ layout: `timestamp` with offset, `bytes_sent`/`bytes_received`, `user`.
    assert flow["ts"] == datetime(2025, 12, 1, 10, 0, 5, tzinfo=UTC)
    assert (flow["event_kind"], flow["host_raw"], flow["user_raw"], flow["action"]) == (
        "flow", None, "bob", "allowed",
    )  # fmt: skip
    assert (flow["bytes_out"], flow["bytes_in"]) == (1840, 9260)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ('"CET"', datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ('"cest"', datetime(2025, 12, 1, 9, tzinfo=UTC)),
        ('"EST"', datetime(2025, 12, 1, 16, tzinfo=UTC)),
        ('"+11"', datetime(2025, 12, 1, 0, tzinfo=UTC)),
        ('"+05:30"', datetime(2025, 12, 1, 5, 30, tzinfo=UTC)),
        ('"-0330"', datetime(2025, 12, 1, 14, 30, tzinfo=UTC)),
        ('"UTC-3"', datetime(2025, 12, 1, 14, tzinfo=UTC)),
        ('"GMT"', datetime(2025, 12, 1, 11, tzinfo=UTC)),
        ('"CST"', datetime(2025, 12, 1, 2, tzinfo=UTC)),  # ambiguous: --timezone
        ('"Mars/Olympus"', datetime(2025, 12, 1, 2, tzinfo=UTC)),  # unknown: --timezone
        (None, datetime(2025, 12, 1, 2, tzinfo=UTC)),  # none: --timezone
    ],
)
def test_timezone_abbreviations_and_offsets(zone, expected):
    tz = f" timezone={zone}" if zone else ""
    line = (
        f'device="SFW" date=2025-12-01 time=11:00:00{tz} log_id=010101600001 '
        'log_type="Firewall" log_component="Firewall Rule" status="Allow" src_ip=10.0.0.1'
    )
    ctx = ParseContext(timezone="Asia/Tokyo")
    assert parse(SOPHOS, [line], ctx)["ts"].to_list() == [expected]


@pytest.mark.parametrize(
    ("keys", "action"),
    [
        ('status="Allow" log_subtype="Allowed"', "allowed"),
        ('status="Deny" log_subtype="Denied"', "blocked"),
        ('status="Would deny" log_subtype="Allowed"', "allowed"),  # rule in monitor mode
        ('status="" log_subtype="Denied"', "blocked"),
        ('log_subtype="Denied"', "blocked"),
        ("", "unknown"),
    ],
)
def test_verdict_from_status_then_subtype(keys, action):
    line = f'timestamp="2025-12-01T11:00:00+0100" log_type="Firewall" {keys} src_ip="10.0.0.1"'
    assert parse(SOPHOS, [line])["action"].to_list() == [action]


def test_host_from_domain_url_or_sni_and_syslog_wrappers():
    lines = [
        '<30>device="SFW" date=2025-12-01 time=11:00:00 timezone="CET" log_type="Content '
        'Filtering" log_component="HTTP" url="https://claude.ai/new?x=1" src_ip=10.0.0.2 '
        'user_name="-"',
        'Dec  1 10:00:01 sfw1 device="SFW" date=2025-12-01 time=11:00:01 timezone="CET" '
        'log_type="Content Filtering" log_component="HTTP" domain=gemini.google.com '
        'url="https://gemini.google.com/app" src_ip=10.0.0.3',
        'timestamp="2025-12-01T11:00:02+0100" log_type="Content Filtering" '
        'log_component="SSL" log_subtype="Do not decrypt" src_ip="10.0.0.4" '
        'dst_port=443 sni="api.openai.com"',
    ]
    out = parse(SOPHOS, lines)
    assert out["host_raw"].to_list() == ["claude.ai", "gemini.google.com", "api.openai.com"]
    assert out["event_kind"].to_list() == ["http", "http", "tls"]
    assert out["url_path"].to_list() == ["/new?x=1", "/app", None]
    assert out["user_raw"].to_list() == [None, None, None]
    assert out["action"].to_list()[2] == "allowed"
    assert out["ok"].all()


def test_utm_web_proxy_and_packet_filter():
    lines = [
        '2025:12:01-11:00:00 utm-1 httpproxy[4321]: id="0001" severity="info" '
        'sys="SecureWeb" sub="http" name="http access" action="pass" method="POST" '
        'srcip="10.5.0.1" user="ACME\\alice" statuscode="200" size="5120" '
        'url="https://chatgpt.com/backend-api/x" ua="Mozilla/5.0 (X11)"',
        '<30>2025:12:01-11:00:01 utm-1 ulogd[55]: id="2001" severity="info" sys="SecureNet" '
        'sub="packetfilter" name="Packet dropped" action="drop" srcip="10.5.0.2" dstport="443"',
    ]
    web, flow = parse(SOPHOS, lines, ParseContext(timezone="Europe/Berlin")).rows(named=True)
    assert web["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (web["event_kind"], web["host_raw"], web["method"], web["url_path"]) == (
        "http", "chatgpt.com", "POST", "/backend-api/x",
    )  # fmt: skip
    assert (web["user_raw"], web["status"], web["bytes_in"], web["action"]) == (
        "ACME\\alice", 200, 5120, "allowed",
    )  # fmt: skip
    assert (flow["event_kind"], flow["port"], flow["action"], flow["ok"]) == (
        "flow", 443, "blocked", True,
    )  # fmt: skip


def test_other_types_are_skipped_and_bad_lines_rejected():
    event = 'timestamp="2025-12-01T11:00:00+0100" log_type="Event" log_component="GUI" x=1'
    utm_auth = 'id="3005" severity="warn" sys="System" sub="auth" srcip="1.2.3.4" user="x"'
    untimed = 'id="2002" sys="SecureNet" sub="packetfilter" srcip="10.1.0.10" dstport="53"'
    truncated = 'device="SFW" date=2025-12-01 time=11:00:0'
    no_client = 'timestamp="2025-12-01T11:00:00+0100" log_type="Firewall" status="Allow"'
    out = parse(SOPHOS, [event, utm_auth, "garbage", WEB, untimed, truncated, no_client])
    assert out.select("source_line", "ok").rows() == [
        (3, False), (4, True), (5, False), (6, False), (7, False),
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["fortigate", "skyhigh", "bluecoat-kv", "cef", "leef"])
def test_other_key_value_formats_do_not_claim_sophos_lines_nor_sophos_theirs(name):
    other = FORMATS[name]
    assert not other.signature(list(SOPHOS.samples))
    assert not SOPHOS.signature(list(other.samples))


# --- real logs from other projects --------------------------------------------------------

#: Lines of the real log rightly rejected, and why (lines 3, 4 and 6 are skipped: UTM
#: authentication and WAF records, an SFOS SD-WAN record).
KNOWN_REJECTS = {
    8: "UTM packet filter record with its syslog time removed by the intake",
    9: "UTM packet filter record with its syslog time removed by the intake",
    10: "UTM packet filter record with its syslog time removed by the intake",
}


def test_peer_file():
    path = peer(PEER_FILE)
    out = SOPHOS.parse(peer_frame(path), ParseContext())
    assert set(out.filter(~pl.col("ok"))["source_line"]) == set(KNOWN_REJECTS)
    assert set(out.filter("ok")["source_line"]) == {1, 2, 5, 7, 11}
    assert check_expected(out, path) == 2  # hosts compared: the SSL SNI and the web domain


def test_peer_file_is_detected_as_sophos():
    assert detect(head_lines(peer(PEER_FILE))).fmt is SOPHOS


KNOWN = [
    (1, dict(ts=datetime(2023, 12, 1, 13, 43, 23, tzinfo=UTC), event_kind="flow",
             client_ip="1.2.3.4", user_raw="myusername", port=443, action="blocked",
             bytes_out=0, bytes_in=0)),
    (2, dict(ts=datetime(2025, 3, 12, 15, 3, 6, tzinfo=UTC), event_kind="flow",
             action="blocked")),
    (5, dict(ts=datetime(2012, 12, 1, 9, 2, 24, tzinfo=UTC), event_kind="tls",
             host_raw="address.com", port=123)),
    (7, dict(ts=datetime(2020, 5, 15, 15, 54, 39, tzinfo=UTC), event_kind="http",
             host_raw="www.google.com", user_raw="F.Saquet@ACME.coyotte", port=80,
             url_path="/dl/release2/TnV3rQKAz82ODPFMuxq1wQ_1089/f9YORelAF3Z1VnI84ysPJA",
             status=416, action="allowed", bytes_out=310, bytes_in=4563,
             user_agent="Microsoft BITS/7.8")),
    (11, dict(ts=datetime(2020, 4, 23, 8, 36, 57, tzinfo=UTC), client_ip="10.0.215.3",
              user_raw=None, port=62384, action="allowed")),
]  # fmt: skip


@pytest.mark.parametrize(("line", "want"), KNOWN, ids=[str(n) for n, _ in KNOWN])
def test_peer_known_values(line, want):
    out = SOPHOS.parse(peer_frame(peer(PEER_FILE)), ParseContext())
    row = out.filter(pl.col("source_line") == line)
    assert {k: row[k][0] for k in want} == want
