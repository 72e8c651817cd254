"""The ingest pipeline, stage by stage: discover → detect → parse → normalise
→ enrich → match → store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from shadowscan.enrich.hosts import HostTable
from shadowscan.errors import InputError
from shadowscan.formats import FORMATS, LogFormat, ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.discover import discover
from shadowscan.ingest.reader import head_lines, read_chunks
from shadowscan.ingest.summary import MAX_SAMPLES, FileResult, IngestSummary
from shadowscan.match.catalogue import Catalogue, load_catalogue
from shadowscan.match.matcher import AiTally, HostMatcher
from shadowscan.normalise import normalise
from shadowscan.schema import STORE_SCHEMA
from shadowscan.store.delta import EventStore

#: Called with (path, bytes done in this file) as reading advances.
Progress = Callable[[Path, int], None]


def ingest(
    paths: list[str | Path],
    store: EventStore,
    *,
    log_format: str | None = None,
    timezone: str = "UTC",
    year: int | None = None,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
) -> IngestSummary:
    """Ingest every log file under `paths` into `store`, one commit per file."""
    started = time.perf_counter()
    found = discover(paths)
    summary = IngestSummary(skipped=list(found.skipped))
    matcher = HostMatcher(catalogue or load_catalogue())
    hosts = HostTable()
    for path in found.files:
        fmt, reason = choose_format(path, log_format)
        if fmt is None:
            summary.skipped.append((path, reason))
            continue
        result = FileResult(path, fmt.name, bytes=path.stat().st_size)
        ctx = _context(path, timezone, year)
        events = _events(path, fmt, ctx, hosts, matcher, result, progress)
        store.append(events, source_file=str(path))
        store.record_run(result.as_run())
        summary.files.append(result)
    summary.seconds = time.perf_counter() - started
    return summary


def parse_file(
    path: Path, log_format: str | None = None, timezone: str = "UTC", year: int | None = None
) -> tuple[FileResult, pl.DataFrame]:
    """One file's events and counts, without a store: for tests and inspection."""
    fmt, reason = choose_format(path, log_format)
    if fmt is None:
        raise InputError(f"{path}: {reason}.")
    result = FileResult(path, fmt.name, bytes=path.stat().st_size)
    matcher = HostMatcher(load_catalogue())
    ctx = _context(path, timezone, year)
    frames = list(_events(path, fmt, ctx, HostTable(), matcher, result, None))
    return result, pl.concat(frames) if frames else pl.DataFrame(schema=STORE_SCHEMA)


def _context(path: Path, timezone: str, year: int | None) -> ParseContext:
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return ParseContext(timezone=timezone, year=year, modified=modified)


def choose_format(path: Path, forced: str | None) -> tuple[LogFormat | None, str]:
    """The forced format, or the one detected from the file's first lines."""
    if forced:
        return FORMATS[forced], ""
    try:
        detection = detect(head_lines(path))
    except InputError as exc:
        return None, exc.message
    return detection.fmt, f"unknown format: {detection.reason}"


def _events(
    path: Path,
    fmt: LogFormat,
    ctx: ParseContext,
    hosts: HostTable,
    matcher: HostMatcher,
    result: FileResult,
    progress: Progress | None,
) -> Iterator[pl.DataFrame]:
    """Parse, normalise and count one file's events, chunk by chunk.

    AI events are counted once at the end of the file from per-host counts.
    """
    tally = AiTally(matcher)
    for chunk in read_chunks(path, warnings=result.warnings):
        parsed = _parse(fmt, chunk.lines, ctx, result)
        events = normalise(parsed, hosts, fmt.name, str(path))
        _count(result, chunk, parsed, events)
        tally.add(events)
        if progress:
            progress(path, chunk.raw_offset)
        if events.height:
            yield events
    result.ai_events = tally.total()


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
    rejected = parsed.filter(~pl.col("ok"))["source_line"]
    result.lines += chunk.count
    result.events += events.height
    result.rejected += rejected.len()
    result.skipped += chunk.count - parsed.height
    if rejected.len() and len(result.samples) < MAX_SAMPLES:
        first = rejected.head(MAX_SAMPLES).implode()
        sample = chunk.lines.filter(pl.col("source_line").is_in(first))
        result.add_samples(sample.rows())
