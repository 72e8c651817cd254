"""Syslog envelopes and log times: shared by every format that travels through syslog.

Devices, relays and appliances put a header before each message in one of
these shapes, all stripped in one vectorised pass so an inner parser sees the
message alone:

- RFC 3164, with or without a host, with or without a program tag (`prog:` or
  `prog[pid]:`): `<14>Dec  1 10:00:00 host prog[pid]: msg`, `Dec  1 10:00:00
  prog: msg`, `<14>Dec  1 10:00:00 host msg`, and a time followed directly by
  the message (`Oct 30 09:46:12 1,2012/10/30 …`, as PAN-OS sends without a host);
- RFC 5424: `<14>1 2025-12-01T10:00:00Z host app procid msgid [sd] msg`;
- an ISO time instead of the RFC 3164 one, in the same four variants;
- an ISO time, the program and the message separated by TABs, as OPNsense and
  pfSense export their logs: `2020-09-10T09:51:28<TAB>unbound[38663]<TAB>msg`.

A header's host is a name with a letter, an IPv4 or an IPv6 address: after a
time, a first word that is none of these (`1,2012/10/30`, `date=…`, an epoch)
is the message itself. A hostless header without a program tag is therefore
only told apart from a header with a host when the message's first word
cannot be a host name (a BIND `client …` line needs its `named:` tag).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import polars as pl

from shadowscan.formats.base import ParseContext
from shadowscan.schema import UTC_MICROS

_PRI = r"<\d{1,3}>"
_TIME = r"[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*"
#: A header's host: a name with a letter, an IPv4 address or an IPv6 address.
_HOST = r"[\w.-]*[A-Za-z_][\w.-]*|\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*"
#: A program tag: letters, digits and `_./-` (`postfix/smtpd`), so a message that starts with
#: `#Fields:` or `CEF:0|` is not taken for one.
_PROG = r"[\w./-]+"
_RFC5424 = rf"{_PRI}1 (?P<t5>\S+) (?P<h5>\S+) (?P<p5>\S+) \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?"
#: After the time: TABs around the program (appliance exports); a program tag with or
#: without a host; a host alone; nothing (the message follows the time). Regular
#: expressions take the first alternative that matches, so the order matters.
_AFTER_TIME = (
    rf"\t(?P<tprog>{_PROG})(?:\[\d+\])?:?\t"
    rf"| (?:(?P<host>{_HOST}) )??(?P<prog>{_PROG})(?:\[\d+\])?: "
    rf"| (?P<bhost>{_HOST}) "
    r"| "
)
#: Every envelope in one pattern. It matches the header alone (empty on a line without one).
HEADER = (
    rf"^(?P<head>(?:\s*(?:{_RFC5424}|(?:{_PRI})?(?:1 )?(?P<time>{_TIME})(?:{_AFTER_TIME})"
    rf"|{_PRI}))?)"
)
#: The same without capture groups: finding where it ends needs no capture engine, which
#: for this many alternatives costs several times more than the search (see bench/syslog.py).
_HEADER_END = re.sub(r"\(\?P<\w+>", "(?:", HEADER)
#: A header's time: where any header starts.
_HEADER_TIME = rf"^\s*(?:{_PRI})?(?:1 )?({_TIME})"
_MONTH_DAY = "%b %d %H:%M:%S"
#: Cheap test that a chunk holds syslog headers at all, so `unwrap` runs only then.
_SYSLOG_HINT = r"^\s*(?:<\d{1,3}>|[A-Z][a-z]{2} [ \d]\d \d\d:|\d{4}-\d\d-\d\dT\d\d:\d\d)"


def _without_header(line: pl.Expr) -> pl.Expr:
    return line.str.replace(_HEADER_END, "")


def _header_time(line: pl.Expr, msg: pl.Expr) -> pl.Expr:
    """The time of the header `msg` was cut from (null when it was cut from none)."""
    return pl.when(msg.str.len_bytes() < line.str.len_bytes()).then(line.str.extract(_HEADER_TIME))


def unwrap(line: pl.Expr) -> pl.Expr:
    """A struct of `msg` (the line without any syslog header or `<PRI>`), `time`, `host`,
    `prog`; a line with no recognised header is its own `msg`, with null header fields.

    Host and program are captured from the header alone, sliced off the line first:
    capturing on the whole line would cost more than the whole parse. This cuts the
    header more than once: in a lazy plan, prefer `with_unwrapped`, which cuts it once.
    """
    return _unwrapped(line, _without_header(line))


def with_unwrapped(frame: pl.LazyFrame, line: pl.Expr, name: str) -> pl.LazyFrame:
    """`frame` with column `name`: `unwrap`'s struct of `line`, the header cut once."""
    msg = f"{name}__msg"
    return (
        frame.with_columns(_without_header(line).alias(msg))
        .with_columns(_unwrapped(line, pl.col(msg)).alias(name))
        .drop(msg)
    )


