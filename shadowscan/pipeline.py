"""The ingest pipeline, stage by stage: discover → detect → resume → parse → normalise
→ enrich → match → store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import polars as pl

from shadowscan.ahead import ahead
from shadowscan.cloud import AccessDenied, is_uri
from shadowscan.enrich.hosts import HostTable
from shadowscan.errors import InputError, StoreError
from shadowscan.formats import FORMATS, LogFormat, ParseContext
from shadowscan.formats.mapped import MappedFormat
from shadowscan.formats.mixed import MixedFormat
from shadowscan.ingest.detect import detect
from shadowscan.ingest.objects import LogObject, find_objects
from shadowscan.ingest.reader import (
    MAX_LINE_BYTES,
    Chunk,
    Source,
    compression_of,
    head_lines,
    read_chunks,
    read_head,
    replay_lines,
)
from shadowscan.ingest.resume import SETTLE_SECONDS, resume_point
from shadowscan.ingest.summary import MAX_SAMPLES, FileResult, IngestSummary
from shadowscan.ingest.walk import Discovery, find_logs
from shadowscan.match.catalogue import Catalogue, load_catalogue
from shadowscan.match.matcher import AiTally, HostMatcher
from shadowscan.normalise import normalise
from shadowscan.schema import STORE_SCHEMA
from shadowscan.store.delta import EventStore, SourceTaken
from shadowscan.store.manifest import FINGERPRINT_BYTES, Manifest, Position

#: Called with (path, bytes done in this file) as reading advances.
Progress = Callable[[Path, int], None]
#: Decompressed bytes of input per commit: a crash redoes at most this much of a file.
COMMIT_BYTES = 256 << 20


@dataclass(frozen=True)
class Reading:
    """How every file of one run is read: the ingest options a parser or commit needs."""

    timezone: str = "UTC"
    year: int | None = None
    identity: str | None = None
    reingest: bool = False
    settle: float = SETTLE_SECONDS
    commit_bytes: int = COMMIT_BYTES
    max_line_bytes: int = MAX_LINE_BYTES


class Sink(Protocol):
    """Where a file's commit groups go: the store itself in a local run; on a Dask
    worker, Parquet files whose commits the client makes (`distribute.py`)."""

    def append(
        self,
        batches: Iterable[pl.DataFrame],
        *,
        source_file: str,
        source_id: str,
        offset: Callable[[], int],
    ) -> int: ...

    def record_run(self, run: dict) -> None: ...


@dataclass(frozen=True)
class _Run:
    """What every file of one run shares: the store, the options, the matcher and host
    table built once, the progress callback, and where commits go."""

    store: EventStore
    reading: Reading
    matcher: HostMatcher
    hosts: HostTable
    progress: Progress | None
    sink: Sink


@dataclass(frozen=True)
class _Log:
    """A log being ingested: its name, the open file, and its stat when opened (an object's
    `ObjectStat`: size, time, address and ETag)."""

    path: Path
    raw: BinaryIO
    st: os.stat_result

    @property
    def compressed(self) -> bool:
        return compression_of(self.raw) is not None

    @property
    def growing(self) -> bool:
        """A local file may still be written to; an object is whole once it is listed."""
        return not isinstance(self.path, str)


@contextmanager
def _opened(source: Path | LogObject) -> Iterator[_Log]:
    """One open file (or object) for every step: rotation can't swap it midway."""
    if isinstance(source, LogObject):
        with source.open() as raw:
            yield _Log(source.path, raw, source.stat)
    else:
        with open(source, "rb") as raw:
            yield _Log(source, raw, os.fstat(raw.fileno()))


def ingest(
    paths: list[str | Path],
    store: EventStore,
    *,
    log_format: str | MappedFormat | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
    relist: bool = False,
    **reading,
) -> IngestSummary:
    """Ingest what is new under `paths` (files, folders, object-storage addresses) into
    `store`: each source resumes where it stopped.

    `relist` lists object-storage prefixes whole rather than from the last day read.
    `reading` holds `Reading`'s fields (timezone, year, identity, reingest, settle,
    commit_bytes, max_line_bytes)."""
    started = time.perf_counter()
    found, summary, manifest = begin([p for p in paths if not is_uri(p)], store)
    sources = [*found.files, *_objects(paths, manifest, relist, summary)]
    run = _Run(
        store,
        Reading(**reading),
        HostMatcher(catalogue or load_catalogue()),
        HostTable(),
        progress,
        sink=store,
    )
    for source in sources:
        try:
            with _opened(source) as log:
                result = _ingest_source(run, log, manifest, log_format)
        except AccessDenied:
            raise
        except (OSError, StoreError) as exc:  # vanished or unreadable since it was found
            unreadable(summary, _where(source), exc)
            continue
        tally(summary, _where(source), result)
    summary.seconds = time.perf_counter() - started
    return summary


