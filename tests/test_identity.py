"""Identity: every spelling of a user folds to one lower-case account name.

Proven here: the table of logged user names `user_expr` reduces (domain prefixes,
e-mail suffixes, directory DNs, a trailing `(…)`, blanks and `-`); that `user_table`
has one row per unique logged name; and that `normalise` keeps every event and makes
the client address the identity when there is no user.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.enrich.hosts import HostTable
from shadowscan.enrich.identity import user_expr, user_table
from shadowscan.normalise import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("ACME\\Alice", "alice"),
        ("alice@acme.example", "alice"),
        ("Alice@ACME.EXAMPLE", "alice"),
        ("ACME\\Bob@acme.example", "bob"),
        ("CN=Agent Smith,OU=fr,O=company", "agent smith"),
        ("cn=Agent Smith, OU=fr", "agent smith"),
        # RFC 4514 escapes a comma inside a value: directories write `Last\, First`.
        ("CN=Smith\\, John,OU=fr,O=company", "smith, john"),
        ("ACME\\alice (alice@acme.example)", "alice"),
        ("  Bob  ", "bob"),
        ("ACME\\-", None),
        ("-", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_user_expr(raw: str | None, expected: str | None) -> None:
    frame = pl.DataFrame({"raw": [raw]}, schema={"raw": pl.String})
    assert frame.select(user_expr(pl.col("raw")).alias("user"))["user"].to_list() == [expected]


def test_user_table_has_one_row_per_unique_user_name() -> None:
    raw = pl.Series(["ACME\\Alice", None, "alice@acme.example", "ACME\\Alice", "-"])
    table = user_table(raw).sort("user_raw")
    assert table.rows() == [("-", None), ("ACME\\Alice", "alice"), ("alice@acme.example", "alice")]


def test_identity_falls_back_to_the_client_address() -> None:
    users = ["ACME\\Alice", None, "-", "alice@acme.example", "bob", None]
    clients = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", None, None]
    parsed = pl.DataFrame(
        {
            "source_line": range(1, 7),
            "ok": [True] * 6,
            "ts": [datetime(2025, 12, 1, tzinfo=UTC)] * 6,
            "user_raw": users,
            "client_ip": clients,
            "host_raw": ["chatgpt.com"] * 6,
        }
    )
    events = normalise(parsed, HostTable(), "squid", "/logs/access.log").sort("source_line")
    assert events.select("user_raw", "client_ip").rows() == list(zip(users, clients, strict=True))
    assert events["user"].to_list() == ["alice", None, None, "alice", "bob", None]
    assert events["identity"].to_list() == ["alice", "10.0.0.2", "10.0.0.3", "alice", "bob", None]
