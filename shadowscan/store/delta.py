"""The store: Delta Lake tables under one folder.

`events/` holds every normalised event, partitioned by `day`; `ingest/` holds
one row per commit of a source's lines (format, offsets, line counts, rejected
samples: the manifest, see `manifest.py`). Delta gives atomic commits (a crash
never leaves half a batch visible), many writers, and tables that Spark,
Trino, DuckDB and Polars read as they are. `shadowscan-store.json` names the
store's schema version.

The store may lie on object storage (`--store s3://bucket/shadowscan/`): the
same tables under a key prefix, written by many processes on many hosts at once.
No lock spans hosts there, so exactly-once rests on the Delta log alone: each
commit of a source's events carries its application transaction, and is made
only if the transaction still stands where this writer last saw it, against a
snapshot whose later rivals Delta's conflict check rejects ("concurrent
transaction"). The loser raises `SourceTaken` and leaves that log to the winner.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError
from deltalake.schema import Field, PrimitiveType
from deltalake.transaction import AddAction

from shadowscan.ahead import ahead
from shadowscan.cloud import is_uri
from shadowscan.errors import StoreError
from shadowscan.schema import PARTITION_COLUMN, SOURCE_COLUMN, TABLE_SCHEMA
from shadowscan.store.files import PartitionedWriter
from shadowscan.store.locks import source_lock
from shadowscan.store.manifest import app_id
from shadowscan.store.remote import ObjectPath

SCHEMA_VERSION = 3
VERSION_FILE = "shadowscan-store.json"
#: Arrow schema of the Parquet files: the table's columns without the partition column.
EVENT_ARROW_SCHEMA = (
    pl.DataFrame(schema={k: v for k, v in TABLE_SCHEMA.items() if k != PARTITION_COLUMN})
    .to_arrow(compat_level=pl.CompatLevel.newest())
    .schema
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
        SOURCE_COLUMN: pl.String,
        "fp_len": pl.Int64,
        "dev": pl.Int64,
        "inode": pl.Int64,
        "size": pl.Int64,
        "mtime_ns": pl.Int64,
        "offset_start": pl.Int64,
        "offset_end": pl.Int64,
        "line_end": pl.Int64,
        "complete": pl.Boolean,
        "etag": pl.String,  # an object's ETag (object storage); null for a local file
    }
)


class SourceTaken(Exception):
    """Another writer committed events of this source since this one read its position."""


def default_store_path() -> str:
    return os.environ.get("SHADOWSCAN_STORE") or "shadowscan-data"


class EventStore:
    """Append events in streaming commits; scan them back lazily."""

    def __init__(self, root: Path | str):
        self.remote = is_uri(root)
        self.root = ObjectPath.of(str(root)) if self.remote else Path(root)
        self.events_path = self.root / "events"
        self.runs_path = self.root / "ingest"
        #: per source, the transaction version this writer last saw (-1: none)
        self._seen: dict[str, int] = {}

    @contextmanager
    def lock(self, source_id: str) -> Iterator[bool]:
        """Hold a source for this process: a local lock file; on object storage, where no
        lock spans hosts, always granted (`append` detects a rival instead)."""
        if self.remote:
            yield True
            return
        with source_lock(self.root, source_id) as held:
            yield held

    def exists(self) -> bool:
        return (self.events_path / "_delta_log").is_dir() or (
            self.runs_path / "_delta_log"
        ).is_dir()

    def check_version(self, create: bool = False) -> None:
        """Refuse a store this version cannot read; mark a new one with our schema version."""
        marker = self.root / VERSION_FILE
        if marker.is_file():
            try:
                version = json.loads(marker.read_text())["schema_version"]
            except (ValueError, KeyError, TypeError):
                raise StoreError(f"{marker} is damaged: it names no schema version.") from None
            if version == 2:
                self._add_cut(marker)
            elif version != SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.root} has schema version {version}; this shadowscan "
                    f"reads version {SCHEMA_VERSION}.",
                    hint="Use the shadowscan that made it, or ingest the logs into a new store.",
                )
        elif self.exists():
            raise StoreError(
                f"the store {self.root} was made by shadowscan 0.1 before the ingest manifest "
                "existed, so its files cannot be continued safely.",
                hint="Ingest the logs into a new store (--store NEW).",
            )
        elif create:
            self.root.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n")

    def _add_cut(self, marker: Path) -> None:
        """Upgrade a version 2 store: the events table gains `cut` (null for its events).

        A metadata-only commit; two processes upgrading at once both end with the column.
        """
        if (self.events_path / "_delta_log").is_dir():
            table = DeltaTable(str(self.events_path))
            if "cut" not in table.schema().to_arrow().names:
                try:
                    table.alter.add_columns(Field("cut", PrimitiveType("boolean"), nullable=True))
                except DeltaError:
                    if "cut" not in DeltaTable(str(self.events_path)).schema().to_arrow().names:
                        raise
        temporary = marker.with_suffix(".tmp")
        temporary.write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n")
        temporary.replace(marker)

    def committed_offset(self, source_id: str) -> int:
        """The byte offset of the source's last committed events (-1: none), read fresh."""
        version = None
        if (self.events_path / "_delta_log").is_dir():
            version = DeltaTable(str(self.events_path)).transaction_version(app_id(source_id))
        self._seen[source_id] = -1 if version is None else version
        return self._seen[source_id]

    def append(
        self,
        batches: Iterable[pl.DataFrame],
        *,
        source_file: str,
        source_id: str,
        offset: Callable[[], int],
    ) -> int:
        """Write event frames as Parquet and commit them to Delta atomically, as one commit.

        The commit carries the source's transaction at `offset()` (asked once the
        batches are consumed: where they end in the file), so the events and the
        manifest's position advance together. Returns the number of events
        written; nothing is committed for none.
        """
        actions = self.write(batches, source_id)
        self.commit(actions, source_file=source_file, source_id=source_id, offset=offset())
        return sum(json.loads(a.stats)["numRecords"] for a in actions)

    def write(self, batches: Iterable[pl.DataFrame], source_id: str) -> list[AddAction]:
        """Write event frames as Parquet files in the table's folder, uncommitted: their
        add actions. Readers see them only once committed; the next frame is parsed in
        a thread while this one is written."""
        writer = PartitionedWriter(self.events_path, EVENT_ARROW_SCHEMA)
        for frame in ahead(batches):
            writer.write(frame.with_columns(pl.lit(source_id).alias(SOURCE_COLUMN)))
        return writer.close()

    def commit(
        self, actions: list[AddAction], *, source_file: str, source_id: str, offset: int
    ) -> None:
        """Commit written files in one Delta transaction that moves the source's
        application transaction to `offset`; nothing for no files."""
        if actions:
            properties = CommitProperties(
                custom_metadata={"shadowscan.source_file": source_file},
                app_transactions=[Transaction(app_id(source_id), offset)],
            )
            self._commit(actions, properties, source_id)
            self._seen[source_id] = offset

    def forget(self, source_id: str) -> None:
        """Remove a source's events and manifest rows, for `--reingest`.

        The manifest rows go first: should the run stop between the two, the
        next one recounts from the transaction rather than trusting stale rows.
        """
        if (self.runs_path / "_delta_log").is_dir():
            DeltaTable(str(self.runs_path)).delete(f"{SOURCE_COLUMN} = '{source_id}'")
        if (self.events_path / "_delta_log").is_dir():
            DeltaTable(str(self.events_path)).delete(
                f"{SOURCE_COLUMN} = '{source_id}'",
                commit_properties=CommitProperties(
                    app_transactions=[Transaction(app_id(source_id), 0)]
                ),
            )
            self._seen[source_id] = 0

    def _commit(self, actions: list[AddAction], properties: CommitProperties, source: str) -> None:
        """Commit add actions if the source's transaction is where this writer saw it."""
        schema = pl.DataFrame(schema=TABLE_SCHEMA).to_arrow().schema
        self._create_events_table(schema)
        table = DeltaTable(str(self.events_path))
        self._check_unclaimed(table, source)
        try:
            table.create_write_transaction(
                actions,
                mode="append",
                schema=schema,
                partition_by=[PARTITION_COLUMN],
                commit_properties=properties,
            )
        except CommitFailedError as exc:
            if "concurrent transaction" in str(exc).lower():
                raise SourceTaken(source) from None
            raise

    def _create_events_table(self, schema) -> None:
        """Create the events table empty, so that even the first events are committed against
        a snapshot (a commit that creates the table has none to check a rival against);
        when writers race to create it, one does and the others find it."""
        if (self.events_path / "_delta_log").is_dir():
            return
        try:
            DeltaTable.create(
                str(self.events_path),
                DeltaSchema.from_arrow(schema),
                partition_by=[PARTITION_COLUMN],
                mode="ignore",
            )
        except DeltaError:
            if not (self.events_path / "_delta_log").is_dir():
                raise

    def _check_unclaimed(self, table: DeltaTable, source: str) -> None:
        """Raise `SourceTaken` if, in this snapshot, the source's transaction moved since
        this writer read it: a rival stored part of the same log meanwhile."""
        if source not in self._seen:
            return
        version = table.transaction_version(app_id(source))
        if (-1 if version is None else version) != self._seen[source]:
            raise SourceTaken(source)

    def record_run(self, run: dict) -> None:
        """Add one row describing an ingested file to the `ingest` table."""
        frame = pl.DataFrame([run], schema=RUNS_SCHEMA).to_arrow()
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            write_deltalake(str(self.runs_path), frame, mode="append", schema_mode="merge")
        except DeltaError:  # two writers creating the table at once: the loser appends
            if not (self.runs_path / "_delta_log").is_dir():
                raise
            write_deltalake(str(self.runs_path), frame, mode="append", schema_mode="merge")

    def events(self) -> pl.LazyFrame:
        """All stored events, lazily; an empty frame for a store with none yet."""
        return self._scan(self.events_path, TABLE_SCHEMA)

    def runs(self) -> pl.LazyFrame:
        return self._scan(self.runs_path, RUNS_SCHEMA)

    def days(self) -> pl.DataFrame:
        """One row per day holding events: day, events, first and last time, oldest first."""
        return (
            self.events()
            .group_by(pl.col("ts").dt.date().alias("day"))
            .agg(
                pl.len().alias("events"),
                pl.col("ts").min().alias("first"),
                pl.col("ts").max().alias("last"),
            )
            .sort("day")
            .collect()
        )

    def _scan(self, path: Path | ObjectPath, schema: pl.Schema) -> pl.LazyFrame:
        if not (path / "_delta_log").is_dir():
            return pl.LazyFrame(schema=schema)
        try:
            table = DeltaTable(str(path))
        except (TableNotFoundError, OSError) as exc:
            # an object store's message may carry its endpoint: the address alone is said
            detail = "" if self.remote else f" ({exc})"
            raise StoreError(f"{path} is not a readable shadowscan store{detail}.") from exc
        # Polars skips the files whose `ts` statistics in this snapshot's add actions
        # fall outside a filter on `ts` (a report's period reads only its days' files)
        # and reads only the columns a query names; the log is read once, here.
        return pl.scan_delta(table)
