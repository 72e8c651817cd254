"""From the gap to a decision: demand, risk, money, champions and the survey benchmark.

Each figure is computed once here, with Polars over the period's classified
AI events (`classify.py`) and the catalogue's sourced facts; `aggregate.py`
puts the result in the one Report and renderers only format it. Shadow use
is what the risk and demand figures count: a sanctioned enterprise plan does
not send data under consumer terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.analyse.gap import (
    NOT_IN_DIRECTORY,
    Headline,
    count,
    logged_sum,
    price_per_seat,
    use_only,
)
from shadowscan.match.catalogue import Catalogue
from shadowscan.policy.config import Policy
from shadowscan.units import amount, human_bytes

#: Days of the period a person must be active on for their use to be regular.
REGULAR_DAYS = 3
CHAMPIONS_PER_DEPARTMENT = 3
#: `consumer_training` values saying consumer data may train models (rules/README.md).
TRAINS = ("on-by-default",)
SURVEY = 'MIT NANDA, "The GenAI Divide: State of AI in Business 2025"'
#: The report's words: "While only 40% of companies say they purchased an official LLM
#: subscription, workers from over 90% of the companies we surveyed reported regular use
#: of personal AI tools for work." Both count companies; ours count people.
SURVEY_PERSONAL_AI_PCT = 90
SURVEY_SUBSCRIPTIONS_PCT = 40
DEMAND_COLUMNS = (
    "service_id",
    "name",
    "shadow_users",
    "regular_shadow_users",
    "departments",
    "sanctioned",
    "enterprise_plan",
    "consumer_training",
    "headquarters",
    "shadow_upload_bytes",
    "price_per_seat_month",
    "cost_to_cover_per_month",
)
FACTS_SCHEMA = {
    "service_id": pl.String,
    "enterprise_plan": pl.Boolean,
    "consumer_training": pl.String,
    "headquarters": pl.String,
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _and(names: list[str], most: int = 3) -> str:
    """`A`, `A and B`, `A, B and C`, `A, B, C and 2 more`."""
    if len(names) > most:
        names = [*names[:most], f"{len(names) - most} more"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Risk:
    """Shadow use of services whose consumer plans may train on it, and by jurisdiction."""

    training_users: int
    training_upload_bytes: int | None  # None: no such event logged its upload size
    training_services: list[str]
    #: headquarters (null: unknown), shadow_users, upload_bytes, services
    by_headquarters: pl.DataFrame

    @property
    def sentence(self) -> str:
        if not self.by_headquarters.height:
            return "No shadow AI use, so nothing was sent under consumer terms."
        known = self.by_headquarters.drop_nulls("headquarters").head(3)
        where = _and(
            [f"{c} ({n:,})" for c, n in known.select("headquarters", "shadow_users").rows()]
        )
        text = (
            f"{_count(self.training_users, 'person', 'people')} used services whose consumer "
            "plans may train on what users send ("
            + (", ".join(self.training_services) or "none")
            + ")"
        )
        if self.training_upload_bytes is not None:
            text += f", uploading {human_bytes(self.training_upload_bytes)}"
        return text + (f"; shadow users by vendor country: {where}." if known.height else ".")


@dataclass(frozen=True)
class Money:
    """What unused seats cost, and what covering the shadow users of priced services would."""

    currency: str | None
    unused_seats: int
    unused_seat_cost_per_month: float | None
    cost_to_cover_per_month: float | None  # None: no service with shadow users has a price
    priced_shadow_users: int  # shadow users of the services with a price
    unpriced_services: list[str]  # services with shadow users and no price

    @property
    def sentence(self) -> str:
        if self.unused_seat_cost_per_month is None and self.cost_to_cover_per_month is None:
            return (
                "No prices in the policy: add a [prices] table (chatgpt = 30, a seat's monthly "
                "price) and [organization] currency to see what unused seats and covering "
                "shadow users cost."
            )
        parts = []
        if self.unused_seat_cost_per_month is not None:
            seats = _count(self.unused_seats, "unused seat costs", "unused seats cost")
            parts.append(
                f"{seats} {amount(self.unused_seat_cost_per_month, self.currency)} a month"
            )
        if self.cost_to_cover_per_month is not None:
            who = _count(self.priced_shadow_users, "shadow user", "shadow users")
            cost = amount(self.cost_to_cover_per_month, self.currency)
            parts.append(f"covering the {who} of priced services would cost {cost} a month")
        text = "; ".join(parts)
        if self.unpriced_services:
            text += f" (no price for {_and(self.unpriced_services, 5)})"
        return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class Benchmark:
    """The organisation's gap beside the survey's: people here, companies there.

    The sentence says so rather than set a share of companies against a share
    of people as if they were the same measure.
    """

    source: str
    survey_personal_ai_pct: int
    survey_subscriptions_pct: int
    shadow_users_pct: float | None
    sanctioned_coverage_pct: float | None

    @property
    def sentence(self) -> str:
        text = (
            f"Survey: workers at over {self.survey_personal_ai_pct}% of the companies asked use "
            f"personal AI tools for work, while {self.survey_subscriptions_pct}% of companies "
            "bought an official subscription."
        )
        if self.shadow_users_pct is None:
            return text + " Here: no population to take a percentage of."
        text += (
            f" Here: {self.shadow_users_pct:.1f}% of your people used AI outside what you pay for"
        )
        if self.sanctioned_coverage_pct is None:
            return text + "."
        return text + f"; {self.sanctioned_coverage_pct:.1f}% hold a paid seat."


@dataclass(frozen=True)
class Decisions:
    regular_days: int
    #: service_id, name, shadow_users, regular_shadow_users, departments, sanctioned,
    #: enterprise_plan, consumer_training, headquarters, shadow_upload_bytes,
    #: price_per_seat_month, cost_to_cover_per_month, sentence
    demand: pl.DataFrame
    risk: Risk
    money: Money
    #: department, identity, services, active_days, events, shadow
    champions: pl.DataFrame
    benchmark: Benchmark

    @property
    def champions_sentence(self) -> str:
        if not self.champions.height:
            return (
                f"No one used AI on {self.regular_days} or more days of the period: "
                "no regular users to ask yet."
            )
        people = _count(
            self.champions["identity"].n_unique(), "regular AI user", "regular AI users"
        )
        return (
            f"{people} (active on {self.regular_days} or more days) to involve in choosing and "
            "piloting tools: they already know what works."
        )


def facts_table(catalogue: Catalogue) -> pl.DataFrame:
    """Per catalogue service its sourced facts; "unknown" becomes null."""

    def fact(service, key):
        found = service.facts.get(key)
        return None if found is None or found.value == "unknown" else found.value

    rows = [
        (s.id, fact(s, "enterprise_plan"), fact(s, "consumer_training"), fact(s, "headquarters"))
        for s in catalogue.services.values()
    ]
    return pl.DataFrame(rows, schema=FACTS_SCHEMA, orient="row")


def decide(
    events: pl.DataFrame,
    policy: Policy,
    catalogue: Catalogue,
    head: Headline,
    seats: pl.DataFrame,
    regular_days: int = REGULAR_DAYS,
) -> Decisions:
    """Every decision figure of the period's classified AI `events`."""
    facts = facts_table(catalogue)
    shadow = (
        use_only(events)
        .filter(pl.col("classification") == "shadow")
        .join(facts, on="service_id", how="left")
    )
    wanted = demand(shadow, policy, regular_days)
    return Decisions(
        regular_days=regular_days,
        demand=wanted.with_columns(
            pl.Series(
                "sentence",
                [demand_sentence(r, policy.currency) for r in wanted.iter_rows(named=True)],
                pl.String,
            )
        ),
        risk=risk(shadow),
        money=costs(wanted, seats, head),
        champions=champions(events, policy, regular_days),
        benchmark=Benchmark(
            SURVEY,
            SURVEY_PERSONAL_AI_PCT,
            SURVEY_SUBSCRIPTIONS_PCT,
            head.shadow_users_pct,
            head.sanctioned_coverage_pct,
        ),
    )


