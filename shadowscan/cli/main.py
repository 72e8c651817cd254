"""`shadowscan`: ingest logs, report and export AI use."""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console
from rich.table import Table

from shadowscan import __version__
from shadowscan.analyse.aggregate import ai_events
from shadowscan.analyse.classify import classify
from shadowscan.analyse.discover import discover as find_candidates
from shadowscan.analyse.period import choose_period
from shadowscan.cli.common import catalogue_and_policy, emit, open_store, show
from shadowscan.cli.errors import ErrorBoundaryGroup, Exit, run
from shadowscan.cli.options import (
    config_option,
    lead_options,
    output_option,
    pseudonym_options,
    rules_option,
    since_option,
    store_option,
    timezone_option,
    until_option,
    view_format_option,
)
from shadowscan.cli.progress import ingest_progress, print_skipped, print_summary
from shadowscan.cli.report import explain, report, reveal
from shadowscan.cli.rules import rules
from shadowscan.cli.store import compact, prune, status
from shadowscan.errors import UsageError
from shadowscan.formats import FORMATS
from shadowscan.formats.mapped import MappedFormat
from shadowscan.formats.mapping import load_mapping
from shadowscan.ingest.reader import MAX_LINE_BYTES
from shadowscan.pipeline import ingest as run_ingest
from shadowscan.report import candidates
from shadowscan.report import export as exporter
from shadowscan.report.output import check_output
from shadowscan.report.pseudonym import load_key


