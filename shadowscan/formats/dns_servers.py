"""DNS-server query logs: the helpers they share, dnsmasq/Pi-hole and Unbound.

BIND and Infoblox NIOS live in `dns_bind`, the Windows DNS Server debug log in
`dns_windows`. Every DNS format makes the same events: kind `dns`, the queried
name as host, the query type as method, the response code number as status
when the line has one, and the server's verdict as action when it gives one.
A server that logs each query more than once (queries *and* replies, or a
query line and a policy line) yields one event per line: counts then double.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_seconds, rcode_number
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import strip_syslog, with_syslog_time, with_unwrapped

#: Policy words (BIND/Unbound/Infoblox RPZ actions, Unbound local-zone types) → action.
#: Words not listed (`static`, `redirect`: local data that may or may not block) are unknown.
POLICIES = {
    **dict.fromkeys(
        ("passthru", "disabled", "tcp-only", "transparent", "typetransparent",
         "always_transparent", "inform"),
        "allowed",
    ),
    **dict.fromkeys(
        ("nxdomain", "nodata", "drop", "local-data", "cname", "cname-override", "deny",
         "refuse", "always_refuse", "always_nxdomain", "always_null", "always_nodata",
         "always_deny", "inform_deny"),
        "blocked",
    ),
}  # fmt: skip


def clean_line() -> pl.Expr:
    """The line without a trailing CR (CRLF files) or trailing blanks (padded columns)."""
    return pl.col("line").str.strip_chars_end("\r\n\t ")


def policy_action(word: pl.Expr) -> pl.Expr:
    """An RPZ or local-zone policy word as allowed/blocked, else unknown."""
    mapped = word.str.to_lowercase().replace_strict(POLICIES, default=None, return_dtype=pl.String)
    return mapped.fill_null("unknown")


def looks_like_ip(col: pl.Expr) -> pl.Expr:
    """Cheap shape test for an IPv4/IPv6 address (scope `%eth0` allowed), not a validator."""
    return col.str.contains(r"^[0-9A-Fa-f.:]+(?:%\S+)?$") & col.str.contains(r"[.:]")


def per_unique(
    rows: pl.LazyFrame, key: str, add: Callable[[pl.LazyFrame], pl.LazyFrame]
) -> pl.LazyFrame:
    """`rows` with the columns `add` computes from column `key`, once per distinct key.

    Syslog times repeat (one text per second), and reading a year-less time is
    several parses: doing it on the distinct texts is many times faster.
    """
    table = add(rows.select(pl.col(key).unique()))
    return rows.join(table, on=key, how="left", maintain_order="left")


def dns_events(rows: pl.LazyFrame) -> pl.DataFrame:
    """Parser output from a frame of DNS fields: `ts`, `client_ip`, the question's `name`,
    `method`, `status` (Int32), `action` and a Boolean `valid`.

    A row is ok when it is valid and has a time and a client address, and (as
    `project` requires of every DNS event) a name: an empty one is none.
    """
    c = pl.col
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": pl.lit("dns"),
            "client_ip": c("client_ip"),
            "host_raw": pl.when(c("name") != "").then(c("name")),
            "method": c("method"),
            "status": c("status"),
            "action": c("action").fill_null("unknown"),
        },
        also=c("valid").fill_null(False) & looks_like_ip(c("client_ip")).fill_null(False),
    )
    return project(rows, projection).collect()


def with_rejects(events: pl.DataFrame, foreign: pl.LazyFrame) -> pl.DataFrame:
    """Parser output plus an `ok=false` row for each line that is not this daemon's at all.

    Another daemon's lines in the same syslog file are skipped, but text that is
    no such log (a JSON document quoting one) is rejected, so that detection,
    which scores the share of lines read, does not claim it.
    """
    rejects = foreign.select("source_line", pl.lit(False).alias("ok")).collect()
    return pl.concat([events, rejects], how="diagonal_relaxed")


def any_line_matches(pattern: str, head: list[str]) -> bool:
    """Whether the regular expression occurs in any of the head's lines (for `signature`)."""
    regex = re.compile(pattern)
    return any(regex.search(line) for line in head)


# --- dnsmasq / Pi-hole ---------------------------------------------------------------------

_DNSMASQ_QUERY = r"^query\[(?P<qtype>[^\]]*)\] (?P<name>\S+) from (?P<client>\S+)$"
#: `reply x is 1.2.3.4`, `gravity blocked x is 0.0.0.0`, `forwarded x to 1.1.1.1`.
_DNSMASQ_OUTCOME = r"^(?P<verb>.+?) (?P<name>\S+) (?:is|to) \S"
#: Pi-hole's blocking reasons (v4–v6): gravity, exact/regex deny/blacklist, special domains.
_PIHOLE_BLOCK = r"(?i)blocked|denied|blacklist|black\.list|gravity|domain$"
#: How many lines after a query its outcome line may come (busy servers interleave).
_OUTCOME_WINDOW = 500


