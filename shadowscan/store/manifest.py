"""The ingest manifest: which part of which log is already in the store.

A log is known by a fingerprint of its first 4 KiB of decompressed content,
so `access.log`, its rename `access.log.1` and its compressed `access.log.2.gz`
are one source, read once. Shorter files are known by all their bytes, and
keep that identity as they grow. Each commit of events carries a Delta
application transaction (`shadowscan:<source>`, version = the byte offset
committed), atomically with the events; the `ingest` table's rows add what the
next run needs (the line count, the file's stat). Should a crash fall between
the two, the transaction wins and the line count is recounted from the file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

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


def fingerprint(head: bytes) -> str:
    return hashlib.sha256(head).hexdigest()[:32]


def app_id(source_id: str) -> str:
    return f"shadowscan:{source_id}"


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class Manifest:
    """The latest ingest row of every source, indexed by fingerprint and by stat."""

    def __init__(self, runs: pl.DataFrame):
        latest = runs.sort("offset_end").unique("source_id", keep="last")
        self._rows = {row["source_id"]: row for row in latest.iter_rows(named=True)}
        self._by_stat = {
            (r["dev"], r["inode"], r["size"], r["mtime_ns"]): r
            for r in self._rows.values()
            if r["complete"]
        }
        self._by_inode = {(r["dev"], r["inode"]): r for r in self._rows.values()}
        self._fp_lens = sorted({r["fp_len"] for r in self._rows.values()}, reverse=True)

    def unchanged(self, st: os.stat_result) -> bool:
        """The very file read to its end last time, untouched since: nothing to do."""
        return stat_key(st) in self._by_stat

    def locate(self, head: bytes, st: os.stat_result) -> Position:
        for length in self._fp_lens:
            if length <= len(head):
                row = self._rows.get(fingerprint(head[:length]))
                if row is not None and row["fp_len"] == length:
                    return Position(
                        row["source_id"], length, row["offset_end"], row["line_end"], known=True
                    )
        note = ""
        previous = self._by_inode.get((st.st_dev, st.st_ino))
        if previous is not None:
            note = "rewritten since the last run (copy-truncate rotation?): read from the start"
        length = min(len(head), FINGERPRINT_BYTES)
        return Position(fingerprint(head[:length]), length, 0, 0, known=False, note=note)
