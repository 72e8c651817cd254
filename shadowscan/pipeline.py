"""The ingest pipeline, stage by stage: discover → detect → resume → parse → normalise
→ enrich → match → store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import polars as pl

from shadowscan.enrich.hosts import HostTable
from shadowscan.errors import InputError
from shadowscan.formats import FORMATS, LogFormat, ParseContext
from shadowscan.formats.mapped import MappedFormat
from shadowscan.formats.mixed import MixedFormat
from shadowscan.ingest.detect import detect
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
from shadowscan.store.delta import EventStore
from shadowscan.store.locks import source_lock
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
    """A log file being ingested: its name, the open file, and its stat when opened."""

    path: Path
    raw: BinaryIO
    st: os.stat_result

    @property
    def compressed(self) -> bool:
        return compression_of(self.raw) is not None


def ingest(
    paths: list[str | Path],
    store: EventStore,
    *,
    log_format: str | MappedFormat | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
    **reading,
) -> IngestSummary:
    """Ingest what is new under `paths` into `store`: each source resumes where it stopped.

    `reading` holds `Reading`'s fields (timezone, year, identity, reingest, settle,
    commit_bytes, max_line_bytes)."""
    started = time.perf_counter()
    found, summary, manifest = begin(paths, store)
    run = _Run(
        store,
        Reading(**reading),
        HostMatcher(catalogue or load_catalogue()),
        HostTable(),
        progress,
        sink=store,
    )
    for path in found.files:
        try:
            with open(path, "rb") as raw:  # one open file for every step: rotation can't swap it
                log = _Log(path, raw, os.fstat(raw.fileno()))
                result = _ingest_source(run, log, manifest, log_format)
        except OSError as exc:  # vanished or unreadable since it was found
            unreadable(summary, path, exc)
            continue
        tally(summary, path, result)
    summary.seconds = time.perf_counter() - started
    return summary


BUSY = "being ingested by another process"


def begin(paths: list[str | Path], store: EventStore) -> tuple[Discovery, IngestSummary, Manifest]:
    """What a run starts from: the logs found, a summary holding what was skipped while
    finding them, and the manifest (the store is created if new)."""
    found = find_logs(paths)
    store.check_version(create=True)
    summary = IngestSummary(skipped=list(found.skipped), unreadable=found.unreadable)
    return found, summary, Manifest(store.runs().collect())


def tally(summary: IngestSummary, path: Path, result: FileResult | str | None) -> None:
    """Count one file's outcome: its counts, unchanged (None), or skipped for a reason."""
    if isinstance(result, FileResult):
        summary.files.append(result)
    elif result is None:
        summary.unchanged += 1
    else:
        summary.skipped.append((path, result))
        summary.busy += result == BUSY


def unreadable(summary: IngestSummary, path: Path, exc: OSError) -> None:
    """A file that vanished or could not be read since it was found."""
    summary.skipped.append((path, exc.strerror or str(exc)))
    summary.unreadable += 1


def _ingest_source(
    run: _Run, log: _Log, manifest: Manifest, log_format: str | MappedFormat | None
) -> FileResult | str | None:
    """One open log: skip it if unchanged (None), say why it is skipped (a reason), or
    identify its source, hold that source's lock and ingest it (its counts)."""
    found = identify(run, log, manifest, log_format)
    if not isinstance(found, tuple):
        return found
    fmt, position = found
    with source_lock(run.store.root, position.source_id) as held:
        if not held:
            return BUSY
        start, line = resume_point(run.store, log.raw, position, run.reading.reingest)
        return read_log(run, log, fmt, position, start, line)


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
    if not log.compressed and log.st.st_size < start:
        result.warnings.append(
            f"the file is shorter ({log.st.st_size:,} bytes) than what was already read "
            f"({start:,}): it was truncated or rewritten; nothing read (--reingest reads it anew)"
        )
        return result
    hold = not log.compressed and time.time() - log.st.st_mtime < reading.settle
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
        _replay(fmt, replay_lines(log.raw, start, fmt.replay), ctx, result)
    parsed = _events(chunks, fmt, ctx, run.hosts, result, run.progress)
    for group in _commit_groups(parsed, start, line, reading.commit_bytes):
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
    """Parse, normalise and count one file's events, chunk by chunk."""
    for chunk in chunks:
        parsed = _parse(fmt, chunk.lines, ctx, result)
        events = normalise(parsed, hosts, fmt.name, str(result.path))
        _count(result, chunk, parsed, events)
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
