"""Report periods: `--since 7d`, `--until 2025-12-01`, or the 30 days ending at the newest event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from shadowscan.errors import UsageError

DEFAULT_DAYS = 30
_RELATIVE = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @classmethod
    def everything(cls) -> Period:
        return cls(datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))

    def filter(self) -> pl.Expr:
        return pl.col("ts").is_between(self.start, self.end, closed="both")


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """`7d`/`12h`/`2w` ago, a date (`2025-12-01`, midnight UTC) or an ISO 8601 time."""
    now = now or datetime.now(UTC)
    if match := _RELATIVE.match(text.strip()):
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"cannot read the time {text!r}.",
            hint="Use 7d, 24h, 2w, 2025-12-01 or 2025-12-01T08:00:00Z.",
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def choose_period(newest: datetime | None, since: str | None, until: str | None) -> Period:
    """The period a report covers; without bounds, 30 days up to the newest stored event."""
    end = parse_when(until) if until else (newest or datetime.now(UTC))
    start = parse_when(since) if since else end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise UsageError("the period starts after it ends.", hint="Check --since and --until.")
    return Period(start, end)
