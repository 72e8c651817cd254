"""Cisco Secure Web Appliance access logs, and that Squid and WSA never take each other's lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.squid import SquidNative
from shadowscan.ingest.detect import MIN_SCORE, detect, trial
from shadowscan.ingest.reader import head_lines
from shadowscan.pipeline import parse_file
from shadowscan.schema import EVENT_SCHEMA, STORE_SCHEMA

PEER = Path(__file__).parents[3] / "shared" / "peer-logs"
WSA = FORMATS["cisco-wsa"]
MINE = (
    FORMATS["w3c"],
    FORMATS["cef"],
    FORMATS["leef"],
    FORMATS["panos"],
    FORMATS["fortigate"],
    FORMATS["bluecoat-kv"],
    FORMATS["skyhigh"],
    WSA,
)
REGISTRY = FORMATS
VERDICTS = '<"IW_ai",6.8,0,"-",-,-,-,-,"-",-,-,-,"-",-,-,"-","-",-,-,"IW_ai",-,"-"> - -'


def frame(lines: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_line": range(1, len(lines) + 1), "line": lines},
        schema={"source_line": pl.Int64, "line": pl.String},
    )


def parse(lines: list[str]) -> pl.DataFrame:
    return WSA.parse(frame(lines), ParseContext())


def wsa(rest: str, tag: str = "DEFAULT_CASE_12-Staff-NONE-NONE-NONE-DefaultGroup-NONE") -> str:
    return f"1764583200.352 412 10.0.0.5 {rest} {tag} {VERDICTS}"


def test_samples_are_a_parseable_file_head_and_detect_as_cisco_wsa():
    out = parse(list(WSA.samples))
    assert out.height == 2 and out["ok"].all()
    assert detect(list(WSA.samples), formats=REGISTRY).fmt is WSA


def test_output_columns_have_the_event_schema_dtypes():
    expected = {**EVENT_SCHEMA, "host_raw": pl.String, "ok": pl.Boolean}
    out = parse([*WSA.samples, "garbage"])
    assert {name: expected[name] for name in out.columns} == dict(out.schema)


OTHERS = [o for o in REGISTRY.values() if o is not WSA]


@pytest.mark.parametrize("other", OTHERS, ids=lambda o: o.name)
def test_no_other_format_reads_the_samples_and_wsa_reads_no_others(other):
    ours, theirs = list(WSA.samples), list(other.samples)
    assert not (other.signature(ours) and trial(other, ours)[0] >= MIN_SCORE)
    assert not (WSA.signature(theirs) and trial(WSA, theirs)[0] >= MIN_SCORE)


def test_squid_and_wsa_keep_to_their_own_lines_both_ways():
    plain_wsa = [line.removeprefix("Info: ") for line in WSA.samples]
    squid = list(SquidNative().samples)
    assert detect(plain_wsa, formats=REGISTRY).fmt is WSA  # Squid reads them too: order decides
    assert detect(squid, formats=REGISTRY).fmt.name == "squid"
    assert not WSA.signature(squid)
    assert not parse(squid)["ok"].any()  # no decision tag, no verdict block


def test_fields_and_actions():
    sent, denied = parse(list(WSA.samples)).rows(named=True)
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
    assert parse([wsa(rest, tag)])["action"].to_list() == [action]


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
    out = parse(lines)
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


def peer(rel: str) -> Path:
    if not PEER.is_dir():
        pytest.skip(f"{PEER} is absent")
    return PEER / rel


def test_peer_file_matches_the_expected():
    path = peer("other-swg/sekoia__cisco-wsa.log")
    lines = frame(path.read_text().splitlines())
    assert detect(lines["line"].to_list(), formats=REGISTRY).fmt is WSA
    out = WSA.parse(lines, ParseContext())
    assert out.height == 6 and out["ok"].all()
    expected = json.loads(path.with_name(path.name + "-expected.json").read_text())["expected"]
    for r, doc in zip(out.iter_rows(named=True), expected, strict=True):
        assert normalise_host(r["host_raw"]) == doc["url"]["domain"]
        assert r["client_ip"] == doc["source"]["ip"]
        assert r["ts"].isoformat().replace("+00:00", "Z") == doc["@timestamp"]
    assert out["action"].to_list() == ["allowed", "allowed", "blocked"] + ["allowed"] * 3


def test_peer_squid_files_are_not_taken():
    for path in sorted(peer("squid").glob("*.log")):
        head = [line for line in path.read_text(errors="replace").splitlines() if line][:50]
        assert not WSA.signature(head), path.name
        assert detect(head, formats=REGISTRY).fmt is not WSA


# --- our fixtures through the pipeline ----------------------------------------------------

FIXTURES = Path(__file__).parents[2] / "fixtures"
CASES = [(f, case) for f in [WSA] for case in sorted((FIXTURES / f.name).glob("*.log"))]


@pytest.mark.parametrize(("fmt", "case"), CASES, ids=[f"{f.name}/{c.stem}" for f, c in CASES])
def test_fixture_parses_through_the_pipeline_and_detects_as_its_folder(fmt, case, monkeypatch):
    monkeypatch.setitem(FORMATS, fmt.name, fmt)  # as once registered
    result, events = parse_file(case, log_format=fmt.name)
    assert events.schema == STORE_SCHEMA
    assert result.events + result.rejected + result.skipped == result.lines
    assert result.events == events.height > 0
    assert detect(head_lines(case), formats=REGISTRY).fmt is fmt
