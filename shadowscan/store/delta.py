"""The store: Delta Lake tables under one folder.

`events/` holds every normalised event, partitioned by `day`; `ingest/` holds
one row per file ingested (format, line counts, rejected samples). Delta gives
atomic commits (a crash never leaves half a batch visible), many writers, and
tables that Spark, Trino, DuckDB and Polars read as they are.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import TableNotFoundError
from deltalake.transaction import AddAction, create_table_with_add_actions

from shadowscan.errors import StoreError
from shadowscan.schema import EVENT_SCHEMA, PARTITION_COLUMN, STORE_SCHEMA
from shadowscan.store.files import PartitionedWriter

SCHEMA_VERSION = "1"
#: Arrow schema of the Parquet files: the events without the partition column.
EVENT_ARROW_SCHEMA = (
    pl.DataFrame(schema=EVENT_SCHEMA).to_arrow(compat_level=pl.CompatLevel.newest()).schema
)

RUNS_SCHEMA = pl.Schema(
    {
        "ingested_at": pl.Datetime("us", "UTC"),
        "source_file": pl.String,
        "source_format": pl.String,
        "bytes": pl.Int64,
        "lines": pl.Int64,
        "events": pl.Int64,
        "skipped": pl.Int64,
        "rejected": pl.Int64,
        "ai_events": pl.Int64,
        "rejected_samples": pl.List(pl.String),
        "warnings": pl.List(pl.String),
    }
)


def default_store_path() -> Path:
    return Path(os.environ.get("SHADOWSCAN_STORE") or "shadowscan-data")


class EventStore:
    """Append events in streaming commits; scan them back lazily."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.events_path = self.root / "events"
        self.runs_path = self.root / "ingest"

    def exists(self) -> bool:
        return (self.events_path / "_delta_log").is_dir() or (
            self.runs_path / "_delta_log"
        ).is_dir()

    def append(self, batches: Iterable[pl.DataFrame], *, source_file: str) -> int:
        """Write event frames as Parquet and commit them to Delta atomically, as one commit.

        The next frame is parsed in a thread while this one is written.
        Returns the number of events written; nothing is committed for none.
        """
        writer = PartitionedWriter(self.events_path, EVENT_ARROW_SCHEMA)
        for frame in _prefetch(batches):
            writer.write(frame)
        actions = writer.close()
        if actions:
            self._commit(
                actions,
                CommitProperties(
                    custom_metadata={
                        "shadowscan.schema_version": SCHEMA_VERSION,
                        "shadowscan.source_file": source_file,
                    }
                ),
            )
        return sum(json.loads(a.stats)["numRecords"] for a in actions)

    def _commit(self, actions: list[AddAction], properties: CommitProperties) -> None:
        schema = pl.DataFrame(schema=STORE_SCHEMA).to_arrow().schema
        if (self.events_path / "_delta_log").is_dir():
            DeltaTable(str(self.events_path)).create_write_transaction(
                actions,
                mode="append",
                schema=schema,
                partition_by=[PARTITION_COLUMN],
                commit_properties=properties,
            )
        else:
            create_table_with_add_actions(
                str(self.events_path),
                DeltaSchema.from_arrow(schema),
                actions,
                mode="append",
                partition_by=[PARTITION_COLUMN],
                commit_properties=properties,
            )

    def record_run(self, run: dict) -> None:
        """Add one row describing an ingested file to the `ingest` table."""
        frame = pl.DataFrame([run], schema=RUNS_SCHEMA)
        self.root.mkdir(parents=True, exist_ok=True)
        write_deltalake(str(self.runs_path), frame.to_arrow(), mode="append")

    def events(self) -> pl.LazyFrame:
        """All stored events, lazily; an empty frame for a store with none yet."""
        return self._scan(self.events_path, STORE_SCHEMA)

    def runs(self) -> pl.LazyFrame:
        return self._scan(self.runs_path, RUNS_SCHEMA)

    def _scan(self, path: Path, schema: pl.Schema) -> pl.LazyFrame:
        if not (path / "_delta_log").is_dir():
            return pl.LazyFrame(schema=schema)
        try:
            DeltaTable(str(path))
        except (TableNotFoundError, OSError) as exc:
            raise StoreError(f"{path} is not a readable shadowscan store ({exc}).") from exc
        return pl.scan_delta(str(path))


def _prefetch(items: Iterable[pl.DataFrame], depth: int = 1) -> Iterator[pl.DataFrame]:
    """Produce the next item in a thread while the consumer works on this one.

    Parsing (Polars) and writing (Delta's Rust writer) both release the GIL,
    so on two cores the two stages overlap instead of taking turns.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def produce() -> None:
        try:
            for item in items:
                slots.put(item)
        except BaseException as exc:  # handed to the consumer, re-raised there
            slots.put(exc)
        else:
            slots.put(done)

    threading.Thread(target=produce, daemon=True).start()
    while (item := slots.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item
