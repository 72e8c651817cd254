"""The shadow-AI gap: headline and breakdowns from classified AI events and the policy.

Every function takes the period's classified events (one row per matched
event, see `classify.py`) and returns a small frame or value; `aggregate.py`
assembles them into the one Report every renderer reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.analyse.classify import grant_people, holders
from shadowscan.match.catalogue import USE_SIGNALS
from shadowscan.policy.config import Policy

TOP = 20
NOT_IN_DIRECTORY = "(not in directory)"


@dataclass(frozen=True)
class Headline:
    organization: str | None
    has_policy: bool
    population: int | None
    population_source: str  # directory | headcount | observed
    ai_users: int
    ai_users_pct: float | None
    shadow_users: int
    shadow_users_pct: float | None
    shadow_share_of_ai_users_pct: float | None
    sanctioned_users: int
    covered_people: int | None
    sanctioned_coverage_pct: float | None
    unused_seats: int
    unattributed_identities: int
    shadow_upload_bytes: int | None  # None: no event of a shadow service logged its upload size

    @property
    def sentence(self) -> str:
        org = self.organization or "the organisation"
        if self.ai_users == 0:
            return "No AI use was seen in this period."
        if not self.has_policy:
            return (
                f"No policy file, so nothing is sanctioned: all {self.ai_users} AI users "
                "count as shadow."
            )
        text = (
            f"{_pct(self.shadow_share_of_ai_users_pct)} of AI users ({self.shadow_users} of "
            f"{self.ai_users}) used AI outside what {org} pays for"
        )
        if self.sanctioned_coverage_pct is not None:
            text += (
                f", while {_pct(self.sanctioned_coverage_pct)} of its people hold a sanctioned seat"
            )
        return text + "."


def pct(part: int | None, whole: int | None) -> float | None:
    """A percentage 0–100 with one decimal; None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def logged_sum(column: str) -> pl.Expr:
    """A sum that stays null when no event logged the value: unknown, not zero."""
    return pl.when(pl.col(column).count() > 0).then(pl.col(column).sum()).alias(column)


def use_only(events: pl.DataFrame) -> pl.DataFrame:
    return events.filter(pl.col("signal").is_in(USE_SIGNALS))


def headline(events: pl.DataFrame, policy: Policy, observed: int, unused: int) -> Headline:
    use = use_only(events)
    ai_users = use["identity"].n_unique()
    shadow = use.filter(pl.col("classification") == "shadow")
    people, source = population(policy, observed)
    covered = covered_people(policy, people)
    return Headline(
        organization=policy.name,
        has_policy=policy.path is not None,
        population=people,
        population_source=source,
        ai_users=ai_users,
        ai_users_pct=pct(ai_users, people),
        shadow_users=shadow["identity"].n_unique(),
        shadow_users_pct=pct(shadow["identity"].n_unique(), people),
        shadow_share_of_ai_users_pct=pct(shadow["identity"].n_unique(), ai_users),
        sanctioned_users=use.filter(pl.col("classification") == "sanctioned")["person"].n_unique(),
        covered_people=covered,
        sanctioned_coverage_pct=pct(covered, people),
        unused_seats=unused,
        unattributed_identities=use.filter(pl.col("classification") == "unattributed")[
            "identity"
        ].n_unique(),
        shadow_upload_bytes=shadow["bytes_out"].sum() if shadow["bytes_out"].count() else None,
    )


def population(policy: Policy, observed: int) -> tuple[int, str]:
    if policy.directory is not None:
        return policy.directory.height, "directory"
    if policy.headcount is not None:
        return policy.headcount, "headcount"
    return observed, "observed"


def covered_people(policy: Policy, population: int | None) -> int | None:
    """People holding at least one sanctioned grant (in the directory, when there is one)."""
    if not policy.grants:
        return 0
    if policy.directory is None and any(g.kind == "everyone" for g in policy.grants):
        return population
    people = holders(policy)["person"].unique()
    if policy.directory is not None:
        people = people.filter(people.is_in(policy.directory["user"].implode()))
    return people.len()


def services(events: pl.DataFrame) -> pl.DataFrame:
    """Per service: users, shadow users, events, active days, bytes, first and last seen."""
    use = use_only(events)
    people = use.group_by("service_id").agg(
        pl.col("identity").n_unique().alias("users"),
        pl.col("identity")
        .filter(pl.col("classification") == "shadow")
        .n_unique()
        .alias("shadow_users"),
        pl.col("ts").dt.date().n_unique().alias("active_days"),
    )
    totals = events.group_by("service_id", "service_name", "category", "sanctioned").agg(
        pl.len().alias("events"),
        pl.col("bytes_out").sum().alias("bytes_out"),
        pl.col("bytes_in").sum().alias("bytes_in"),
        pl.col("bytes_out").is_not_null().any().alias("has_bytes_out"),
        pl.col("ts").min().alias("first_seen"),
        pl.col("ts").max().alias("last_seen"),
    )
    return (
        totals.join(people, on="service_id", how="left")
        .with_columns(pl.col("users", "shadow_users", "active_days").fill_null(0).cast(pl.Int64))
        .rename({"service_name": "name"})
        .sort(["users", "events", "service_id"], descending=[True, True, False])
    )


