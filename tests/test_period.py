"""Report periods that cannot mislead: cron's `--since 7d` on an old archive, odd lone events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from shadowscan.analyse.period import choose_period, default_end
from shadowscan.cli.main import cli
from shadowscan.errors import UsageError

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
DAY0 = datetime(2026, 3, 2, tzinfo=UTC)


def _days(counts: dict[date, int]) -> pl.DataFrame:
    rows = [
        (day, n, datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=17))
        for day, n in sorted(counts.items())
    ]
    return pl.DataFrame(rows, schema=["day", "events", "last"], orient="row")


def test_since_alone_runs_up_to_now_and_until_alone_covers_30_days_before_it():
    busy = _days({date(2026, 3, 2): 500})
    assert choose_period(busy, "7d", None, NOW).end == NOW
    assert choose_period(busy, "7d", None, NOW).start == NOW - timedelta(days=7)
    period = choose_period(busy, None, "2026-06-01", NOW)
    assert (period.start, period.end) == (datetime(2026, 5, 2, tzinfo=UTC), period.end)


def test_a_contradictory_period_is_one_error_naming_both_ends():
    with pytest.raises(UsageError) as caught:
        choose_period(_days({}), "2026-12-01", "2026-11-01", NOW)
    assert "2026-12-01" in caught.value.message and "2026-11-01" in caught.value.message


def test_the_default_period_ends_at_the_newest_busy_day_not_at_a_lone_odd_event():
    counts = {date(2026, 3, 2) + timedelta(days=i): 400 for i in range(20)}
    counts[date(2026, 11, 30)] = 1  # a year-less syslog line guessed into the wrong month
    end = default_end(_days(counts))
    assert end.date() == date(2026, 3, 21)


def test_a_quiet_day_just_after_a_busy_one_still_ends_the_period():
    counts = {date(2026, 3, 1): 5000, date(2026, 3, 2): 3}  # rotated at 00:15
    assert default_end(_days(counts)).date() == date(2026, 3, 2)


def test_a_small_store_ends_at_its_newest_event():
    counts = {date(2026, 3, 1): 5, date(2026, 9, 1): 1}
    assert default_end(_days(counts)).date() == date(2026, 9, 1)
    assert default_end(_days({})) is None


def _squid(ts: datetime, user: str, host: str) -> str:
    return (
        f"{ts.timestamp():.3f}    120 10.1.0.9 TCP_TUNNEL/200 900 CONNECT {host}:443 {user} "
        "HIER_DIRECT/203.0.113.5 -"
    )


@pytest.fixture(scope="module")
def old_store(tmp_path_factory) -> Path:
    """Twenty busy days in March, AI use on each, and one stray line in November."""
    root = tmp_path_factory.mktemp("old")
    lines = [
        _squid(DAY0 + timedelta(days=d, minutes=m), f"u{m % 7}", f"site{m % 40}.example")
        for d in range(20)
        for m in range(200)
    ]
    lines += [_squid(DAY0 + timedelta(days=d, hours=9), "alice", "claude.ai") for d in range(20)]
    lines.append(_squid(datetime(2026, 11, 30, 3, tzinfo=UTC), "bob", "www.example.org"))
    (root / "access.log").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["ingest", "-q", "--store", str(root / "s"), str(root)])
    assert result.exit_code == 0, result.output
    return root / "s"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_since_7d_on_an_old_archive_is_an_empty_report_that_says_where_the_events_are(old_store):
    result = _run("report", "--store", old_store, "--since", "2d", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["totals"]["events_in_period"] == 0
    assert any("No events in this period; the store holds events from 2026-03-02" in n
               for n in doc["notes"])  # fmt: skip
    assert doc["ai_use_outside_period"]["events_before"] == 20


def test_fail_on_no_data_lets_cron_alert_on_a_dead_feed_even_when_quiet(old_store):
    result = _run("report", "--store", old_store, "--since", "2d", "--fail-on", "no-data", "-q")
    assert result.exit_code == 3
    assert "no-data" in result.stderr
    busy = _run("report", "--store", old_store, "--since", "2026-03-01", "--fail-on", "no-data")
    assert busy.exit_code == 0


def test_the_default_period_finds_the_ai_use_despite_a_stray_late_line(old_store):
    doc = json.loads(_run("report", "--store", old_store, "--format", "json").stdout)
    assert doc["period"]["end"].startswith("2026-03-21")
    assert doc["headline"]["ai_users"] == 1
    assert doc["ai_use_outside_period"] == {
        "events_before": 0, "events_after": 0, "first": None, "last": None
    }  # fmt: skip


def test_ai_use_outside_the_period_is_always_mentioned(old_store):
    result = _run("report", "--store", old_store, "--since", "2026-03-10", "--until", "2026-03-11")
    assert result.exit_code == 0
    assert "AI use outside this period: 8 before it and 11 after it" in " ".join(
        result.stdout.split()
    )


def test_export_takes_the_report_default_period(old_store):
    rows = _run("export", "--store", old_store, "--format", "jsonl").stdout.splitlines()
    assert len(rows) == 20
    assert _run("export", "--store", old_store, "--format", "jsonl", "--since", "2d").stdout == ""
