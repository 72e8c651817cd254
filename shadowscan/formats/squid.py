"""Squid native `access.log` format."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import dash_null, epoch_seconds
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import strip_syslog

_EPOCH_WORD = re.compile(r"(?:^|\s)\d{9,10}\.\d{3} ")
_FIELDS = ("elapsed", "client_ip", "code", "bytes", "method", "url", "rest")


class SquidNative(LogFormat):
    """Squid's default `squid` logformat (also Blue Coat's squid-compatible export).

    Fields: time (epoch seconds), elapsed ms (right-aligned, space padded),
    client address, result code/HTTP status, reply bytes, method, URL
    (`host:port` for CONNECT), user (`-` when none), hierarchy/peer, MIME type.
    Blue Coat appends more fields and may log user names with spaces
    (`CN=Agent Smith,OU=fr,O=company`): the user is everything up to the
    hierarchy code. Reply bytes are bytes *in*; Squid does not log upload size.

        1764547200.003  19773 10.0.0.1 TCP_TUNNEL/200 6428 CONNECT chatgpt.com:443 alice \
            HIER_DIRECT/104.18.32.47 -

    (one line; broken here for width). Lines shipped through syslog are unwrapped.
    """

    name = "squid"
    title = "Squid native access.log"
    fills = ("client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_in")
    samples = (
        "1764547200.003  19773 10.0.0.1 TCP_TUNNEL/200 6428 CONNECT chatgpt.com:443 alice "
        "HIER_DIRECT/104.18.32.47 -",
        "1764547201.250    180 10.0.0.7 TCP_MISS/200 1432 POST "
        "http://claude.ai/api/append_message ACME\\bob HIER_DIRECT/160.79.104.10 text/html",
        "1764547202.001      0 10.0.0.9 TCP_DENIED/403 3890 GET http://www.perplexity.ai/ - "
        "HIER_NONE/- text/html",
    )

    def signature(self, head: list[str]) -> bool:
        """Some of the first lines hold epoch seconds (`1764547200.003`) as a word."""
        return any(_EPOCH_WORD.search(line) for line in head[:10])

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        # Each split runs once into a column and fields are picked from it: Polars
        # shares a repeated `splitn(…).struct.field(k)` but not `splitn(…)` itself.
        head = pl.col("head")
        fields = head.struct.field("field_1").str.strip_chars_start(" ").str.splitn(" ", 7)
        raw = (
            strip_syslog(chunk)
            .lazy()
            .with_columns(pl.col("msg").str.splitn(" ", 2).alias("head"))
            .with_columns(fields.alias("fields"))
            .select(
                "source_line",
                head.struct.field("field_0").alias("time"),
                *(
                    pl.col("fields").struct.field(f"field_{i}").alias(n)
                    for i, n in enumerate(_FIELDS)
                ),
            )
            .with_columns(
                pl.col("code").str.splitn("/", 2).alias("code"),
                pl.col("rest").str.splitn(" ", 3).alias("words"),
            )
            .with_columns(_user(pl.col("rest"), pl.col("words")).alias("user"))
        )
        code = pl.col("code").struct
        projection = Projection(
            fields={
                "ts": epoch_seconds(pl.col("time")),
                "event_kind": pl.lit("http"),
                "client_ip": pl.col("client_ip"),
                "user_raw": dash_null(pl.col("user")),
                "host_raw": pl.col("url_authority"),
                "method": pl.col("method"),
                "url_path": pl.when(pl.col("method") == "CONNECT").then(None).otherwise("url_path"),
                "status": code.field("field_1"),
                "action": _action(code.field("field_0")),
                "bytes_in": pl.col("bytes"),
            },
            required=("ts", "status", "bytes_in", "method"),
            any_of=("host_raw", "url_path"),
            url=pl.col("url"),
        )
        return project(raw, projection).collect()


def _user(rest: pl.Expr, words: pl.Expr) -> pl.Expr:
    """The user field, even when it holds spaces (Blue Coat: `CN=Agent Smith,O=x`).

    Normally the next word is the hierarchy code (`HIER_DIRECT/1.2.3.4`);
    only when it is not does the slower regular expression run. `words` is
    `rest` split in three at spaces.
    """
    plain = words.struct.field("field_1").str.contains("/", literal=True).fill_null(True)
    # Both branches of a when/then are computed: the regex gets nulls on plain rows.
    spaced = pl.when(~plain).then(rest).str.extract(r"^(.*?) [A-Z_]+/")
    return pl.when(plain).then(words.struct.field("field_0")).otherwise(spaced)


def _action(result_code: pl.Expr) -> pl.Expr:
    """`TCP_DENIED` (and any `*_DENIED*`) is blocked; `NONE` (no reply) is unknown."""
    return (
        pl.when(result_code.str.contains("DENIED", literal=True))
        .then(pl.lit("blocked"))
        .when(result_code.str.starts_with("NONE"))
        .then(pl.lit("unknown"))
        .otherwise(pl.lit("allowed"))
    )