def categories(events: pl.DataFrame) -> pl.DataFrame:
    use = use_only(events)
    people = use.group_by("category").agg(
        pl.col("identity").n_unique().alias("users"),
        pl.col("identity")
        .filter(pl.col("classification") == "shadow")
        .n_unique()
        .alias("shadow_users"),
    )
    totals = events.group_by("category").agg(
        pl.col("service_id").n_unique().alias("services"),
        pl.len().alias("events"),
        logged_sum("bytes_out"),
    )
    return (
        totals.join(people, on="category", how="left")
        .with_columns(pl.col("users", "shadow_users").fill_null(0).cast(pl.Int64))
        .sort(["users", "events", "category"], descending=[True, True, False])
    )


def departments(events: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Per directory department (plus people not in it): population, users, shadow, coverage."""
    schema = {
        "department": pl.String,
        "population": pl.Int64,
        "ai_users": pl.Int64,
        "shadow_users": pl.Int64,
        "shadow_users_pct": pl.Float64,
        "sanctioned_coverage_pct": pl.Float64,
    }
    if policy.directory is None:
        return pl.DataFrame(schema=schema)
    directory = policy.directory.select("user", pl.col("department").fill_null("(none)"))
    granted = holders(policy).select(pl.col("person").alias("user")).unique()
    granted = granted.with_columns(granted=pl.lit(True))
    base = (
        directory.join(granted, on="user", how="left")
        .group_by("department")
        .agg(pl.len().alias("population"), pl.col("granted").sum().alias("covered"))
    )
    use = use_only(events).filter(pl.col("person").is_not_null())
    use = use.with_columns(pl.col("department").fill_null(NOT_IN_DIRECTORY))
    seen = use.group_by("department").agg(
        pl.col("person").n_unique().alias("ai_users"),
        pl.col("person")
        .filter(pl.col("classification") == "shadow")
        .n_unique()
        .alias("shadow_users"),
    )
    table = base.join(seen, on="department", how="full", coalesce=True).with_columns(
        pl.col("ai_users", "shadow_users").fill_null(0),
    )
    return (
        table.with_columns(
            (100 * pl.col("shadow_users") / pl.col("population"))
            .round(1)
            .alias("shadow_users_pct"),
            (100 * pl.col("covered") / pl.col("population"))
            .round(1)
            .alias("sanctioned_coverage_pct"),
        )
        .sort([pl.col("department") == NOT_IN_DIRECTORY, "department"])
        .select(list(schema))
        .cast(schema)
    )


def shadow_identities(events: pl.DataFrame) -> pl.DataFrame:
    """The identities with the most shadow use: services, events, active days, upload."""
    shadow = use_only(events).filter(pl.col("classification") == "shadow")
    return (
        shadow.group_by("identity")
        .agg(
            pl.col("department").drop_nulls().first(),
            pl.col("service_id").unique().sort().alias("services"),
            pl.len().alias("events"),
            pl.col("ts").dt.date().n_unique().alias("active_days"),
            pl.col("bytes_out").sum().alias("bytes_out"),
            pl.col("bytes_out").is_not_null().any().alias("has_bytes_out"),
            pl.col("ts").max().alias("last_seen"),
        )
        .sort(["events", "identity"], descending=[True, False])
        .head(TOP)
    )


def seats(events: pl.DataFrame, policy: Policy, population: int) -> pl.DataFrame:
    """Per grant: its holders, those who used the service sanctioned in the period, the unused.

    A grant that names nobody (everyone, without a directory) holds the whole
    population.
    """
    used = (
        use_only(events)
        .filter(pl.col("classification") == "sanctioned")
        .group_by("service_id")
        .agg(pl.col("person").unique())
    )
    users = {sid: set(people) for sid, people in used.iter_rows()}
    rows = []
    for g in policy.grants:  # a handful of grants: plain Python is clearer here
        people = grant_people(g, policy)
        seen = users.get(g.service_id, set())
        if people is None:
            held, active = (population if g.kind == "everyone" else 0), len(seen)
        else:
            held, active = people.n_unique(), len(set(people) & seen)
        unused = max(held - active, 0)
        rows.append(
            (g.service_id, g.plan, g.source, g.kind, held, active, unused, pct(unused, held))
        )
    return pl.DataFrame(rows, schema=SEAT_SCHEMA, orient="row")


SEAT_SCHEMA = {
    "service_id": pl.String,
    "plan": pl.String,
    "grant": pl.String,
    "kind": pl.String,
    "holders": pl.Int64,
    "active": pl.Int64,
    "unused": pl.Int64,
    "unused_pct": pl.Float64,
}


def trend(events: pl.DataFrame, every: str) -> pl.DataFrame:
    """AI users, shadow users and use events per day (`1d`) or ISO week (`1w`)."""
    use = use_only(events).with_columns(pl.col("ts").dt.truncate(every).dt.date().alias("start"))
    return (
        use.group_by("start")
        .agg(
            pl.col("identity").n_unique().alias("ai_users"),
            pl.col("identity")
            .filter(pl.col("classification") == "shadow")
            .n_unique()
            .alias("shadow_users"),
            pl.len().alias("events"),
        )
        .sort("start")
    )
