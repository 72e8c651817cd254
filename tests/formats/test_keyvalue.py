"""Blue Coat ProxySG key=value and Skyhigh Web Gateway logs, plus the shared key=value helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.enrich.identity import user_expr
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.keyvalue import (
    epoch_any,
    kv,
    mark_keys,
    strip_syslog,
    unquote,
    verdict,
)
from shadowscan.ingest.detect import MIN_SCORE, detect, trial
from shadowscan.ingest.reader import head_lines
from shadowscan.pipeline import parse_file
from shadowscan.schema import EVENT_SCHEMA, STORE_SCHEMA

PEER = Path(__file__).parents[3] / "shared" / "peer-logs"
BLUECOAT, SKYHIGH = FORMATS["bluecoat-kv"], FORMATS["skyhigh"]
MINE = (
    FORMATS["w3c"],
    FORMATS["cef"],
    FORMATS["leef"],
    FORMATS["panos"],
    FORMATS["fortigate"],
    BLUECOAT,
    SKYHIGH,
    FORMATS["cisco-wsa"],
)
#: The recommended order: Zeek, then these, most specific first, and Squid last.
REGISTRY = FORMATS


def frame(lines: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_line": range(1, len(lines) + 1), "line": lines},
        schema={"source_line": pl.Int64, "line": pl.String},
    )


def parse(fmt, lines: list[str], ctx: ParseContext | None = None) -> pl.DataFrame:
    return fmt.parse(frame(lines), ctx or ParseContext())


def user(raw: str | None) -> str | None:
    return pl.select(user_expr(pl.lit(raw, pl.String))).item()


# --- samples, signatures, schema, cross-checks ---------------------------------------------


@pytest.mark.parametrize("fmt", [BLUECOAT, SKYHIGH], ids=lambda f: f.name)
def test_samples_are_a_parseable_file_head_and_detect_as_their_format(fmt):
    out = parse(fmt, list(fmt.samples))
    assert out.height == len(fmt.samples)
    assert out["ok"].all()
    assert detect(list(fmt.samples), formats=REGISTRY).fmt is fmt


@pytest.mark.parametrize("fmt", [BLUECOAT, SKYHIGH], ids=lambda f: f.name)
def test_output_columns_have_the_event_schema_dtypes(fmt):
    expected = {**EVENT_SCHEMA, "host_raw": pl.String, "ok": pl.Boolean}
    out = parse(fmt, [*fmt.samples, "garbage"])
    assert {name: expected[name] for name in out.columns} == dict(out.schema)
    assert out["ok"].to_list()[-1] is False


OTHERS = [(f, o) for f in (BLUECOAT, SKYHIGH) for o in REGISTRY.values() if o is not f]


@pytest.mark.parametrize(("fmt", "other"), OTHERS, ids=[f"{f.name}-{o.name}" for f, o in OTHERS])
def test_no_other_format_reads_the_samples_and_these_read_no_others(fmt, other):
    ours, theirs = list(fmt.samples), list(other.samples)
    assert not (other.signature(ours) and trial(other, ours)[0] >= MIN_SCORE)
    assert not (fmt.signature(theirs) and trial(fmt, theirs)[0] >= MIN_SCORE)


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
    r = parse(BLUECOAT, [BLUECOAT.samples[0]]).row(0, named=True)
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


def peer(rel: str) -> Path:
    if not PEER.is_dir():
        pytest.skip(f"{PEER} is absent")
    return PEER / rel


def peer_frame(path: Path) -> pl.DataFrame:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return frame(lines).filter(pl.col("line").str.strip_chars() != "")


def expected_of(path: Path) -> list[dict]:
    return json.loads(path.with_name(path.name + "-expected.json").read_text())["expected"]


def dig(doc: dict, dotted: str):
    for key in dotted.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def assert_matches_expected(out: pl.DataFrame, path: Path) -> int:
    """Host, client and user of every accepted row against the peer's expected output."""
    expected, checked = expected_of(path), 0
    for r in out.filter("ok").iter_rows(named=True):
        doc = expected[r["source_line"] - 1]
        host = next(
            (h for k in ("url.domain", "dns.question.name", "destination.domain")
             if (h := dig(doc, k)) is not None), None,
        )  # fmt: skip
        if host is not None:
            assert normalise_host(r["host_raw"]) == normalise_host(host), r["source_line"]
            checked += 1
        if (ip := dig(doc, "source.ip")) is not None:
            assert r["client_ip"] == ip, r["source_line"]
        if (name := dig(doc, "user.name")) is not None:
            assert user(r["user_raw"]) == user(name), r["source_line"]
    return checked


def test_peer_skyhigh_every_line_matches_the_expected():
    path = peer("other-swg/sekoia__skyhigh-swg.log")
    lines = peer_frame(path)
    assert SKYHIGH.signature(lines["line"].to_list())
    out = SKYHIGH.parse(lines, ParseContext())
    assert out["ok"].all() and out.height == lines.height == 8
    assert assert_matches_expected(out, path) == 7  # line 3 is `CONNECT :80` with no host
    assert out["action"].to_list() == ["blocked"] * 3 + ["allowed"] * 4 + ["blocked"]


def test_peer_bluecoat_edge_swg_matches_the_expected():
    path = peer("w3c-elff/sekoia__broadcom-edge-swg.log")
    lines = peer_frame(path)
    assert detect(lines["line"].to_list(), formats=REGISTRY).fmt is BLUECOAT
    out = BLUECOAT.parse(lines, ParseContext())
    assert out["ok"].all() and out.height == 2
    assert assert_matches_expected(out, path) == 2
    # the time is glued to the relay's host name (`2025-07-11T12:45:10TEST-…`)
    assert out["ts"].to_list() == [
        datetime(2025, 7, 11, 12, 45, 10, tzinfo=UTC), datetime(2024, 1, 12, 9, 46, 2, tzinfo=UTC),
    ]  # fmt: skip
    assert out["action"].to_list() == ["blocked", "allowed"]


# --- our fixtures through the pipeline ----------------------------------------------------

FIXTURES = Path(__file__).parents[2] / "fixtures"
CASES = [
    (f, case) for f in [BLUECOAT, SKYHIGH] for case in sorted((FIXTURES / f.name).glob("*.log"))
]


@pytest.mark.parametrize(("fmt", "case"), CASES, ids=[f"{f.name}/{c.stem}" for f, c in CASES])
def test_fixture_parses_through_the_pipeline_and_detects_as_its_folder(fmt, case, monkeypatch):
    monkeypatch.setitem(FORMATS, fmt.name, fmt)  # as once registered
    result, events = parse_file(case, log_format=fmt.name)
    assert events.schema == STORE_SCHEMA
    assert result.events + result.rejected + result.skipped == result.lines
    assert result.events == events.height > 0
    assert detect(head_lines(case), formats=REGISTRY).fmt is fmt