@click.group(cls=ErrorBoundaryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shadowscan")
@click.option(
    "--traceback",
    is_flag=True,
    expose_value=False,
    help="Show the full trace of an unexpected error (also after any command).",
)
def cli() -> None:
    """Find shadow AI use in proxy, firewall and DNS logs."""


def _format_names(value: str | None) -> str | None:
    """`--log-format`: known names only, said in one sentence otherwise."""
    for name in value.split(",") if value else ():
        if name not in FORMATS:
            raise click.BadParameter(
                f"{name!r} is not a format shadowscan reads; `shadowscan formats` lists them."
            )
    return value


def reading_options(command):
    """How to read the logs, the same for `ingest` and `watch`."""
    for option in reversed(
        [
            click.option(
                "--log-format",
                callback=lambda ctx, param, value: _format_names(value),
                help="Skip detection: a format name, or NAME,NAME… for a file mixing them "
                "line by line.",
            ),
            click.option(
                "--map",
                "mapping",
                metavar="FIELD=COLUMN,…|FILE.toml",
                help="Read CSV or JSON-lines files through this mapping of event fields to "
                "their columns (ts, host or url required), e.g. "
                "ts=Time,host=Domain,user=User,client_ip=Src.",
            ),
            timezone_option,
            click.option(
                "--year",
                type=click.IntRange(1970, 9999),
                help="Year of year-less times (syslog) [default: inferred from the file's date].",
            ),
            click.option(
                "--identity",
                metavar="NAME",
                help="Whose computer a log that names no user is from (Proxifier's).",
            ),
            click.option(
                "--max-line-bytes",
                type=click.IntRange(256),
                default=MAX_LINE_BYTES,
                show_default=True,
                metavar="BYTES",
                help="Reject longer lines (counted and sampled like any unreadable line) "
                "without ever holding more than this much of one in memory.",
            ),
            click.option("-q", "--quiet", is_flag=True, help="No progress and no summary."),
            rules_option,
            config_option,
        ]
    ):
        command = option(command)
    return command


def _reading(
    log_format, mapping, timezone, year, identity, max_line_bytes, quiet, rules_dirs, config
) -> tuple[dict, bool]:
    """The reading options as `pipeline.ingest`'s keyword arguments, checked, and `quiet`.

    The forced format is a name, a mixture or a mapping; None detects.
    """
    _check_timezone(timezone)
    if mapping and log_format:
        raise UsageError("--map and --log-format cannot be used together.")
    forced = MappedFormat(load_mapping(mapping)) if mapping else log_format
    catalogue = catalogue_and_policy(config, rules_dirs)[0]
    options = dict(
        log_format=forced,
        timezone=timezone,
        year=year,
        identity=identity,
        max_line_bytes=max_line_bytes,
        catalogue=catalogue,
    )
    return options, quiet


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@reading_options
@click.option(
    "--reingest",
    is_flag=True,
    help="Read these files again from the start, replacing their earlier events.",
)
@click.option(
    "--commit-every",
    "commit_mb",
    type=click.IntRange(1),
    default=256,
    show_default=True,
    metavar="MB",
    help="Commit after this much input: a crash redoes at most this much.",
)
def ingest(paths, store, reingest, commit_mb, **reading) -> None:
    """Read what is new in log files and folders (recursively, compressed or not).

    Each log resumes where the last run stopped: running twice counts once, and
    a log renamed or compressed by rotation is not read again. A path that
    cannot be read (missing, permission denied) is skipped with its reason and
    the run ends with status 4 once the rest is read.
    """
    options, quiet = _reading(**reading)
    target = open_store(store, must_exist=False)
    err = Console(stderr=True)
    with ingest_progress(paths, err, enabled=not quiet) as progress:
        summary = run_ingest(
            list(paths),
            target,
            progress=progress,
            reingest=reingest,
            commit_bytes=commit_mb << 20,
            **options,
        )
    if not quiet:
        print_summary(summary, Console(), err)
    elif summary.unreadable:  # a quiet cron run still says which paths failed it
        print_skipped(summary, err)
    if not summary.files and not summary.unchanged:
        raise UsageError("nothing was ingested.", hint="See the skipped files above.")
    if summary.unreadable:
        err.print(f"{summary.unreadable} path(s) could not be read (see above); the rest were.")
        click.get_current_context().exit(Exit.UNREADABLE)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option(
    "--interval",
    type=click.FloatRange(1),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Time between two looks at the logs.",
)
@reading_options
def watch(paths, store, interval, **reading) -> None:
    """Ingest what is new in the logs every few seconds, until interrupted (Ctrl-C).

    Safe beside cron runs and other watchers: each log is read by one process
    at a time and every line is stored once.
    """
    options, quiet = _reading(**reading)
    target = open_store(store, must_exist=False)
    err = Console(stderr=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a service manager's stop
    try:
        while True:
            summary = run_ingest(list(paths), target, **options)
            if summary.total("lines") and not quiet:
                err.print(
                    f"{datetime.now(UTC):%H:%M:%S} {summary.total('lines'):,} new lines, "
                    f"{summary.total('events'):,} events, {summary.total('ai_events'):,} AI"
                )
            time.sleep(interval)
    except KeyboardInterrupt:
        err.print("stopped")


@cli.command()
@store_option
@since_option
@until_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(exporter.EXPORT_FORMATS),
    required=True,
    help="JSON lines or CSV (stdout or -o), or Parquet (needs -o).",
)
@output_option
@rules_option
@config_option
@pseudonym_options
def export(
    store, since, until, fmt, output, private, rules_dirs, config, pseudonymize, key_file
) -> None:
    """One record per AI-matched event, classified against the policy: JSONL, CSV or Parquet.

    The period is the report's: without --since/--until, the 30 days ending at
    the newest busy day of the store; --since alone runs up to now.
    """
    events = open_store(store)
    key = load_key(key_file) if pseudonymize else None
    period = choose_period(events.days(), since, until)
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    frame = exporter.export_frame(classify(ai_events(events, catalogue, period), policy), key)
    if fmt == "parquet" and output is None:
        raise UsageError("Parquet is binary: give a file with -o.")
    if output is not None:
        check_output(output, events.root, policy.files)
    exporter.write_export(frame, fmt, output or sys.stdout.buffer, private)


@cli.command()
@store_option
@since_option
@until_option
@lead_options(min_identities=2)
@view_format_option
@output_option
@rules_option
@config_option
def discover(
    store, since, until, min_identities, limit, fmt, output, private, rules_dirs, config
) -> None:
    """Hosts no rule knows that look like AI use: API path shapes, AI-like names, co-visits."""
    events = open_store(store)
    period = choose_period(events.days(), since, until)
    catalogue, _ = catalogue_and_policy(config, rules_dirs)
    found = find_candidates(events, catalogue, period, min_identities=min_identities, limit=limit)
    if fmt == "json":
        emit(candidates.to_json(found, period), output, events, private=private)
    else:
        show(lambda c: candidates.render(found, period, c), output, events, private)


@cli.command()
@view_format_option
def formats(fmt) -> None:
    """List the log formats shadowscan reads and the event fields each can fill."""
    if fmt == "json":
        rows = [
            {"name": f.name, "title": f.title, "fills": list(f.fills)} for f in FORMATS.values()
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="Log formats (detection tries them in this order)", title_justify="left")
    for column in ("Name", "Source", "Fills besides time and host"):
        table.add_column(column)
    for fmt in FORMATS.values():
        table.add_row(fmt.name, fmt.title, ", ".join(fmt.fills) or "-")
    Console().print(table)


cli.add_command(rules)
for command in (report, explain, reveal, status, compact, prune):
    cli.add_command(command)


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r}.", hint="Use an IANA name such as Europe/Paris or UTC."
        ) from None


def main() -> None:
    sys.exit(run(cli, Console(stderr=True)))
