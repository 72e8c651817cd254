"""Report periods: `--since 7d`, `--until 2025-12-01`, or the 30 days ending where the events are.

Logs are often analysed long after they were written, so the default period
ends at the newest *busy* day of the store, not at now and not at whatever
single line came last: one year-less syslog line guessed into the wrong year,
or a device whose clock jumped, must not move the window away from every
other event. `--since` without `--until` runs up to now, as a cron line
reading "the last 7 days" means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from shadowscan.errors import UsageError

DEFAULT_DAYS = 30
#: A day is busy when it holds at least this share of the busiest day's events.
BUSY_SHARE = 0.01
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


def choose_period(
    days: pl.DataFrame, since: str | None, until: str | None, now: datetime | None = None
) -> Period:
    """The period a report covers, given the store's `days` (see `default_end`).

    Neither bound: the 30 days up to the default end. `--since` alone: up to
    now. `--until` alone: the 30 days before it.
    """
    now = now or datetime.now(UTC)
    if until:
        end = parse_when(until, now)
    elif since:
        end = now
    else:
        end = default_end(days) or now
    start = parse_when(since, now) if since else end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        given = "--until" if until else "now"
        raise UsageError(
            f"the period starts ({start:%Y-%m-%d %H:%M}) after it ends ({end:%Y-%m-%d %H:%M}, "
            f"{given}).",
            hint="Check --since and --until.",
        )
    return Period(start, end)


def default_end(days: pl.DataFrame) -> datetime | None:
    """The newest event of the newest busy day, or of the day just after one.

    `days` has one row per day with events: `day`, `events`, `last` (its newest
    time). A day is busy when it holds at least 1% of the busiest day's events;
    the day after a busy one counts too, so a log rotated shortly after
    midnight still ends the period. A store too small to tell (no day of 100
    events) ends at its newest event.
    """
    if days.is_empty():
        return None
    busy = days.filter(pl.col("events") >= BUSY_SHARE * pl.col("events").max())["day"]
    after_busy = busy + timedelta(days=1)
    chosen = days.filter(
        pl.col("day").is_in(busy.implode()) | pl.col("day").is_in(after_busy.implode())
    )
    return chosen["last"].max()
