"""The dashboard's panels as Rich renderables, shared by the Textual app and `--once`.

Tables come from the terminal report's own builders (`report/terminal.py`),
so a number reads the same in `report` and here; this module adds the gauges,
the trend sparkline and the ingest-health lines. Every log-derived string
goes through `report/safe.py`.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shadowscan.analyse.aggregate import Report
from shadowscan.dashboard.source import Ingest, lag
from shadowscan.report import terminal, terminal_decisions
from shadowscan.report.safe import cell, visible

SPARKS = "▁▂▃▄▅▆▇█"
#: Service table columns: (header, report column, right-aligned).
SERVICE_COLUMNS = (
    ("Service", "name", False),
    ("Category", "category", False),
    ("Sanctioned", "sanctioned", False),
    ("Users", "users", True),
    ("Shadow", "shadow_users", True),
    ("Events", "events", True),
    ("Uploaded", "bytes_out", True),
    ("Daily users", "daily", False),
)
#: Below this width the services table drops category and sanctioned.
NARROW = 100


def bar(value: float | None, width: int) -> Text:
    """A 0–100 percentage as a bar of `width` cells (`-` when unknown)."""
    if value is None:
        return Text("-".ljust(width), style="dim")
    full = round(max(0.0, min(value, 100.0)) * width / 100)
    return Text("█" * full, style="bold") + Text("░" * (width - full), style="dim")


def sparkline(values: list[int]) -> str:
    if not values:
        return ""
    top = max(values) or 1
    return "".join(SPARKS[min(len(SPARKS) - 1, v * (len(SPARKS) - 1) // top)] for v in values)


def gap_panel(report: Report, width: int) -> Panel:
    """The gap: who uses AI, who outside what is paid for, coverage, unused seats, the trend."""
    h = report.headline
    bar_width = max(10, min(40, width - 56))  # label 22, figures up to 26, borders
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=22)
    grid.add_column(width=bar_width)
    grid.add_column()
    rows = [
        ("AI users", h.ai_users_pct, f"{h.ai_users:,} ({terminal.pct(h.ai_users_pct)} of people)"),
        ("Shadow users", h.shadow_users_pct,
         f"{h.shadow_users:,} ({terminal.pct(h.shadow_users_pct)})"),
        ("Shadow of AI users", h.shadow_share_of_ai_users_pct,
         terminal.pct(h.shadow_share_of_ai_users_pct)),
        ("Sanctioned coverage", h.sanctioned_coverage_pct,
         terminal.pct(h.sanctioned_coverage_pct) if h.has_policy else "no policy file"),
    ]  # fmt: skip
    for label, value, figure in rows:
        grid.add_row(Text(label, style="bold"), bar(value, bar_width), Text(figure))
    daily = report.daily["ai_users"].to_list()
    extra = Text.assemble(
        ("Unused seats ", "bold"),
        f"{h.unused_seats:,}" if h.has_policy else "-",
        ("   Idle grant holders ", "bold"),
        f"{h.idle_grant_holders:,}" if h.has_policy else "-",
        ("   Population ", "bold"),
        f"{h.population:,} ({h.population_source})" if h.population else "-",
    )
    trend = Text.assemble(("Daily AI users ", "bold"), sparkline(daily[-(width - 20) :]))
    sentence = Text(h.sentence, style="bold yellow" if h.shadow_users else "bold")
    title = f"shadow-AI gap: {visible(h.organization)}" if h.organization else "shadow-AI gap"
    return Panel(Group(grid, extra, trend, sentence), title=Text(title), title_align="left")


def service_sparklines(report: Report, days: int = 30) -> dict[str, str]:
    """Each service's daily users over the report's days with AI use (the last `days`),
    a day without its use drawn as zero: the same x-axis for every service."""
    axis = report.daily.select("start").tail(days)
    if not axis.height:
        return {}
    ids = report.daily_by_service.select("service_id").unique()
    grid = (
        ids.join(axis, how="cross")
        .join(report.daily_by_service, on=["service_id", "start"], how="left")
        .with_columns(pl.col("ai_users").fill_null(0))
        .sort("service_id", "start")
        .group_by("service_id", maintain_order=True)
        .agg("ai_users")
    )
    return {r["service_id"]: sparkline(r["ai_users"]) for r in grid.iter_rows(named=True)}


def services_cells(report: Report, width: int) -> tuple[list[tuple], list[tuple[str, list]]]:
    """The services table's columns (of `SERVICE_COLUMNS`) and rows (service_id, cells).

    A narrow screen leaves out category and sanctioned; a report where no
    event logged an upload size leaves out the upload column.
    """
    narrow_drop = () if width >= NARROW else ("category", "sanctioned", "daily")
    columns = [c for c in SERVICE_COLUMNS if c[1] not in narrow_drop]
    daily = service_sparklines(report)
    if not report.services["has_bytes_out"].any():
        columns = [c for c in columns if c[1] != "bytes_out"]
    rows = []
    for r in report.services.iter_rows(named=True):
        cells = []
        for _, name, right in columns:
            value = r.get(name)
            if name == "daily":
                value = daily.get(r["service_id"], "")
            elif name == "sanctioned":
                value = "yes" if value else "no"
            elif name == "bytes_out":
                value = terminal.human_bytes(value) if r["has_bytes_out"] else "-"
            elif isinstance(value, int):
                value = f"{value:,}"
            text = cell(value)
            text.justify = "right" if right else "left"
            cells.append(text)
        rows.append((r["service_id"], cells))
    return columns, rows


def services_table(report: Report, width: int, sort_label: str) -> Table:
    columns, rows = services_cells(report, width)
    table = Table(title=f"AI services (by {sort_label})", title_justify="left")
    for header, _, right in columns:
        table.add_column(header, justify="right" if right else "left", overflow="fold")
    for _, cells in rows:
        table.add_row(*cells)
    return table


def side_panels(report: Report, width: int) -> list[RenderableType]:
    """Categories, departments, new services, top shadow identities, grants (those with
    rows), then the report's decision sections: demand, risk, money, champions, benchmark."""
    out: list[RenderableType] = []
    if report.categories.height:
        out.append(terminal._categories(report, width))
    if report.departments.height:
        out.append(terminal._departments(report, width))
    if report.new_services.height:
        names = ", ".join(visible(n) for n in report.new_services["name"])
        out.append(Text(f"First seen in this period: {names}"))
    if report.shadow_identities.height:
        out.append(terminal._shadow_identities(report, width))
    if report.seats.height:
        out.append(terminal._seats(report, width))
    return out + terminal_decisions.sections(report, width)


