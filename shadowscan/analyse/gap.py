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
    """The gap in a few numbers. Every percentage "of population" counts people in it only.

    The population splits into shadow users, other AI users (sanctioned use
    only) and people with no AI use seen; AI identities outside it (a
    contractor not in the directory, an address no lease resolves) are counted
    on their own line, never in a percentage of the population.
    """

    organization: str | None
    has_policy: bool
    population: int | None
    population_source: str  # directory | headcount | observed
    ai_users: int  # people in the population with AI use
    ai_users_pct: float | None
    shadow_users: int  # people in the population with shadow use
    shadow_users_pct: float | None
    shadow_share_of_ai_users_pct: float | None
    other_ai_users: int  # AI users in the population whose use was all sanctioned
    no_ai_use: int | None  # people in the population with no AI use seen
    outside_population: int  # AI identities not in the population
    outside_population_shadow: int  # of which with shadow use
    sanctioned_users: int
    covered_people: int | None  # people holding a paid (not bundled) grant
    sanctioned_coverage_pct: float | None
    unused_seats: int  # seats bought per person and not used in the period
    idle_grant_holders: int  # department/everyone grant holders who did not use the service
    unattributed_identities: int
    shadow_upload_bytes: int | None  # None: no event of a shadow service logged its upload size
    currency: str | None = None  # ISO 4217, from the policy: shown with every amount
    #: unused seats × their service's price, summed over priced seat grants; None: no price
    unused_seat_cost_per_month: float | None = None

    @property
    def sentence(self) -> str:
        org = self.organization or "the organisation"
        if self.ai_users == 0:
            if self.outside_population:
                return (
                    f"No one in the population used AI in this period; "
                    f"{_count(self.outside_population, 'identity', 'identities')} outside it did."
                )
            return "No AI use was seen in this period."
        if not self.has_policy:
            who = (
                "the one person who used AI counts"
                if self.ai_users == 1
                else f"all {self.ai_users} people who used AI count"
            )
            return f"No policy file, so nothing is sanctioned: {who} as shadow."
        if self.ai_users == 1:
            did = "used it outside" if self.shadow_users else "stayed within"
            text = f"The one person who used AI {did} what {org} pays for"
        else:
            text = (
                f"{self.shadow_users} of the {self.ai_users} people who used AI "
                f"({_pct(self.shadow_share_of_ai_users_pct)}) used it outside what {org} pays for"
            )
        if self.sanctioned_coverage_pct is not None:
            text += (
                f", while {_pct(self.sanctioned_coverage_pct)} of its people hold a paid AI seat "
                "they could use instead"
            )
        return text + "."


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


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


def count() -> pl.Expr:
    """The number of events in a group of weighed rows (each row carries its `events`)."""
    return pl.col("events").sum().cast(pl.get_index_type()).alias("events")


def use_only(events: pl.DataFrame) -> pl.DataFrame:
    return events.filter(pl.col("signal").is_in(USE_SIGNALS))


def headline(events: pl.DataFrame, policy: Policy, observed: int, seats: pl.DataFrame) -> Headline:
    use = use_only(events)
    people, source = population(policy, observed)
    inside = use.filter(in_population(policy))
    ai_users = inside["identity"].n_unique()
    shadow_in = inside.filter(pl.col("classification") == "shadow")["identity"].n_unique()
    outside = use.filter(~in_population(policy))
    covered = covered_people(policy, people)
    shadow = use.filter(pl.col("classification") == "shadow")
    return Headline(
        organization=policy.name,
        has_policy=policy.path is not None,
        population=people,
        population_source=source,
        ai_users=ai_users,
        ai_users_pct=pct(ai_users, people),
        shadow_users=shadow_in,
        shadow_users_pct=pct(shadow_in, people),
        shadow_share_of_ai_users_pct=pct(shadow_in, ai_users),
        other_ai_users=ai_users - shadow_in,
        no_ai_use=None if people is None else max(people - ai_users, 0),
        outside_population=outside["identity"].n_unique(),
        outside_population_shadow=outside.filter(pl.col("classification") == "shadow")[
            "identity"
        ].n_unique(),
        sanctioned_users=use.filter(pl.col("classification") == "sanctioned")["person"].n_unique(),
        covered_people=covered,
        sanctioned_coverage_pct=pct(covered, people),
        unused_seats=int(seats["unused_seats"].sum()),
        idle_grant_holders=int(seats["idle_holders"].sum()),
        unattributed_identities=use.filter(pl.col("classification") == "unattributed")[
            "identity"
        ].n_unique(),
        shadow_upload_bytes=shadow["bytes_out"].sum() if shadow["bytes_out"].count() else None,
        currency=policy.currency,
        unused_seat_cost_per_month=unused_seat_cost(seats),
    )


