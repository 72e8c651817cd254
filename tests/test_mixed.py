"""Files whose lines come in several formats, as a syslog server writes them.

Proven here: detection builds a mixture only when two formats each claim a real
share of the lines, never for a few stray lines; each line is read by the first
format that accepts it and labelled with that format; a line every format
rejects is rejected, one a format passes over as its own non-event is skipped;
each format keeps its own state across chunks; the real SEKOIA FortiGate file
(key=value and CEF) is read line by line; and arbitrary lines never break it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.cli.main import cli
from shadowscan.formats import FORMATS, LogFormat, ParseContext
from shadowscan.formats.mixed import MixedFormat
from shadowscan.ingest.detect import detect
from shadowscan.pipeline import parse_file
from shadowscan.store.delta import EventStore
from tests.formats.common import frame, peer, peer_frame

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mixed" / "syslog-server.log"
SQUID, CEF = FORMATS["squid"].samples, FORMATS["cef"].samples


def test_a_syslog_servers_file_is_read_line_by_line_by_its_formats():
    result, events = parse_file(FIXTURE, year=2026)
    assert result.fmt == "cef+fortigate"
    got = events.sort("source_line").select(
        "source_line", "source_format", "identity", "host", "bytes_out", "action"
    )
    assert got.rows() == [
        (1, "fortigate", "alice", "chatgpt.com", 2311, "allowed"),
        (2, "cef", "bob", "claude.ai", 1804, "allowed"),
        (4, "fortigate", "10.0.0.9", "gemini.google.com", None, "allowed"),
        (7, "cef", "carol", "chat.deepseek.com", 512, "blocked"),
        (8, "fortigate", "dave", "chatgpt.com", 48211, "allowed"),
        (9, "cef", "alice", "www.perplexity.ai", 930, "allowed"),
    ]
    # A FortiGate admin login and a CEF authentication record are no web events:
    # skipped, as each format alone skips them. Foreign text and a cut line are rejected.
    assert (result.lines, result.skipped, result.rejected) == (10, 2, 2)
    assert [s.split(":")[0] for s in result.samples] == ["line 6", "line 10"]


def test_a_few_stray_lines_do_not_make_a_file_mixed():
    squid = [SQUID[i % 3] for i in range(40)]
    assert detect(squid + list(CEF[:2])).fmt.name == "squid"
    mixed = detect(squid + list(CEF) * 2)  # 6 of 46 lines: a real share
    assert mixed.fmt.name == "cef+squid" and mixed.score == 1.0


class _PassesOverGarbage(LogFormat):
    """Reads nothing, rejects the Squid lines and passes over the garbage as if it
    were its own non-events (as the Windows DNS debug log passes over lines)."""

    name, title, samples = "passes-over", "test format", ()

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        squid = chunk.filter(~pl.col("line").str.starts_with("garbage"))
        return squid.select("source_line", pl.lit(False).alias("ok"))


def test_a_format_that_reads_nothing_cannot_hide_bad_lines_in_a_mixture():
    squid = [SQUID[i % 3] for i in range(40)]
    garbage = [f"garbage {i}" for i in range(10)]
    formats = {"passes-over": _PassesOverGarbage(), "squid": FORMATS["squid"]}
    detection = detect(squid + garbage, formats)
    assert detection.fmt.name == "squid" and detection.score == 0.8


def test_each_format_keeps_its_own_state_across_chunks():
    w3c = "#Fields: date time c-ip cs-username cs-host cs-method cs-uri-path sc-status"
    mixed = MixedFormat([FORMATS["w3c"], FORMATS["squid"]])
    ctx = ParseContext(year=2026)
    first = [w3c, "2026-11-23 08:00:00 10.0.0.5 alice chatgpt.com POST /api 200", SQUID[0]]
    second = ["2026-11-23 08:00:01 10.0.0.7 bob claude.ai GET / 200", SQUID[1]]
    one = mixed.parse(frame(first), ctx)
    two = mixed.parse(frame(second, first=4), ctx)
    assert one.filter("ok").select("source_format", "host_raw").rows() == [
        ("w3c", "chatgpt.com"),
        ("squid", "chatgpt.com:443"),
    ]
    assert two.filter("ok").select("source_format", "host_raw").rows() == [
        ("w3c", "claude.ai"),
        ("squid", "claude.ai"),
    ]
    # Without the first chunk's #Fields, no format reads the W3C record.
    fresh = mixed.parse(frame(second, first=4), ParseContext(year=2026))
    assert fresh.filter("ok")["source_format"].to_list() == ["squid"]


def test_the_real_fortigate_file_mixing_key_value_and_cef():
    path = peer("fortigate/sekoia__fortigate.log")
    lines = peer_frame(path)
    mixed = MixedFormat([FORMATS["cef"], FORMATS["fortigate"]])
    out = mixed.parse(lines, ParseContext())
    read = out.filter("ok")
    alone = {
        name: FORMATS[name].parse(lines, ParseContext()).filter("ok")
        for name in ("cef", "fortigate")
    }
    # Every line either format reads alone is read, by that format, with the same host.
    for name, rows in alone.items():
        mine = read.filter(pl.col("source_format") == name)
        assert (
            mine.select("source_line", "host_raw").rows()
            == rows.select("source_line", "host_raw").rows()
        )
    assert read.height == sum(rows.height for rows in alone.values()) > 0


def test_a_mixture_can_be_named_when_detection_cannot_see_it(tmp_path):
    # The first 50 lines' CEF records are all of types CEF skips: detection leaves
    # the file alone (see test_peer_detection); named, every line is accounted for.
    path = peer("panos/sekoia__paloalto-ngfw.log")
    store = tmp_path / "store"
    args = ["ingest", "--store", str(store), "--log-format", "panos-json,cef,panos", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    run = EventStore(store).runs().collect().row(0, named=True)
    assert run["source_format"] == "panos-json+cef+panos"
    assert (run["lines"], run["rejected"]) == (101, 0) and run["events"] > 0
    formats = EventStore(store).events().collect()["source_format"].unique().sort()
    assert formats.to_list() == ["cef", "panos", "panos-json"]


def test_an_unknown_format_name_is_one_sentence(tmp_path):
    args = ["ingest", "--store", str(tmp_path), "--log-format", "squid,nope", str(FIXTURE)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "'nope' is not a format shadowscan reads" in result.output
    assert "Traceback" not in result.output


def test_ingest_stores_each_events_own_format(tmp_path):
    store = tmp_path / "store"
    result = CliRunner().invoke(
        cli, ["ingest", "--store", str(store), "--year", "2026", str(FIXTURE)]
    )
    assert result.exit_code == 0, result.output
    assert EventStore(store).runs().collect()["source_format"].to_list() == ["cef+fortigate"]
    stored = EventStore(store).events().collect()
    assert sorted(stored["source_format"].unique()) == ["cef", "fortigate"]
    assert stored.height == 6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from([*SQUID, *CEF, *FORMATS["fortigate"].samples]),
            st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=120),
        ).filter(lambda s: s.strip() != ""),
        min_size=1,
        max_size=15,
    )
)
def test_every_line_is_returned_at_most_once(lines):
    mixed = MixedFormat([FORMATS["cef"], FORMATS["fortigate"], FORMATS["squid"]])
    out = mixed.parse(frame(lines), ParseContext(year=2026))
    returned = out["source_line"].to_list()
    assert len(returned) == len(set(returned)) <= len(lines)
    assert out["ok"].dtype == pl.Boolean
    labelled = out.filter("ok")["source_format"]
    assert labelled.is_in(["cef", "fortigate", "squid"]).all()
