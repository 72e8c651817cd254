"""The report as flat named tables: what the CSV and Markdown renderers write.

Lists become `;`-joined text and times ISO 8601 UTC; byte columns are null
where no event logged a size (unknown, not zero).
"""

from __future__ import annotations

import polars as pl

from shadowscan.analyse.aggregate import Report
from shadowscan.report.jsonout import SERVICE_COLUMNS, headline_doc


def flat_tables(report: Report) -> dict[str, pl.DataFrame]:
    head = headline_doc(report.headline)
    headline = pl.DataFrame(
        {"metric": list(head), "value": ["" if v is None else str(v) for v in head.values()]}
    )
    tables = {
        "headline": headline,
        "services": report.services.with_columns(_bytes()).select(SERVICE_COLUMNS),
        "categories": report.categories,
        "departments": report.departments,
        "shadow_identities": report.shadow_identities.with_columns(_bytes()).drop("has_bytes_out"),
        "identities": report.identities,
        "seats": report.seats,
        "new_services": report.new_services.select("service_id", "name", "category", "first_seen"),
        "daily": report.daily,
        "weekly": report.weekly,
    }
    return {name: _flat(frame) for name, frame in tables.items()}


def _bytes() -> pl.Expr:
    return pl.when("has_bytes_out").then("bytes_out").alias("bytes_out")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(pl.List(pl.String)).list.join("; "),
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        pl.col(pl.Date).cast(pl.String),
    )
