"""`discover` output: candidate AI hosts, as a terminal table or JSON."""

from __future__ import annotations

import json

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shadowscan import __version__
from shadowscan.analyse.period import Period
from shadowscan.report.jsonout import iso, records
from shadowscan.report.safe import cell, visible

SCHEMA = "shadowscan.candidates/1"


def render(candidates: pl.DataFrame, period: Period, console: Console) -> None:
    title = (
        f"{candidates.height} candidate AI hosts no rule knows, {period.start:%Y-%m-%d} to "
        f"{period.end:%Y-%m-%d} (leads for new rules; not counted as use)"
    )
    table = Table(title=title, title_justify="left")
    for column in ("Host", "Score", "Identities", "Events", "Why", "Example path"):
        table.add_column(column, overflow="fold")
    for row in candidates.iter_rows(named=True):
        table.add_row(
            cell(row["host"]),
            cell(row["score"]),
            cell(row["identities"]),
            cell(row["events"]),
            Text("\n".join(map(visible, row["reasons"]))),  # one reason a line
            cell(row["example_path"] or "-"),
        )
    console.print(table)
    if candidates.height:
        console.print("Add a rule: copy rules/_template.toml; `shadowscan rules explain HOST`.")


def to_json(candidates: pl.DataFrame, period: Period) -> str:
    doc = {
        "schema": SCHEMA,
        "generator": f"shadowscan {__version__}",
        "period": {"start": iso(period.start), "end": iso(period.end)},
        "candidates": records(candidates),
    }
    return json.dumps(doc, indent=2) + "\n"
