"""Write event frames as Parquet files in day partitions, ready to commit to Delta.

We write the files ourselves (pyarrow's streaming ParquetWriter, one row group
per chunk) instead of handing a stream to Delta's writer because memory stays
bounded by one chunk, the GIL is released while encoding so parsing the next
chunk overlaps, and files can be committed in bounded batches. Files nobody
committed are invisible to readers and removed by a vacuum. On object storage
(`remote.ObjectPath` for a root) each file is uploaded in parts as it is written.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

from shadowscan.schema import PARTITION_COLUMN

#: Rows per Parquet file before the writer starts another.
FILE_ROWS = 4_000_000
#: Dictionary-encode the columns with few distinct values only; keep statistics
#: where readers prune on them. Both halve the writing time of the defaults.
#: The Arrow schema is not embedded: Polars hands over string views (no copy)
#: and the files should read as plain UTF-8 strings everywhere.
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": [
        "event_kind", "client_ip", "user_raw", "user", "identity", "host",
        "registered_domain", "method", "action", "source_format", "source_file", "source_id",
    ],
    "write_statistics": ["ts", "source_line"],
    "store_schema": False,
}  # fmt: skip


@dataclass
class _OpenFile:
    relative: str
    writer: pq.ParquetWriter
    day: str | None
    upload: object = None  # the object being uploaded, for a store on object storage
    rows: int = 0
    ts_min: object = None
    ts_max: object = None


@dataclass
class PartitionedWriter:
    """Parquet files under `root/day=YYYY-MM-DD/`, described as Delta add actions."""

    root: Path
    schema: pa.Schema
    done: list[AddAction] = field(default_factory=list)
    _open: dict[str | None, _OpenFile] = field(default_factory=dict)

    def write(self, events: pl.DataFrame) -> None:
        for (day,), part in events.partition_by(PARTITION_COLUMN, as_dict=True).items():
            key = None if day is None else day.isoformat()
            handle = self._open.get(key) or self._start(key)
            table = part.drop(PARTITION_COLUMN).to_arrow(compat_level=pl.CompatLevel.newest())
            # Casting only when needed spares every run pyarrow.compute's import (35 ms).
            if not table.schema.equals(self.schema):
                table = table.cast(self.schema)
            handle.writer.write_table(table)
            handle.rows += part.height
            lo, hi = part["ts"].min(), part["ts"].max()
            handle.ts_min = lo if handle.ts_min is None else min(handle.ts_min, lo)
            handle.ts_max = hi if handle.ts_max is None else max(handle.ts_max, hi)
            if handle.rows >= FILE_ROWS:
                self._finish(key)

    def close(self) -> list[AddAction]:
        """Finish every open file; the add actions of all files written."""
        for key in list(self._open):
            self._finish(key)
        return self.done

    def _start(self, day: str | None) -> _OpenFile:
        folder = f"{PARTITION_COLUMN}={day if day is not None else '__HIVE_DEFAULT_PARTITION__'}"
        relative = f"{folder}/part-{uuid.uuid4()}.zstd.parquet"
        target = self.root / relative
        upload = None if isinstance(target, Path) else target.open_upload()
        if upload is None:
            target.parent.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(upload or target, self.schema, **PARQUET_OPTIONS)
        self._open[day] = _OpenFile(relative, writer, day, upload)
        return self._open[day]

    def _finish(self, key: str | None) -> None:
        handle = self._open.pop(key)
        handle.writer.close()
        if handle.upload is not None:
            handle.upload.close()
        stats = {
            "numRecords": handle.rows,
            "minValues": {"ts": _iso(handle.ts_min)},
            "maxValues": {"ts": _iso(handle.ts_max)},
            "nullCount": {"ts": 0},
        }
        self.done.append(
            AddAction(
                path=handle.relative,
                size=_size(self.root / handle.relative, handle.upload),
                partition_values={PARTITION_COLUMN: handle.day},
                modification_time=int(time.time() * 1000),
                data_change=True,
                stats=json.dumps(stats),
            )
        )


def _size(target, upload) -> int:
    return upload.size if upload is not None else target.stat().st_size


def _iso(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value is not None else None
