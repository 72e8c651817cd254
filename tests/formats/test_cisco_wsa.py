"""Cisco Secure Web Appliance access logs, and that Squid and WSA never take each other's lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.squid import SquidNative
from shadowscan.ingest.detect import detect
from tests.formats.common import (
    check_samples_with_garbage,
    expected_docs,
    parse,
    peer,
    peer_frame,
)

WSA = FORMATS["cisco-wsa"]
VERDICTS = '<"IW_ai",6.8,0,"-",-,-,-,-,"-",-,-,-,"-",-,-,"-","-",-,-,"IW_ai",-,"-"> - -'


def wsa(rest: str, tag: str = "DEFAULT_CASE_12-Staff-NONE-NONE-NONE-DefaultGroup-NONE") -> str:
    return f"1764583200.352 412 10.0.0.5 {rest} {tag} {VERDICTS}"


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(WSA)


def test_squid_and_wsa_keep_to_their_own_lines_both_ways():
    plain_wsa = [line.removeprefix("Info: ") for line in WSA.samples]
    squid = list(SquidNative().samples)
    assert detect(plain_wsa).fmt is WSA  # Squid reads them too: order decides
    assert detect(squid).fmt.name == "squid"
    assert not WSA.signature(squid)
    assert not parse(WSA, squid)["ok"].any()  # no decision tag, no verdict block


def test_fields_and_actions():
    sent, denied = parse(WSA, list(WSA.samples)).rows(named=True)
    assert sent["ts"] == datetime(2025, 12, 1, 10, 0, 0, 352000, tzinfo=UTC)
    assert (sent["client_ip"], sent["user_raw"], sent["host_raw"], sent["method"]) == (
        "10.0.0.5", "ACME\\alice", "chatgpt.com", "POST",
    )  # fmt: skip
    assert (sent["url_path"], sent["status"], sent["action"], sent["bytes_in"]) == (
        "/backend-api/conversation", 200, "allowed", 5120,
    )  # fmt: skip
    assert (denied["host_raw"], denied["port"], denied["url_path"], denied["action"]) == (
        "claude.ai:443", 443, None, "blocked",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rest", "tag", "action"),
    [
        (
            "TCP_MISS/200 10 GET http://a.example/ - DIRECT/a.example -",
            "BLOCK_ADMIN_7-x",
            "blocked",
        ),
        ("TCP_MISS/200 10 GET http://a.example/ - DIRECT/a.example -", "PASSTHRU_AVC-x", "allowed"),
        ("TCP_MISS/200 10 GET http://a.example/ - DIRECT/a.example -", "MONITOR_WBRS-x", "allowed"),
        ("TCP_DENIED/407 0 CONNECT tunnel://a.example:443/ - NONE/- -", "OTHER-NONE-x", "blocked"),
        ("NONE/503 0 GET http://a.example/ - NONE/- -", "OTHER-NONE-x", "unknown"),
    ],
)
def test_decision_tags(rest, tag, action):
    assert parse(WSA, [wsa(rest, tag)])["action"].to_list() == [action]


def test_transparent_tunnels_ipv6_quoted_users_syslog_and_bad_lines():
    lines = [
        wsa('TCP_MISS/200 97645 TCP_CONNECT 13.107.42.14:443 "ACME\\dave@WCCP" '
            "DIRECT/copilot.microsoft.com -").replace("10.0.0.5", "2001:db8::5"),
        "<14>Dec  1 10:00:00 wsa01 accesslogs: Info: "
        + wsa("TCP_MISS/200 10 GET https://gemini.google.com/app - DIRECT/gemini.google.com -"),
        wsa("TCP_MISS/200 10 GET http://a.example/ - DIRECT/a.example -") + "\r",
        "1764583200.352 412 10.0.0.5 TCP_MISS/200 10 GET http://a.example/ - DIRECT/a.example -",
        "Info: Version: 15.0.0 SN: 42 Model: S195",
    ]  # fmt: skip
    out = parse(WSA, lines)
    assert out["host_raw"].to_list()[:3] == [
        "copilot.microsoft.com",
        "gemini.google.com",
        "a.example",
    ]
    assert (out["client_ip"][0], out["user_raw"][0], out["method"][0]) == (
        "2001:db8::5", "ACME\\dave@WCCP", "TCP_CONNECT",
    )  # fmt: skip
    assert out["ok"].to_list() == [True, True, True, False, False]


# --- real logs from other projects --------------------------------------------------------


def test_peer_file_matches_the_expected():
    path = peer("other-swg/sekoia__cisco-wsa.log")
    lines = peer_frame(path)
    assert detect(lines["line"].to_list()).fmt is WSA
    out = WSA.parse(lines, ParseContext())
    assert out.height == 6 and out["ok"].all()
    for r, doc in zip(out.iter_rows(named=True), expected_docs(path), strict=True):
        assert normalise_host(r["host_raw"]) == doc["url"]["domain"]
        assert r["client_ip"] == doc["source"]["ip"]
        assert r["ts"].isoformat().replace("+00:00", "Z") == doc["@timestamp"]
    assert out["action"].to_list() == ["allowed", "allowed", "blocked"] + ["allowed"] * 3


def test_peer_squid_files_are_not_taken():
    for path in sorted(peer("squid").glob("*.log")):
        head = peer_frame(path)["line"].head(50).to_list()
        assert not WSA.signature(head), path.name
        assert detect(head).fmt is not WSA
