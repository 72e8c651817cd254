"""What an ingest did: the totals table on stdout, skipped paths, notes, warnings and
samples of rejected lines on stderr, every path and line escaped."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from shadowscan.ingest.summary import IngestSummary
from shadowscan.report.safe import cell

#: Files whose rejected lines the summary samples; the report lists them all.
SAMPLED_FILES = 5


def render_skipped(summary: IngestSummary, err: Console) -> None:
    """One line per skipped path on stderr, with its reason."""
    for path, reason in summary.skipped:
        err.print(cell(f"skipped {path}: {reason}"), soft_wrap=True)


def render(summary: IngestSummary, out: Console, err: Console) -> None:
    """The skipped paths on stderr; the totals table on stdout."""
    render_skipped(summary, err)
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
