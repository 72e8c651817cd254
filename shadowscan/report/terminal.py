"""The Rich terminal report."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shadowscan.analyse.aggregate import Report
from shadowscan.analyse.gap import Headline
from shadowscan.report import terminal_decisions
from shadowscan.report.fit import fitted_table, titled_table
from shadowscan.report.safe import cell, visible
from shadowscan.units import amount, human_bytes, pct

#: Characters of a rejected line shown under its file.
SAMPLE_WIDTH = 100


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def render(report: Report, console: Console) -> None:
    """The report at the console's width: tables drop their least useful columns to fit.

    No cell is ever cut short: a name that still does not fit wraps.
    """
    width = console.width
    console.print(_headline(report))
    if report.services.height:
        console.print(_services(report, width))
        console.print(_categories(report, width))
    if report.departments.height:
        console.print(_departments(report, width))
    if report.shadow_identities.height:
        console.print(_shadow_identities(report, width))
    if report.seats.height:
        console.print(_seats(report, width))
    for section in terminal_decisions.sections(report, width):
        console.print(section)
    if report.new_services.height:
        names = ", ".join(visible(n) for n in report.new_services["name"])
        console.print(Text(f"New in this period: {names}"))
    if report.weekly.height > 1:
        console.print(_weekly(report, width))
    for note in report.notes:
        console.print(Text(f"Note: {visible(note)}", style="dim"))
    console.print(_health(report))


def _unused_cost(h: Headline) -> str:
    if not h.has_policy:
        return "-"
    if h.unused_seat_cost_per_month is None:
        return "no prices in the policy"
    return f"{amount(h.unused_seat_cost_per_month, h.currency)} a month"


def _headline(report: Report) -> Panel:
    h, p = report.headline, report.period
    text = Text()
    rows = [
        ("Period", f"{_when(p.start)} → {_when(p.end)} UTC"),
        ("Population", f"{h.population:,} ({h.population_source})" if h.population else "-"),
        ("AI users", f"{h.ai_users:,} ({pct(h.ai_users_pct)} of population)"),
        (
            "Shadow users",
            f"{h.shadow_users:,} ({pct(h.shadow_users_pct)} of population, "
            f"{pct(h.shadow_share_of_ai_users_pct)} of AI users)",
        ),
        (
            "Sanctioned coverage",
            f"{pct(h.sanctioned_coverage_pct)} of population hold a paid AI seat"
            if h.has_policy
            else "no policy file",
        ),
        ("Unused seats", f"{h.unused_seats:,}" if h.has_policy else "-"),
        ("Unused seat cost", _unused_cost(h)),
        ("Idle grant holders", f"{h.idle_grant_holders:,}" if h.has_policy else "-"),
        (
            "Shadow uploads",
            human_bytes(h.shadow_upload_bytes)
            if h.shadow_upload_bytes is not None
            else "not logged",
        ),
        ("Events", f"{report.events_in_period:,} in period, {report.ai_events:,} to AI services"),
    ]
    for label, value in rows:
        text.append(f"{label:<20}", style="bold")
        text.append(value + "\n")
    if h.outside_population:
        text.append(f"{'Outside population':<20}", style="bold")
        text.append(
            f"{h.outside_population:,} AI identities ({h.outside_population_shadow:,} shadow, "
            f"{h.unattributed_identities:,} unattributed IPs)\n"
        )
    text.append(h.sentence, style="bold yellow" if h.shadow_users else "bold")
    title = f"shadowscan: {visible(h.organization)}" if h.organization else "shadowscan report"
    return Panel(text, title=title, expand=False)


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def _uploaded(row: dict) -> str:
    return human_bytes(row["bytes_out"]) if row["has_bytes_out"] else "-"


def _services(report: Report, width: int) -> Table:
    s = report.services
    rows = [
        [
            cell(r["name"]),
            cell(r["category"]),
            "yes" if r["sanctioned"] else "no",
            f"{r['users']:,}",
            f"{r['shadow_users']:,}",
            f"{r['events']:,}",
            r["active_days"],
            _uploaded(r),
            _day(r["last_seen"]),
        ]
        for r in s.iter_rows(named=True)
    ]
    drop = set()
    if not report.headline.has_policy:
        drop |= {"Sanctioned", "Shadow users"}  # every user is shadow without a policy
    if not s["has_bytes_out"].any():
        drop.add("Uploaded")
    columns = [
        "Service",
        "Category",
        "Sanctioned",
        "Users>",
        "Shadow users>",
        "Events>",
        "Days>",
        "Uploaded>",
        "Last seen",
    ]
    return fitted_table("AI services", columns, rows, drop, width)


def _categories(report: Report, width: int) -> Table:
    rows = [
        [
            cell(r["category"]),
            r["services"],
            f"{r['users']:,}",
            f"{r['shadow_users']:,}",
            f"{r['events']:,}",
        ]
        for r in report.categories.iter_rows(named=True)
    ]
    drop = set() if report.headline.has_policy else {"Shadow users"}
    columns = ["Category", "Services>", "Users>", "Shadow users>", "Events>"]
    return fitted_table("By category", columns, rows, drop, width)


def _departments(report: Report, width: int) -> Table:
    rows = [
        [
            cell(row["department"]),
            "-" if row["population"] is None else f"{row['population']:,}",
            f"{row['ai_users']:,}",
            f"{row['shadow_users']:,}",
            pct(row["shadow_users_pct"]),
            pct(row["sanctioned_coverage_pct"]),
        ]
        for row in report.departments.iter_rows(named=True)
    ]
    columns = ["Department", "People>", "AI users>", "Shadow users>", "Shadow %>", "Coverage %>"]
    return fitted_table("By department", columns, rows, set(), width)


def _shadow_identities(report: Report, width: int) -> Table:
    s = report.shadow_identities
    rows = [
        [
            cell(r["identity"]),
            cell(r["department"] or "-"),
            cell(", ".join(r["services"])),
            f"{r['events']:,}",
            r["active_days"],
            _uploaded(r),
            _day(r["last_seen"]),
        ]
        for r in s.iter_rows(named=True)
    ]
    drop = set()
    if not report.departments.height:
        drop.add("Department")
    if not s["has_bytes_out"].any():
        drop.add("Uploaded")
    columns = [
        "Identity",
        "Department",
        "Shadow services",
        "Events>",
        "Days>",
        "Uploaded>",
        "Last seen",
    ]
    return fitted_table("Top shadow identities", columns, rows, drop, width)


def _seats(report: Report, width: int) -> Table:
    currency = report.headline.currency
    rows = [
        [
            cell(row["service_id"]),
            cell(row["plan"] or "-"),
            cell(grant_label(row)),
            f"{row['holders']:,}",
            f"{row['active']:,}",
            f"{row['unused_seats']:,}" if row["kind"] == "seats" else "-",
            f"{row['idle_holders']:,}" if row["kind"] != "seats" else "-",
            pct(row["unused_pct"]),
            amount(row["price_per_seat_month"], currency),
            amount(row["unused_seat_cost_per_month"], currency),
        ]
        for row in report.seats.iter_rows(named=True)
    ]
    columns = [
        "Service",
        "Plan",
        "Grant",
        "Holders>",
        "Active>",
        "Unused seats>",
        "Idle holders>",
        "Not used %>",
        "Seat price>",
        "Unused cost>",
    ]
    priced = report.seats["price_per_seat_month"].is_not_null().any()
    drop = set() if priced else {"Seat price", "Unused cost"}
    return fitted_table("Sanctioned grants", columns, rows, drop, width)


def grant_label(row: dict) -> str:
    """How a grant reads in a table: its seat file, departments or everyone, and if bundled."""
    return f"{row['grant']} (bundled)" if row["bundled"] else row["grant"]


def _weekly(report: Report, width: int) -> Table:
    rows = [
        [str(r["start"]), f"{r['ai_users']:,}", f"{r['shadow_users']:,}", f"{r['events']:,}"]
        for r in report.weekly.iter_rows(named=True)
    ]
    columns = ["Week of", "AI users>", "Shadow users>", "Events>"]
    return fitted_table("Weekly trend", columns, rows, set(), width)


def _health(report: Report) -> Group:
    h = report.ingest
    summary = Text(
        f"Ingest health: {h.files:,} file(s), {h.lines:,} lines, {h.events:,} events, "
        f"{h.rejected:,} rejected line(s)"
    )
    if not h.problems.height:
        return Group(summary)
    table = titled_table(
        "Files with rejected lines", "File and first rejected line,Format,Rejected>"
    )
    table.columns[0].overflow = "fold"
    for row in h.problems.iter_rows(named=True):
        samples = row["rejected_samples"] or []
        where = cell(row["source_file"])
        if samples:
            where.append("\n" + visible(samples[0])[:SAMPLE_WIDTH], style="dim")
        table.add_row(where, cell(row["source_format"]), f"{row['rejected']:,} of {row['lines']:,}")
    return Group(summary, table)
