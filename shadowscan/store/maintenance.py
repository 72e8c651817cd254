"""Keeping a store healthy: status, compaction and vacuum, retention.

Cron and `watch` leave many small commits behind; `compact` rewrites them
into fewer files (the transaction ids, so the manifest, are untouched) and
vacuums the files no version needs any more. `prune` drops whole days of
events but keeps the manifest, so pruned logs are not read again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date, datetime

import polars as pl
from deltalake import DeltaTable

from shadowscan.store.delta import VERSION_FILE, EventStore


@dataclass(frozen=True)
class Status:
    path: str
    schema_version: int | None
    size_bytes: int
    events: int
    sources: int
    rejected_lines: int
    first_day: date | None
    last_day: date | None
    days: int
    last_ingest: datetime | None
    data_files: int
    table_version: int | None

    def as_dict(self) -> dict:
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in asdict(self).items()}


def status(store: EventStore) -> Status:
    events = (
        store.events()
        .select(
            pl.len().alias("events"),
            pl.col("day").min().alias("first"),
            pl.col("day").max().alias("last"),
            pl.col("day").n_unique().alias("days"),
        )
        .collect()
        .row(0, named=True)
    )
    runs = (
        store.runs()
        .select(
            pl.col("source_id").n_unique(), pl.col("rejected").sum(), pl.col("ingested_at").max()
        )
        .collect()
        .row(0)
    )
    table = _table(store)
    marker = store.root / VERSION_FILE
    version = json.loads(marker.read_text())["schema_version"] if marker.is_file() else None
    return Status(
        path=str(store.root),
        schema_version=version,
        size_bytes=_size(store),
        events=events["events"],
        sources=runs[0],
        rejected_lines=int(runs[1] or 0),
        first_day=events["first"],
        last_day=events["last"],
        days=events["days"] if events["events"] else 0,
        last_ingest=runs[2],
        data_files=len(table.file_uris()) if table else 0,
        table_version=table.version() if table else None,
    )


def compact(store: EventStore, vacuum_hours: int) -> dict:
    """Rewrite small files into larger ones, checkpoint, and vacuum older files."""
    result = {}
    for name, path in (("events", store.events_path), ("ingest", store.runs_path)):
        if not (path / "_delta_log").is_dir():
            continue
        table = DeltaTable(str(path))
        before = len(table.file_uris())
        table.optimize.compact()
        table.create_checkpoint()
        # full: also the files no commit ever named, left by a crashed ingest or a
        # Dask task attempt that lost its worker (a lite vacuum only sees removed files)
        removed = table.vacuum(
            retention_hours=vacuum_hours,
            dry_run=False,
            enforce_retention_duration=False,
            full=True,
        )
        table.cleanup_metadata()
        result[name] = {
            "files_before": before,
            "files_after": len(table.file_uris()),
            "files_vacuumed": len(removed),
        }
    return result


def prune(store: EventStore, cutoff: date) -> int:
    """Delete the events of days before `cutoff` (whole partitions); the number deleted."""
    table = _table(store)
    if table is None:
        return 0
    metrics = table.delete(f"day < '{cutoff.isoformat()}'")
    return int(metrics.get("num_deleted_rows") or 0)


def _table(store: EventStore) -> DeltaTable | None:
    path = store.events_path
    return DeltaTable(str(path)) if (path / "_delta_log").is_dir() else None


def _size(store: EventStore) -> int:
    if store.remote:
        return store.root.total_size()
    total = 0
    for root, _, files in os.walk(store.root):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total
