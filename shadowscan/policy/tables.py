"""The CSV files a policy names: directory, seat lists, IP leases.

User names go through the same canonicalisation as logged ones
(`ACME\\alice`, `alice@acme.example` → `alice`), so both sides meet.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from shadowscan.enrich.identity import user_expr
from shadowscan.errors import PolicyError
from shadowscan.schema import UTC_MICROS


def read_directory(path: Path) -> pl.DataFrame:
    """user, department and any other columns; one row per canonical user."""
    frame = _csv(path, required=("user", "department"))
    frame = frame.with_columns(
        user_expr(pl.col("user")).alias("user"),
        pl.col("department").str.strip_chars().replace("", None),
    ).filter(pl.col("user").is_not_null())
    return frame.unique("user", keep="first", maintain_order=True)


def read_seats(path: Path) -> pl.DataFrame:
    """One canonical user per seat; a `user` header line is optional."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise PolicyError(f"cannot read the seat list {path}: {exc.strerror}.") from None
    names = [line.split(",")[0].strip() for line in lines if line.strip()]
    if names and names[0].lower() == "user":
        names = names[1:]
    users = pl.DataFrame({"user": names}, schema={"user": pl.String})
    return users.select(user_expr(pl.col("user")).alias("user")).drop_nulls().unique()


def read_ip_map(path: Path) -> pl.DataFrame:
    """ip, user, start, end (UTC; an empty end is a lease still open)."""
    frame = _csv(path, required=("ip", "user", "start", "end"))
    times = {}
    for column in ("start", "end"):
        text = pl.col(column).str.strip_chars().replace("", None)
        parsed = text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
        times[column] = parsed
        bad = frame.filter(text.is_not_null() & parsed.is_null())
        if bad.height:
            raise PolicyError(
                f"{path}: cannot read the {column} time {bad[column][0]!r}.",
                hint="Use ISO 8601, e.g. 2026-11-02T08:00:00Z.",
            )
    return frame.select(
        pl.col("ip").str.strip_chars(),
        user_expr(pl.col("user")).alias("user"),
        times["start"].cast(UTC_MICROS).alias("start"),
        times["end"].cast(UTC_MICROS).alias("end"),
    ).filter(pl.col("user").is_not_null() & pl.col("start").is_not_null())


def _csv(path: Path, required: tuple[str, ...]) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise PolicyError(f"cannot read {path}: {exc}.") from None
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise PolicyError(
            f"{path} has no {missing[0]!r} column.",
            hint=f"Columns present: {', '.join(frame.columns)}; needed: {', '.join(required)}.",
        )
    return frame
