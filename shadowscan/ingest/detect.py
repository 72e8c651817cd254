"""Tell a file's format from its first lines.

Each registered format's cheap `signature` filters candidates, then a trial
parse of the head scores them by the share of lines read as events. The
first format (registry order: most specific first) with the best score wins;
when none reads enough, the message names the best candidate and the first
line it could not read. When no one format reads all the lines but several
formats together read more, the file is mixed (a syslog server's file for
several devices) and each line goes to the first of them that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.formats import FORMATS, LogFormat, ParseContext
from shadowscan.formats.mixed import MixedFormat

#: Share of the head's event lines a format must read to be chosen.
MIN_SCORE = 0.5
#: Lines, and share of the head, a format must read to join a mixture: a few
#: stray lines that some loose format happens to read do not make a file mixed.
MIN_PART_LINES, MIN_PART_SHARE = 2, 0.1


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
    readers = []  # formats that read some of the lines: a mixture the user can name
    for fmt in formats.values():
        if not fmt.signature(head):
            continue
        score, failed = trial(fmt, head)
        if 0 < score < 1:
            readers.append(fmt.name)
        if score > best.score or best.fmt is None:
            reason = f"best candidate {fmt.name} read {score:.0%} of the first lines"
            if failed is not None:
                reason += f", stopping at line {failed}: {head[failed - 1][:80]!r}"
            best = Detection(fmt, score, reason)
    if best.score < 1:
        mixed = _mixture(head, formats)
        if mixed is not None and mixed.score > best.score and mixed.score >= MIN_SCORE:
            return mixed
    if best.score < MIN_SCORE:
        reason = best.reason
        if len(readers) > 1:
            reason += (
                f"; {', '.join(readers)} each read some lines: if the file mixes them, "
                f"try --log-format {','.join(readers)}"
            )
        return Detection(None, best.score, reason)
    return best


def _mixture(head: list[str], formats: dict[str, LogFormat]) -> Detection | None:
    """Formats that, in registry order, each claim a good part of the lines the ones
    before left, as one `MixedFormat`; None unless at least two do.

    A format claims the lines it reads and those it passes over as its own
    non-events (a FortiGate system event, a CEF record of a login); it must read
    at least one line, so a format that passes over every line it does not know
    (the Windows DNS debug log passes over anything but its packet lines) cannot
    join any mixture and hide another format's bad lines.
    """
    pending, parts, passed_over = _frame(head), [], set()
    for fmt in formats.values():
        if pending.height < MIN_PART_LINES:
            break
        if not fmt.signature(pending["line"].to_list()):
            continue
        try:
            rows = fmt.parse(pending, ParseContext())
        except Exception:  # as in `trial`: no match
            continue
        read = rows.filter(pl.col("ok"))["source_line"]
        skipped = set(pending["source_line"]) - set(rows["source_line"])
        claimed = read.len() + len(skipped)
        if not read.len() or claimed < max(MIN_PART_LINES, MIN_PART_SHARE * len(head)):
            continue
        parts.append(fmt)
        passed_over |= skipped
        pending = pending.filter(~pl.col("source_line").is_in(read.implode()))
    if len(parts) < 2:
        return None
    read = len(head) - pending.height
    unread = len(set(pending["source_line"]) - passed_over)
    score = read / (read + unread)
    reason = f"{' and '.join(f.name for f in parts)} read {score:.0%} of the first lines"
    return Detection(MixedFormat(parts), score, reason)


def trial(fmt: LogFormat, head: list[str]) -> tuple[float, int | None]:
    """Share of `head`'s returned rows that `fmt` parses, and the first it does not."""
    try:
        rows = fmt.parse(_frame(head), ParseContext())
    except Exception:  # a format that cannot cope with foreign lines simply does not match
        return 0.0, 1
    if rows.height == 0:  # only header lines, which the format alone claims
        return 1.0, None
    bad = rows.filter(~pl.col("ok"))
    first_bad = bad["source_line"][0] if bad.height else None
    return 1 - bad.height / rows.height, first_bad


def _frame(head: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_line": range(1, len(head) + 1), "line": head},
        schema={"source_line": pl.Int64, "line": pl.String},
    )
