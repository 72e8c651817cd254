"""Aggregate once: one Report object that every renderer reads.

Reports re-apply the current rules to the stored events, so a rule added
today finds last month's use without re-reading any log.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.analyse.period import Period, choose_period
from shadowscan.match.catalogue import USE_SIGNALS, Catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.store.delta import EventStore

TOP_IDENTITIES = 20

_EVENT_COLUMNS = (
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


@dataclass(frozen=True)
class IngestHealth:
    files: int
    lines: int
    events: int
    rejected: int
    #: per file with rejected lines: source_file, source_format, lines, rejected, samples
    problems: pl.DataFrame


@dataclass(frozen=True)
class Report:
    period: Period
    ingest: IngestHealth
    #: service_id, name, category, users, events, bytes_out, bytes_in, first_seen, last_seen
    services: pl.DataFrame
    #: identity, services, events, bytes_out, active_days, last_seen
    identities: pl.DataFrame
    ai_users: int
    ai_events: int
    events_in_period: int


def ai_events(store: EventStore, catalogue: Catalogue, period: Period) -> pl.DataFrame:
    """Every event in the period that matches a service, with the match and service columns."""
    matcher = HostMatcher(catalogue)
    scoped = store.events().filter(period.filter())
    hosts = scoped.select(pl.col("host").drop_nulls().unique()).collect()["host"]
    candidates = pl.concat([matcher.match_hosts(hosts)["host"], matcher.path_hosts])
    events = scoped.filter(pl.col("host").is_in(candidates.implode())).select(_EVENT_COLUMNS)
    matched = matcher.match_events(events.sort("ts", "source_file", "source_line").collect())
    return matched.filter(pl.col("service_id").is_not_null()).join(
        service_table(catalogue), on="service_id", how="left"
    )


def service_table(catalogue: Catalogue) -> pl.DataFrame:
    return pl.DataFrame(
        [(s.id, s.name, s.category) for s in catalogue.services.values()],
        schema=["service_id", "service_name", "category"],
        orient="row",
    )


def build_report(
    store: EventStore, catalogue: Catalogue, since: str | None = None, until: str | None = None
) -> Report:
    newest = store.events().select(pl.col("ts").max()).collect().item()
    period = choose_period(newest, since, until)
    matched = ai_events(store, catalogue, period)
    use = matched.filter(pl.col("signal").is_in(USE_SIGNALS))
    in_period = store.events().filter(period.filter()).select(pl.len()).collect().item()
    return Report(
        period=period,
        ingest=_health(store),
        services=_services(matched, use),
        identities=_identities(use),
        ai_users=use["identity"].n_unique(),
        ai_events=matched.height,
        events_in_period=in_period,
    )


def _services(matched: pl.DataFrame, use: pl.DataFrame) -> pl.DataFrame:
    users = use.group_by("service_id").agg(pl.col("identity").n_unique().alias("users"))
    totals = matched.group_by("service_id", "service_name", "category").agg(
        pl.len().alias("events"),
        pl.col("bytes_out").sum().alias("bytes_out"),
        pl.col("bytes_in").sum().alias("bytes_in"),
        pl.col("bytes_out").is_not_null().any().alias("has_bytes_out"),
        pl.col("ts").min().alias("first_seen"),
        pl.col("ts").max().alias("last_seen"),
    )
    return (
        totals.join(users, on="service_id", how="left")
        .with_columns(pl.col("users").fill_null(0).cast(pl.Int64))
        .rename({"service_name": "name"})
        .sort(["users", "events", "service_id"], descending=[True, True, False])
    )


def _identities(use: pl.DataFrame) -> pl.DataFrame:
    return (
        use.group_by("identity")
        .agg(
            pl.col("service_id").unique().sort().alias("services"),
            pl.len().alias("events"),
            pl.col("bytes_out").sum().alias("bytes_out"),
            pl.col("ts").dt.date().n_unique().alias("active_days"),
            pl.col("ts").max().alias("last_seen"),
        )
        .sort(["events", "identity"], descending=[True, False])
        .head(TOP_IDENTITIES)
    )


def _health(store: EventStore) -> IngestHealth:
    runs = store.runs().collect()
    problems = runs.filter(pl.col("rejected") > 0).select(
        "source_file", "source_format", "lines", "rejected", "rejected_samples"
    )
    return IngestHealth(
        files=runs["source_file"].n_unique(),
        lines=int(runs["lines"].sum()),
        events=int(runs["events"].sum()),
        rejected=int(runs["rejected"].sum()),
        problems=problems,
    )
