"""The dashboard: keys under Textual's headless pilot, numbers equal `report --format json`."""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from textual.widgets import Input

import shadowscan.dashboard.source as source_module
from shadowscan.cli.common import catalogue_and_policy, open_store
from shadowscan.cli.main import cli
from shadowscan.dashboard.app import Dashboard, parse_range
from shadowscan.dashboard.screens import HelpScreen, PromptScreen, TableScreen
from shadowscan.dashboard.source import DashboardSource, Ingest, TimeRange
from shadowscan.pipeline import ingest
from shadowscan.report.pseudonym import PREFIX
from shadowscan.store.delta import EventStore
from tests.conftest import ORG

CONFIG = ORG / "shadowscan.toml"
SIZES = [(80, 24), (120, 40)]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@functools.cache  # the same report for both sizes: one CLI run
def report_json(store: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["report", "--store", str(store), "--config", str(CONFIG), "--format", "json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@functools.cache  # reading 250 rule files takes a while on a busy machine
def rules_and_policy(config: Path | None):
    return catalogue_and_policy(config, ())


def make_app(store: Path, span: TimeRange | None = None, config: Path | None = CONFIG) -> Dashboard:
    catalogue, policy = rules_and_policy(config)
    source = DashboardSource(open_store(store), catalogue, policy)
    return Dashboard(
        source,
        refresh=3600,
        span=span or TimeRange("default"),
        ingest=lambda: Ingest(),
        clock=lambda: NOW,
    )


async def loaded(app: Dashboard, pilot, loads: int = 1) -> None:
    for _ in range(400):
        if app.loads >= loads:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the report did not load")


async def screen_is(app: Dashboard, pilot, kind: type, level: str | None = None) -> None:
    for _ in range(400):
        if isinstance(app.screen, kind) and getattr(app.screen, "level", level) == level:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"no {kind.__name__} {level or ''} screen")


async def answer(pilot, key: str, text: str) -> None:
    """Press `key`, which opens a prompt, fill it with `text` (typing each key is slow), Enter."""
    await pilot.press(key)
    for _ in range(200):
        if isinstance(pilot.app.screen, PromptScreen):
            break
        await pilot.pause(0.01)
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")


def screen_text(app: Dashboard) -> str:
    """What the screen shows, as text: the SVG screenshot's text runs, in order."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(runs)).replace("\xa0", " ")


def table_rows(app: Dashboard, table_id: str = "#services") -> dict[str, list[str]]:
    table = app.screen.query_one(table_id)
    return {row.key.value: [str(c) for c in table.get_row(row.key)] for row in table.ordered_rows}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_numbers_equal_the_json_report_then_sort_filter_pause_quit(org_store, size):
    expected = report_json(org_store)

    async def main():
        app = make_app(org_store)
        async with app.run_test(size=size) as pilot:
            await loaded(app, pilot)
            rows = table_rows(app)
            assert list(rows) == [s["service_id"] for s in expected["services"]]
            for service in expected["services"]:
                cells = rows[service["service_id"]]
                for column in ("users", "shadow_users", "events"):
                    assert f"{service[column]:,}" in cells
            text = screen_text(app)
            h = expected["headline"]
            assert f"{h['ai_users']} ({h['ai_users_pct']}% of people)" in text
            assert f"{h['shadow_users']} ({h['shadow_users_pct']}%)" in text
            assert f"Unused seats {h['unused_seats']}" in text
            await pilot.press("s")
            assert app.view.sort_label == "shadow users"
            ordered = app.report.services.sort(
                ["shadow_users", "users", "service_id"], descending=[True, True, False]
            )["service_id"].to_list()
            assert list(table_rows(app)) == ordered
            await answer(pilot, "slash", "claude")
            await pilot.pause()
            assert list(table_rows(app)) == ["claude"]
            assert "filter: claude" in screen_text(app)
            await answer(pilot, "slash", "")  # an empty filter shows all again
            await pilot.pause()
            assert len(table_rows(app)) == len(ordered)
            await pilot.press("p")
            loads = app.loads
            app.refresh_report()
            await pilot.pause(0.2)
            assert app.loads == loads and "PAUSED" in screen_text(app)
            await pilot.press("question_mark")
            await screen_is(app, pilot, HelpScreen)
            await pilot.press("x")
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(main())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_time_range_drill_down_and_back(org_store, size):
    since, until = "2026-11-01", "2026-11-30T23:59:59Z"  # holds non-use events too
    expected = report_json(org_store, "--since", since, "--until", until)
    chatgpt = next(s for s in expected["services"] if s["service_id"] == "chatgpt")

    async def main():
        app = make_app(org_store)
        async with app.run_test(size=size) as pilot:
            await loaded(app, pilot)
            await answer(pilot, "t", f"{since}..{until}")
            await loaded(app, pilot, 2)
            assert app.report.period.start.isoformat().startswith(since)
            cells = table_rows(app)["chatgpt"]
            assert f"{chatgpt['users']:,}" in cells and f"{chatgpt['events']:,}" in cells
            assert app.selected_service() == expected["services"][0]["service_id"]
            while app.selected_service() != "chatgpt":
                await pilot.press("down")
            await pilot.press("enter")
            await screen_is(app, pilot, TableScreen, "identities")
            people = app.screen.frame
            assert (people["use_events"] > 0).sum() == chatgpt["users"]
            assert people["events"].sum() == chatgpt["events"]
            first = people["identity"][0]
            await pilot.press("enter")
            await screen_is(app, pilot, TableScreen, "evidence")
            evidence = app.screen.frame
            assert evidence.height == people["events"][0]
            assert evidence.columns == ["ts", "where", "host", "rule", "classification", "reason"]
            assert "evidence of " + first in screen_text(app)
            await pilot.press("escape")
            await screen_is(app, pilot, TableScreen, "identities")
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, TableScreen)
            assert app.selected_service() == "chatgpt"  # the selection survived the trip

    asyncio.run(main())


def test_export_writes_the_view_and_refuses_the_store(org_store, tmp_path):
    async def main():
        app = make_app(org_store)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(app, pilot)
            await answer(pilot, "slash", "chat")
            for target in (tmp_path / "view.json", tmp_path / "view.csv", org_store / "x.csv"):
                await answer(pilot, "e", str(target))
                await pilot.pause()
            return app.report

    report = asyncio.run(main())
    doc = json.loads((tmp_path / "view.json").read_text())
    chat = report.services.filter(pl.col("category") == "chat")
    assert [s["service_id"] for s in doc["services"]] == chat["service_id"].to_list()
    assert set(doc) >= {"headline", "categories", "shadow_identities", "seats"}
    csv = pl.read_csv(tmp_path / "view.csv")
    assert csv["users"].to_list() == chat["users"].to_list()
    assert not (org_store / "x.csv").exists()


#: Identities are canonicalised (lower case, no spaces) at ingest; the rest must stay literal.
HOSTILE_USER = "[bold red]mallory\x1b[2J\u202eevil\x07"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    logs = root / "logs"
    logs.mkdir()
    name = "[link=x]a\x1b]8;;evil\x07b.log"
    user = HOSTILE_USER.replace(" ", "")
    (logs / name).write_text(
        f"1795000000.000 100 10.0.0.1 TCP_TUNNEL/200 1000 CONNECT chatgpt.com:443 {user} "
        "HIER_DIRECT/chatgpt.com -\n"
    )
    result = CliRunner().invoke(cli, ["ingest", "-q", "--store", str(root / "s"), str(logs)])
    assert result.exit_code == 0, result.output
    return root / "s"


def test_hostile_identities_and_files_stay_literal(hostile_store):
    async def main():
        app = make_app(hostile_store, config=None)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(app, pilot)
            await pilot.press("enter")
            await screen_is(app, pilot, TableScreen, "identities")
            identities = screen_text(app)
            await pilot.press("enter")
            await screen_is(app, pilot, TableScreen, "evidence")
            return identities, screen_text(app)

    for text in asyncio.run(main()):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "[bold" in text and "\\x1b[2j" in text and "\\x202e" in text
    assert "[link=x]a\\x1b]8;;evil\\x07b.log" in text


def test_once_prints_one_frame_at_the_given_size(org_store):
    expected = report_json(org_store)
    args = ["dashboard", "--store", str(org_store), "--config", str(CONFIG), "--once"]
    result = CliRunner().invoke(cli, [*args, "--width", "80", "--height", "30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 30 and max(len(line) for line in lines) <= 80
    assert "\x1b" not in result.output  # not a terminal: no colour codes
    h = expected["headline"]
    assert f"{h['ai_users']} ({h['ai_users_pct']}% of people)" in result.output
    wide = CliRunner().invoke(cli, [*args, "--width", "160"]).output
    assert h["sentence"] in " ".join(wide.replace("│", " ").split())


def test_pseudonymized_source_hides_identities_in_panels_and_drill_down(org_store):
    catalogue, policy = rules_and_policy(CONFIG)
    source = DashboardSource(open_store(org_store), catalogue, policy, key=b"k" * 32)
    span = TimeRange("default")
    report = source.report(span)
    assert report.shadow_identities["identity"].str.starts_with(PREFIX).all()
    events = source.service_events(span, "chatgpt")
    assert events.height and events["identity"].str.starts_with(PREFIX).all()
    assert not events["user"].drop_nulls().str.contains("alice").any()


def test_refresh_shows_what_an_ingest_added_and_keeps_the_selection(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    line = (
        "{ts}.000 100 10.0.0.{n} TCP_TUNNEL/200 1000 CONNECT {host}:443 user{n} "
        "HIER_DIRECT/{host} -\n"
    )
    first = "".join(line.format(ts=1795000000 + n, n=n, host="claude.ai") for n in range(3))
    (logs / "a.log").write_text(first + line.format(ts=1795000100, n=9, host="chatgpt.com"))
    store = tmp_path / "s"
    assert (
        CliRunner().invoke(cli, ["ingest", "-q", "--store", str(store), str(logs)]).exit_code == 0
    )

    async def main():
        app = make_app(store, config=None)
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(app, pilot)
            await pilot.press("down")
            assert app.selected_service() == "chatgpt"
            app.refresh_report()
            await loaded(app, pilot, 2)
            assert table_rows(app)["chatgpt"][:4] == ["ChatGPT", "1", "1", "1"]
            more = "".join(
                line.format(ts=1795000200 + n, n=n, host="chatgpt.com") for n in range(5)
            )
            (logs / "b.log").write_text(more)
            ingest([logs], EventStore(store), settle=0)
            app.refresh_report()
            await loaded(app, pilot, 3)
            rows = table_rows(app)
            assert list(rows) == ["chatgpt", "claude"]  # chatgpt moved up…
            assert rows["chatgpt"][:4] == ["ChatGPT", "6", "6", "6"]
            assert app.selected_service() == "chatgpt"  # …and stayed selected

    asyncio.run(main())


def test_drill_down_levels_refresh_with_the_store_and_keep_their_row(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    line = (
        "{ts}.000 100 10.0.0.{n} TCP_TUNNEL/200 1000 CONNECT chatgpt.com:443 user{n} "
        "HIER_DIRECT/chatgpt.com -\n"
    )
    (logs / "a.log").write_text("".join(line.format(ts=1795000000 + n, n=n) for n in (1, 2)))
    store = tmp_path / "s"
    ingest([logs], EventStore(store), settle=0)

    async def main():
        app = make_app(store, config=None)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(app, pilot)
            await pilot.press("enter")
            await screen_is(app, pilot, TableScreen, "identities")
            identities = app.screen
            await pilot.press("down")
            assert identities.selected() == "user2"
            await pilot.press("enter")
            await screen_is(app, pilot, TableScreen, "evidence")
            evidence = app.screen
            assert evidence.frame.height == 1
            more = "".join(line.format(ts=1795000100 + n, n=n) for n in (0, 2, 2, 3))
            (logs / "b.log").write_text(more)
            ingest([logs], EventStore(store), settle=0)
            app.refresh_report()
            await loaded(app, pilot, 2)
            for _ in range(200):
                if evidence.frame.height == 3:
                    break
                await pilot.pause(0.02)
            assert evidence.frame.height == 3  # user2's new lines, newest first
            assert evidence.frame["ts"].is_sorted(descending=True)
            people = identities.frame
            assert people["identity"].to_list() == ["user2", "user0", "user1", "user3"]
            assert people["events"].to_list() == [3, 1, 1, 1]
            assert identities.selected() == "user2"  # the cursor followed its row

    asyncio.run(main())


def test_a_range_ending_now_slides_with_the_clock_not_only_with_the_store(org_store, monkeypatch):
    catalogue, policy = rules_and_policy(CONFIG)
    source = DashboardSource(open_store(org_store), catalogue, policy)
    fixed = TimeRange("x", "2026-11-01", "2026-11-30")
    assert source.report(fixed) is source.report(fixed)  # unchanged store: cached
    clock = iter([60_000.0, 60_001.0, 60_100.0])
    monkeypatch.setattr(source_module.time, "time", lambda: next(clock))
    recent = TimeRange("last 30d", "30d")
    first = source.report(recent)
    assert source.report(recent) is first  # the same minute
    assert source.report(recent) is not first  # a minute later: recomputed


@pytest.mark.parametrize(
    ("typed", "since", "until"),
    [
        ("24h", "24h", None),
        ("7d", "7d", None),
        ("all", "whole", None),
        ("default", None, None),
        ("2026-11-01..2026-11-30", "2026-11-01", "2026-11-30"),
        ("..2026-11-30", None, "2026-11-30"),
    ],
)
def test_typed_time_ranges(typed, since, until):
    span = parse_range(typed)
    assert (span.since, span.until) == (since, until)


def _flat(text: str) -> str:
    """Screen text with table borders and line breaks gone, for finding a sentence."""
    return " ".join(re.sub(r"[│┃║]", " ", text).split())


def test_once_shows_the_decision_sections_as_the_report_says_them(org_store):
    expected = report_json(org_store)
    args = ["dashboard", "--store", str(org_store), "--config", str(CONFIG), "--once"]
    shown = _flat(CliRunner().invoke(cli, [*args, "--width", "160", "--height", "400"]).output)
    assert _flat(expected["demand"][0]["sentence"]) in shown
    assert _flat(expected["money"]["sentence"]) in shown
    assert _flat(expected["benchmark"]["sentence"]) in shown
    for champion in expected["champions"]:
        assert champion["identity"] in shown


def test_the_filter_narrows_demand_and_champions_too(org_store):
    from shadowscan.dashboard.view import View, apply

    catalogue, policy = rules_and_policy(CONFIG)
    report = DashboardSource(open_store(org_store), catalogue, policy).report(TimeRange("default"))
    narrowed = apply(report, View(text="claude")).decisions
    assert narrowed.demand["service_id"].to_list() == ["claude"]
    assert narrowed.champions.height <= report.decisions.champions.height
    assert set(apply(report, View(text="")).decisions.demand["service_id"]) == set(
        report.decisions.demand["service_id"]
    )


def test_each_service_sparkline_draws_the_json_reports_daily_users(org_store):
    from shadowscan.dashboard.panels import service_sparklines, sparkline

    expected = report_json(org_store)
    axis = [row["start"] for row in expected["trend"]["daily"]][-30:]
    users: dict[str, dict[str, int]] = {}
    for row in expected["trend"]["daily_by_service"]:
        users.setdefault(row["service_id"], {})[row["start"]] = row["ai_users"]
    catalogue, policy = rules_and_policy(CONFIG)
    report = DashboardSource(open_store(org_store), catalogue, policy).report(TimeRange("default"))
    drawn = service_sparklines(report)
    assert set(drawn) == set(users) and "chatgpt" in drawn
    for service, per_day in users.items():
        assert drawn[service] == sparkline([per_day.get(day, 0) for day in axis])
    for service in expected["services"]:  # a day's users of one service are at most its users
        assert max(users[service["service_id"]].values()) <= service["users"]
