"""Blue Coat ProxySG key=value and Skyhigh Web Gateway logs, plus the shared key=value helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.fields import epoch_any, kv, mark_keys, unquote, verdict
from shadowscan.formats.keyvalue import strip_syslog
from shadowscan.ingest.detect import detect
from tests.formats.common import (
    check_expected,
    check_samples_with_garbage,
    frame,
    parse,
    peer,
    peer_frame,
)

BLUECOAT, SKYHIGH = FORMATS["bluecoat-kv"], FORMATS["skyhigh"]


@pytest.mark.parametrize("fmt", [BLUECOAT, SKYHIGH], ids=lambda f: f.name)
def test_output_columns_have_the_event_schema_dtypes(fmt):
    check_samples_with_garbage(fmt)


# --- shared helpers ----------------------------------------------------------------------


def test_marked_values_run_to_the_next_key_and_lose_their_quotes():
    line = 'a=1 b="x y" c=Business, Software/Hardware  d= e=-  f=""v""'
    marked = mark_keys(pl.lit(line))
    got = pl.select(unquote(kv(marked, k)).alias(k) for k in "abcdef").row(0)
    assert got == ("1", "x y", "Business, Software/Hardware", None, None, "v")
    assert pl.select(kv(marked, "B", ignore_case=True)).item() == '"x y"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1764583200", datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ("1764583200123", datetime(2025, 12, 1, 10, 0, 0, 123000, tzinfo=UTC)),
        ("1764583200123456", datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("1764583200123456789", datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ('"1764583200"', datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ("1764583200.5", datetime(2025, 12, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("soon", None),
    ],
)
def test_epoch_any_tells_the_unit_by_magnitude(text, expected):
    assert pl.select(epoch_any(pl.lit(text))).item() == expected


@pytest.mark.parametrize(
    ("word", "action"),
    [("passthrough", "allowed"), ("accept", "allowed"), ("reset-both", "blocked"),
     ("Drop", "blocked"), ("block-url", "blocked"), ("deny", "blocked"), ("close", "allowed"),
     ("client-rst", "allowed"), ("Redirect", "unknown"), ("", "unknown")],
)  # fmt: skip
def test_verdict_words(word, action):
    assert pl.select(verdict(pl.lit(word))).item() == action


def test_strip_syslog_also_takes_headers_without_a_program_tag():
    lines = ["<14>Sep 16 10:00:02 PA-1 1,2019/09/16", "<134>Dec  1 10:00:00 wcg1 CEF:0|x", "plain"]
    out = strip_syslog(frame(lines))
    assert out["msg"].to_list() == ["1,2019/09/16", "CEF:0|x", "plain"]
    assert out["syslog_time"].to_list() == ["Sep 16 10:00:02", "Dec  1 10:00:00", None]


# --- Blue Coat ---------------------------------------------------------------------------


def test_bluecoat_fields():
    out = parse(BLUECOAT, list(BLUECOAT.samples))
    assert out.height == len(BLUECOAT.samples)
    r = out.row(0, named=True)
    assert r["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (r["client_ip"], r["user_raw"], r["host_raw"], r["port"]) == (
        "10.0.0.5", "alice", "chatgpt.com", 443,
    )  # fmt: skip
    assert (r["method"], r["url_path"], r["status"], r["action"]) == (
        "POST", "/backend-api/conversation", 200, "allowed",
    )  # fmt: skip
    assert (r["bytes_out"], r["bytes_in"], r["user_agent"]) == (
        2311, 5120, "Mozilla/5.0 (X11; Linux x86_64)",
    )  # fmt: skip


def test_bluecoat_time_from_keys_in_the_given_zone_ipv6_and_crlf():
    line = (
        "date=2025-07-01 time=12:00:00 c-ip=2001:db8::7 cs-host=claude.ai cs-method=GET "
        "cs-uri-path=/new cs-uri-query=?x=1 sc-status=200 sc-filter-result=PROXIED "
        'cs-username="-"\r'
    )
    r = parse(BLUECOAT, [line], ParseContext(timezone="Europe/Paris")).row(0, named=True)
    assert r["ts"] == datetime(2025, 7, 1, 10, tzinfo=UTC)
    assert (r["client_ip"], r["user_raw"], r["url_path"], r["action"]) == (
        "2001:db8::7", None, "/new?x=1", "allowed",
    )  # fmt: skip


def test_bluecoat_lines_without_time_or_client_are_rejected():
    out = parse(BLUECOAT, ["cs-host=chatgpt.com c-ip=10.0.0.1", "garbage", *BLUECOAT.samples[:1]])
    assert out["ok"].to_list() == [False, False, True]


# --- Skyhigh -----------------------------------------------------------------------------


def test_skyhigh_both_layouts():
    out = parse(SKYHIGH, list(SKYHIGH.samples))
    first, second = out.rows(named=True)
    assert first["ts"] == datetime(2025, 12, 1, 10, 0, 0, 120000, tzinfo=UTC)
    assert (first["method"], first["url_path"], first["action"]) == (
        "POST", "/backend-api/conversation", "allowed",
    )  # fmt: skip
    assert (second["client_ip"], second["host_raw"], second["method"], second["action"]) == (
        "10.0.0.9", "claude.ai", "CONNECT", "blocked",
    )  # fmt: skip
    assert (second["url_path"], second["user_agent"]) == (
        None, "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    )  # fmt: skip


def test_skyhigh_syslog_wrapped():
    out = parse(SKYHIGH, ["<14>Dec  1 10:00:00 mwg1 mwg: " + SKYHIGH.samples[0]])
    assert out.select("host_raw", "ok").row(0) == ("chatgpt.com", True)


# --- real logs from other projects --------------------------------------------------------


PEER_FILES = [
    # line 3 of Skyhigh's is `CONNECT :80`, with no host to compare
    (SKYHIGH, "other-swg/sekoia__skyhigh-swg.log", 8, 7,
     ["blocked"] * 3 + ["allowed"] * 4 + ["blocked"]),
    (BLUECOAT, "w3c-elff/sekoia__broadcom-edge-swg.log", 2, 2, ["blocked", "allowed"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "rel", "height", "hosts", "actions"), PEER_FILES, ids=[f.name for f, *_ in PEER_FILES]
)
def test_peer_file_is_detected_and_every_line_matches_the_expected(
    fmt, rel, height, hosts, actions
):
    path = peer(rel)
    lines = peer_frame(path)
    assert detect(lines["line"].to_list()).fmt is fmt
    out = fmt.parse(lines, ParseContext())
    assert out["ok"].all() and out.height == lines.height == height
    assert check_expected(out, path) == hosts
    assert out["action"].to_list() == actions


def test_peer_bluecoat_time_glued_to_the_relay_host_name():
    out = BLUECOAT.parse(peer_frame(peer("w3c-elff/sekoia__broadcom-edge-swg.log")), ParseContext())
    # the time is glued to the relay's host name (`2025-07-11T12:45:10TEST-…`)
    assert out["ts"].to_list() == [
        datetime(2025, 7, 11, 12, 45, 10, tzinfo=UTC), datetime(2024, 1, 12, 9, 46, 2, tzinfo=UTC),
    ]  # fmt: skip