def costs(wanted: pl.DataFrame, seats: pl.DataFrame, head: Headline) -> Money:
    """The money lines: unused priced seats, and covering the shadow users of priced services."""
    priced = wanted.filter(pl.col("price_per_seat_month").is_not_null())
    unused = seats.filter(pl.col("unused_seat_cost_per_month").is_not_null())["unused_seats"]
    cover = round(float(priced["cost_to_cover_per_month"].sum()), 2) if priced.height else None
    return Money(
        currency=head.currency,
        unused_seats=int(unused.sum()),
        unused_seat_cost_per_month=head.unused_seat_cost_per_month,
        cost_to_cover_per_month=cover,
        priced_shadow_users=int(priced["shadow_users"].sum()),
        unpriced_services=wanted.filter(pl.col("price_per_seat_month").is_null())[
            "service_id"
        ].to_list(),
    )


def demand(shadow: pl.DataFrame, policy: Policy, regular_days: int) -> pl.DataFrame:
    """Per service with shadow users: how many, how many regularly, where, and the cost to cover.

    `shadow` is the shadow use events joined with the catalogue's facts.
    """
    department = pl.col("department")
    if policy.directory is not None:
        department = department.fill_null(NOT_IN_DIRECTORY)
    per_person = shadow.group_by("service_id", "identity").agg(
        department.drop_nulls().first().alias("department"),
        pl.col("ts").dt.date().n_unique().alias("days"),
    )
    where = (
        per_person.drop_nulls("department")
        .group_by("service_id", "department")
        .agg(pl.len().cast(pl.Int64).alias("shadow_users"))
        .sort(
            [pl.col("shadow_users"), pl.col("department") == NOT_IN_DIRECTORY, "department"],
            descending=[True, False, False],
        )
        .group_by("service_id", maintain_order=True)
        .agg(pl.struct("department", "shadow_users").alias("departments"))
    )
    people = per_person.group_by("service_id").agg(
        pl.len().cast(pl.Int64).alias("shadow_users"),
        (pl.col("days") >= regular_days).sum().cast(pl.Int64).alias("regular_shadow_users"),
    )
    service = shadow.group_by("service_id").agg(
        pl.col("service_name").first().alias("name"),
        pl.col("enterprise_plan", "consumer_training", "headquarters").first(),
        logged_sum("bytes_out").alias("shadow_upload_bytes"),
    )
    sanctioned = pl.col("service_id").is_in(sorted(policy.sanctioned_services))
    return (
        people.join(service, on="service_id")
        .join(where, on="service_id", how="left")
        .with_columns(
            pl.col("departments").fill_null(pl.lit([], where.schema["departments"])),
            sanctioned.alias("sanctioned"),
            price_per_seat(policy),
        )
        .with_columns(
            (pl.col("shadow_users") * pl.col("price_per_seat_month"))
            .round(2)
            .alias("cost_to_cover_per_month")
        )
        .sort(
            ["regular_shadow_users", "shadow_users", "service_id"],
            descending=[True, True, False],
        )
        .select(DEMAND_COLUMNS)
    )