BUSY = "being ingested by another process"
TAKEN = "another process stored part of it meanwhile: left to that process for this run"


def _objects(paths, manifest: Manifest, relist: bool, summary: IngestSummary) -> list[LogObject]:
    """The objects under the object-storage addresses among `paths`; an address that
    cannot be listed is skipped with its reason, as a missing path is (refused
    credentials stop the run: no other address would fare better)."""
    objects = []
    for address in (str(p) for p in paths if is_uri(p)):
        try:
            listing = find_objects(address, manifest.objects_read(), relist)
        except AccessDenied:
            raise
        except StoreError as exc:
            summary.skipped.append((address, exc.message))
            summary.unreadable += 1
            continue
        summary.skipped.extend(listing.skipped)
        objects.extend(listing.objects)
    return objects


def begin(paths: list[str | Path], store: EventStore) -> tuple[Discovery, IngestSummary, Manifest]:
    """What a run starts from: the logs found, a summary holding what was skipped while
    finding them, and the manifest (the store is created if new)."""
    found = find_logs(paths)
    store.check_version(create=True)
    summary = IngestSummary(skipped=list(found.skipped), unreadable=found.unreadable)
    return found, summary, Manifest(store.runs().collect())


def tally(summary: IngestSummary, path: Path | str, result: FileResult | str | None) -> None:
    """Count one file's outcome: its counts, unchanged (None), or skipped for a reason."""
    if isinstance(result, FileResult):
        summary.files.append(result)
    elif result is None:
        summary.unchanged += 1
    else:
        summary.skipped.append((path, result))
        summary.busy += result in (BUSY, TAKEN)


def unreadable(summary: IngestSummary, path: Path | str, exc: OSError | StoreError) -> None:
    """A file or object that vanished or could not be read since it was found."""
    reason = exc.message if isinstance(exc, StoreError) else exc.strerror or str(exc)
    summary.skipped.append((path, reason))
    summary.unreadable += 1


def _where(source: Path | LogObject) -> Path | str:
    return source.path if isinstance(source, LogObject) else source


def _ingest_source(
    run: _Run, log: _Log, manifest: Manifest, log_format: str | MappedFormat | None
) -> FileResult | str | None:
    """One open log: skip it if unchanged (None), say why it is skipped (a reason), or
    identify its source, hold that source's lock and ingest it (its counts)."""
    found = identify(run, log, manifest, log_format)
    if not isinstance(found, tuple):
        return found
    fmt, position = found
    with run.store.lock(position.source_id) as held:
        if not held:
            return BUSY
        start, line = resume_point(run.store, log.raw, position, run.reading.reingest)
        try:
            return read_log(run, log, fmt, position, start, line)
        except SourceTaken:
            return TAKEN


def identify(
    run: _Run, log: _Log, manifest: Manifest, log_format: str | MappedFormat | None
) -> tuple[LogFormat, Position] | str | None:
    """An open log's format and source position; None if it is unchanged since it was
    read to its end, or why it cannot be read (its format unknown)."""
    if not run.reading.reingest and manifest.unchanged(log.st):
        return None
    fmt, reason = choose_format(log.raw, log_format)
    if fmt is None:
        return reason
    return fmt, manifest.locate(read_head(log.raw, FINGERPRINT_BYTES), log.st)


