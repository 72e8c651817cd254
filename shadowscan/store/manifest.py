"""The ingest manifest: which part of which log is already in the store.

A log is known by a fingerprint of its first 4 KiB of decompressed content,
so `access.log`, its rename `access.log.1` and its compressed `access.log.2.gz`
are one source, read once. Shorter files are known by all their bytes, and
keep that identity as they grow. Each commit of events carries a Delta
application transaction (`shadowscan:<source>`, version = the byte offset
committed), atomically with the events; the `ingest` table's rows add what the
next run needs (the line count, the file's stat). Should a crash fall between
the two, the transaction wins and the line count is recounted from the file.

An object on object storage has no device or inode: it is known where it lies by
its address and ETag (the `source_file` and `etag` columns), which say whether
it changed; what it holds is known by the same fingerprint as a file's.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace

import polars as pl

FINGERPRINT_BYTES = 4096


@dataclass(frozen=True)
class Position:
    """Where reading a file resumes."""

    source_id: str
    fp_len: int
    offset: int  # decompressed bytes already in the store (per the ingest table)
    line: int  # lines already in the store
    known: bool
    note: str = ""  # e.g. "truncated since the last run (copy-truncate rotation)"
    warning: str = ""  # e.g. an object overwritten since it was read


def fingerprint(head: bytes) -> str:
    return hashlib.sha256(head).hexdigest()[:32]


def app_id(source_id: str) -> str:
    return f"shadowscan:{source_id}"


def stat_key(st) -> tuple:
    """What says a file (device, inode, size, time) or an object (address, ETag) is the
    very one read before."""
    etag = getattr(st, "etag", None)
    if etag is not None:
        return ("object", st.uri, etag)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _row_key(row: dict) -> tuple:
    if row.get("etag") is not None:
        return ("object", row["source_file"], row["etag"])
    return (row["dev"], row["inode"], row["size"], row["mtime_ns"])


class Manifest:
    """The latest ingest row of every source, indexed by fingerprint and by stat."""

    def __init__(self, runs: pl.DataFrame):
        latest = runs.sort("offset_end").unique("source_id", keep="last")
        self._rows = {row["source_id"]: row for row in latest.iter_rows(named=True)}
        self._by_stat = {_row_key(r): r for r in self._rows.values() if r["complete"]}
        self._by_inode = {
            (r["dev"], r["inode"]): r for r in self._rows.values() if r.get("etag") is None
        }
        objects = runs.filter(pl.col("etag").is_not_null()) if "etag" in runs.columns else None
        self._objects = (
            {}
            if objects is None
            else dict(objects.sort("ingested_at").select("source_file", "etag").iter_rows())
        )
        self._fp_lens = sorted({r["fp_len"] for r in self._rows.values()}, reverse=True)

    def unchanged(self, st) -> bool:
        """The very file (or object) read to its end last time, untouched since: nothing to do."""
        return stat_key(st) in self._by_stat

    def objects_read(self) -> list[str]:
        """The address of every object read so far."""
        return list(self._objects)

    def locate(self, head: bytes, st: os.stat_result) -> Position:
        position = self._locate(head, st)
        warning = self.replaced(st)
        return replace(position, warning=warning) if warning else position

    def _locate(self, head: bytes, st: os.stat_result) -> Position:
        for length in self._fp_lens:
            if length <= len(head):
                row = self._rows.get(fingerprint(head[:length]))
                if row is not None and row["fp_len"] == length:
                    return Position(
                        row["source_id"], length, row["offset_end"], row["line_end"], known=True
                    )
        note = ""
        previous = self._by_inode.get((st.st_dev, st.st_ino))
        if previous is not None and getattr(st, "etag", None) is None:
            note = "rewritten since the last run (copy-truncate rotation?): read from the start"
        length = min(len(head), FINGERPRINT_BYTES)
        return Position(fingerprint(head[:length]), length, 0, 0, known=False, note=note)

    def replaced(self, st) -> str:
        """A warning if an object was read before under another ETag (overwritten), else ''."""
        etag = getattr(st, "etag", None)
        before = self._objects.get(getattr(st, "uri", None))
        if etag is None or before is None or before == etag:
            return ""
        return (
            "this object changed since it was read (another ETag under the same key); like a "
            "local file it is known by its first 4 KiB: the same beginning resumes where "
            "reading stopped, a new one is read as a new log"
        )
