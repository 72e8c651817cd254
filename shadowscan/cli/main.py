"""`shadowscan`: ingest logs, report and export AI use."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import polars as pl
from rich.console import Console
from rich.table import Table

from shadowscan import __version__
from shadowscan.analyse.aggregate import ai_events, build_report
from shadowscan.analyse.discover import discover as find_candidates
from shadowscan.analyse.period import Period, choose_period
from shadowscan.cli.errors import ErrorBoundaryGroup, run
from shadowscan.cli.options import (
    config_option,
    output_option,
    rules_option,
    since_option,
    store_option,
    until_option,
)
from shadowscan.cli.progress import ingest_progress, print_summary
from shadowscan.cli.rules import rules
from shadowscan.errors import StoreError, UsageError
from shadowscan.formats import FORMATS
from shadowscan.match.catalogue import Catalogue, load_catalogue
from shadowscan.pipeline import ingest as run_ingest
from shadowscan.policy.config import Policy, find_config, load_policy, read_config
from shadowscan.policy.config import rules_dirs as policy_rules
from shadowscan.report import candidates, jsonout, terminal
from shadowscan.report import export as exporter
from shadowscan.store.delta import EventStore, default_store_path


def _store(path: Path | None, must_exist: bool = True) -> EventStore:
    store = EventStore(path or default_store_path())
    if must_exist and not store.exists():
        raise StoreError(
            f"no shadowscan store at {store.root}.",
            hint="Run `shadowscan ingest LOGS...` first, or pass --store.",
        )
    return store


@click.group(cls=ErrorBoundaryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shadowscan")
def cli() -> None:
    """Find shadow AI use in proxy, firewall and DNS logs.

    Add --traceback to any command to see the full trace of an unexpected error.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--log-format", type=click.Choice(sorted(FORMATS)), help="Skip detection.")
@click.option("--timezone", default="UTC", show_default=True, help="Zone of local log times.")
@click.option(
    "--year",
    type=click.IntRange(1970, 9999),
    help="Year of year-less times (syslog) [default: inferred from the file's date].",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@rules_option
def ingest(paths, store, log_format, timezone, year, quiet, rules_dirs) -> None:
    """Read log files and folders (recursively, compressed or not) into the store."""
    _check_timezone(timezone)
    target = _store(store, must_exist=False)
    err = Console(stderr=True)
    with ingest_progress(paths, err, enabled=not quiet) as progress:
        summary = run_ingest(
            list(paths),
            target,
            log_format=log_format,
            timezone=timezone,
            year=year,
            progress=progress,
            catalogue=load_catalogue(extra=rules_dirs),
        )
    if not quiet:
        print_summary(summary, Console(), err)
    if not summary.files:
        raise UsageError("nothing was ingested.", hint="See the skipped files above.")


@cli.command()
@store_option
@since_option
@until_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "json"]),
    default="terminal",
    show_default=True,
)
@output_option
@rules_option
@config_option
def report(store, since, until, fmt, output, rules_dirs, config) -> None:
    """Which AI services are used, by whom, how much."""
    catalogue, policy = _catalogue_and_policy(config, rules_dirs)
    result = build_report(_store(store), catalogue, since, until, policy)
    if fmt == "json":
        _emit(jsonout.to_json(result), output)
    elif output:
        with open(output, "w", encoding="utf-8") as f:
            terminal.render(result, Console(file=f, width=120, color_system=None))
    else:
        terminal.render(result, Console())


@cli.command()
@store_option
@since_option
@until_option
@click.option("--format", "fmt", type=click.Choice(exporter.EXPORT_FORMATS), required=True)
@output_option
@rules_option
def export(store, since, until, fmt, output, rules_dirs) -> None:
    """One record per AI-matched event, as JSON lines, CSV or Parquet."""
    events = _store(store)
    newest = events.events().select("ts").max().collect().item()
    period = choose_period(newest, since, until) if (since or until) else Period.everything()
    frame = exporter.export_frame(ai_events(events, load_catalogue(extra=rules_dirs), period))
    if fmt == "parquet" and output is None:
        raise UsageError("Parquet is binary: give a file with -o.")
    exporter.write_export(frame, fmt, output or sys.stdout.buffer)


@cli.command()
@store_option
@since_option
@until_option
@click.option(
    "--min-identities",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Identities a name-only or co-visit lead needs.",
)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "json"]),
    default="terminal",
    show_default=True,
)
@output_option
@rules_option
def discover(store, since, until, min_identities, limit, fmt, output, rules_dirs) -> None:
    """Hosts no rule knows that look like AI use: API path shapes, AI-like names, co-visits."""
    events = _store(store)
    newest = events.events().select(pl.col("ts").max()).collect().item()
    period = choose_period(newest, since, until)
    found = find_candidates(
        events, load_catalogue(extra=rules_dirs), period, min_identities=min_identities, limit=limit
    )
    if fmt == "json":
        _emit(candidates.to_json(found, period), output)
    elif output:
        with open(output, "w", encoding="utf-8") as f:
            candidates.render(found, period, Console(file=f, width=160, color_system=None))
    else:
        candidates.render(found, period, Console())


@cli.command()
def formats() -> None:
    """List the log formats shadowscan reads and the event fields each can fill."""
    table = Table(title="Log formats (detection tries them in this order)", title_justify="left")
    for column in ("Name", "Source", "Fills besides time and host"):
        table.add_column(column)
    for fmt in FORMATS.values():
        table.add_row(fmt.name, fmt.title, ", ".join(fmt.fills) or "-")
    Console().print(table)


cli.add_command(rules)


def _catalogue_and_policy(config: Path | None, rules_dirs) -> tuple[Catalogue, Policy]:
    """The catalogue (bundled, then the policy's rule folders, then --rules) and the policy."""
    path = find_config(config)
    doc = read_config(path)
    catalogue = load_catalogue(extra=[*policy_rules(path, doc), *rules_dirs])
    return catalogue, load_policy(path, doc, catalogue)


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r}.", hint="Use an IANA name such as Europe/Paris or UTC."
        ) from None


def _emit(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def main() -> None:
    sys.exit(run(cli, Console(stderr=True)))
