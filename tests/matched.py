"""The columns of matched AI events as `classify` and the gap functions take them: for
tests that build such events by hand rather than through a store."""

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