def demand_sentence(row: dict, currency: str | None) -> str:
    """The sentence that leads a demand row: "13 people use Claude outside what is paid for, …".

    Built per row of the small per-service table, never per event.
    """
    n = row["shadow_users"]
    text = f"{_count(n, 'person uses', 'people use')} {row['name']} outside what is paid for "
    text += f"({row['regular_shadow_users']:,} regularly)"
    departments = [d["department"] for d in row["departments"]]
    if departments:
        text += ", in " + _and(departments)
    plan = {True: "an enterprise plan exists", False: "the vendor sells no enterprise plan"}
    text += "; " + plan.get(row["enterprise_plan"], "no enterprise plan is known") + "; "
    if row["cost_to_cover_per_month"] is None:
        return text + "no price in the policy to cost covering them."
    return (
        text
        + f"covering them would cost {amount(row['cost_to_cover_per_month'], currency)} a month."
    )


def risk(shadow: pl.DataFrame) -> Risk:
    """Shadow users and uploads to services that may train on consumer data, and by country."""
    training = shadow.filter(pl.col("consumer_training").is_in(TRAINS))
    uploads = training["bytes_out"]
    by_country = (
        shadow.group_by("headquarters")
        .agg(
            pl.col("identity").n_unique().cast(pl.Int64).alias("shadow_users"),
            logged_sum("bytes_out").alias("upload_bytes"),
            pl.col("service_id").unique().sort().alias("services"),
        )
        .sort(
            [pl.col("headquarters").is_null(), "shadow_users", "headquarters"],
            descending=[False, True, False],
        )
    )
    return Risk(
        training_users=training["identity"].n_unique(),
        training_upload_bytes=int(uploads.sum()) if uploads.count() else None,
        training_services=training["service_id"].unique().sort().to_list(),
        by_headquarters=by_country,
    )


def champions(events: pl.DataFrame, policy: Policy, regular_days: int) -> pl.DataFrame:
    """Per department its most regular AI users (any classification), the people to ask.

    People only (an address no lease resolves is nobody to ask); with a
    directory, its people only, per department; without one, across everyone.
    """
    use = use_only(events).filter(pl.col("person").is_not_null())
    if policy.directory is not None:
        use = use.filter(pl.col("person").is_in(policy.directory["user"].implode()))
        use = use.with_columns(pl.col("department").fill_null("(none)"))
    per_person = (
        use.group_by("department", "identity")
        .agg(
            pl.col("service_id").unique().sort().alias("services"),
            pl.col("ts").dt.date().n_unique().cast(pl.Int64).alias("active_days"),
            count().cast(pl.Int64),
            (pl.col("classification") == "shadow").any().alias("shadow"),
        )
        .filter(pl.col("active_days") >= regular_days)
        .sort(
            ["department", "active_days", "events", "identity"],
            descending=[False, True, True, False],
        )
    )
    rank = pl.int_range(pl.len()).over("department")
    return per_person.filter(rank < CHAMPIONS_PER_DEPARTMENT)
