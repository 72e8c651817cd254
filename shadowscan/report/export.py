"""Event exports for SIEMs and notebooks: one record per AI-matched event."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import polars as pl

from shadowscan.report.pseudonym import pseudonymize_column
from shadowscan.report.safe import csv_safe

EXPORT_FORMATS = ("jsonl", "csv", "parquet")

COLUMNS = (
    "ts",
    "identity",
    "user",
    "client_ip",
    "host",
    "service_id",
    "service_name",
    "category",
    "signal",
    "plan",
    "rule",
    "source_format",
    "source_file",
    "source_line",
    "bytes_out",
    "bytes_in",
    "method",
    "url_path",
    "department",
    "sanctioned",
    "classification",
    "reason",
)
#: columns that name a person or a machine: replaced under --pseudonymize
PERSONAL = ("identity", "user", "client_ip")


def export_frame(classified: pl.DataFrame, key: bytes | None = None) -> pl.DataFrame:
    """The export columns; with a key, the personal ones become pseudonyms."""
    frame = classified.select(COLUMNS)
    if key is None:
        return frame
    for column in PERSONAL:
        frame = pseudonymize_column(frame, column, key)
    return frame


def write_export(frame: pl.DataFrame, fmt: str, out: Path | BinaryIO) -> None:
    """Write `frame` as `fmt`; times as ISO 8601 UTC in text formats."""
    if fmt == "parquet":
        frame.write_parquet(out)
        return
    text = frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
    if fmt == "jsonl":
        text.write_ndjson(out)
    else:
        strings = [n for n, t in text.schema.items() if t == pl.String]
        text.with_columns(csv_safe(pl.col(n)) for n in strings).write_csv(out)
