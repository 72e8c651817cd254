"""Ingest fanned out over Dask distributed: workers read the logs, the client commits.

`ingest --scheduler tcp://HOST:8786` uses an existing cluster; `local:N` starts
a `LocalCluster` of N worker processes for a one-machine backlog. The client
finds the logs and decides from the manifest what is new in each and from
which offset, exactly as a local run does, and holds each source's lock. One
task per file then reads, parses, normalises and matches that file on a
worker (the pipeline's own `read_log`), writing its events as Parquet files
into the table's folder without committing them. The client commits each
file's groups in order, each in one Delta transaction carrying the source's
application transaction, then its manifest row, as a local run does, and
releases the source's lock. Two files of one log (a copy, a rename seen twice)
are read in turn, the second in a later wave, as a local run reads them.

So nothing is stored twice: a task Dask retries after losing a worker
returns one result, and only that attempt's files are committed; the files
of the killed attempt, like those a worker wrote for a client killed mid-run
(whose next run resumes from the committed offsets), are never in the table,
and `shadowscan compact` vacuums them. Workers need the same shadowscan
installed and must see the logs and the store at the same paths (or URIs).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from deltalake.transaction import AddAction

from shadowscan.enrich.hosts import HostTable
from shadowscan.errors import UsageError
from shadowscan.formats import LogFormat
from shadowscan.formats.mapped import MappedFormat
from shadowscan.ingest.reader import read_head
from shadowscan.ingest.resume import resume_point
from shadowscan.ingest.summary import FileResult, IngestSummary
from shadowscan.match.catalogue import Catalogue, load_catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.pipeline import (  # the pipeline's own run and open-log records too
    BUSY,
    Progress,
    Reading,
    _Log,
    _Run,
    begin,
    identify,
    read_log,
    tally,
    unreadable,
)
from shadowscan.store.delta import EventStore
from shadowscan.store.manifest import Manifest, Position, fingerprint

#: A log whose first bytes changed between listing and reading: the next run reads it.
CHANGED = "changed after it was listed (rotated or rewritten); the next run reads it"


@dataclass(frozen=True)
class Share:
    """One task: a log to read from byte `start` (`line` lines before it)."""

    path: Path
    fmt: LogFormat
    position: Position
    start: int
    line: int


@dataclass(frozen=True)
class Pending:
    """One commit group a worker wrote: its files, the source's new offset, its row."""

    actions: list[AddAction]
    offset: int
    row: dict


class DeferredStore:
    """A worker's sink: each group's Parquet files are written at once, their commit
    and manifest row kept for the client, which alone writes the Delta logs."""

    def __init__(self, store: EventStore):
        self._store = store
        self._written: tuple[list[AddAction], int] = ([], 0)
        self.pending: list[Pending] = []

    def append(
        self, batches: Iterable[pl.DataFrame], *, source_file: str, source_id: str, offset
    ) -> int:
        actions = self._store.write(batches, source_id)
        self._written = (actions, offset())
        return sum(json.loads(a.stats)["numRecords"] for a in actions)

    def record_run(self, run: dict) -> None:
        self.pending.append(Pending(*self._written, run))
        self._written = ([], 0)


def read_share(
    share: Share, store_root: str, reading: Reading, matcher: HostMatcher, topic: str | None
) -> tuple[FileResult | str, list[Pending]]:
    """On a worker: read one log's share into uncommitted Parquet files; its counts (or
    why it was not read) and the commits the client is to make. Progress goes to the
    client as events on `topic`, chunk by chunk, as a local run reports it."""
    store = EventStore(Path(store_root))
    sink = DeferredStore(store)
    run = _Run(store, reading, matcher, HostTable(), _publisher(topic), sink)
    with open(share.path, "rb") as raw:  # OSError: the client counts the file unreadable
        if fingerprint(read_head(raw, share.position.fp_len)) != share.position.source_id:
            return CHANGED, []
        log = _Log(share.path, raw, os.fstat(raw.fileno()))
        result = read_log(run, log, share.fmt, share.position, share.start, share.line)
    return result, sink.pending


def _publisher(topic: str | None) -> Progress | None:
    """A progress callback that sends (path, bytes done) to the client's topic."""
    if topic is None:
        return None
    from distributed import get_worker

    worker = get_worker()
    return lambda path, offset: worker.log_event(topic, (str(path), offset))


def ingest(
    paths: list[str | Path],
    store: EventStore,
    scheduler: str,
    *,
    log_format: str | MappedFormat | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
    **reading,
) -> IngestSummary:
    """`pipeline.ingest` with one Dask task per file: the same summary and events."""
    started = time.perf_counter()
    found, summary, manifest = begin(paths, store)
    matcher = HostMatcher(catalogue or load_catalogue())
    run = _Run(store, Reading(**reading), matcher, HostTable(), progress, sink=store)
    with connect(scheduler) as client:
        fanout = _Fanout(run, client, manifest, log_format, summary)
        waiting = found.files
        while waiting:
            waiting = fanout.wave(waiting)
    for path in found.files:  # the local run's order, whatever order tasks ended in
        if path in fanout.outcomes:
            tally(summary, path, fanout.outcomes[path])
    summary.seconds = time.perf_counter() - started
    return summary


