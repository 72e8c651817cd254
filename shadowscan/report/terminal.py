"""The Rich terminal report."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shadowscan.analyse.aggregate import Report
from shadowscan.report.safe import cell, visible

#: Characters of a rejected line shown under its file.
SAMPLE_WIDTH = 100


def human_bytes(value: int | None) -> str:
    if value is None:
        return "n/a"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def render(report: Report, console: Console) -> None:
    console.print(_headline(report))
    if report.services.height:
        console.print(_services(report))
        console.print(_identities(report))
    console.print(_health(report))


def _headline(report: Report) -> Panel:
    p = report.period
    text = Text()
    text.append("Period  ", style="bold")
    text.append(f"{_when(p.start)} → {_when(p.end)} UTC\n")
    text.append("Events  ", style="bold")
    text.append(f"{report.events_in_period:,} in period, {report.ai_events:,} to AI services\n")
    text.append("AI users  ", style="bold")
    text.append(f"{report.ai_users:,} identities used {report.services.height} AI service(s)")
    if not report.events_in_period:
        text.append("\nNo events in this period: ingest logs first, or widen --since/--until.")
    return Panel(text, title="shadowscan report", expand=False)


def _table(title: str, columns: str) -> Table:
    """A titled table; a column name ending in `>` is right-aligned (numbers)."""
    table = Table(title=title, title_justify="left")
    for name in columns.split(","):
        table.add_column(name.rstrip(">"), justify="right" if name.endswith(">") else "left")
    return table


def _services(report: Report) -> Table:
    table = _table("AI services", "Service,Category,Users>,Events>,Uploaded>,Last seen")
    for row in report.services.iter_rows(named=True):
        table.add_row(
            cell(row["name"]),
            cell(row["category"]),
            f"{row['users']:,}",
            f"{row['events']:,}",
            human_bytes(row["bytes_out"]) if row["has_bytes_out"] else "not logged",
            _when(row["last_seen"]),
        )
    return table


def _identities(report: Report) -> Table:
    table = _table("Top identities", "Identity,Services,Events>,Active days>,Uploaded>")
    for row in report.identities.iter_rows(named=True):
        table.add_row(
            cell(row["identity"]),
            cell(", ".join(row["services"])),
            f"{row['events']:,}",
            str(row["active_days"]),
            human_bytes(row["bytes_out"]) if row["bytes_out"] else "-",
        )
    return table


def _health(report: Report) -> Group:
    h = report.ingest
    summary = Text(
        f"Ingest health: {h.files:,} file(s), {h.lines:,} lines, {h.events:,} events, "
        f"{h.rejected:,} rejected line(s)"
    )
    if not h.problems.height:
        return Group(summary)
    table = _table("Files with rejected lines", "File and first rejected line,Format,Rejected>")
    table.columns[0].overflow = "fold"
    for row in h.problems.iter_rows(named=True):
        samples = row["rejected_samples"] or []
        where = cell(row["source_file"])
        if samples:
            where.append("\n" + visible(samples[0])[:SAMPLE_WIDTH], style="dim")
        table.add_row(where, cell(row["source_format"]), f"{row['rejected']:,} of {row['lines']:,}")
    return Group(summary, table)
