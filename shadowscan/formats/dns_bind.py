"""ISC BIND 9 query logging, and Infoblox NIOS (BIND inside, plus its own lines)."""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.dns_servers import (
    any_line_matches,
    clean_line,
    dns_events,
    per_unique,
    policy_action,
    with_rejects,
)
from shadowscan.formats.fields import rcode_number
from shadowscan.formats.syslog import (
    local_time,
    with_first_time,
    with_syslog_time,
    with_unwrapped,
)

#: BIND's `print-time` stamps: `local` (the default) and ISO 8601 (local, or UTC with `Z`).
_STAMP = (
    r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
)
_STAMPED = rf"^({_STAMP}) "
#: `print-category` / `print-severity` prefixes: `queries: info: `, `security: error: `.
_PREFIXES = r"^(?:(?:[a-z][a-z0-9_-]*|debug \d+): )+"
#: `client [@0x…] addr#port [(qname)][:] [view v: ]`; Infoblox's responses have no `(qname)`.
#: Only this head is matched; the record after it is cut by length (capturing it is slower).
_CLIENT = (
    r"^(?P<head>client (?:@0x[0-9a-fA-F]+ )?(?P<ip>[^\s#]+)#\d+(?: \([^)]*\))?:? "
    r"(?:view [^:]*: )?(?:(?:UDP|TCP): )?)"
)
_DENIED = r"^(?:query(?: \(cache\))?|zone transfer) '([^']*)' denied"
_RPZ = r"^rpz \S+ (?P<policy>\S+) rewrite (?P<target>\S+) via "
_FAILED = r"^query failed \((?P<reason>[^)]*)\) for (?P<target>\S+)"
#: `name/TYPE/CLASS` (denied, rpz); `query failed` writes `name/CLASS/TYPE`.
_TRIPLE = r"^(?P<a>.*)/(?P<b>[^/]+)/(?P<c>[^/]+)$"
#: Infoblox's RPZ hits in CEF: `CEF:0|Infoblox|NIOS|ver|RPZ-QNAME|NXDOMAIN|7|ext`.
_CEF = r"CEF:\d+\|Infoblox\|NIOS\|[^|]*\|RPZ-[^|]*\|(?P<policy>[^|]*)\|[^|]*\|(?P<ext>.*)$"
_CLIENT_LINE = r"client (?:@0x[0-9a-fA-F]+ )?[0-9A-Fa-f.:%]+#\d+[ :]"


