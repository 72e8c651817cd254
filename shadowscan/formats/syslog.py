"""Syslog wrappers and log times: shared by every format that travels through syslog.

rsyslog and syslog-ng prefix each message with a header (RFC 3164
`<14>Dec  1 10:00:00 host prog[pid]: `, RFC 5424 `<14>1 2025-12-01T10:00:00Z
host app pid msgid - `, or a bare ISO time and host). `unwrap` strips it in
one vectorised pass, so an inner parser sees the message alone.
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl

from shadowscan.formats.base import ParseContext
from shadowscan.schema import UTC_MICROS

_RFC3164 = (
    r"^(?P<head>(?:<\d{1,3}>)?(?P<time>[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d)"
    r" (?:(?P<host>\S+) )??(?P<prog>[^\s\[\]:]+)(?:\[\d+\])?: )"
)
_RFC5424 = (
    r"^(?P<head><\d{1,3}>1 (?P<time>\S+) (?P<host>\S+) (?P<prog>\S+) \S+ \S+ "
    r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?)"
)
_ISO = (
    r"^(?P<head>(?:<\d{1,3}>)?(?P<time>\d{4}-\d\d-\d\dT\S+) (?P<host>\S+) "
    r"(?:(?P<prog>[^\s\[\]:]+)(?:\[\d+\])?: )?)"
)
_HEADERS = (_RFC5424, _RFC3164, _ISO)
_MONTH_DAY = "%b %d %H:%M:%S"
#: Cheap test that a chunk holds syslog headers at all, so `unwrap` runs only then.
_SYSLOG_HINT = r"^\s*(?:<\d{1,3}>|[A-Z][a-z]{2} [ \d]\d \d\d:|\d{4}-\d\d-\d\dT\d\d:\d\d)"
#: A header with a host but no program tag, matched as a prefix only: capturing the rest of a
#: long line would cost more than the whole parse. The message is what follows it.
_BARE_HEADER = (
    r"^(?P<head>\s*(?:<\d{1,3}>)?(?:1 )?"
    r"(?P<time>[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ )"
)


def unwrap(line: pl.Expr, headers: tuple[str, ...] = _HEADERS) -> pl.Expr:
    """A struct of `msg` (the line without any syslog header), `time`, `host`, `prog`.

    A line with no recognised header is its own `msg`, with null header fields.
    The patterns match the header alone and the message is sliced off after it:
    capturing the rest of a long line would cost more than the whole parse.
    """
    variants = [(line.str.extract_groups(p).struct, re.compile(p).groupindex) for p in headers]

    def first(name: str) -> pl.Expr:
        return pl.coalesce(v.field(name) for v, names in variants if name in names)

    msg = pl.coalesce(line.str.slice(first("head").str.len_chars()), line)
    return pl.struct(msg.alias("msg"), *(first(f).alias(f) for f in ("time", "host", "prog")))


def syslog_time(text: pl.Expr, ctx: ParseContext) -> pl.Expr:
    """A syslog header time as UTC: ISO times as they are, `Dec  1 10:00:00` in `ctx`'s zone
    with the year from `ctx.year` or, failing that, inferred as by `yearless`."""
    iso = text.str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
    return pl.coalesce(iso, yearless(text.str.replace(r"  ", " "), _MONTH_DAY, ctx))


def yearless(text: pl.Expr, fmt: str, ctx: ParseContext) -> pl.Expr:
    """Parse a time written without a year (syslog, dnsmasq).

    The year is `ctx.year` when given; else the latest year that does not put
    the line after the file's modification time (a December line in a file
    written in January belongs to the year before).
    """
    if ctx.year is not None:
        return local_time(_with_year(text, fmt, ctx.year), ctx)
    reference = ctx.modified or datetime.now()
    this_year = local_time(_with_year(text, fmt, reference.year), ctx)
    last_year = local_time(_with_year(text, fmt, reference.year - 1), ctx)
    limit = pl.lit(reference).cast(UTC_MICROS) + pl.duration(days=1)
    return pl.when(this_year <= limit).then(this_year).otherwise(last_year)


def local_time(naive: pl.Expr, ctx: ParseContext) -> pl.Expr:
    """A naive timestamp read in `ctx.timezone` (`--timezone`), as UTC.

    An hour that does not exist in that zone (spring forward) is null; a
    repeated hour (fall back) takes its first occurrence.
    """
    return (
        naive.dt.cast_time_unit("us")
        .dt.replace_time_zone(ctx.timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def _with_year(text: pl.Expr, fmt: str, year: int) -> pl.Expr:
    return (pl.lit(f"{year} ") + text).str.to_datetime(f"%Y {fmt}", strict=False)


def strip_syslog(chunk: pl.DataFrame) -> pl.DataFrame:
    """The chunk with `msg` (the line without syslog header, `<PRI>` or CR) and `syslog_time`.

    `unwrap` costs three regular expressions a line, so it only runs on chunks
    where some line looks like it starts with a syslog header.
    """
    line = pl.col("line")
    if chunk.height and chunk.select(line.str.ends_with("\r").any()).item():
        line = line.str.strip_chars_end("\r")  # a copy of every line: only when needed
    hinted = chunk.height > 0 and chunk.select(line.str.contains(_SYSLOG_HINT).any()).item()
    if not hinted:
        return chunk.with_columns(line.alias("msg"), pl.lit(None, pl.String).alias("syslog_time"))
    # Materialised once: an expression used twice would run its regular expressions twice.
    parts = chunk.with_columns(unwrap(line, (*_HEADERS, _BARE_HEADER)).alias("_u"))
    header = pl.col("_u").struct
    return parts.with_columns(
        header.field("msg").str.replace(r"^\s*<\d{1,3}>", "").alias("msg"),
        header.field("time").alias("syslog_time"),
    ).drop("_u")


def unwrapped(chunk: pl.DataFrame) -> pl.DataFrame:
    """`chunk` (`source_line`, `line`) with each line's syslog header, if any, removed."""
    return strip_syslog(chunk).select("source_line", pl.col("msg").alias("line"))