def health_panel(report: Report, ingest: Ingest, now: datetime | None = None) -> Text:
    """Files, lines, rejected lines, the newest event and its lag, the last ingest."""
    h = report.ingest
    newest = report.stored[1] if report.stored else None
    text = Text.assemble(
        ("Ingest ", "bold"),
        f"{h.files:,} files, {h.lines:,} lines, {h.rejected:,} rejected · newest event ",
        f"{newest:%Y-%m-%d %H:%M} UTC ({lag(newest, now)} ago)" if newest else "-",
    )
    if ingest.last_run is not None:
        text.append(f" · last commit {ingest.last_run:%H:%M:%S} ({ingest.last_lines:,} lines)")
    if ingest.rate is not None:
        text.append(f" · {ingest.rate:,.0f} lines/s")
    if ingest.error is not None:
        text.append(f"\nwatch: {visible(ingest.error)}", style="bold red")
    return text


def frame(report: Report, ingest: Ingest, width: int, sort_label: str = "users") -> Group:
    """Every panel stacked, for `dashboard --once`; ingest health first, as a frame cut
    to `--height` must still say whether the data is current."""
    period = report.period
    title = Text(
        f"shadowscan dashboard · {period.start:%Y-%m-%d %H:%M} → {period.end:%Y-%m-%d %H:%M} UTC",
        style="bold",
    )
    return Group(
        title,
        health_panel(report, ingest),
        gap_panel(report, width),
        services_table(report, width, sort_label),
        *side_panels(report, width),
    )
