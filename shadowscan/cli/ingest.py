"""`ingest`, `watch` and `formats`: reading logs into the store."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console

from shadowscan.cli.boundary import Exit
from shadowscan.cli.common import catalogue_and_policy, emit, open_store
from shadowscan.cli.options import (
    config_option,
    log_paths,
    rules_option,
    store_option,
    timezone_option,
    view_format_option,
)
from shadowscan.cli.progress import ingest_progress
from shadowscan.cloud import is_uri
from shadowscan.errors import UsageError
from shadowscan.formats import FORMATS
from shadowscan.formats.mapped import MappedFormat
from shadowscan.formats.mapping import load_mapping
from shadowscan.ingest.reader import MAX_LINE_BYTES
from shadowscan.pipeline import ingest as run_ingest
from shadowscan.report import format_list, ingest_summary


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


@click.command()
@click.argument("paths", nargs=-1, required=True, callback=lambda ctx, param, v: log_paths(v))
@store_option
@reading_options
@click.option(
    "--relist",
    is_flag=True,
    help="List object-storage prefixes whole, not from the day of the last key read.",
)
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
@click.option(
    "--scheduler",
    callback=lambda ctx, param, value: _scheduler(value),
    metavar="tcp://HOST:8786|local:N",
    help="Fan the files out over a Dask cluster (pip install 'shadowscan[dask]'): one task "
    "per file on an existing scheduler, or on a local cluster of N worker processes.",
)
def ingest(paths, store, relist, reingest, commit_mb, scheduler, **reading) -> None:
    """Read what is new in log files and folders (recursively, compressed or not), or
    under s3://, gs://, az:// or abfs:// addresses.

    Each log resumes where the last run stopped: running twice counts once, and
    a log renamed or compressed by rotation is not read again. A path that
    cannot be read (missing, permission denied) is skipped with its reason and
    the run ends with status 4 once the rest is read.
    """
    options, quiet = _reading(**reading)
    target = open_store(store, must_exist=False)
    err = Console(stderr=True)
    if scheduler:  # Dask is imported only when asked for
        if target.remote or any(is_uri(p) for p in paths):
            raise UsageError(
                "--scheduler fans out files on local or shared disks into a local store; "
                "object-storage addresses are read by a run without it."
            )
        from shadowscan import distribute

        options["scheduler"] = scheduler
        runner = distribute.ingest
    else:
        options["relist"] = relist
        runner = run_ingest
    with ingest_progress(paths, err, enabled=not quiet) as progress:
        summary = runner(
            list(paths),
            target,
            progress=progress,
            reingest=reingest,
            commit_bytes=commit_mb << 20,
            **options,
        )
    if not quiet:
        ingest_summary.render(summary, Console(), err)
    elif summary.unreadable:  # a quiet cron run still says which paths failed it
        ingest_summary.render_skipped(summary, err)
    if not summary.files and not summary.unchanged and not summary.busy:
        raise UsageError("nothing was ingested.", hint="See the skipped files above.")
    if summary.unreadable:
        err.print(f"{summary.unreadable} path(s) could not be read (see above); the rest were.")
        click.get_current_context().exit(Exit.UNREADABLE)


@click.command()
@click.argument("paths", nargs=-1, required=True, callback=lambda ctx, param, v: log_paths(v))
@store_option
@click.option(
    "--interval",
    type=click.FloatRange(1),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Time between two looks at the logs.",
)
@click.option(
    "--no-dashboard",
    is_flag=True,
    help="One line per ingest, as without a terminal (for a service manager).",
)
@reading_options
def watch(paths, store, interval, no_dashboard, **reading) -> None:
    """Ingest what is new in the logs every few seconds, until interrupted (Ctrl-C).

    On a terminal it shows the live dashboard while it ingests; without one
    (or with --no-dashboard) it prints one line per ingest. Safe beside cron
    runs and other watchers: each log is read by one process at a time and
    every line is stored once.
    """
    options, quiet = _reading(**reading)
    target = open_store(store, must_exist=False)
    if sys.stdout.isatty() and not no_dashboard:
        target.check_version(create=True)
        catalogue, policy = catalogue_and_policy(reading["config"], reading["rules_dirs"])
        from shadowscan.dashboard import launch  # Textual: only for a terminal
        from shadowscan.dashboard.source import DashboardSource

        source = DashboardSource(target, catalogue, policy)
        launch.watch_app(list(paths), target, source, interval, options)
        return
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


@click.command()
@view_format_option
def formats(fmt) -> None:
    """List the log formats shadowscan reads and the event fields each can fill."""
    if fmt == "json":
        emit(format_list.to_json(FORMATS.values()), None)
    else:
        format_list.render(FORMATS.values(), Console())


def _scheduler(value: str | None) -> str | None:
    """`--scheduler`: a Dask address such as tcp://HOST:8786, or local:N with N >= 1."""
    if value is None or ("://" in value and not value.startswith("local:")):
        return value
    count = value.removeprefix("local:")
    if value.startswith("local:") and count.isdigit() and int(count) >= 1:
        return value
    raise click.BadParameter(
        f"{value!r} is neither a Dask scheduler address (tcp://HOST:8786) nor local:N."
    )


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r}.", hint="Use an IANA name such as Europe/Paris or UTC."
        ) from None
