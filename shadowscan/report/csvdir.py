"""`report --format csv -o DIR`: one CSV file per table, each written atomically."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from shadowscan.analyse.aggregate import Report
from shadowscan.report.output import atomic_write
from shadowscan.report.safe import csv_safe
from shadowscan.report.tables import flat_tables


def write_csv_dir(report: Report, folder: Path, private: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in flat_tables(report).items():
        strings = [n for n, t in frame.schema.items() if t == pl.String]
        safe = frame.with_columns(csv_safe(pl.col(n)) for n in strings)
        path = folder / f"{name}.csv"
        atomic_write(path, safe.write_csv(), private)
        written.append(path)
    return written