def unused_seat_cost(seats: pl.DataFrame) -> float | None:
    """The seats table's priced unused seats, summed; None when no seat grant has a price."""
    priced = seats["unused_seat_cost_per_month"].drop_nulls()
    return round(float(priced.sum()), 2) if priced.len() else None


def in_population(policy: Policy) -> pl.Expr:
    """Whether an AI event's identity belongs to the population percentages are taken of.

    With a directory, its people; with a headcount, anyone a user name or a
    lease resolves (not a bare address); the observed population is every
    identity seen.
    """
    if policy.directory is not None:
        return pl.col("person").is_in(policy.directory["user"].implode()).fill_null(False)
    if policy.headcount is not None:
        return pl.col("person").is_not_null()
    return pl.lit(True)


def population(policy: Policy, observed: int) -> tuple[int, str]:
    if policy.directory is not None:
        return policy.directory.height, "directory"
    if policy.headcount is not None:
        return policy.headcount, "headcount"
    return observed, "observed"


def covered_people(policy: Policy, population: int | None) -> int | None:
    """People holding at least one paid grant (in the directory, when there is one).

    Grants marked `bundled` (an AI feature that comes with another licence,
    such as Microsoft 365 Copilot Chat) cover nobody here: they would make
    every organisation look fully covered.
    """
    paid = [g for g in policy.grants if not g.bundled]
    if not paid:
        return 0
    if policy.directory is None and any(g.kind == "everyone" for g in paid):
        return population
    people = holders(policy, paid_only=True)["person"].unique()
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
        count(),
        pl.col("bytes_out").sum().alias("bytes_out"),
        pl.col("bytes_in").sum().alias("bytes_in"),
        pl.col("bytes_out").is_not_null().any().alias("has_bytes_out"),
        pl.col("ts").min().alias("first_seen"),
        pl.col("last").max().alias("last_seen"),
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
        count(),
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
    granted = holders(policy, paid_only=True).select(pl.col("person").alias("user")).unique()
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
            count(),
            pl.col("ts").dt.date().n_unique().alias("active_days"),
            pl.col("bytes_out").sum().alias("bytes_out"),
            pl.col("bytes_out").is_not_null().any().alias("has_bytes_out"),
            pl.col("last").max().alias("last_seen"),
        )
        .sort(["events", "identity"], descending=[True, False])
        .head(TOP)
    )


def seats(events: pl.DataFrame, policy: Policy, population: int) -> pl.DataFrame:
    """Per grant: its holders, those who used the service sanctioned in the period, the rest.

    The rest are `unused_seats` for a seat list (bought per person) and
    `idle_holders` for a department or everyone grant, never mixed: only the
    first is money spent on nobody, so only it has a cost (`[prices]`). A
    grant that names nobody (everyone, without a directory) holds the whole
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
        rest = max(held - active, 0)
        unused, idle = (rest, 0) if g.kind == "seats" else (0, rest)
        rows.append(
            (g.service_id, g.plan, g.source, g.kind, g.bundled, held, active, unused, idle,
             pct(rest, held))
        )  # fmt: skip
    table = pl.DataFrame(rows, schema=SEAT_SCHEMA, orient="row")
    return table.with_columns(price_per_seat(policy)).with_columns(
        pl.when(pl.col("kind") == "seats")
        .then((pl.col("unused_seats") * pl.col("price_per_seat_month")).round(2))
        .alias("unused_seat_cost_per_month")
    )


def price_per_seat(policy: Policy) -> pl.Expr:
    """`[prices]` looked up by `service_id`: null for a service the policy gives no price."""
    return (
        pl.col("service_id")
        .replace_strict(policy.prices, default=None, return_dtype=pl.Float64)
        .alias("price_per_seat_month")
    )


SEAT_SCHEMA = {
    "service_id": pl.String,
    "plan": pl.String,
    "grant": pl.String,
    "kind": pl.String,
    "bundled": pl.Boolean,
    "holders": pl.Int64,
    "active": pl.Int64,
    "unused_seats": pl.Int64,
    "idle_holders": pl.Int64,
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
            count(),
        )
        .sort("start")
    )


def service_trend(events: pl.DataFrame) -> pl.DataFrame:
    """AI users of each service per day: the services' own sparklines."""
    use = use_only(events).with_columns(pl.col("ts").dt.date().alias("start"))
    return (
        use.group_by("service_id", "start")
        .agg(pl.col("identity").n_unique().alias("ai_users"))
        .sort("service_id", "start")
    )
