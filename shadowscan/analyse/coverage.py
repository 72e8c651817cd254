"""`shadowscan rules coverage`: how much of the AI-looking traffic the catalogue knows.

AI-looking traffic is what the catalogue matches plus what `discover` ranks
as a lead (a model-API path shape, an AI-like registered domain, co-visits
with known services); the leads are the catalogue's misses in this network,
with the same reasons `discover` gives. Each lead says whether its registered
domain appears in the catalogue at all: a new host of a known vendor is a
missing rule, an unknown domain a missing service.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.analyse.aggregate import ai_events
from shadowscan.analyse.discover import discover
from shadowscan.analyse.period import Period
from shadowscan.enrich.hosts import registered_domain
from shadowscan.match.catalogue import Catalogue
from shadowscan.store.delta import EventStore


@dataclass(frozen=True)
class Tally:
    events: int
    identities: int
    hosts: int

    @classmethod
    def of(cls, frame: pl.DataFrame) -> Tally:
        """Events, distinct identities and distinct hosts of an (identity, host) frame."""
        return cls(frame.height, frame["identity"].n_unique(), frame["host"].n_unique())


@dataclass(frozen=True)
class Coverage:
    period: Period
    known: Tally  # matched by the catalogue
    unknown: Tally  # to leads: hosts no rule knows that look like AI
    ai_looking: Tally  # both together (identities counted once)
    leads: pl.DataFrame  # discover's columns plus `known_domain`, best first
    lead_domains: int  # distinct registered domains among all leads
    new_domains: int  # ... of which the catalogue has no rule at all

    def covered_pct(self) -> dict[str, float | None]:
        """The share of AI-looking events, identities and hosts the catalogue matches."""
        shares = {}
        for key in ("events", "identities", "hosts"):
            total = getattr(self.ai_looking, key)
            shares[key] = round(100 * getattr(self.known, key) / total, 1) if total else None
        return shares


def coverage(
    store: EventStore,
    catalogue: Catalogue,
    period: Period,
    *,
    min_identities: int = 1,
    limit: int = 50,
) -> Coverage:
    """The catalogue's coverage of the period's AI-looking traffic, and its ranked misses."""
    leads = discover(store, catalogue, period, min_identities=min_identities, limit=None)
    known = ai_events(store, catalogue, period).select("identity", "host")
    unknown = (
        store.events()
        .filter(period.filter())
        .join(leads.lazy().select("host"), on="host", how="semi")
        .select("identity", "host")
        .collect()
    )
    domains = catalogue_domains(catalogue)
    leads = leads.with_columns(
        pl.col("registered_domain")
        .is_in(pl.Series(sorted(domains), dtype=pl.String).implode())
        .fill_null(False)
        .alias("known_domain")
    )
    lead_domains = leads.select(pl.coalesce("registered_domain", "host").alias("d")).unique()
    new = leads.filter(~pl.col("known_domain")).select(pl.coalesce("registered_domain", "host"))
    return Coverage(
        period=period,
        known=Tally.of(known),
        unknown=Tally.of(unknown),
        ai_looking=Tally.of(pl.concat([known, unknown])),
        leads=leads.head(limit),
        lead_domains=lead_domains.height,
        new_domains=new.unique().height,
    )


def catalogue_domains(catalogue: Catalogue) -> set[str]:
    """The registered domains the catalogue has any host, path or exclusion rule under."""
    hosts = {r.pattern for r in catalogue.host_rules} | {r.host for r in catalogue.path_rules}
    hosts |= {r.pattern for r in catalogue.exclusions}
    return {d for d in map(registered_domain, hosts) if d}
