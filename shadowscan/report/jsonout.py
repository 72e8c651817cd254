"""The JSON report: a stable contract for cron jobs and other tools."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from shadowscan import __version__
from shadowscan.analyse.aggregate import Report
from shadowscan.analyse.decisions import Decisions
from shadowscan.analyse.gap import Headline

SCHEMA = "shadowscan.report/1"
SERVICE_COLUMNS = (
    "service_id",
    "name",
    "category",
    "sanctioned",
    "users",
    "shadow_users",
    "events",
    "active_days",
    "bytes_out",
    "bytes_in",
    "first_seen",
    "last_seen",
)


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
        "organization": report.headline.organization,
        "period": {"start": iso(report.period.start), "end": iso(report.period.end)},
        "stored": {
            "first": iso(report.stored[0]) if report.stored else None,
            "last": iso(report.stored[1]) if report.stored else None,
        },
        "ai_use_outside_period": {
            "events_before": report.outside.before,
            "events_after": report.outside.after,
            "first": iso(report.outside.first),
            "last": iso(report.outside.last),
        },
        "ingest": {"files": h.files, "lines": h.lines, "events": h.events, "rejected": h.rejected},
        "totals": {
            "events_in_period": report.events_in_period,
            "ai_events": report.ai_events,
            "ai_users": report.ai_users,
        },
        "headline": headline_doc(report.headline),
        "services": records(
            report.services.with_columns(_bytes("bytes_out")).select(SERVICE_COLUMNS)
        ),
        "categories": records(report.categories),
        "departments": records(report.departments),
        "identities": records(report.identities),
        "shadow_identities": records(
            report.shadow_identities.with_columns(_bytes("bytes_out")).drop("has_bytes_out")
        ),
        "new_services": records(report.new_services.select("service_id", "name", "first_seen")),
        "seats": records(report.seats),
        "trend": {
            "daily": records(report.daily),
            "weekly": records(report.weekly),
            "daily_by_service": records(report.daily_by_service),
        },
        **decisions_doc(report.decisions),
        "notes": report.notes,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def decisions_doc(d: Decisions) -> dict:
    """Demand, risk, money, champions and benchmark: the keys the README documents."""
    risk, money, bench = d.risk, d.money, d.benchmark
    return {
        "regular_days": d.regular_days,
        "demand": records(d.demand),
        "risk": {
            "training_users": risk.training_users,
            "training_upload_bytes": risk.training_upload_bytes,
            "training_services": risk.training_services,
            "by_headquarters": records(risk.by_headquarters),
            "sentence": risk.sentence,
        },
        "money": {**_fields(money), "sentence": money.sentence},
        "champions": records(d.champions),
        "champions_sentence": d.champions_sentence,
        "benchmark": {**_fields(bench), "sentence": bench.sentence},
    }


def _fields(obj) -> dict:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}


def headline_doc(head: Headline) -> dict:
    doc = {
        k: getattr(head, k)
        for k in head.__dataclass_fields__
        if k not in ("organization", "has_policy")
    }
    return {**doc, "sentence": head.sentence}


def _bytes(column: str) -> pl.Expr:
    """Null where no event logged an upload size: unknown, not zero."""
    return pl.when("has_bytes_out").then(column).alias(column)