class DnsmasqQuery(LogFormat):
    """dnsmasq's `log-queries` log, as written by dnsmasq itself or by Pi-hole (`pihole.log`).

    Each `query[TYPE] name from client` line is one event; `forwarded`, `reply`,
    `cached`, `config` and Pi-hole's verdict lines are not events (skipped).
    They do tell the outcome: the first such line for the same name after a
    query (within 500 lines of the same chunk) makes it `blocked` when Pi-hole
    blocked it (`gravity blocked`, `exactly denied`, `regex blacklisted`,
    special domains …), `allowed` when it was forwarded or answered from the
    cache, else `unknown` (`config`, hosts files, or no outcome line seen).
    Blocking found only during CNAME inspection of another name is missed.
    Times have no year (`--year`, else the file's date) and are local
    (`--timezone`). `log-queries=extra` serial/address prefixes are accepted.

        Dec  1 10:00:00 dnsmasq[676]: query[A] chatgpt.com from 10.0.0.5
    """

    name = "dnsmasq"
    title = "dnsmasq / Pi-hole query log"
    fills = ("client_ip", "method", "action")
    samples = (
        "Dec  1 10:00:00 dnsmasq[676]: query[A] chatgpt.com from 10.0.0.5",
        "Dec  1 10:00:00 dnsmasq[676]: forwarded chatgpt.com to 1.1.1.1",
        "Dec  1 10:00:00 dnsmasq[676]: reply chatgpt.com is 104.18.32.47",
        "Dec  1 10:00:02 dnsmasq[676]: query[AAAA] claude.ai from fd00::7",
        "Dec  1 10:00:02 dnsmasq[676]: gravity blocked claude.ai is ::",
    )

    def signature(self, head: list[str]) -> bool:
        """A line from the `dnsmasq` (or Pi-hole's `pihole-FTL`) program."""
        return any_line_matches(r"(?:^|\s)(?:dnsmasq|pihole-FTL)(?:\[\d+\])?: ", head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        msg = pl.col("u").struct.field("msg").str.replace(r"^\d+ [0-9A-Fa-f.:]+/\d+ ", "")
        lines = (
            chunk.lazy()
            .with_row_index("i")
            .with_columns(clean_line())
            .pipe(with_unwrapped, pl.col("line"), "u")
            .with_columns(msg.alias("msg"))
            .collect()  # once: queries, outcomes and foreign lines all start from it
            .lazy()
        )
        queries = lines.filter(pl.col("msg").str.starts_with("query[")).select(
            "i",
            "source_line",
            pl.col("u").struct.field("time").alias("header"),
            pl.col("msg").str.extract_groups(_DNSMASQ_QUERY).alias("q"),
        )
        queries = per_unique(
            queries, "header", lambda t: with_syslog_time(t, pl.col("header"), ctx, "ts")
        )
        fields = queries.select(
            "i",
            "source_line",
            "ts",
            pl.col("q").struct.field("client").alias("client_ip"),
            pl.col("q").struct.field("name").alias("name"),
            pl.col("q").struct.field("qtype").alias("method"),
            pl.lit(None, pl.Int32).alias("status"),
            pl.col("q").struct.field("qtype").is_not_null().alias("valid"),
            pl.col("q").struct.field("name").str.to_lowercase().alias("key"),
        )
        unframed = pl.col("u").struct.field("prog").is_null()
        foreign = lines.filter(unframed & ~pl.col("msg").str.starts_with("query["))
        return with_rejects(dns_events(_with_outcome(fields, lines)), foreign)


def _with_outcome(queries: pl.LazyFrame, lines: pl.LazyFrame) -> pl.LazyFrame:
    """Attach each query's action from the next outcome line for the same name."""
    outcome = pl.col("msg").str.extract_groups(_DNSMASQ_OUTCOME)
    verb = pl.col("o").struct.field("verb")
    verdict = (
        pl.when(verb.str.contains(_PIHOLE_BLOCK)).then(pl.lit("blocked"))
        .when(verb.is_in(["reply", "cached", "cached-stale", "forwarded"])).then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip
    outcomes = (
        # dnsmasq's own DNSSEC lookups (`dnssec-query[DS] x to …`) are not the client's outcome.
        lines.filter(~pl.col("msg").str.contains(r"^(?:query\[|dnssec-)"))
        .select("i", outcome.alias("o"))
        .filter(pl.col("o").struct.field("name").is_not_null())
        .select(
            "i",
            pl.col("o").struct.field("name").str.to_lowercase().alias("key"),
            verdict.alias("action"),
        )
    )
    return queries.join_asof(
        outcomes, on="i", by="key", strategy="forward", tolerance=_OUTCOME_WINDOW,
        check_sortedness=False,
    )  # fmt: skip


# --- Unbound -------------------------------------------------------------------------------

#: Unbound's own line: anything (time, ident), `[pid:thread] level: message`.
_UNBOUND_LINE = r'^(?P<pre>[^"{]*?)\[\d+:[0-9a-fA-F]+\] (?P<level>[a-z]+): (?P<msg>.*)$'
#: `client name. TYPE CLASS` at the end of the message, with `log-replies`' rcode, time,
#: cached flag and size after it; a local-zone or RPZ line has `policy ip@port` before it.
_UNBOUND_QUESTION = (
    r"(?:^| )(?P<client>[0-9A-Fa-f.:]+)(?:@\d+)? (?P<name>\S+\.) (?P<qtype>\S+) "
    r"(?P<qclass>IN|CH|HS|NONE|ANY|CLASS\d+)"
    r"(?: (?P<rcode>[A-Z][A-Z0-9]*) \d+\.\d+ \d+ \d+(?: \S+)?)?$"
)
_UNBOUND_POLICY = r"(?:^| )([A-Za-z_-]+) [0-9A-Fa-f.:]+@\d+ \S+\. \S+ \S+$"


class UnboundQuery(LogFormat):
    """Unbound's query and reply log (`log-queries`, `log-replies`, `log-local-actions`,
    `rpz-log`), in its own log file or through syslog.

    Every line that names a client and a question is one event: enabling both
    `log-queries` and `log-replies` therefore counts each query twice. Reply
    lines give the rcode as status; local-zone lines (`always_nxdomain`,
    `refuse`, `transparent` …) and RPZ lines (`rpz: applied … nxdomain`) give
    the action; plain query lines have action unknown. Times are epoch seconds
    (`[1764583200]`), or local `log-time-ascii` times without a year
    (`--timezone`, `--year`), or the syslog header's. Lines without any time
    (a syslog header stripped by a collector) are rejected.

        [1764583200] unbound[1234:0] info: 10.0.0.5 chatgpt.com. A IN
    """

    name = "unbound"
    title = "Unbound query/reply log"
    fills = ("client_ip", "method", "status", "action")
    samples = (
        "[1764583200] unbound[1234:0] info: 10.0.0.5 chatgpt.com. A IN",
        "[1764583200] unbound[1234:0] info: 10.0.0.5 chatgpt.com. A IN NOERROR 0.018311 0 56",
        "[1764583201] unbound[1234:1] info: claude.ai. always_nxdomain 10.0.0.7@53211 "
        "claude.ai. AAAA IN",
        "[1764583202] unbound[1234:0] info: average recursion processing time 0.018311 sec",
    )

    def signature(self, head: list[str]) -> bool:
        """A `[pid:thread] level:` marker, as only Unbound (and NSD) write it."""
        return any_line_matches(r"\[\d+:[0-9a-fA-F]+\] (?:info|query|reply|notice|debug): ", head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        # Unwrapped first: a syslog header (RFC 5424 structured data, a relay's prefix) is
        # no part of Unbound's line, and its time serves lines that carry none.
        lines = (
            strip_syslog(chunk.with_columns(clean_line()))
            .select("source_line", pl.col("syslog_time").alias("header"),
                    pl.col("msg").str.extract_groups(_UNBOUND_LINE).alias("p"))
            .lazy()  # eager first: foreign and staged lines both start from it
        )  # fmt: skip
        foreign = lines.filter(pl.col("p").struct.field("level").is_null())
        staged = (
            lines.filter(pl.col("p").struct.field("level").is_in(["info", "query", "reply"]))
            .with_columns(
                pl.col("p").struct.field("msg").str.extract_groups(_UNBOUND_QUESTION).alias("q")
            )
            .filter(looks_like_ip(pl.col("q").struct.field("client")).fill_null(False))
        )
        staged = per_unique(
            staged, "header", lambda t: with_syslog_time(t, pl.col("header"), ctx, "header_ts")
        )
        q = pl.col("q").struct.field
        msg = pl.col("p").struct.field("msg")
        epoch = pl.col("p").struct.field("pre").str.extract(r"^\[(\d+)\] ")
        policy = msg.str.extract(_UNBOUND_POLICY)
        events = dns_events(
            staged.select(
                "source_line",
                pl.coalesce(epoch_seconds(epoch), "header_ts").alias("ts"),
                q("client").alias("client_ip"),
                q("name").alias("name"),
                q("qtype").alias("method"),
                rcode_number(q("rcode")).alias("status"),
                pl.when(policy.is_not_null()).then(policy_action(policy)).alias("action"),
                pl.lit(True).alias("valid"),
            )
        )
        return with_rejects(events, foreign)
