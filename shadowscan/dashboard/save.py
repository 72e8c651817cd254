"""`e`: the rows on screen to a CSV or JSON file, atomically, never inside the store.

The format follows the file name (`.json`, else CSV). The same checks as
`report -o` apply (`check_output`), and CSV cells are formula-safe.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from shadowscan.report.jsonout import records
from shadowscan.report.output import atomic_write, check_output
from shadowscan.report.safe import csv_safe
from shadowscan.report.tables import _flat


def export_view(tables: dict[str, pl.DataFrame], path: Path, store: Path, inputs=()) -> str:
    """Write the view's tables to `path`; returns the format written.

    JSON is one object of named tables; CSV holds the first table (a drill-down
    view has one).
    """
    check_output(path, store, inputs)
    if path.suffix.lower() == ".json":
        doc = {name: records(frame) for name, frame in tables.items()}
        atomic_write(path, json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
        return "json"
    frame = _flat(next(iter(tables.values())))
    strings = [n for n, t in frame.schema.items() if t == pl.String]
    atomic_write(path, frame.with_columns(csv_safe(pl.col(n)) for n in strings).write_csv())
    return "csv"
