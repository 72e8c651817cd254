"""Logs read where they lie on object storage: list a prefix, read each object streaming.

An object is read through the same reader as a local file (compression by magic
bytes, chunks of whole lines, format detection), from a seekable file object
that fetches it in bounded ranged requests: never a whole object in memory.
An object is known in the manifest by its address (bucket and key) and ETag, so
a re-run lists but never fetches what it has read. Under a prefix laid out by
date (Umbrella's `dnslogs/YYYY-MM-DD/…`), listing starts at the day of the last
key read (S3's StartAfter); `--relist` lists everything again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from shadowscan.cloud import READ_BUFFER, ObjectUri, bucket_store, remote_errors

#: A date in a key (2026-11-03, 2026/11/03, 20261103): keys below it sort by time.
_DATE = re.compile(r"(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{4}/\d{2}/\d{2}|\d{8})(?!\d)")


class ObjectName(str):
    """An object's address where a local file's Path would stand (summary, progress, rows)."""

    @property
    def name(self) -> str:
        return self.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ObjectStat:
    """The part of a file's stat the pipeline uses, for an object, plus its address and ETag."""

    uri: str
    etag: str
    st_size: int
    st_mtime: float
    st_dev: int = 0
    st_ino: int = 0

    @property
    def st_mtime_ns(self) -> int:
        return int(self.st_mtime * 1e9)


@dataclass(frozen=True)
class LogObject:
    """One object to read: the bucket's store, its key, and what the listing said of it."""

    store: object
    key: str
    stat: ObjectStat

    @property
    def path(self) -> ObjectName:
        return ObjectName(self.stat.uri)

    @contextmanager
    def open(self) -> Iterator[ObjectFile]:
        file = ObjectFile(self.store, self.key, self.stat.st_size, self.stat.uri)
        try:
            yield file
        finally:
            file.close()


class ObjectFile:
    """A seekable binary file over an object: what the reader asks of an open local file.

    The object is fetched in aligned blocks by ranged GETs, and the block after the
    one being read is fetched in a thread meanwhile, so the network's latency hides
    behind parsing instead of adding to it (one request at a time left a loopback
    read of 160 MB waiting 5 s). Two blocks at most are held.
    """

    closed = False

    def __init__(self, store, key: str, size: int, name: str):
        self._store, self._key, self.size, self.name = store, key, size, name
        self._pos, self._start, self._block = 0, 0, b""
        self._ahead: tuple[int, Future] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="object-read-ahead")

    def read(self, size: int = -1) -> bytes:
        left = self.size - self._pos if size is None or size < 0 else size
        out = bytearray()
        while left > 0 and self._pos < self.size:
            block = self._block_at(self._pos)
            at = self._pos - self._start
            piece = memoryview(block)[at : at + left]
            out += piece
            self._pos += len(piece)
            left -= len(piece)
        return bytes(out)

    def _block_at(self, pos: int) -> bytes:
        """The block holding byte `pos`; the next one starts downloading."""
        if not self._start <= pos < self._start + len(self._block):
            start = pos - pos % READ_BUFFER
            ahead, self._ahead = self._ahead, None
            ready = ahead is not None and ahead[0] == start
            self._start, self._block = start, ahead[1].result() if ready else self._fetch(start)
            following = start + READ_BUFFER
            if following < self.size:
                self._ahead = (following, self._pool.submit(self._fetch, following))
        return self._block

    def _fetch(self, start: int) -> bytes:
        import obstore

        end = min(start + READ_BUFFER, self.size)
        with remote_errors(self.name, "read"):
            return obstore.get_range(self._store, self._key, start=start, end=end).to_bytes()

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._block, self._ahead, self.closed = b"", None, True


@dataclass
class ObjectListing:
    objects: list[LogObject] = field(default_factory=list)
    #: (address, reason) for what is passed over, as for local paths
    skipped: list[tuple[str, str]] = field(default_factory=list)


def find_objects(address: str, read_before: list[str], relist: bool) -> ObjectListing:
    """The objects under `address`, in key order (or the one object it names).

    `read_before` holds the addresses of objects already read under it: for a
    prefix laid out by date, listing starts at the day of the last one, unless
    `relist`. Keys with a segment starting with `.` are passed over, as hidden
    files are locally.
    """
    uri = ObjectUri.parse(address)
    store = bucket_store(uri)
    prefix = f"{uri.key}/" if uri.key else ""
    offset = None if relist else start_after(uri, read_before)
    found = ObjectListing()
    with remote_errors(str(uri), "list"):
        metas = [m for batch in _listing(store, prefix, offset) for m in batch]
        if not metas and uri.key:  # the address may name one object
            metas = _single(store, uri.key)
    for meta in sorted(metas, key=lambda m: m["path"]):
        key = meta["path"]
        if any(part.startswith(".") for part in key.split("/")) or key.endswith("/"):
            continue
        stat = ObjectStat(
            uri=uri.join(key),
            etag=meta.get("e_tag") or "",
            st_size=meta["size"],
            st_mtime=meta["last_modified"].timestamp(),
        )
        found.objects.append(LogObject(store, key, stat))
    if not found.objects and not read_before:
        found.skipped.append((str(uri), "no objects there"))
    return found


def _listing(store, prefix: str, offset: str | None):
    import obstore

    return obstore.list(store, prefix or None, offset=offset, chunk_size=1000)


def _single(store, key: str) -> list[dict]:
    import obstore

    try:
        return [obstore.head(store, key)]
    except FileNotFoundError:  # what obstore raises for a missing object
        return []


def start_after(uri: ObjectUri, read_before: list[str]) -> str | None:
    """Where listing may start: the day of the last key read under `uri`, when keys there
    begin with a date (in their first segment); None (list everything) otherwise.

    The last day is listed again rather than starting after the last key, so an
    object delivered late into that day is still found; listing fetches nothing,
    and what was already read is known by its ETag.
    """
    base = f"{uri.key}/" if uri.key else ""
    keys = [a.removeprefix(uri.root + "/") for a in read_before if a.startswith(uri.root + "/")]
    keys = [k for k in keys if k.startswith(base)]
    if not keys:
        return None
    last = max(keys)
    date = _DATE.search(last[len(base) :].split("/", 1)[0])
    if date is None and (date := _DATE.match(last[len(base) :])) is None:
        return None
    return last[: len(base) + date.end()]  # S3's StartAfter: keys after this, that day's too
