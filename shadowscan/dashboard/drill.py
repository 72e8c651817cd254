"""The drill-down: one service's identities, then one identity's evidence lines.

Both tables are read from the period's classified events (`aggregate.ai_events`,
classified: what `explain` and `export` read), so a count here is the count of
evidence lines behind the report's row.
"""

from __future__ import annotations

import polars as pl

from shadowscan.match.catalogue import USE_SIGNALS

#: Evidence lines shown for one identity and service: the newest first.
EVIDENCE_ROWS = 500

IDENTITY_COLUMNS = (
    "identity",
    "department",
    "classification",
    "events",
    "use_events",
    "first",
    "last",
)
EVIDENCE_COLUMNS = ("ts", "where", "host", "rule", "classification", "reason")


def identities(events: pl.DataFrame) -> pl.DataFrame:
    """Per identity of one service's events: its classes, events, use events, first and last.

    Every matched event counts in the report's `events`, but only use signals
    (not a login page or a static asset) make a user: the identities with
    `use_events` are the report's `users`.
    """
    return (
        events.group_by("identity")
        .agg(
            pl.col("department").drop_nulls().first(),
            pl.col("classification").unique().sort().str.join(", "),
            pl.len().alias("events"),
            pl.col("signal").is_in(USE_SIGNALS).sum().alias("use_events"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
        )
        .sort(["events", "identity"], descending=[True, False])
        .select(IDENTITY_COLUMNS)
    )


def evidence(events: pl.DataFrame, identity: str) -> pl.DataFrame:
    """One identity's evidence lines: time, file:line, host, rule, classification, reason."""
    return (
        events.filter(pl.col("identity") == identity)
        .sort("ts", descending=True)
        .head(EVIDENCE_ROWS)
        .select(
            "ts",
            pl.format("{}:{}", "source_file", "source_line").alias("where"),
            "host",
            "rule",
            "classification",
            "reason",
        )
    )
