"""A report's inputs merged from the files' summaries instead of scanned from every event.

A file wholly inside the period gives its summary as it is; a file wholly
outside it gives its AI use to "outside the period". Only a file that
straddles a bound of the period is read again: its events for the period's
count and identities, and its matched events (raw, from the cache) split at
the bound. With an IP lease map, a weighed row without a user whose time span
crosses a lease's start or end could belong to two people, so its file's
matched events are used raw too. Everything else is exact because a weighed
row never spans a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.analyse.fileparts import COUNT, EVENT_COLUMNS, USE_SCHEMA, FilePart, unit
from shadowscan.analyse.partcache import PartCache
from shadowscan.analyse.period import Period, choose_period
from shadowscan.match.catalogue import USE_SIGNALS
from shadowscan.match.matcher import MATCH_COLUMNS
from shadowscan.policy.config import Policy
from shadowscan.schema import TABLE_SCHEMA

MATCHED_SCHEMA = pl.Schema({**{c: TABLE_SCHEMA[c] for c in EVENT_COLUMNS}, **MATCH_COLUMNS})
DAYS_SCHEMA = pl.Schema(
    {"day": pl.Date, "events": COUNT, "first": TABLE_SCHEMA["ts"], "last": TABLE_SCHEMA["ts"]}
)


@dataclass(frozen=True)
class Inputs:
    """What `build_report` reads from the store, for one period."""

    #: day, events, first, last: `EventStore.days()`
    days: pl.DataFrame
    period: Period
    events: int  # events in the period
    identities: int  # distinct identities in the period (null counted, as n_unique does)
    #: the period's AI events, weighed (fileparts.USE_SCHEMA)
    use: pl.DataFrame
    #: AI use outside the period, per service with a use signal: before, after, first, last
    outside: pl.DataFrame


def merge_days(parts: list[FilePart]) -> pl.DataFrame:
    """`EventStore.days()` from the files' own days."""
    if not parts:
        return pl.DataFrame(schema=DAYS_SCHEMA)
    return (
        pl.concat([p.days for p in parts])
        .group_by("day")
        .agg(pl.col("events").sum(), pl.col("first").min(), pl.col("last").max())
        .sort("day")
    )


def period_of(cache: PartCache, since: str | None, until: str | None) -> Period:
    """The report's period for `--since`/`--until` over the store's days, from the summaries."""
    return choose_period(merge_days(cache.current()), since, until)


def gather(cache: PartCache, since: str | None, until: str | None, policy: Policy) -> Inputs:
    """The store's days, the period they give, and the period's counts and AI use."""
    parts = cache.current()
    days = merge_days(parts)
    period = choose_period(days, since, until)
    start, end = period.start, period.end
    inside = [p for p in parts if p.within(start, end)]
    away = [p for p in parts if p.apart(start, end) and p.events]
    edges = [p for p in parts if not p.within(start, end) and not p.apart(start, end)]
    leased = _across_leases(inside, policy)
    raw_use = [cache.matched(p) for p in [*edges, *(p for p in inside if p.path in leased)]]
    edge_events = [_in_period(cache.location(p), period) for p in edges]
    use = [p.use for p in inside if p.path not in leased]
    use += [unit(m.filter(period.filter())) for m in raw_use]
    away_use = [p.use for p in away]
    away_use += [unit(cache.matched(p).filter(~period.filter())) for p in edges]
    identities = [p.identities for p in inside] + [ids for _, ids in edge_events]
    return Inputs(
        days=days,
        period=period,
        events=sum(p.events for p in inside) + sum(n for n, _ in edge_events),
        identities=pl.concat(identities).n_unique() if identities else 0,
        use=_concat(use),
        outside=outside(_concat(away_use), period),
    )


def matched(cache: PartCache, period: Period, where: pl.Expr | None = None) -> pl.DataFrame:
    """The period's matched events (EVENT_COLUMNS and the match columns) that meet `where`,
    from every file with events in it, one file at a time."""
    keep = period.filter() if where is None else period.filter() & where
    start, end = period.start, period.end
    frames = [cache.matched(p).filter(keep) for p in cache.current() if not p.apart(start, end)]
    return pl.concat(frames) if frames else pl.DataFrame(schema=MATCHED_SCHEMA)


def outside(use: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Per service with a use signal, the events before and after the period, first and last.

    `use` holds weighed rows outside the period; none spans it.
    """
    return (
        use.filter(pl.col("signal").is_in(USE_SIGNALS))
        .group_by("service_id")
        .agg(
            pl.col("events").filter(pl.col("ts") < period.start).sum().alias("before"),
            pl.col("events").filter(pl.col("ts") > period.end).sum().alias("after"),
            pl.col("ts").min().alias("first"),
            pl.col("last").max(),
        )
    )


def _in_period(location: str, period: Period) -> tuple[int, pl.Series]:
    """A straddling file's events in the period: how many, and their distinct identities."""
    scan = pl.scan_parquet(location).filter(period.filter())
    count, identities = pl.collect_all(
        [scan.select(pl.len()), scan.select(pl.col("identity").unique())]
    )
    return count.item(), identities["identity"]


def _across_leases(parts: list[FilePart], policy: Policy) -> set[str]:
    """The files with a weighed row, without a user, whose span crosses a lease's bound."""
    if policy.ip_map is None or not parts:
        return set()
    bounds = pl.concat(
        [policy.ip_map.select("ip", pl.col(c).alias("bound")) for c in ("start", "end")]
    ).drop_nulls()
    spans = pl.concat(
        p.use.filter(
            pl.col("user").is_null()
            & pl.col("client_ip").is_not_null()
            & (pl.col("ts") < pl.col("last"))
        ).select(pl.lit(p.path).alias("path"), pl.col("client_ip").alias("ip"), "ts", "last")
        for p in parts
    )
    crossing = spans.join(bounds, on="ip").filter(
        (pl.col("ts") < pl.col("bound")) & (pl.col("bound") <= pl.col("last"))
    )
    return set(crossing["path"].unique().to_list())


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=USE_SCHEMA)
