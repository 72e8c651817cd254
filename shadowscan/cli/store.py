"""`shadowscan status`, `compact` and `prune`: looking after the store."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from shadowscan.analyse.period import parse_when
from shadowscan.cli.common import open_store
from shadowscan.cli.options import store_option, view_format_option
from shadowscan.report.terminal import human_bytes
from shadowscan.store import maintenance


@click.command()
@store_option
@view_format_option
def status(store, fmt) -> None:
    """Store size, days, sources, events, rejected lines, schema version, last ingest."""
    state = maintenance.status(open_store(store))
    if fmt == "json":
        sys.stdout.write(json.dumps(state.as_dict(), indent=2) + "\n")
        return
    table = Table(title=f"shadowscan store {state.path}", title_justify="left", show_header=False)
    days = f"{state.days:,} ({state.first_day} to {state.last_day})" if state.days else "none"
    for key, value in (
        ("size", human_bytes(state.size_bytes)),
        ("events", f"{state.events:,}"),
        ("days", days),
        ("sources (logs)", f"{state.sources:,}"),
        ("rejected lines", f"{state.rejected_lines:,}"),
        ("last ingest", f"{state.last_ingest:%Y-%m-%d %H:%M:%S} UTC" if state.last_ingest else "-"),
        ("data files", f"{state.data_files:,} (table version {state.table_version})"),
        ("schema version", str(state.schema_version)),
    ):
        table.add_row(key, value)
    Console().print(table)


@click.command()
@store_option
@click.option(
    "--vacuum-hours",
    type=click.IntRange(0),
    default=168,
    show_default=True,
    help="Delete files no table version younger than this needs.",
)
def compact(store, vacuum_hours) -> None:
    """Merge small files from many ingests into fewer, and vacuum old ones. Counts stay."""
    result = maintenance.compact(open_store(store), vacuum_hours)
    for name, r in result.items():
        click.echo(
            f"{name}: {r['files_before']} files → {r['files_after']}, "
            f"{r['files_vacuumed']} vacuumed"
        )


@click.command()
@store_option
@click.option(
    "--older-than",
    required=True,
    metavar="WHEN",
    help="Delete events of days before this: 90d, 12w or a date.",
)
def prune(store, older_than) -> None:
    """Retention: delete old days of events (the manifest stays, so old logs are not re-read)."""
    cutoff = parse_when(older_than).date()
    deleted = maintenance.prune(open_store(store), cutoff)
    click.echo(f"deleted {deleted:,} events from before {cutoff}")
