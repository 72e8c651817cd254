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

    def add_samples(self, file_lines: list[tuple[int, str]]) -> None:
        """Keep the first few rejected lines as `line N: text`, cut short."""
        for number, text in file_lines[: MAX_SAMPLES - len(self.samples)]:
            self.samples.append(f"line {number}: {text[:SAMPLE_CHARS]}")

    def as_run(self) -> dict:
        return {
            "ingested_at": datetime.now(UTC),
            "source_file": str(self.path),
            "source_format": self.fmt,
            "bytes": self.bytes,
            "lines": self.lines,
            "events": self.events,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "ai_events": self.ai_events,
            "rejected_samples": self.samples,
            "warnings": self.warnings,
        }


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)
    #: (path, reason) for files not ingested
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def lines_per_second(self) -> float:
        return self.total("lines") / self.seconds if self.seconds else 0.0
