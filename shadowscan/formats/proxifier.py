"""Proxifier: the endpoint client that sends each program's connections through a proxy."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.dns_servers import per_unique
from shadowscan.formats.fields import to_int
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import local_time, with_yearless

#: `[MM.DD HH:MM:SS] ` or, in newer versions, `[YYYY.MM.DD HH:MM:SS] `.
_TIME = r"^\[(?:\d{4}\.)?\d\d\.\d\d \d\d:\d\d:\d\d\] "
#: A connection's target: `host:port` (IPv6 in brackets or bare).
_TARGET = r":\d+$"
#: Messages about a connection that are not its event: its opening (the `close` line is
#: the event); verbose logging's rule match for a connection that proceeds is another.
_OPENING = ("open through proxy ", "open directly")
_PROCEEDS = ("direct", "using proxy")
_SIGNATURE = re.compile(_TIME + r".+? - \S+:\d+ ")


class ProxifierLog(LogFormat):
    """Proxifier's connection log (Windows and macOS; file logging, default or verbose).

    Each line is `[MM.DD HH:MM:SS] program - host:port message`; the time has no
    year (`--year`, else the latest year not after the file's date) unless a
    newer version writes `[YYYY.MM.DD …]`, and is local (`--timezone`). One
    connection is one event, on the line that ends it:

    - `close, N bytes sent, M bytes received, lifetime …`: a connection that
      was made, action `allowed`, with `bytes_out` N and `bytes_in` M;
    - `error : …`: a connection that failed, action `blocked` when the upstream
      proxy refused the target with 403 (`status` holds the code), else
      `unknown` (proxy unreachable, request cancelled, connection dropped);
    - `matching … rule : block…` (verbose logging): a connection a Block rule
      stopped, `blocked`.

    `open through proxy …`/`open directly` lines and verbose `matching … rule`
    lines for connections that proceed are skipped, so opening and closing a
    connection is counted once; a connection still open when the log ends is
    counted when its `close` line comes. `resolve name : DNS` lines and
    Proxifier's own status messages are skipped too; a connection line with
    any other message is rejected, so that new wording shows in ingest health.
    The log is one computer's: it names no user and no client address, so
    `ingest --identity NAME` says whose it is (the user, as the other logs and
    the policy spell it); without it the events are unattributed and ingest
    says so. The program (`chrome.exe *64`) has no column in the event schema.
    Events are kind `flow`; the port comes from `host:port`.

        [10.30 16:49:07] chrome.exe - chatgpt.com:443 close, 1190 bytes (1.16 KB) sent, \
            1671 bytes (1.63 KB) received, lifetime 00:02

    (one line; broken here for width).
    """

    name = "proxifier"
    title = "Proxifier connection log"
    fills = ("user", "port", "status", "action", "bytes_out", "bytes_in")
    names_no_one = True
    samples = (
        "[12.01 10:00:00] chrome.exe - chatgpt.com:443 open through proxy proxy.acme.example:8080 "
        "HTTPS",
        "[12.01 10:00:03] chrome.exe - chatgpt.com:443 close, 1190 bytes (1.16 KB) sent, "
        "18846 bytes (18.4 KB) received, lifetime 00:03",
        "[12.01 10:00:04] Claude.exe *64 - claude.ai:443 error : Could not connect through proxy "
        "proxy.acme.example:8080 - Proxy server cannot establish a connection with the target, "
        "status code 403",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line is a bracketed `MM.DD` time, a program and ` - host:port `."""
        return any(_SIGNATURE.search(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        rows = _pieces(chunk.lazy())
        rows = rows.with_columns(_kind().alias("kind"))
        kept = rows.filter(~pl.col("kind").is_in(["status", "skip"]))
        kept = per_unique(kept, "time", lambda t: _with_time(t, ctx))
        return _events(kept, ctx).collect()


def _pieces(lines: pl.LazyFrame) -> pl.LazyFrame:
    """The time, the target and the message of each line, found by landmarks.

    The program (`chrome.exe (6788) *64`) ends at the first ` - `; the target
    runs to the next blank, and an `(IPv6)` after it is dropped. Finding the
    landmarks and slicing costs a fraction of a regular expression's captures.
    """
    line = pl.col("line").str.strip_chars_end("\r\n\t ")
    close = line.str.find("] ", literal=True).cast(pl.Int64)
    dash = line.str.find(" - ", literal=True).cast(pl.Int64)
    rows = lines.select(
        "source_line",
        line.str.contains(_TIME).alias("timed"),
        line.str.slice(1, (close - 1).clip(lower_bound=0)).alias("time"),
        pl.when(dash > close).then(line.str.slice(dash + 3)).alias("connection"),
    )
    parts = pl.col("connection").str.splitn(" ", 2)
    msg = parts.struct.field("field_1")
    ipv6 = msg.str.starts_with("(IPv6) ")
    return rows.select(
        "source_line",
        "timed",
        "time",
        parts.struct.field("field_0").alias("target"),
        pl.when(ipv6).then(msg.str.slice(7)).otherwise(msg).alias("msg"),
    )


def _kind() -> pl.Expr:
    """What the line is: `close`, `error` or `block` (events), `skip`, `status`, `foreign`,
    or `unknown` (a connection line whose message is new to us)."""
    msg = pl.col("msg")
    rule = msg.str.splitn(" rule : ", 2).struct.field("field_1").str.strip_chars_start(" ")
    matching = msg.str.starts_with("matching ") & rule.is_not_null()
    proceeds = pl.any_horizontal(rule.str.starts_with(w) for w in _PROCEEDS)
    opening = pl.any_horizontal(msg.str.starts_with(w) for w in _OPENING)
    connection = pl.col("target").str.contains(_TARGET).fill_null(False) & msg.is_not_null()
    return (
        pl.when(~pl.col("timed")).then(pl.lit("foreign"))
        .when(~connection).then(pl.lit("status"))  # `resolve name : DNS`, Proxifier's own
        .when(msg.str.starts_with("close, ")).then(pl.lit("close"))
        .when(msg.str.starts_with("error")).then(pl.lit("error"))
        .when(matching & rule.str.to_lowercase().str.starts_with("block")).then(pl.lit("block"))
        .when(opening | (matching & proceeds)).then(pl.lit("skip"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip


def _with_time(rows: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """`rows` with `ts`: `time`, `12.01 10:00:00` with the year from `ctx`, or
    `2019.11.27 21:29:24` as written; each shape parsed only on the lines that have it."""
    text = pl.col("time")
    dated = text.str.contains(r"^\d{4}\.")
    full = pl.when(dated).then(text).str.to_datetime("%Y.%m.%d %H:%M:%S", strict=False)
    return with_yearless(
        rows, pl.when(~dated).then(text), "%m.%d %H:%M:%S", ctx, "ts"
    ).with_columns(pl.coalesce(local_time(full, ctx), "ts").alias("ts"))


def _byte_count(part: pl.Expr, direction: str) -> pl.Expr:
    """`1190 bytes (1.16 KB) sent` → 1190; null unless it says bytes and `direction`."""
    words = part.str.splitn(" ", 3)
    said = words.struct.field("field_1").eq("bytes") & part.str.ends_with(f" {direction}")
    return pl.when(said).then(to_int(words.struct.field("field_0")))


def _events(rows: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    kind, msg = c("kind"), c("msg")
    counts = c("counts").struct  # the message split once at commas
    code = msg.str.find("status code ", literal=True)
    refused = to_int(msg.str.slice(code + 12, 3), pl.Int32)
    closed = kind == "close"
    # Counted once into columns: the fields and the check that a close has both read them.
    rows = rows.with_columns(msg.str.splitn(", ", 4).alias("counts")).with_columns(
        pl.when(closed).then(_byte_count(counts.field("field_1"), "sent")).alias("sent"),
        pl.when(closed).then(_byte_count(counts.field("field_2"), "received")).alias("received"),
    )
    counted = ~closed | (c("sent").is_not_null() & c("received").is_not_null())
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": pl.lit("flow"),
            "host_raw": c("target"),
            "status": pl.when(kind == "error").then(refused),
            "action": _action(kind, refused),
            "bytes_out": c("sent"),
            "bytes_in": c("received"),
            "user_raw": pl.lit(ctx.identity, pl.String),
        },
        also=kind.is_in(["close", "error", "block"]) & counted,
    )
    return project(rows, projection)


def _action(kind: pl.Expr, refused: pl.Expr) -> pl.Expr:
    """Closed connections were allowed; a 403 refusal or a Block rule blocked; other errors
    (unreachable proxy, cancelled request) say nothing of policy."""
    return (
        pl.when(kind == "close").then(pl.lit("allowed"))
        .when((kind == "block") | (refused == 403)).then(pl.lit("blocked"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip
