"""`shadowscan status`: what the store holds, as a two-column table or JSON."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shadowscan.report.safe import visible
from shadowscan.store.maintenance import Status
from shadowscan.units import human_bytes


def to_json(state: Status) -> str:
    return json.dumps(state.as_dict(), indent=2) + "\n"


def render(state: Status, console: Console) -> None:
    title = Text(f"shadowscan store {visible(state.path)}")
    table = Table(title=title, title_justify="left", show_header=False)
    days = f"{state.days:,} ({state.first_day} to {state.last_day})" if state.days else "none"
    last = f"{state.last_ingest:%Y-%m-%d %H:%M:%S} UTC" if state.last_ingest else "-"
    for key, value in (
        ("size", human_bytes(state.size_bytes)),
        ("events", f"{state.events:,}"),
        ("days", days),
        ("sources (logs)", f"{state.sources:,}"),
        ("rejected lines", f"{state.rejected_lines:,}"),
        ("last ingest", last),
        ("data files", f"{state.data_files:,} (table version {state.table_version})"),
        ("schema version", str(state.schema_version)),
    ):
        table.add_row(key, value)
    console.print(table)
