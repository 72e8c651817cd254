"""What one stored Parquet file gives a report, computed once per file and set of rules.

The events table is a set of immutable Parquet files (Delta's add actions):
a file's events never change, only whether the table still holds the file.
So everything a report scans the events for is summarised per file: its
days, its distinct identities, and its events the catalogue matches (raw,
and weighed into far fewer rows). A report merges the summaries of the files
the table holds; a new file costs one summary, a removed one is dropped.

Weighed rows are one row per day and per everything classification reads
(identity, user, the client IP when there is no user, the match), with the
number of events, their first and last time and their byte sums: the gap
functions count `events` and take `last` where they would count rows and
take the newest `ts`. A raw event is the same row with a weight of one
(`unit`), so both feed the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from shadowscan.analyse.gap import logged_sum
from shadowscan.match.matcher import HostMatcher
from shadowscan.schema import TABLE_SCHEMA

#: The stored columns a matched event keeps (what `explain`, `export` and the drill-down show).
EVENT_COLUMNS = (
    "ts",
    "identity",
    "user",
    "client_ip",
    "host",
    "url_path",
    "method",
    "bytes_out",
    "bytes_in",
    "source_format",
    "source_file",
    "source_line",
)
#: What classifying an AI event reads, besides its time: the key of a weighed row.
WEIGHT_KEY = ("identity", "user", "client_ip", "service_id", "signal", "plan", "rule")
COUNT = pl.get_index_type()
#: A weighed row: the key, the first and last time, the number of events and their byte sums.
USE_SCHEMA = pl.Schema(
    {
        **{column: pl.String for column in WEIGHT_KEY},
        "ts": TABLE_SCHEMA["ts"],
        "last": TABLE_SCHEMA["ts"],
        "events": COUNT,
        "bytes_out": TABLE_SCHEMA["bytes_out"],
        "bytes_in": TABLE_SCHEMA["bytes_in"],
    }
)


@dataclass(frozen=True)
class FilePart:
    """One Parquet file's share of every report: see the module's docstring."""

    path: str  # the add action's path, relative to the table
    events: int  # events with a time (an event without one is in no period)
    first: datetime | None
    last: datetime | None
    #: day, events, first, last: `EventStore.days()` of this file
    days: pl.DataFrame
    #: the distinct identities of its events with a time (null included, as n_unique counts it)
    identities: pl.Series
    #: its AI events weighed (USE_SCHEMA)
    use: pl.DataFrame

    def within(self, start: datetime, end: datetime) -> bool:
        return self.events > 0 and start <= self.first and self.last <= end

    def apart(self, start: datetime, end: datetime) -> bool:
        """No event of the file is in the period."""
        return self.events == 0 or self.last < start or self.first > end


def summarise(file: str, path: str, matcher: HostMatcher) -> tuple[FilePart, pl.DataFrame]:
    """The file's summary and its matched events (EVENT_COLUMNS and the match columns).

    `file` is where to read it, `path` its name in the table. Two passes over
    the file, each reading only the columns it needs: the first finds its
    unique hosts, days and identities, the second reads the few events whose
    host can match.
    """
    scan = pl.scan_parquet(file)
    timed = scan.filter(pl.col("ts").is_not_null())
    hosts, days, identities = pl.collect_all(
        [
            scan.select(pl.col("host").drop_nulls().unique()),
            scan.group_by(pl.col("ts").dt.date().alias("day")).agg(
                pl.len().alias("events"),
                pl.col("ts").min().alias("first"),
                pl.col("ts").max().alias("last"),
            ),
            timed.select(pl.col("identity").unique()),
        ]
    )
    candidates = pl.concat([matcher.match_hosts(hosts["host"])["host"], matcher.path_hosts])
    events = timed.filter(pl.col("host").is_in(candidates.implode())).select(EVENT_COLUMNS)
    ai = matcher.match_events(events.collect()).filter(pl.col("service_id").is_not_null())
    dated = days.drop_nulls("day")
    part = FilePart(
        path=path,
        events=int(dated["events"].sum()),
        first=dated["first"].min(),
        last=dated["last"].max(),
        days=days,
        identities=identities["identity"],
        use=weigh(ai),
    )
    return part, ai


def weigh(ai: pl.DataFrame) -> pl.DataFrame:
    """Matched events grouped per day and WEIGHT_KEY: first and last time, events, byte sums.

    The client IP is kept only where there is no user: with a user, the
    person is the user whatever the address, so keeping it would split rows
    for nothing.
    """
    return (
        ai.with_columns(
            pl.when(pl.col("user").is_null()).then(pl.col("client_ip")).alias("client_ip"),
            pl.col("ts").dt.date().alias("_day"),
        )
        .group_by("_day", *WEIGHT_KEY)
        .agg(
            pl.col("ts").min(),
            pl.col("ts").max().alias("last"),
            pl.len().alias("events"),
            logged_sum("bytes_out"),
            logged_sum("bytes_in"),
        )
        .select(list(USE_SCHEMA))
        .cast(USE_SCHEMA)
    )


def unit(ai: pl.DataFrame) -> pl.DataFrame:
    """Matched events as weighed rows of one event each."""
    return ai.select(
        *WEIGHT_KEY,
        "ts",
        pl.col("ts").alias("last"),
        pl.lit(1, COUNT).alias("events"),
        "bytes_out",
        "bytes_in",
    ).cast(USE_SCHEMA)
