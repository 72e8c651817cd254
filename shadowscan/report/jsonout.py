"""The JSON report: a stable contract for cron jobs and other tools."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from shadowscan import __version__
from shadowscan.analyse.aggregate import Report

SCHEMA = "shadowscan.report/1"


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a `Z`."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


def records(frame: pl.DataFrame) -> list[dict]:
    dates = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    return [
        {k: iso(v) if k in dates else v for k, v in row.items()}
        for row in frame.iter_rows(named=True)
    ]


def to_json(report: Report) -> str:
    h = report.ingest
    doc = {
        "schema": SCHEMA,
        "generator": f"shadowscan {__version__}",
        "period": {"start": iso(report.period.start), "end": iso(report.period.end)},
        "ingest": {"files": h.files, "lines": h.lines, "events": h.events, "rejected": h.rejected},
        "totals": {
            "events_in_period": report.events_in_period,
            "ai_events": report.ai_events,
            "ai_users": report.ai_users,
        },
        "services": records(
            report.services.select(
                "service_id",
                "name",
                "category",
                "users",
                "events",
                pl.when("has_bytes_out").then("bytes_out").alias("bytes_out"),
                "bytes_in",
                "first_seen",
                "last_seen",
            )
        ),
        "identities": records(report.identities),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
