"""The columns of matched AI events as `classify` takes them, and the weighed rows the gap
functions take: for tests that build such events by hand rather than through a store."""

from __future__ import annotations

import polars as pl

MATCHED_SCHEMA = {
    "ts": pl.Datetime("us", "UTC"),
    "identity": pl.String,
    "user": pl.String,
    "client_ip": pl.String,
    "service_id": pl.String,
    "plan": pl.String,
    "rule": pl.String,
    "signal": pl.String,
    "bytes_out": pl.Int64,
}


def weighed(classified: pl.DataFrame) -> pl.DataFrame:
    """Classified events as the gap functions take them: weighed rows of one event each."""
    return classified.with_columns(
        pl.lit(1, pl.get_index_type()).alias("events"), pl.col("ts").alias("last")
    )
