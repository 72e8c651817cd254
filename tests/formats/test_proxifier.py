"""Proxifier connection logs: one event per connection, years, verbose lines, loghub's 2k lines."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.pipeline import parse_file
from tests.formats.common import FIXTURES, check_samples_with_garbage, parse, peer, peer_frame

PROXIFIER = FORMATS["proxifier"]
CLOSE = "close, 10 bytes sent, 20 bytes received, lifetime <1 sec"


def line(message: str, when: str = "12.01 10:00:00", target: str = "chatgpt.com:443") -> str:
    return f"[{when}] chrome.exe *64 - {target} {message}"


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(PROXIFIER)


def test_one_event_per_connection_on_the_line_that_ends_it():
    out = parse(PROXIFIER, list(PROXIFIER.samples), ParseContext(year=2025))
    assert out["source_line"].to_list() == [2, 3]  # the `open` line is skipped
    closed, refused = out.rows(named=True)
    assert closed["ts"] == datetime(2025, 12, 1, 10, 0, 3, tzinfo=UTC)
    assert (closed["event_kind"], closed["host_raw"], closed["action"]) == (
        "flow", "chatgpt.com:443", "allowed",
    )  # fmt: skip
    assert (closed["bytes_out"], closed["bytes_in"], closed["status"]) == (1190, 18846, None)
    assert (refused["host_raw"], refused["status"], refused["action"]) == (
        "claude.ai:443",
        403,
        "blocked",
    )
    assert "client_ip" not in out.columns and out["user_raw"].is_null().all()  # nobody named
    named = parse(PROXIFIER, list(PROXIFIER.samples), ParseContext(year=2025, identity="alice"))
    assert named["user_raw"].to_list() == ["alice", "alice"]  # --identity: whose computer


@pytest.mark.parametrize(
    ("message", "status", "action"),
    [
        ("error : Could not connect through proxy p:8080 - Proxy server cannot establish a "
         "connection with the target, status code 503", 503, "unknown"),
        ("error : Could not connect through proxy p:8080 - Proxy closed the connection "
         "unexpectedly.", None, "unknown"),
        ("error : Could not connect to proxy p:8080 - Could not resolve p error 11001",
         None, "unknown"),
        ("error : Could not connect to proxy p:8080 - connection attempt failed with error 10061",
         None, "unknown"),
        ("error : A connection request was canceled before the completion. ", None, "unknown"),
        ("matching Block AI rule : block", None, "blocked"),
    ],
)  # fmt: skip
def test_failed_and_blocked_connections(message, status, action):
    (row,) = parse(PROXIFIER, [line(message)]).rows(named=True)
    assert (row["ok"], row["status"], row["action"]) == (True, status, action)


def test_the_year_comes_from_the_context_the_file_date_or_the_line():
    lines = [
        line(CLOSE, "12.31 23:59:59"),
        line(CLOSE, "01.01 00:00:01"),
        line(CLOSE, "2019.11.27 21:32:18"),
    ]
    january = ParseContext(modified=datetime(2026, 1, 2), timezone="Europe/Paris")
    assert parse(PROXIFIER, lines, january)["ts"].to_list() == [
        datetime(2025, 12, 31, 22, 59, 59, tzinfo=UTC),  # December before a January file date
        datetime(2025, 12, 31, 23, 0, 1, tzinfo=UTC),
        datetime(2019, 11, 27, 20, 32, 18, tzinfo=UTC),  # a written year wins
    ]
    assert parse(PROXIFIER, lines[:1], ParseContext(year=2024))["ts"][0].year == 2024


def test_verbose_lines_and_status_messages_are_skipped():
    lines = [
        "[2019.11.27 21:29:24] multipass.exe (64924) *64 - resolve localhost : DNS",
        line("matching Localhost rule : direct connection", target="localhost:50051 (IPv6)"),
        line("open directly", target="localhost:50051 (IPv6)"),
        line("matching Default rule :  using proxy 70.10.15.10:8080 HTTPS"),
        line("open through proxy socks.example:1080 SOCKS5"),
        "[10.30 16:49:06] Welcome to Proxifier",
        line(
            "close, 932 bytes sent, 1468 bytes (1.43 KB) received, lifetime 03:01",
            target="localhost:50051 (IPv6)",
        ),
    ]
    out = parse(PROXIFIER, lines, ParseContext(year=2025))
    assert out["source_line"].to_list() == [7]
    assert (out["host_raw"][0], out["bytes_in"][0]) == ("localhost:50051", 1468)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(line("reconnecting through proxy p:8080 HTTPS"), id="unknown-message"),
        pytest.param(line("matching Odd rule : teleport"), id="unknown-rule-action"),
        pytest.param(
            line("close, some bytes sent, 2 bytes received, lifetime 00:01"), id="bytes-not-numbers"
        ),
        pytest.param(line(CLOSE, "13.45 10:00:00"), id="no-such-date"),
        pytest.param("Proxifier log continues in another file", id="no-time"),
        pytest.param("10.30 16:49:06 chrome.exe - chatgpt.com:443 " + CLOSE, id="unbracketed-time"),
    ],
)
def test_bad_lines_are_rejected_not_fatal(text):
    assert parse(PROXIFIER, [text], ParseContext(year=2025))["ok"].to_list() == [False]


def test_keeps_to_its_own_lines_both_ways():
    assert detect(list(PROXIFIER.samples)).fmt is PROXIFIER
    for name, fmt in FORMATS.items():
        if name != "proxifier":
            assert detect(list(fmt.samples)).fmt is fmt, name
            samples = list(fmt.samples)
            assert not (PROXIFIER.signature(samples) and parse(PROXIFIER, samples)["ok"].any())


@pytest.mark.parametrize(
    ("scenario", "counts", "rejected"),
    [
        ("basic", (14, 9, 0, 5), []),  # five `open` lines skipped
        ("verbose", (11, 4, 0, 7), []),  # resolve, rule-match and `open` lines skipped
        # bytes not numbers, an unknown message, month 13, a line without Proxifier's time
        ("rejected_lines", (11, 5, 4, 2), ["line 4", "line 5", "line 6", "line 7"]),
    ],
)
def test_fixture_lines_are_all_accounted_for(scenario, counts, rejected):
    path = FIXTURES / "proxifier" / f"{scenario}.log"
    result, _ = parse_file(path, log_format="proxifier", year=2026)
    assert (result.lines, result.events, result.rejected, result.skipped) == counts
    assert [s.split(":")[0] for s in result.samples] == rejected


# --- real logs from other projects --------------------------------------------------------

#: loghub's template ids → what the line is: E1/E2 `open through proxy` (skipped, its
#: `close` is the event), E8 `close` (allowed), E5 a proxy's refusal (403 blocked, 503
#: unknown), E3/E4/E6/E7 connections that failed (unknown).
OUTCOME = {"E8": "allowed", "E3": "unknown", "E4": "unknown",
           "E6": "unknown", "E7": "unknown"}  # fmt: skip


def test_loghub_file_every_line_is_an_event_or_a_deliberate_skip():
    path = peer("proxifier/loghub__Proxifier_2k.log")
    lines = peer_frame(path)
    assert detect(lines["line"].head(100).to_list()).fmt is PROXIFIER
    out = PROXIFIER.parse(lines, ParseContext(year=2015))
    assert (lines.height, out.height, out["ok"].sum()) == (2000, 1044, 1044)  # none rejected
    rows = {r["source_line"]: r for r in out.iter_rows(named=True)}
    with open(path.with_name(path.name + "_structured.csv"), encoding="utf-8") as f:
        for want in csv.DictReader(f):
            row = rows.get(int(want["LineId"]))
            if want["EventId"] in ("E1", "E2"):
                assert row is None, want
                continue
            code = re.search(r"status code (\d+)", want["Content"])
            action = OUTCOME.get(want["EventId"]) or ("blocked" if code[1] == "403" else "unknown")
            assert row["action"] == action, want
            assert row["host_raw"] == want["Content"].split(" ")[0]
            assert row["ts"].strftime("%m.%d %H:%M:%S") == want["Time"]
            if want["EventId"] == "E8":
                sent, received = re.findall(r"(\d+) bytes", want["Content"])
                assert (row["bytes_out"], row["bytes_in"]) == (int(sent), int(received))
