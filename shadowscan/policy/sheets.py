"""The CSV files a policy names: directory, seat lists, IP leases.

Columns are found by their header, never by position: a seat export with
`Name,Email,Role` is read from `Email`, and a file whose user column cannot be
told is refused with one sentence naming the columns it has, because a header
row read as a seat holder would turn every real holder into a shadow user.
A one-column list without a header stays a plain list of users.

User names go through the same canonicalisation as logged ones
(`ACME\\alice`, `alice@acme.example` → `alice`), so both sides meet.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from shadowscan.enrich.identity import user_expr
from shadowscan.errors import PolicyError
from shadowscan.schema import UTC_MICROS

#: Header names that hold a user, preferred in this order (compared by `_key`).
USER_COLUMNS = (
    "user",
    "username",
    "login",
    "upn",
    "userprincipalname",
    "samaccountname",
    "email",
    "emailaddress",
    "mail",
)
SEPARATORS = ",\t;|"
COLUMN_HINT = 'Name the user column in the header (user, email, upn or login), or set column = "…".'


def read_directory(path: Path, column: str | None = None) -> pl.DataFrame:
    """user, department and any other columns; one row per canonical user."""
    frame = _table(path, "directory", column, required=("department",))
    frame = frame.with_columns(
        user_expr(pl.col("user")).alias("user"),
        pl.col("department").str.strip_chars().replace("", None),
    ).filter(pl.col("user").is_not_null())
    return frame.unique("user", keep="first", maintain_order=True)


def read_seats(path: Path, column: str | None = None) -> pl.DataFrame:
    """One canonical user per seat, from a seat export or a one-column list."""
    users = _table(path, "seat list", column, bare_list=True).select("user")
    return users.select(user_expr(pl.col("user")).alias("user")).drop_nulls().unique()


def read_ip_map(path: Path, column: str | None = None) -> pl.DataFrame:
    """ip, user, start, end (UTC; an empty end is a lease still open)."""
    frame = _table(path, "lease file", column, required=("ip", "start", "end"))
    times = {}
    for name in ("start", "end"):
        text = pl.col(name).str.strip_chars().replace("", None)
        parsed = text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
        times[name] = parsed
        bad = frame.filter(text.is_not_null() & parsed.is_null())
        if bad.height:
            raise PolicyError(
                f"{path}: cannot read the {name} time {bad[name][0]!r}.",
                hint="Use ISO 8601, e.g. 2026-11-02T08:00:00Z.",
            )
    return frame.select(
        pl.col("ip").str.strip_chars(),
        user_expr(pl.col("user")).alias("user"),
        times["start"].cast(UTC_MICROS).alias("start"),
        times["end"].cast(UTC_MICROS).alias("end"),
    ).filter(pl.col("user").is_not_null() & pl.col("start").is_not_null())


def _table(
    path: Path,
    what: str,
    column: str | None,
    required: tuple[str, ...] = (),
    bare_list: bool = False,
) -> pl.DataFrame:
    """The file's rows with a `user` column and the `required` ones, found by header name.

    With `bare_list`, a one-column file whose first line names no user column
    is a header-less list of users.
    """
    rows = _rows(path, what)
    header = rows[0] if rows else []
    keys = [_key(name) for name in header]
    if bare_list and column is None and len(header) == 1 and keys[0] not in USER_COLUMNS:
        return pl.DataFrame({"user": [r[0] for r in rows if r]}, schema={"user": pl.String})
    user = _user_index(path, what, header, keys, column)
    picked = {"user": user}
    for name in required:
        if name not in keys:
            raise PolicyError(
                f"{path}: the {what} has no {name!r} column (columns: {_names(header)}).",
                hint=f"Add a {name!r} column to its header.",
            )
        picked[name] = keys.index(name)
    body = [r + [""] * (len(header) - len(r)) for r in rows[1:]]
    columns = {name: [r[i] for r in body] for name, i in picked.items()}
    others = {
        _key(h): [r[i] for r in body]
        for i, h in enumerate(header)
        if i not in picked.values() and _key(h) and _key(h) not in columns
    }
    return pl.DataFrame({**columns, **others}, schema={k: pl.String for k in {**columns, **others}})


def _user_index(path: Path, what: str, header: list[str], keys: list[str], column) -> int:
    if column is not None:
        if _key(column) in keys:
            return keys.index(_key(column))
        raise PolicyError(
            f"{path}: the {what} has no column {column!r} (columns: {_names(header)}).",
            hint="column names the header cell of the user column; case does not matter.",
        )
    for name in USER_COLUMNS:
        if name in keys:
            return keys.index(name)
    raise PolicyError(
        f"{path}: cannot tell which column of the {what} holds the user "
        f"(columns: {_names(header)}).",
        hint=COLUMN_HINT,
    )


def _rows(path: Path, what: str) -> list[list[str]]:
    """Every non-blank row of a small CSV file, its separator sniffed from the first line."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise PolicyError(
            f"cannot read the {what} {path}: {exc.strerror}.",
            hint="Paths in the policy file are relative to the policy file.",
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise PolicyError(f"the {what} {path} is empty.", hint="Give it a header and one row each.")
    first = re.sub(r'"[^"]*"', "", lines[0])
    separator = max(SEPARATORS, key=lambda s: (first.count(s), -SEPARATORS.index(s)))
    return [[cell.strip() for cell in row] for row in csv.reader(lines, delimiter=separator)]


def _key(name: str) -> str:
    """A header name compared without case, spaces, `_` or `-`: `E-mail` is `email`."""
    return re.sub(r"[\s_-]", "", name.lower())


def _names(header: list[str]) -> str:
    return ", ".join(repr(h) for h in header) or "none"
