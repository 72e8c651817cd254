"""Aggregate once: one Report object that every renderer reads.

Reports re-apply the current rules to the stored events, so a rule added
today finds last month's use without re-reading any log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from shadowscan.analyse import gap
from shadowscan.analyse.classify import classify
from shadowscan.analyse.decisions import REGULAR_DAYS, Decisions, decide
from shadowscan.analyse.gap import Headline
from shadowscan.analyse.partcache import PartCache
from shadowscan.analyse.period import Period
from shadowscan.analyse.rollup import Inputs, gather, matched
from shadowscan.match.catalogue import Catalogue
from shadowscan.policy.config import Policy, load_policy
from shadowscan.store.delta import EventStore

TOP_IDENTITIES = gap.TOP

#: What the gap functions read of a classified row, besides its time, weight and bytes.
_CLASSIFIED_KEY = (
    "identity",
    "person",
    "department",
    "service_id",
    "service_name",
    "category",
    "signal",
    "sanctioned",
    "classification",
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
class OutsideUse:
    before: int
    after: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class Report:
    period: Period
    ingest: IngestHealth
    headline: Headline
    #: service_id, name, category, sanctioned, users, shadow_users, events, active_days,
    #: bytes_out, bytes_in, has_bytes_out, first_seen, last_seen
    services: pl.DataFrame
    #: category, services, users, shadow_users, events, bytes_out
    categories: pl.DataFrame
    #: department, population, ai_users, shadow_users, shadow_users_pct, sanctioned_coverage_pct
    departments: pl.DataFrame
    #: identity, services, events, bytes_out, active_days, last_seen (all AI use)
    identities: pl.DataFrame
    #: identity, department, services, events, active_days, bytes_out, has_bytes_out, last_seen
    shadow_identities: pl.DataFrame
    #: service_id, name, category, sanctioned, users, first_seen: first use ever in the period
    new_services: pl.DataFrame
    #: service_id, plan, grant, kind, holders, active, unused, unused_pct
    seats: pl.DataFrame
    #: start, ai_users, shadow_users, events: per day and per week
    daily: pl.DataFrame
    weekly: pl.DataFrame
    #: service_id, start (a day), ai_users: each service's daily users
    daily_by_service: pl.DataFrame
    events_in_period: int
    ai_events: int
    #: AI use outside the period: events before and after it, the first and last time
    outside: OutsideUse
    #: the oldest and newest stored event (None for an empty store)
    stored: tuple[datetime, datetime] | None
    notes: list[str]
    #: demand, risk, money, champions and the survey benchmark (`decisions.py`)
    decisions: Decisions

    @property
    def ai_users(self) -> int:
        return self.headline.ai_users


def ai_events(
    store: EventStore,
    catalogue: Catalogue,
    period: Period,
    parts: PartCache | None = None,
    where: pl.Expr | None = None,
) -> pl.DataFrame:
    """Every event in the period that matches a service (and `where`), with the match and
    service columns, oldest first: read from the files' summaries (`parts`, as for
    `build_report`)."""
    events = matched(parts or PartCache(store, catalogue), period, where)
    return events.sort("ts", "source_file", "source_line").join(
        service_table(catalogue), on="service_id", how="left"
    )


def service_table(catalogue: Catalogue) -> pl.DataFrame:
    return pl.DataFrame(
        [(s.id, s.name, s.category) for s in catalogue.services.values()],
        schema=["service_id", "service_name", "category"],
        orient="row",
    )


def build_report(
    store: EventStore,
    catalogue: Catalogue,
    since: str | None = None,
    until: str | None = None,
    policy: Policy | None = None,
    regular_days: int = REGULAR_DAYS,
    parts: PartCache | None = None,
) -> Report:
    """The report of a period, merged from the store's file summaries.

    `parts` keeps them between reports (the dashboard passes its own); without
    it they are read from the on-disk cache, and only new files are scanned.
    """
    policy = policy or load_policy(None, {}, catalogue)
    inputs = gather(parts or PartCache(store, catalogue), since, until, policy)
    return assemble(inputs, _health(store), catalogue, policy, regular_days)


def classify_weighed(use: pl.DataFrame, catalogue: Catalogue, policy: Policy) -> pl.DataFrame:
    """Weighed AI rows classified, then merged per day and what the gap functions read."""
    events = classify(use.join(service_table(catalogue), on="service_id", how="left"), policy)
    return (
        events.group_by(pl.col("ts").dt.date().alias("_day"), *_CLASSIFIED_KEY)
        .agg(
            pl.col("ts").min(),
            pl.col("last").max(),
            pl.col("events").sum(),
            gap.logged_sum("bytes_out"),
            gap.logged_sum("bytes_in"),
        )
        .drop("_day")
    )


def assemble(
    inputs: Inputs,
    health: IngestHealth,
    catalogue: Catalogue,
    policy: Policy,
    regular_days: int = REGULAR_DAYS,
) -> Report:
    """The one Report from a period's inputs, however they were read."""
    days, period = inputs.days, inputs.period
    events = classify_weighed(inputs.use, catalogue, policy)
    population = gap.population(policy, inputs.identities)[0]
    seat_table = gap.seats(events, policy, population)
    head = gap.headline(events, policy, observed=inputs.identities, seats=seat_table)
    service_table = gap.services(events)
    outside = inputs.outside
    seen_before = outside.filter(pl.col("before") > 0)["service_id"]
    use_outside = OutsideUse(
        int(outside["before"].sum()),
        int(outside["after"].sum()),
        outside["first"].min(),
        outside["last"].max(),
    )
    stored = None if days.is_empty() else (days["first"].min(), days["last"].max())
    return Report(
        period=period,
        ingest=health,
        headline=head,
        services=service_table,
        categories=gap.categories(events),
        departments=gap.departments(events, policy),
        identities=_identities(gap.use_only(events)),
        shadow_identities=gap.shadow_identities(events),
        new_services=service_table.filter(
            (pl.col("users") > 0) & ~pl.col("service_id").is_in(seen_before.implode())
        ),
        seats=seat_table,
        daily=gap.trend(events, "1d"),
        weekly=gap.trend(events, "1w"),
        daily_by_service=gap.service_trend(events),
        events_in_period=inputs.events,
        ai_events=int(events["events"].sum()),
        outside=use_outside,
        stored=stored,
        notes=[
            *policy.notes,
            *_period_notes(period, inputs.events, stored, use_outside),
            *_data_notes(events, head, policy),
        ],
        decisions=decide(events, policy, catalogue, head, seat_table, regular_days),
    )


