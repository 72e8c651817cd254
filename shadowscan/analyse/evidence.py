"""One identity's AI use in a period, classified, with the log lines that show it.

Behind `explain IDENTITY` and `export`: the same classified events the report
counts, so what an investigator reads is what the report added up.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.analyse.aggregate import ai_events
from shadowscan.analyse.classify import classify
from shadowscan.analyse.partcache import PartCache
from shadowscan.analyse.period import Period
from shadowscan.enrich.identity import user_expr
from shadowscan.errors import UsageError
from shadowscan.match.catalogue import Catalogue
from shadowscan.policy.config import Policy
from shadowscan.store.delta import EventStore

#: What an evidence line shows: when, where in which log, what matched and why.
EVIDENCE_COLUMNS = (
    "ts",
    "source_file",
    "source_line",
    "host",
    "url_path",
    "service_id",
    "signal",
    "plan",
    "rule",
    "classification",
)


@dataclass(frozen=True)
class Evidence:
    """Per service the classification and its reason, and every matching line by time."""

    identity: str
    period: Period
    services: pl.DataFrame
    lines: pl.DataFrame


def classified_events(
    store: EventStore,
    catalogue: Catalogue,
    policy: Policy,
    period: Period,
    parts: PartCache | None = None,
    where: pl.Expr | None = None,
) -> pl.DataFrame:
    """The period's AI events (those `where` keeps) under the current rules, each classified
    against the policy."""
    return classify(ai_events(store, catalogue, period, parts, where), policy)


def evidence(
    store: EventStore,
    catalogue: Catalogue,
    policy: Policy,
    identity: str,
    period: Period,
    parts: PartCache | None = None,
) -> Evidence:
    """`identity` as typed, as its canonical user name, or as a client IP."""
    canonical = pl.select(user_expr(pl.lit(identity))).item() or identity
    mine = (
        classified_events(store, catalogue, policy, period, parts, _maybe(policy, identity))
        .filter(pl.col("identity").is_in([identity, canonical]) | (pl.col("client_ip") == identity))
        .sort("ts")
    )
    if mine.is_empty():
        raise UsageError(
            f"no AI use by {identity!r} between {period.start:%Y-%m-%d} and {period.end:%Y-%m-%d}.",
            hint="Identities are lower-case user names (or IPs); widen --since/--until.",
        )
    services = (
        mine.group_by("service_id", "classification", "reason", "signal")
        .agg(
            pl.len().alias("events"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
        )
        .sort("service_id", "classification", "signal")
    )
    return Evidence(canonical, period, services, mine.select(EVIDENCE_COLUMNS))


def _maybe(policy: Policy, identity: str) -> pl.Expr:
    """The stored events that can be `identity`'s once classified: by user, stored identity or
    address, or without a user from an address a lease gives them (read before classifying,
    so only these few are classified)."""
    names = [identity, pl.select(user_expr(pl.lit(identity))).item() or identity]
    maybe = pl.any_horizontal(pl.col(c).is_in(names) for c in ("identity", "user", "client_ip"))
    if policy.ip_map is None:
        return maybe
    leased = policy.ip_map.filter(pl.col("user").is_in(names))["ip"]
    return maybe | (pl.col("user").is_null() & pl.col("client_ip").is_in(leased.implode()))
