"""What an ingest run did, file by file, for the summary and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

#: Rejected lines kept as samples per file, each cut to this many characters.
MAX_SAMPLES = 5
SAMPLE_CHARS = 200


@dataclass
class FileResult:
    path: Path
    fmt: str
    bytes: int = 0
    lines: int = 0
    events: int = 0
    skipped: int = 0
    rejected: int = 0
    ai_events: int = 0
    samples: list[str] = field(default_factory=list)
    #: problems with the file as a whole, e.g. a truncated compressed stream
    warnings: list[str] = field(default_factory=list)
    #: how the file relates to what the store knew (rotation, truncation)
    note: str = ""
    commits: int = 0

    def add_samples(self, file_lines: list[tuple[int, str]]) -> None:
        """Keep the first few rejected lines as `line N: text`, cut short."""
        for number, text in file_lines[: MAX_SAMPLES - len(self.samples)]:
            self.samples.append(f"line {number}: {text[:SAMPLE_CHARS]}")

    def snapshot(self) -> tuple[int, ...]:
        """The counters now, so that one commit's row can hold only its own share."""
        return (
            self.lines,
            self.events,
            self.skipped,
            self.rejected,
            len(self.samples),
            len(self.warnings),
        )

    def as_run(self, before: tuple[int, ...], position, st, span, complete: bool, ai: int) -> dict:
        """The ingest-table row for what happened since `before`, with the manifest fields."""
        lines, events, skipped, rejected, samples, warnings = before
        start, end, line = span
        return {
            "ingested_at": datetime.now(UTC),
            "source_file": str(self.path),
            "source_format": self.fmt,
            "bytes": self.bytes,
            "lines": self.lines - lines,
            "events": self.events - events,
            "skipped": self.skipped - skipped,
            "rejected": self.rejected - rejected,
            "ai_events": ai,
            "rejected_samples": self.samples[samples:],
            "warnings": self.warnings[warnings:],
            "source_id": position.source_id,
            "fp_len": position.fp_len,
            "dev": st.st_dev,
            "inode": st.st_ino,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "offset_start": start,
            "offset_end": end,
            "line_end": line,
            "complete": complete,
            "etag": getattr(st, "etag", None),  # an object's; None for a local file
        }


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)
    #: (path, reason) for files not ingested
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    #: files already ingested to their end and untouched since
    unchanged: int = 0
    #: files another process was ingesting: that process reads them, not a failure
    busy: int = 0
    #: files that could not be read (permissions, I/O errors): the exit status says so
    unreadable: int = 0
    seconds: float = 0.0

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def lines_per_second(self) -> float:
        return self.total("lines") / self.seconds if self.seconds else 0.0