def _period_notes(period: Period, events: int, stored, outside: OutsideUse) -> list[str]:
    """Say when the period misses data: no events at all, or AI use on either side of it."""
    notes = []
    if not events:
        held = "the store holds no events yet"
        if stored:
            held = f"the store holds events from {stored[0]:%Y-%m-%d %H:%M} to "
            held += f"{stored[1]:%Y-%m-%d %H:%M} UTC"
        notes.append(f"No events in this period; {held}.")
    if outside.before or outside.after:
        sides = [f"{n:,} before it" for n in [outside.before] if n] + [
            f"{n:,} after it" for n in [outside.after] if n
        ]
        notes.append(
            f"AI use outside this period: {' and '.join(sides)} (from {outside.first:%Y-%m-%d} "
            f"to {outside.last:%Y-%m-%d}); widen --since/--until to see it."
        )
    return notes


def _data_notes(events: pl.DataFrame, head: gap.Headline, policy: Policy) -> list[str]:
    notes = []
    bundled = [f"{g.service_id} ({g.source})" for g in policy.grants if g.bundled]
    if bundled:
        notes.append(
            "Sanctioned coverage leaves out grants bundled with another licence: "
            + ", ".join(bundled)
            + "; their use is still sanctioned."
        )
    if head.outside_population:
        notes.append(
            f"{head.outside_population} AI identities are outside the population "
            f"({head.population_source}), {head.outside_population_shadow} of them with shadow "
            "use: counted on their own, not in any percentage of the population."
        )
    if head.shadow_users and head.shadow_upload_bytes is None:
        notes.append(
            "Upload volume: the logs behind the shadow use carry no upload sizes "
            "(Squid and DNS logs do not), so it is unknown, not zero."
        )
    if head.unattributed_identities:
        notes.append(
            f"{head.unattributed_identities} identities are IP addresses no user or "
            "lease resolves (DNS-only logs); they are counted as unattributed."
        )
    return notes


def _identities(use: pl.DataFrame) -> pl.DataFrame:
    return (
        use.group_by("identity")
        .agg(
            pl.col("service_id").unique().sort().alias("services"),
            gap.count(),
            gap.logged_sum("bytes_out"),
            pl.col("ts").dt.date().n_unique().alias("active_days"),
            pl.col("last").max().alias("last_seen"),
        )
        .sort(["events", "identity"], descending=[True, False])
        .head(TOP_IDENTITIES)
    )


def _health(store: EventStore) -> IngestHealth:
    """Totals per source over all its commits; the sources with rejected lines."""
    runs = store.runs().collect()
    per_source = (
        runs.sort("offset_end")
        .group_by("source_id", maintain_order=True)
        .agg(
            pl.col("source_file").last(),
            pl.col("source_format").last(),
            pl.col("lines").sum(),
            pl.col("events").sum(),
            pl.col("rejected").sum(),
            pl.col("rejected_samples").explode().drop_nulls().head(5),
        )
    )
    problems = per_source.filter(pl.col("rejected") > 0).select(
        "source_file", "source_format", "lines", "rejected", "rejected_samples"
    )
    return IngestHealth(
        files=per_source.height,
        lines=int(per_source["lines"].sum()),
        events=int(per_source["events"].sum()),
        rejected=int(per_source["rejected"].sum()),
        problems=problems,
    )
