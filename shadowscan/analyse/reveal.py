"""Pseudonyms back to identities, for an investigator who holds the key.

A pseudonym is a keyed hash, so it cannot be inverted: every identity the store
and the policy know is hashed again and the matching ones are returned.
"""

from __future__ import annotations

import polars as pl

from shadowscan.policy.config import Policy
from shadowscan.report.pseudonym import pseudonym
from shadowscan.store.delta import EventStore


def known_identities(store: EventStore, policy: Policy) -> set[str]:
    """Every identity, user name and client IP in the store, and the policy's users."""
    known = (
        store.events()
        .select(pl.concat_list("identity", "user", "client_ip").explode().alias("v"))
        .drop_nulls()
        .unique()
        .collect()["v"]
    )
    values = set(known.to_list())
    for table in (policy.directory, policy.ip_map):
        if table is not None:
            values.update(table["user"].drop_nulls().to_list())
    return values


def reveal(pseudonyms: list[str], key: bytes, store: EventStore, policy: Policy) -> dict[str, str]:
    """The identity behind each pseudonym that names one; the others are left out."""
    wanted = set(pseudonyms)
    found = {}
    for value in known_identities(store, policy):
        name = pseudonym(key, value)
        if name in wanted:
            found[name] = value
    return found
