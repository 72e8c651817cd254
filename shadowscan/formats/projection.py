"""The projection onto the event schema: a format declares, the toolkit builds.

A format states which expression over its parsed columns gives each event
field, which fields an event cannot lack, and which URL to split; `project`
builds the frame the normaliser takes, the same way for every format: the
URL split once into columns (`url_authority`, `url_path`) before any field
reads it, integer fields typed by the event schema (text that is not a
number is null), and `ok` from the declared needs plus the rule every
format shares, that a DNS event needs the name it asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.formats.fields import with_url_parts
from shadowscan.schema import EVENT_SCHEMA


@dataclass(frozen=True)
class Projection:
    """How a format's parsed columns map onto the event schema."""

    #: Event field (or `host_raw`) → expression over the parsed columns.
    fields: dict[str, pl.Expr]
    #: Fields an event cannot lack: a row missing one is rejected.
    required: tuple[str, ...] = ("ts",)
    #: At least one of these must be present (e.g. host or path), when given.
    any_of: tuple[str, ...] = ()
    #: A further condition for `ok` over the parsed columns (e.g. the line's column count).
    also: pl.Expr | None = None
    #: A URL to split once into `url_authority` and `url_path` before the fields read it.
    url: pl.Expr | None = None


def project(raw: pl.LazyFrame, projection: Projection) -> pl.LazyFrame:
    """`source_line`, the declared fields (integers typed by the schema) and `ok`."""
    if projection.url is not None:
        raw = with_url_parts(raw, projection.url)
    also = pl.lit(True) if projection.also is None else projection.also
    out = raw.select(
        "source_line",
        *(_typed(name, expr) for name, expr in projection.fields.items()),
        also.alias("__also"),
    )
    ok = pl.col("__also")
    ok = ok & pl.all_horizontal(pl.col(name).is_not_null() for name in projection.required)
    if projection.any_of:
        ok = ok & pl.any_horizontal(pl.col(name).is_not_null() for name in projection.any_of)
    if "event_kind" in projection.fields:  # a DNS event is its question: no name, no event
        ok = ok & ((pl.col("event_kind") != "dns") | pl.col("host_raw").is_not_null())
    return out.with_columns(ok.fill_null(False).alias("ok")).drop("__also")


def _typed(name: str, expr: pl.Expr) -> pl.Expr:
    """An integer field cast from text (not a number: null); others as declared."""
    dtype = EVENT_SCHEMA.get(name)
    if dtype is not None and dtype.is_integer():
        expr = expr.cast(dtype, strict=False)
    return expr.alias(name)
