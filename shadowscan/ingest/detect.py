"""Tell a file's format from its first lines.

Each registered format's cheap `signature` filters candidates, then a trial
parse of the head scores them by the share of lines read as events. The
first format (registry order: most specific first) with the best score wins;
when none reads enough, the message names the best candidate and the first
line it could not read.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.formats import FORMATS, LogFormat, ParseContext

#: Share of the head's event lines a format must read to be chosen.
MIN_SCORE = 0.5


@dataclass(frozen=True)
class Detection:
    fmt: LogFormat | None
    score: float
    #: Why nothing matched: the best candidate and where it stopped.
    reason: str = ""


def detect(head: list[str], formats: dict[str, LogFormat] = FORMATS) -> Detection:
    """Pick the format that reads most of `head` (non-blank first lines)."""
    if not head:
        return Detection(None, 0.0, "the file is empty")
    best = Detection(None, 0.0, "no known format recognises its first line")
    for fmt in formats.values():
        if not fmt.signature(head):
            continue
        score, failed = trial(fmt, head)
        if score > best.score or best.fmt is None:
            reason = f"best candidate {fmt.name} read {score:.0%} of the first lines"
            if failed is not None:
                reason += f", stopping at line {failed}: {head[failed - 1][:80]!r}"
            best = Detection(fmt, score, reason)
    if best.score < MIN_SCORE:
        return Detection(None, best.score, best.reason)
    return best


def trial(fmt: LogFormat, head: list[str]) -> tuple[float, int | None]:
    """Share of `head`'s returned rows that `fmt` parses, and the first it does not."""
    frame = pl.DataFrame(
        {"source_line": range(1, len(head) + 1), "line": head},
        schema={"source_line": pl.Int64, "line": pl.String},
    )
    try:
        rows = fmt.parse(frame, ParseContext())
    except Exception:  # a format that cannot cope with foreign lines simply does not match
        return 0.0, 1
    if rows.height == 0:  # only header lines, which the format alone claims
        return 1.0, None
    bad = rows.filter(~pl.col("ok"))
    first_bad = bad["source_line"][0] if bad.height else None
    return 1 - bad.height / rows.height, first_bad
