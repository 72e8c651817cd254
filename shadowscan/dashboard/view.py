"""What the user chose to see: a filter, a time range, a sort column; applied to report rows.

The filter narrows the rows of every table (services, categories,
departments, identities, grants, demand, champions) to those naming the text in a service,
category, department or identity; it never recomputes a number, so each row
shown is the row `report --format json` holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from shadowscan.analyse.aggregate import Report
from shadowscan.dashboard.source import DEFAULT_RANGE, TimeRange

#: The services table's sorts, cycled by `s`: (label, columns, descending). The first is the
#: report's own order.
SORTS = (
    ("users", ["users", "events", "service_id"], [True, True, False]),
    ("shadow users", ["shadow_users", "users", "service_id"], [True, True, False]),
    ("events", ["events", "users", "service_id"], [True, True, False]),
    ("name", ["name", "service_id"], [False, False]),
)


@dataclass(frozen=True)
class View:
    text: str = ""
    span: TimeRange = DEFAULT_RANGE
    sort: int = 0

    @property
    def sort_label(self) -> str:
        return SORTS[self.sort][0]

    def next_sort(self) -> View:
        return replace(self, sort=(self.sort + 1) % len(SORTS))


def _names(text: str, *columns: str) -> pl.Expr:
    """Whether any of the columns (text, or lists of text) contains `text`, case-blind."""
    needle = text.lower()
    hits = []
    for name in columns:
        hits.append(
            pl.col(name).cast(pl.String).str.to_lowercase().str.contains(needle, literal=True)
        )
    return pl.any_horizontal(hits).fill_null(False)


def _listed(text: str, column: str) -> pl.Expr:
    needle = text.lower()
    return (
        pl.col(column)
        .list.eval(pl.element().str.to_lowercase().str.contains(needle, literal=True))
        .list.any()
        .fill_null(False)
    )


def apply(report: Report, view: View) -> Report:
    """The report with only the rows the filter names, services sorted the chosen way."""
    _, columns, descending = SORTS[view.sort]
    services = report.services.sort(columns, descending=descending)
    report = replace(report, services=services)
    text = view.text.strip()
    if not text:
        return report
    matching = services.filter(_names(text, "service_id", "name", "category"))
    ids = matching["service_id"].implode()
    return replace(
        report,
        services=matching,
        categories=report.categories.filter(
            _names(text, "category") | pl.col("category").is_in(matching["category"].implode())
        ),
        departments=report.departments.filter(_names(text, "department")),
        identities=report.identities.filter(_names(text, "identity") | _listed(text, "services")),
        shadow_identities=report.shadow_identities.filter(
            _names(text, "identity", "department") | _listed(text, "services")
        ),
        new_services=report.new_services.filter(_names(text, "service_id", "name", "category")),
        seats=report.seats.filter(pl.col("service_id").is_in(ids) | _names(text, "service_id")),
        daily_by_service=report.daily_by_service.filter(pl.col("service_id").is_in(ids)),
        decisions=replace(
            report.decisions,
            demand=report.decisions.demand.filter(_names(text, "service_id", "name")),
            champions=report.decisions.champions.filter(
                _names(text, "identity", "department") | _listed(text, "services")
            ),
        ),
    )
