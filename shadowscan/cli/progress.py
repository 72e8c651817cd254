"""Ingest progress bar and summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from shadowscan.ingest.discover import discover
from shadowscan.ingest.summary import IngestSummary
from shadowscan.report.safe import cell, visible

#: Files whose rejected lines the summary samples; the report lists them all.
SAMPLED_FILES = 5


@contextmanager
def ingest_progress(paths, console: Console, enabled: bool) -> Iterator:
    """A progress callback driving a Rich bar on a terminal; None elsewhere."""
    if not (enabled and console.is_terminal):
        yield None
        return
    total = sum(p.stat().st_size for p in discover(list(paths)).files)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingesting", total=total)
        done: dict[Path, int] = {}

        def advance(path: Path, raw_offset: int) -> None:
            done[path] = raw_offset
            bar.update(task, completed=sum(done.values()), description=visible(path.name)[:40])

        yield advance


def print_skipped(summary: IngestSummary, err: Console) -> None:
    """One line per skipped path on stderr, with its reason."""
    for path, reason in summary.skipped:
        err.print(cell(f"skipped {path}: {reason}"), soft_wrap=True)


def print_summary(summary: IngestSummary, out: Console, err: Console) -> None:
    """The skipped paths on stderr; the totals table on stdout."""
    print_skipped(summary, err)
    table = Table(title="Ingest summary", title_justify="left", show_header=False)
    lines = summary.total("lines")
    rows = [
        (
            "files",
            f"{len(summary.files):,} read, {summary.unchanged:,} unchanged, "
            f"{len(summary.skipped):,} skipped",
        ),
        ("lines", f"{lines:,}"),
        ("events", f"{summary.total('events'):,}"),
        ("rejected", f"{summary.total('rejected'):,}"),
        ("AI events", f"{summary.total('ai_events'):,}"),
        ("time", f"{summary.seconds:.2f} s ({summary.lines_per_second:,.0f} lines/s)"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    out.print(table)
    for result in summary.files:
        if result.note:
            err.print(cell(f"note: {result.path}: {result.note}"), soft_wrap=True)
        for warning in result.warnings:
            err.print(cell(f"warning: {result.path}: {warning}"), soft_wrap=True)
    with_rejects = [r for r in summary.files if r.samples]
    for result in with_rejects[:SAMPLED_FILES]:
        for sample in result.samples[:3]:
            text = cell(f"rejected in {result.path}: {sample}")
            if err.is_terminal:  # a glance on screen; a log file or a mail keeps it all
                err.print(text, overflow="ellipsis", no_wrap=True)
            else:
                err.print(text, soft_wrap=True)
    if len(with_rejects) > SAMPLED_FILES:
        more = len(with_rejects) - SAMPLED_FILES
        err.print(f"… and {more} more file(s) with rejected lines: see `shadowscan report`.")