def _unwrapped(line: pl.Expr, msg: pl.Expr) -> pl.Expr:
    """`unwrap`'s struct, given `msg`, the line without its header."""
    head = line.str.head(line.str.len_chars() - msg.str.len_chars())
    parts = head.str.extract_groups(HEADER).struct
    return pl.struct(
        msg.alias("msg"),
        _header_time(line, msg).alias("time"),
        pl.coalesce(parts.field(f) for f in ("h5", "host", "bhost")).alias("host"),
        pl.coalesce(parts.field(f) for f in ("p5", "prog", "tprog")).alias("prog"),
    )


def with_syslog_time(
    frame: pl.LazyFrame, text: pl.Expr, ctx: ParseContext, name: str
) -> pl.LazyFrame:
    """`frame` with column `name`: `text`, a syslog header time, as UTC. ISO times by
    `iso_time`, `Dec  1 10:00:00` by `with_yearless`, each step computed once."""
    squeezed = f"{name}__md"
    return (
        frame.with_columns(text.alias(name))
        .with_columns(pl.col(name).str.replace(r"  ", " ").alias(squeezed))
        .pipe(with_yearless, pl.col(squeezed), _MONTH_DAY, ctx, squeezed)
        .with_columns(pl.coalesce(iso_time(pl.col(name), ctx), pl.col(squeezed)).alias(name))
        .drop(squeezed)
    )


def iso_time(text: pl.Expr, ctx: ParseContext) -> pl.Expr:
    """`2025-12-01T10:00:00.123Z` (or with an offset) as UTC; without a zone, in `ctx`'s zone."""
    aware = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", strict=False)
    naive = text.str.replace("T", " ").str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False
    )
    return pl.coalesce(aware.dt.convert_time_zone("UTC"), local_time(naive, ctx))


def with_yearless(
    frame: pl.LazyFrame, text: pl.Expr, fmt: str, ctx: ParseContext, name: str
) -> pl.LazyFrame:
    """`frame` with column `name`: `text`, a time written without a year (syslog,
    dnsmasq, Proxifier), as UTC.

    The year is `ctx.year` when given; else the latest year that does not put
    the line after the file's modification time (a December line in a file
    written in January belongs to the year before). The text is parsed once, in
    a leap year so that 29 February reads, then moved to the candidate years:
    parsing it once per candidate year doubled the costliest step.
    """
    parsed = pl.col(name)
    frame = frame.with_columns(_with_year(text, fmt, _LEAP).alias(name))
    if ctx.year is not None:
        return frame.with_columns(local_time(_in_year(parsed, ctx.year), ctx).alias(name))
    reference = ctx.modified or datetime.now()
    this_year, guess = local_time(_in_year(parsed, reference.year), ctx), f"{name}__this"
    last_year = local_time(_in_year(parsed, reference.year - 1), ctx)
    limit = pl.lit(reference).cast(UTC_MICROS) + pl.duration(days=1)
    latest = pl.when(pl.col(guess) <= limit).then(guess).otherwise(last_year)
    return frame.with_columns(this_year.alias(guess)).with_columns(latest.alias(name)).drop(guess)


def with_first_time(
    frame: pl.LazyFrame, text: pl.Expr, readers: list[Callable[[pl.Expr], pl.Expr]], name: str
) -> pl.LazyFrame:
    """`frame` with column `name`: the first time one of `readers` (text → UTC time) makes of
    `text`. Each reader runs in its own stage on the rows still without one, so a fallback
    costs nothing where an earlier shape read."""
    source = f"{name}__text"
    frame = frame.with_columns(text.alias(source)).with_columns(
        readers[0](pl.col(source)).alias(name)
    )
    for read in readers[1:]:
        rest = pl.when(pl.col(name).is_null()).then(pl.col(source))
        frame = frame.with_columns(pl.coalesce(name, read(rest)).alias(name))
    return frame.drop(source)


#: The year year-less times are parsed in before they are moved to theirs.
_LEAP = 2000


def _in_year(parsed: pl.Expr, year: int) -> pl.Expr:
    """A time parsed in `_LEAP` moved to `year`: 29 February of a common year is null,
    as parsing it in that year gives."""
    moved = parsed.dt.offset_by(f"{year - _LEAP}y")
    if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return moved
    return pl.when((parsed.dt.month() == 2) & (parsed.dt.day() == 29)).then(None).otherwise(moved)


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

    Unwrapping costs two regular expressions a line, so it only runs on chunks
    where some line looks like it starts with a syslog header.
    """
    line = pl.col("line")
    if chunk.height and chunk.select(line.str.ends_with("\r").any()).item():
        line = line.str.strip_chars_end("\r")  # a copy of every line: only when needed
    hinted = chunk.height > 0 and chunk.select(line.str.contains(_SYSLOG_HINT).any()).item()
    if not hinted:
        return chunk.with_columns(line.alias("msg"), pl.lit(None, pl.String).alias("syslog_time"))
    # `msg` first, materialised: the time is read only where a header was cut off.
    unwrapped = chunk.with_columns(_without_header(line).alias("msg"))
    return unwrapped.with_columns(_header_time(line, pl.col("msg")).alias("syslog_time"))


def unwrapped(chunk: pl.DataFrame) -> pl.DataFrame:
    """`chunk` (`source_line`, `line`) with each line's syslog header, if any, removed."""
    return strip_syslog(chunk).select("source_line", pl.col("msg").alias("line"))