def read_log(
    run: _Run, log: _Log, fmt: LogFormat, position: Position, start: int, line: int
) -> FileResult:
    """Read one log from byte `start` (`line` lines before it), committing in groups
    through the run's sink; its counts. The caller holds the source's lock."""
    reading = run.reading
    result = FileResult(log.path, fmt.name, bytes=log.st.st_size, note=position.note)
    if position.warning:
        result.warnings.append(position.warning)
    if not log.compressed and log.st.st_size < start:
        result.warnings.append(
            f"the file is shorter ({log.st.st_size:,} bytes) than what was already read "
            f"({start:,}): it was truncated or rewritten; nothing read (--reingest reads it anew)"
        )
        return result
    hold = log.growing and not log.compressed and time.time() - log.st.st_mtime < reading.settle
    chunks = read_chunks(
        log.raw,
        warnings=result.warnings,
        start=start,
        first_line=line + 1,
        hold_partial=hold,
        max_line_bytes=reading.max_line_bytes,
    )
    ctx = _context(log.st, reading.timezone, reading.year, reading.identity)
    if fmt.names_no_one and reading.identity is None:
        result.warnings.append(
            f"{fmt.name} logs name no user or computer: these events stay unattributed; "
            "give --identity NAME (whose computer this is) to attribute them"
        )
    if start > 0 and fmt.replay is not None:  # the header and directives already read
        _replay(fmt, replay_lines(log.raw, start, fmt.replay, reading.max_line_bytes), ctx, result)
    # closed here, so its reading thread has stopped before the file is closed
    with closing(_events(chunks, fmt, ctx, run.hosts, result, run.progress)) as events:
        for group in _commit_groups(events, start, line, reading.commit_bytes):
            _commit(run, group, log, position, result)
    if not result.commits:
        _remember(run.sink, result, log, position, start, line)
    return result


def _replay(fmt: LogFormat, lines: list[str], ctx: ParseContext, result: FileResult) -> None:
    """Feed lines already read through the parser for the state they set; rows discarded."""
    if lines:
        frame = pl.DataFrame(
            {"source_line": [0] * len(lines), "line": lines},
            schema={"source_line": pl.Int64, "line": pl.String},
        )
        _parse(fmt, frame, ctx, result)


def parse_file(
    path: Path,
    log_format: str | None = None,
    timezone: str = "UTC",
    year: int | None = None,
    identity: str | None = None,
) -> tuple[FileResult, pl.DataFrame]:
    """One file's events and counts, without a store: for tests and inspection."""
    fmt, reason = choose_format(path, log_format)
    if fmt is None:
        raise InputError(f"{path}: {reason}.")
    result = FileResult(path, fmt.name, bytes=path.stat().st_size)
    ctx = _context(path.stat(), timezone, year, identity)
    chunks = read_chunks(path, warnings=result.warnings)
    frames = [events for events, _ in _events(chunks, fmt, ctx, HostTable(), result, None)]
    frames = [f for f in frames if f.height]
    matcher = HostMatcher(load_catalogue())
    tally = AiTally(matcher)
    for frame in frames:
        tally.add(frame)
    result.ai_events = tally.total()
    return result, pl.concat(frames) if frames else pl.DataFrame(schema=STORE_SCHEMA)


def _context(
    st: os.stat_result, timezone: str, year: int | None, identity: str | None = None
) -> ParseContext:
    modified = datetime.fromtimestamp(st.st_mtime, UTC)
    return ParseContext(timezone=timezone, year=year, modified=modified, identity=identity)


def choose_format(
    source: Source, forced: str | MappedFormat | None
) -> tuple[LogFormat | None, str]:
    """The forced format (`a,b`: a file mixing those, tried in that order; a mapping's
    format if the file has its columns), or the one detected from the file's first lines."""
    if isinstance(forced, MappedFormat):
        reason = forced.check(head_lines(source))
        return (None, reason) if reason else (forced, "")
    if forced:
        parts = [FORMATS[name] for name in forced.split(",")]
        return (parts[0] if len(parts) == 1 else MixedFormat(parts)), ""
    try:
        detection = detect(head_lines(source))
    except InputError as exc:
        return None, exc.message
    return detection.fmt, f"unknown format: {detection.reason}"


