"""Event exports for SIEMs and notebooks: one record per AI-matched event."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import polars as pl

from shadowscan.report.output import atomic_write
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


def write_export(
    frame: pl.DataFrame, fmt: str, out: Path | BinaryIO, private: bool = False
) -> None:
    """Write `frame` as `fmt` (a file atomically); times as ISO 8601 UTC in text formats."""
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        data = buffer.getvalue()
    else:
        text = frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
        if fmt == "jsonl":
            data = _one_record_per_line(text.write_ndjson().encode("utf-8"))
        else:
            strings = [n for n, t in text.schema.items() if t == pl.String]
            safe = text.with_columns(csv_safe(pl.col(n)) for n in strings)
            data = safe.write_csv().encode("utf-8")
    if isinstance(out, Path):
        atomic_write(out, data, private)
    else:
        out.write(data)


#: Characters valid inside a JSON string that line splitters (Python's
#: `splitlines`, many editors) take for line ends; escaped so one record stays one line.
_LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _one_record_per_line(data: bytes) -> bytes:
    for raw, escaped in _LINE_BREAKS.items():
        data = data.replace(raw.encode("utf-8"), escaped.encode("ascii"))
    return data