class BindQuery(LogFormat):
    """ISC BIND 9 (`named`) query log, from a file channel or through syslog.

    Events are the lines in which named names a client and its question:
    `query:` lines (`queries` category), `answer:`/`response:` lines (with the
    rcode as status), denied queries and zone transfers (action blocked), RPZ
    rewrites (`rpz QNAME NXDOMAIN rewrite …`: blocked, `PASSTHRU` allowed) and
    `query failed` lines. A query logged by several categories is several
    events. Other named messages (zone loads, resolver errors, `bad zone
    transfer request` without a type …) are skipped. The `client @0x…`
    pointer, the `(qname)`, `view …:` and category/severity prefixes are
    optional; clients may be IPv4 or IPv6 (`2001:db8::5#53211`).

    The time is BIND's own stamp (`01-Dec-2025 10:00:00.123`, local time:
    `--timezone`; ISO 8601 with `Z` is UTC), else the syslog header's. A query
    line with no time at all (collectors that strip the syslog header) is
    still a query, but an event needs a time: it is rejected. Detection needs
    a client line among a file's first 50 lines; a `named.log` that opens with
    more of named's other messages must be read with `--log-format bind`.

        01-Dec-2025 10:00:00.123 queries: info: client @0x7f3a2c0 10.0.0.5#53211 \
            (chatgpt.com): query: chatgpt.com IN A +E(0)K (10.0.0.2)

    (one line; broken here for width).
    """

    name = "bind"
    title = "BIND 9 query log"
    fills = ("client_ip", "method", "status", "action")
    samples = (
        "01-Dec-2025 10:00:00.123 queries: info: client @0x7f3a2c0a1b40 10.0.0.5#53211 "
        "(chatgpt.com): query: chatgpt.com IN A +E(0)K (10.0.0.2)",
        "01-Dec-2025 10:00:01.456 client @0x7f3a2c0a1b40 2001:db8::7#40112 (claude.ai): "
        "query: claude.ai IN AAAA +E(0)K (2001:db8::2)",
        "01-Dec-2025 10:00:02.789 security: info: client @0x7f3a2c0a1b40 10.0.0.9#3076 "
        "(gemini.google.com): query (cache) 'gemini.google.com/A/IN' denied",
        "01-Dec-2025 10:00:03.001 general: info: zone example.internal/IN: loaded serial 42",
    )
    #: Infoblox adds RPZ hits in CEF.
    read_cef = False

    def signature(self, head: list[str]) -> bool:
        """Some line names a client as `addr#port` the way named does."""
        return any_line_matches(_CLIENT_LINE, head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        # Materialised once: the events and the foreign lines both start from it, and
        # two plans collected apart would each cut every line again.
        staged = _messages(chunk).with_columns(_kind(self.read_cef).alias("kind")).collect().lazy()
        foreign = staged.filter(pl.col("kind").is_null() & ~_from_named())
        staged = staged.filter(pl.col("kind").is_not_null())
        staged = per_unique(staged, "header", lambda t: _with_header_time(t, ctx))
        return with_rejects(dns_events(_fields(staged, ctx)), foreign)


class InfobloxNios(BindQuery):
    """Infoblox NIOS DNS logs sent by syslog: BIND's query log plus NIOS's own lines.

    NIOS runs BIND, so everything `bind` reads is read the same way
    (`named[pid]: client @0x… ip#port (name): query: name IN TYPE +flags (server)`,
    with or without `queries:`). NIOS adds its "DNS responses" log
    (`client ip#port: UDP: query: name IN A response: NXDOMAIN +`, the rcode
    as status) and RPZ hits in CEF (`CEF:0|Infoblox|NIOS|…|RPZ-QNAME|NXDOMAIN|…
    src=… qtype=A msg="rpz QNAME NXDOMAIN rewrite name [A] via …"`: blocked,
    PASSTHRU allowed). DHCP and other daemons' lines are skipped. With queries,
    responses and RPZ logging all on, one query makes up to three events.

        Dec  1 10:00:00 ns1 named[2410]: client @0x7f3a2c0 10.0.0.5#53211 (chatgpt.com): \
            query: chatgpt.com IN A + (10.0.0.2)

    (one line; broken here for width).
    """

    name = "infoblox"
    title = "Infoblox NIOS DNS (syslog)"
    samples = (
        "Dec  1 10:00:00 ns1 named[2410]: client @0x7f3a2c0a1b40 10.0.0.5#53211 (chatgpt.com): "
        "query: chatgpt.com IN A + (10.0.0.2)",
        "Dec  1 10:00:00 ns1 named[2410]: 01-Dec-2025 10:00:00.125 client 10.0.0.5#53211: "
        "UDP: query: chatgpt.com IN A response: NOERROR + chatgpt.com. 300 IN A 104.18.32.47;",
        "Dec  1 10:00:01 ns1 named[2410]: CEF:0|Infoblox|NIOS|9.0.3|RPZ-QNAME|NXDOMAIN|7|"
        "app=DNS dst=10.0.0.2 src=10.0.0.7 spt=40112 view=_default qtype=A "
        'msg="rpz QNAME NXDOMAIN rewrite claude.ai [A] via claude.ai.rpz.acme"',
        "Dec  1 10:00:02 ns1 dhcpd[3120]: DHCPACK on 10.0.0.9 to 00:50:56:ae:17:c6 via eth1",
    )
    read_cef = True

    def signature(self, head: list[str]) -> bool:
        """NIOS's own lines: CEF RPZ hits, the responses log, or dhcpd beside named."""
        return any_line_matches(r"CEF:\d+\|Infoblox\|NIOS\||#\d+:? (?:UDP|TCP): query: ", head) or (
            any_line_matches(_CLIENT_LINE, head)
            and any_line_matches(r"\bdhcpd(?:\[\d+\])?: ", head)
        )


def _messages(chunk: pl.DataFrame) -> pl.LazyFrame:
    """Each line's syslog time, BIND stamp, client address and the record after it."""
    u = pl.col("u").struct.field
    line, body, message = pl.col("line"), pl.col("body"), pl.col("message")
    # An ISO stamp starting the line looks like a syslog header whose host is `client`.
    iso_first = line.str.splitn(" ", 2).struct.field("field_1")
    stamp = pl.col("stamp")
    after_stamp = (
        pl.when(stamp.is_null()).then(body).otherwise(body.str.slice(stamp.str.len_chars() + 1))
    )
    client = pl.col("c").struct.field
    return (
        chunk.lazy()
        .select("source_line", clean_line().alias("line"))
        .pipe(with_unwrapped, line, "u")
        .with_columns(
            pl.when(u("host") == "client").then(iso_first).otherwise(u("msg")).alias("body"),
            u("time").alias("header"),
        )
        .with_columns(body.str.extract(_STAMPED).alias("stamp"))
        .with_columns(after_stamp.str.replace(_PREFIXES, "").alias("message"))
        .with_columns(message.str.extract_groups(_CLIENT).alias("c"))
        .with_columns(message.str.slice(client("head").str.len_chars()).alias("rest"))
    )


def _from_named() -> pl.Expr:
    """A line a name server's syslog could hold: a program tag, a BIND stamp or record."""
    program = pl.col("u").struct.field("prog").is_not_null()
    return program | pl.col("stamp").is_not_null() | pl.col("c").struct.field("head").is_not_null()


def _kind(read_cef: bool) -> pl.Expr:
    """Which kind of client record a line is; null for lines that are not events."""
    rest = pl.col("rest")
    kind = (
        pl.when(rest.str.starts_with("query: ")).then(pl.lit("query"))
        .when(rest.str.starts_with("answer: ")).then(pl.lit("answer"))
        .when(rest.str.contains(_DENIED)).then(pl.lit("denied"))
        .when(rest.str.contains(_RPZ)).then(pl.lit("rpz"))
        .when(rest.str.starts_with("query failed (")).then(pl.lit("failed"))
    )  # fmt: skip
    if read_cef:
        kind = kind.when(pl.col("line").str.contains(_CEF)).then(pl.lit("cef"))
    return kind


def _cut(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Cut each kind's record into parts, staged as columns so each is cut once.

    A pattern runs only on its own kind's rows: the others are null, which costs nothing.
    """
    kind, rest = pl.col("kind"), pl.col("rest")

    def only(*kinds: str, text: pl.Expr = rest) -> pl.Expr:
        return pl.when(kind.is_in(kinds)).then(text)

    rpz, failed = pl.col("rpz").struct.field, pl.col("failed").struct.field
    return (
        rows.with_columns(
            only("query", "answer").str.splitn(" ", 5).alias("w"),  # query: name class type tail
            only("rpz").str.extract_groups(_RPZ).alias("rpz"),
            only("failed").str.extract_groups(_FAILED).alias("failed"),
            only("cef", text=pl.col("line")).str.extract_groups(_CEF).alias("cef"),
            only("denied").str.extract(_DENIED).alias("denied"),
        )
        .with_columns(pl.coalesce("denied", rpz("target"), failed("target")).alias("target"))
        .with_columns(pl.col("target").str.extract_groups(_TRIPLE).alias("t"))
    )


def _fields(rows: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """The event fields of each kind of record, with `valid`."""
    kind = pl.col("kind")
    word, triple = pl.col("w").struct.field, pl.col("t").struct.field
    rpz, failed, cef = (pl.col(name).struct.field for name in ("rpz", "failed", "cef"))
    tail, ext = word("field_4"), cef("ext")
    # Infoblox: `… response: NXDOMAIN +`; BIND's answer lines: `… -> NOERROR …`.
    answered = pl.coalesce(tail.str.extract(r"^response: (\S+)"), tail.str.extract(r" -> (\S+)"))
    policy = pl.coalesce(rpz("policy"), cef("policy"))
    method = pl.coalesce(
        word("field_3"),
        ext.str.extract(r"(?:^| )qtype=(\S+)"),
        pl.when(kind == "failed").then(triple("c")).otherwise(triple("b")),
    )
    host = pl.coalesce(
        word("field_1"),
        ext.str.extract(r'msg="rpz \S+ \S+ rewrite ([^\s\[]\S*) '),
        triple("a"),
        pl.col("target"),
    )
    client = pl.when(kind == "cef").then(ext.str.extract(r"(?:^| )src=(\S+)"))
    return _with_time(_cut(rows), ctx).select(
        "source_line",
        pl.coalesce("stamp_ts", "header_ts").alias("ts"),
        client.otherwise(pl.col("c").struct.field("ip")).alias("client_ip"),
        host.alias("name"),
        method.alias("method"),
        rcode_number(pl.coalesce(answered, failed("reason"))).alias("status"),
        pl.when(kind == "denied").then(pl.lit("blocked"))
        .when(policy.is_not_null()).then(policy_action(policy.str.strip_chars())).alias("action"),
        (method.is_not_null() | kind.is_in(["rpz", "cef"])).alias("valid"),
    )  # fmt: skip


def _with_time(rows: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """`rows` with `stamp_ts`: BIND's own stamp (`01-Dec-2025 10:00:00.123`, or ISO with or
    without a zone) as UTC; the syslog header's time stands in where it is null."""
    return with_first_time(
        rows,
        pl.col("stamp"),
        [
            lambda t: local_time(t.str.to_datetime("%d-%b-%Y %H:%M:%S%.f", strict=False), ctx),
            lambda t: local_time(t.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False), ctx),
            lambda t: t.str.to_datetime(
                "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us"
            ).dt.convert_time_zone("UTC"),
        ],
        "stamp_ts",
    )


def _with_header_time(rows: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """`rows` with `header_ts`, the syslog header's time; a zone-less ISO time there is
    `print-time iso8601`: local."""
    naive = pl.col("header").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False)
    return with_syslog_time(rows, pl.col("header"), ctx, "header_ts").with_columns(
        pl.coalesce(local_time(naive, ctx), "header_ts").alias("header_ts")
    )
