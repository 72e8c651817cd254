"""Canonical identity: who made the request, however the log spells it."""

from __future__ import annotations

import polars as pl


def user_expr(raw: pl.Expr) -> pl.Expr:
    """Lower-case account name from a logged user name.

    `ACME\\Alice` → `alice`; `alice@acme.example` → `alice`;
    `CN=Agent Smith,OU=fr,O=company` → `agent smith`;
    `ACME\\alice (alice@acme.example)` → `alice`; `-` or blank → null.
    """
    text = raw.str.strip_chars().str.replace(r"\s+\([^)]*\)$", "")
    cn = text.str.extract(r"^(?i:cn)=([^,]*)")
    text = pl.coalesce(cn, text)
    text = text.str.replace(r"^.*\\", "").str.replace(r"@.*$", "")
    text = text.str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(["", "-"])).then(None).otherwise(text)


def with_identity(events: pl.DataFrame) -> pl.DataFrame:
    """Add `user` and `identity` (the user, else the client address), per unique user."""
    users = events.select(pl.col("user_raw").drop_nulls().unique())
    users = users.with_columns(user_expr(pl.col("user_raw")).alias("user"))
    joined = events.join(users, on="user_raw", how="left")
    return joined.with_columns(pl.coalesce("user", "client_ip").alias("identity"))
