"""SVG snapshots of the dashboard (pytest-textual-snapshot): the main screen and the drill-down.

Rewrite them with `pytest tests/test_dashboard_snapshots.py --snapshot-update` and
review the SVGs (open the report it prints) before committing.
"""

from __future__ import annotations

from shadowscan.dashboard.screens import TableScreen
from tests.test_dashboard import loaded, make_app, screen_is


def test_main_screen(snap_compare, org_store):
    async def ready(pilot):
        await loaded(pilot.app, pilot)

    assert snap_compare(make_app(org_store), terminal_size=(120, 40), run_before=ready)


def test_main_screen_narrow(snap_compare, org_store):
    async def ready(pilot):
        await loaded(pilot.app, pilot)

    assert snap_compare(make_app(org_store), terminal_size=(80, 24), run_before=ready)


def test_drill_down_into_chatgpt(snap_compare, org_store):
    async def drill(pilot):
        await loaded(pilot.app, pilot)
        await pilot.press("enter")
        await screen_is(pilot.app, pilot, TableScreen, "identities")

    assert snap_compare(make_app(org_store), terminal_size=(120, 40), run_before=drill)
