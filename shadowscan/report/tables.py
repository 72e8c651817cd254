"""The report as flat named tables: what the CSV and Markdown renderers write.

Lists become `;`-joined text and times ISO 8601 UTC; byte columns are null
where no event logged a size (unknown, not zero).
"""

from __future__ import annotations

import polars as pl

from shadowscan.analyse.aggregate import Report
from shadowscan.report.jsonout import SERVICE_COLUMNS, decisions_doc, headline_doc


def flat_tables(report: Report) -> dict[str, pl.DataFrame]:
    headline = _metrics(headline_doc(report.headline))
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
        "daily_by_service": report.daily_by_service,
        **decision_tables(report),
    }
    return {name: _flat(frame) for name, frame in tables.items()}


def decision_tables(report: Report) -> dict[str, pl.DataFrame]:
    """Demand, risk by country and champions as tables; the rest as `metric,value` rows.

    A demand row's departments read `Engineering: 2; Legal: 1`.
    """
    d = report.decisions
    where = pl.concat_str(
        pl.element().struct.field("department"),
        pl.element().struct.field("shadow_users").cast(pl.String),
        separator=": ",
    )
    demand = d.demand.with_columns(pl.col("departments").list.eval(where))
    doc = decisions_doc(d)
    summary = {
        f"{section}.{key}": value
        for section in ("risk", "money", "benchmark")
        for key, value in doc[section].items()
        if key != "by_headquarters"
    }
    summary = {"regular_days": d.regular_days, **summary, "champions": d.champions_sentence}
    return {
        "demand": demand,
        "risk_by_headquarters": d.risk.by_headquarters,
        "champions": d.champions,
        "decisions": _metrics(summary),
    }


def _metrics(values: dict) -> pl.DataFrame:
    """`metric,value` rows; a list reads `a; b`, a missing value is empty."""
    text = [
        "; ".join(v) if isinstance(v, list) else "" if v is None else str(v)
        for v in values.values()
    ]
    return pl.DataFrame({"metric": list(values), "value": text}, schema=_METRIC_SCHEMA)


_METRIC_SCHEMA = {"metric": pl.String, "value": pl.String}


def _bytes() -> pl.Expr:
    return pl.when("has_bytes_out").then("bytes_out").alias("bytes_out")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(pl.List(pl.String)).list.join("; "),
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        pl.col(pl.Date).cast(pl.String),
    )