class _Fanout:
    """One run's client side: prepares files as a local run does, submits their tasks,
    commits their results."""

    def __init__(self, run: _Run, client, manifest: Manifest, log_format, summary):
        self.run, self.client, self.manifest = run, client, manifest
        self.log_format, self.summary = log_format, summary
        self.outcomes: dict[Path, FileResult | str | None] = {}
        # a task rather than scattered data: Dask recomputes it should its worker die
        self.matcher = client.submit(HostMatcher, run.matcher.catalogue, pure=False)
        self.topic = _follow(client, run.progress)

    def wave(self, paths: list[Path]) -> list[Path]:
        """Read `paths` on the workers; those whose log another path of this wave holds
        (a copy, a rename seen twice) wait for the next wave, which resumes after it,
        as the second of them does in a local run."""
        later, tasks, locks = [], {}, {}
        for path in paths:
            try:
                share = self._prepare(path, locks)
            except OSError as exc:
                unreadable(self.summary, path, exc)
                continue
            if share is _LATER:
                later.append(path)
            elif isinstance(share, Share):
                tasks[self._submit(share)] = share
            else:
                self.outcomes[path] = share
        try:
            for task in _completed(tasks):
                share = tasks[task]
                with locks.pop(share.position.source_id):  # released once committed
                    self._finish(share, task)
        finally:
            for lock in locks.values():
                lock.close()
        return later

    def _prepare(self, path: Path, locks: dict[str, ExitStack]) -> Share | str | object | None:
        """What a local run does before reading a log: skip it if unchanged, detect,
        locate, lock, find where to resume. A task, or the outcome."""
        run = self.run
        with open(path, "rb") as raw:
            log = _Log(path, raw, os.fstat(raw.fileno()))
            found = identify(run, log, self.manifest, self.log_format)
            if not isinstance(found, tuple):
                return found
            fmt, position = found
            if position.source_id in locks:
                return _LATER
            lock = ExitStack()
            if not lock.enter_context(run.store.lock(position.source_id)):
                lock.close()
                return BUSY
            locks[position.source_id] = lock
            start, line = resume_point(run.store, raw, position, run.reading.reingest)
        return Share(path, fmt, position, start, line)

    def _submit(self, share: Share):
        root = self.run.store.root  # absolute: a remote worker has a working folder of its own
        where = str(root.absolute()) if isinstance(root, Path) else str(root)
        return self.client.submit(
            read_share, share, where, self.run.reading, self.matcher, self.topic, pure=False
        )

    def _finish(self, share: Share, task) -> None:
        """Commit a finished task's groups in order, each with its manifest row."""
        try:
            result, pending = task.result()
        except OSError as exc:  # vanished or unreadable on the worker
            unreadable(self.summary, share.path, exc)
            return
        except Exception as exc:  # Dask gave up on it (KilledWorker: it killed 3 workers)
            self.summary.unreadable += 1
            self.outcomes[share.path] = f"its Dask task failed: {type(exc).__name__}: {exc}"
            return
        store = self.run.store
        for commit in pending:
            store.commit(
                commit.actions,
                source_file=str(share.path),
                source_id=share.position.source_id,
                offset=commit.offset,
            )
            store.record_run(commit.row)
        self.outcomes[share.path] = result


#: A file whose log another file of the same wave holds.
_LATER = object()


def _follow(client, progress: Progress | None) -> str | None:
    """Pass the workers' progress events to `progress` (never backwards: an event may
    arrive after its file's last one); the topic, None without a callback."""
    if progress is None:
        return None
    topic = f"shadowscan-progress-{uuid.uuid4()}"
    lock, done = threading.Lock(), {}

    def forward(event) -> None:
        path, offset = event[1]
        with lock:
            if offset > done.get(path, -1):
                done[path] = offset
                progress(Path(path), offset)

    client.subscribe_topic(topic, forward)  # the subscription ends with the client
    return topic


def _completed(tasks) -> Iterator:
    from distributed import as_completed

    yield from as_completed(list(tasks))


@contextmanager
def connect(scheduler: str):
    """A Dask client on `tcp://HOST:PORT` (any address Dask takes), or on a LocalCluster
    of N worker processes for `local:N`; Dask is imported only here."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask distributed, which is not installed: "
            "pip install 'shadowscan[dask]'."
        ) from None
    if scheduler.startswith("local:"):
        cluster = LocalCluster(
            n_workers=int(scheduler.removeprefix("local:")),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: 8787 may be taken
            silence_logs=logging.ERROR,
        )
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {scheduler}: {exc}",
            hint="Check the address (tcp://HOST:8786) and that the scheduler runs.",
        ) from None
    with client:
        yield client