def _events(
    chunks: Iterator[Chunk],
    fmt: LogFormat,
    ctx: ParseContext,
    hosts: HostTable,
    result: FileResult,
    progress: Progress | None,
) -> Iterator[tuple[pl.DataFrame, Chunk]]:
    """Parse, normalise and count one file's events, chunk by chunk: reading and parsing,
    and normalising, each run a chunk ahead in their own thread, while the consumer
    tallies and writes."""
    parsed = ahead((_parse(fmt, chunk.lines, ctx, result), chunk) for chunk in chunks)
    source = str(result.path)
    normalised = ahead((p, c, normalise(p, hosts, fmt.name, source)) for p, c in parsed)
    for parsed_chunk, chunk, events in normalised:
        _count(result, chunk, parsed_chunk, events)
        if progress:
            progress(result.path, chunk.raw_offset)
        yield events, chunk


class _Group:
    """The chunks of one commit: their events, and where they end in the file."""

    def __init__(
        self, chunks: Iterator[tuple[pl.DataFrame, Chunk]], start: int, line: int, budget: int
    ):
        self._chunks, self.start, self.end, self.line = chunks, start, start, line
        self._budget = budget
        self.exhausted = False
        self.frames_seen = 0

    def frames(self) -> Iterator[pl.DataFrame]:
        for events, chunk in self._chunks:
            self.end, self.line = chunk.end_offset, self.line + chunk.count
            self.frames_seen += 1
            if events.height:
                yield events
            if self.end - self.start >= self._budget:
                return
        self.exhausted = True


def _commit_groups(
    chunks: Iterator[tuple[pl.DataFrame, Chunk]], start: int, line: int, budget: int
) -> Iterator[_Group]:
    """Split a file's chunks into commits of about `budget` input bytes each."""
    chunks = iter(chunks)
    while True:
        group = _Group(chunks, start, line, budget)
        yield group
        if group.exhausted or group.frames_seen == 0:
            return
        start, line = group.end, group.line


def _commit(run: _Run, group: _Group, log: _Log, position: Position, result: FileResult) -> None:
    """Store one group's events (with the source's new offset), then its manifest row."""
    store = run.sink
    tally = AiTally(run.matcher)

    def counted() -> Iterator[pl.DataFrame]:
        for frame in group.frames():
            tally.add(frame)
            yield frame

    before = result.snapshot()
    store.append(
        counted(), source_file=str(log.path), source_id=position.source_id, offset=lambda: group.end
    )
    if group.frames_seen == 0:
        return
    ai = tally.total()
    result.ai_events += ai
    done = group.exhausted and (log.compressed or group.end >= log.st.st_size)
    span = (group.start, group.end, group.line)
    store.record_run(result.as_run(before, position, log.st, span, done, ai))
    result.commits += 1


def _remember(
    store: Sink, result: FileResult, log: _Log, position: Position, start: int, line: int
):
    """A row for a file with nothing new, so that the next run skips it by its stat."""
    done = log.compressed or start >= log.st.st_size
    row = result.as_run(result.snapshot(), position, log.st, (start, start, line), done, 0)
    store.record_run(row)


def _parse(fmt: LogFormat, lines: pl.DataFrame, ctx: ParseContext, result: FileResult):
    """The parser's rows; should a parser fail on some content, that chunk's lines are
    rejected and the failure reported, and the run goes on: content never stops it."""
    try:
        return fmt.parse(lines, ctx)
    except Exception as exc:  # a parser bug must not cost the rest of a cron run
        first, last = lines["source_line"].min(), lines["source_line"].max()
        result.warnings.append(f"the {fmt.name} parser failed on lines {first}-{last}: {exc!r}")
        return lines.select("source_line", pl.lit(False).alias("ok"))


def _count(result: FileResult, chunk, parsed: pl.DataFrame, events: pl.DataFrame) -> None:
    """Add a chunk's counts; lines over the line limit are rejected lines too."""
    rejected = parsed.filter(~pl.col("ok"))["source_line"]
    too_long = chunk.too_long.height
    result.lines += chunk.count
    result.events += events.height
    result.rejected += rejected.len() + too_long
    result.skipped += chunk.count - parsed.height - too_long
    if (rejected.len() or too_long) and len(result.samples) < MAX_SAMPLES:
        first = rejected.head(MAX_SAMPLES).implode()
        marked = pl.concat_str(pl.lit("[over --max-line-bytes] "), "line").alias("line")
        long = chunk.too_long.with_columns(marked)
        sample = pl.concat([chunk.lines.filter(pl.col("source_line").is_in(first)), long])
        result.add_samples(sample.sort("source_line").rows())
