"""`shadowscan status`, `compact` and `prune`: looking after the store."""

from __future__ import annotations

import click
from rich.console import Console

from shadowscan.analyse.period import parse_when
from shadowscan.cli.common import emit, open_store
from shadowscan.cli.options import store_option, view_format_option
from shadowscan.report import store_status
from shadowscan.store import maintenance


@click.command()
@store_option
@view_format_option
def status(store, fmt) -> None:
    """Store size, days, sources, events, rejected lines, schema version, last ingest."""
    state = maintenance.status(open_store(store))
    if fmt == "json":
        emit(store_status.to_json(state), None)
    else:
        store_status.render(state, Console())


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
