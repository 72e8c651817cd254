"""Every AI event classified against the policy: sanctioned, shadow or unattributed, and why.

Order of the rules, first match wins:
1. unattributed: no user in the log and no IP lease resolves the address;
2. shadow: the matched rule says the plan is personal (logged-out ChatGPT, a
   Copilot Individual host), whatever the person's seat;
3. shadow: the service is not sanctioned;
4. shadow: it is, but this person holds no grant for it;
5. sanctioned: a seat, a department grant or `everyone`.
"""

from __future__ import annotations

import polars as pl

from shadowscan.policy.config import Grant, Policy


def grant_people(grant: Grant, policy: Policy) -> pl.Series | None:
    """The people a grant names; None for departments or everyone without a directory."""
    directory = policy.directory
    if grant.kind == "seats":
        return grant.seats["user"]
    if directory is None:
        return None
    if grant.kind == "departments":
        return directory.filter(pl.col("department").is_in(grant.departments))["user"]
    return directory["user"]


def holders(policy: Policy, paid_only: bool = False) -> pl.DataFrame:
    """person, service_id, grant: who holds which sanctioned service, and through what.

    `paid_only` leaves out grants bundled with another licence (for coverage).
    """
    frames = [
        pl.DataFrame(schema={"person": pl.String, "service_id": pl.String, "grant": pl.String})
    ]
    for g in policy.grants:
        if paid_only and g.bundled:
            continue
        people = grant_people(g, policy)
        if people is not None:
            frames.append(
                people.to_frame("person").with_columns(
                    service_id=pl.lit(g.service_id), grant=pl.lit(g.source)
                )
            )
    return pl.concat(frames).unique(["person", "service_id"], keep="first", maintain_order=True)


def attribute(events: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Adds `person` (the user, or the lease holder of the client IP at that time)."""
    indexed = events.with_row_index("_row")
    person = pl.col("user")
    if policy.ip_map is not None and indexed.height:
        leased = (
            indexed.filter(pl.col("user").is_null() & pl.col("client_ip").is_not_null())
            .select("_row", "ts", pl.col("client_ip").alias("ip"))
            .join(policy.ip_map, on="ip")
            .filter(
                (pl.col("start") <= pl.col("ts"))
                & (pl.col("end").is_null() | (pl.col("ts") < pl.col("end")))
            )
            .sort("start", descending=True)
            .unique("_row", keep="first")
            .select("_row", pl.col("user").alias("_leased"))
        )
        indexed = indexed.join(leased, on="_row", how="left")
        person = pl.coalesce("user", "_leased")
    out = indexed.with_columns(person.alias("person"))
    out = out.with_columns(pl.coalesce("person", "identity", "client_ip").alias("identity"))
    return out.drop([c for c in ("_row", "_leased") if c in out.columns])


def classify(events: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """`events` (matched AI events) plus person, department, sanctioned, classification, reason."""
    events = attribute(events, policy)
    grants = holders(policy)
    everyone = {g.service_id for g in policy.grants if g.kind == "everyone"}
    if policy.directory is not None:
        events = events.join(
            policy.directory.select(pl.col("user").alias("person"), "department"),
            on="person",
            how="left",
        )
        everyone = set()  # with a directory, `everyone` means the people in it
    else:
        events = events.with_columns(department=pl.lit(None, pl.String))
    events = events.join(
        grants.select("person", "service_id", "grant"), on=["person", "service_id"], how="left"
    )
    sanctioned = pl.col("service_id").is_in(sorted(policy.sanctioned_services))
    covered = pl.col("grant").is_not_null() | (
        pl.col("person").is_not_null() & pl.col("service_id").is_in(sorted(everyone))
    )
    personal = pl.col("plan") == "personal"
    if policy.path is None:  # no policy file: nothing is sanctioned, everyone is shadow
        return events.with_columns(
            sanctioned=pl.lit(False),
            classification=pl.lit("shadow"),
            reason=pl.lit("no policy file: nothing is sanctioned"),
        ).drop("grant")
    classification = (
        pl.when(pl.col("person").is_null())
        .then(pl.lit("unattributed"))
        .when(personal | ~sanctioned | ~covered)
        .then(pl.lit("shadow"))
        .otherwise(pl.lit("sanctioned"))
    )
    reason = (
        pl.when(pl.col("person").is_null())
        .then(_unattributed_reason(policy))
        .when(personal)
        .then(pl.lit("personal-plan evidence in the log (") + pl.col("rule") + pl.lit(")"))
        .when(~sanctioned)
        .then(pl.col("service_id") + pl.lit(" is not sanctioned"))
        .when(~covered)
        .then(
            pl.lit("sanctioned, but this person holds no ")
            + pl.col("service_id")
            + pl.lit(" grant")
        )
        .otherwise(pl.lit("grant: ") + pl.coalesce("grant", pl.lit("everyone")))
    )
    return events.with_columns(
        sanctioned.alias("sanctioned"),
        classification.alias("classification"),
        reason.alias("reason"),
    ).drop("grant")


def _unattributed_reason(policy: Policy) -> pl.Expr:
    """Reasons never repeat the identity: the row has it, and pseudonyms must hide it."""
    if policy.ip_map is None:
        return pl.lit("no user in the log, and no [identity] ip_map to resolve the address")
    return pl.lit("no user in the log, and no lease for the address at that time")
