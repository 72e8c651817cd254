"""Olfeo Secure Web Gateway access logs."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.dns_servers import per_unique
from shadowscan.formats.fields import dash_null, to_int
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import local_time, strip_syslog

#: Fields of the pieces between the line's landmarks (` [`, `] "`, `" `), in order.
_PIECES = (
    ("who", " ", 3, ("client", "ident", "user")),
    ("request", " ", 3, ("method", "url", "version")),
    ("tail", " ", 5, ("status", "x1", "x2", "category_id", "category")),
)
#: The landmarks: the user's end, the time's end and the request's end, each the first of its kind.
_MARKS = (" [", '] "', '" ')
#: Olfeo's day-first time in brackets followed by the quoted request: CLF has `10/Oct/2000:`.
_SIGNATURE = re.compile(r'\[\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\] "[A-Z]+ \S+')


class OlfeoAccess(LogFormat):
    """Olfeo Secure Web Gateway (SWG) access log, as it reaches a syslog collector.

    Common-log-like fields: client address, an ident field, the user (`-` when
    the request was not authenticated), the local time `[DD/MM/YYYY HH:MM:SS]`
    (day first, no zone: read in `--timezone`), the quoted request line
    (`CONNECT https://host:443` for tunnels, full URLs otherwise), the HTTP
    status, two fields Olfeo writes as `- -`, and the URL category as a number
    and a name (`1000 Business Services`, `0 Unclassified URL`). The number is
    the category id, not a byte count (SEKOIA's intake first read it as bytes
    and corrected that), so no bytes are filled. The line carries no verdict:
    a 403 may be Olfeo's block page or the site's own refusal, so the action is
    `unknown`. A leading blank (left by a syslog relay) and syslog headers are
    accepted.

        10.0.0.5 - alice [01/12/2025 10:00:00] "POST https://chatgpt.com/backend-api/conversation \
            HTTP/1.1" 200 - - 1042 Artificial Intelligence

    (one line; broken here for width).
    """

    name = "olfeo"
    title = "Olfeo Secure Web Gateway access log"
    fills = ("client_ip", "user", "port", "method", "url_path", "status")
    samples = (
        '10.0.0.5 - alice [01/12/2025 10:00:00] "POST https://chatgpt.com/backend-api/conversation '
        'HTTP/1.1" 200 - - 1042 Artificial Intelligence',
        '10.0.0.7 - - [01/12/2025 10:00:02] "CONNECT https://claude.ai:443 HTTP/1.1" 200 - - '
        "1042 Artificial Intelligence",
        ' 10.0.0.9 - ACME\\bob [01/12/2025 10:00:04] "GET http://www.perplexity.ai/ HTTP/1.1" '
        "403 - - 0 Unclassified URL",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line has Olfeo's `[DD/MM/YYYY HH:MM:SS] "METHOD url` core."""
        return any(_SIGNATURE.search(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        msg = pl.col("msg").str.strip_chars(" \t")
        rows = strip_syslog(chunk).lazy().select("source_line", msg.alias("msg"))
        rows = _pieces(rows)
        for source, separator, n, names in _PIECES:
            fields = pl.col(source).str.splitn(separator, n).struct.rename_fields(list(names))
            rows = rows.with_columns(fields.alias("_f")).unnest("_f")
        naive = pl.col("time").str.to_datetime("%d/%m/%Y %H:%M:%S", time_unit="us", strict=False)
        ts = local_time(naive, ctx).alias("ts")
        rows = per_unique(rows, "time", lambda t: t.with_columns(ts))
        return _events(rows).collect()


def _pieces(rows: pl.LazyFrame) -> pl.LazyFrame:
    """`who [time] "request" tail`, cut at the first ` [`, `] "` and `" `.

    Finding the landmarks and slicing between them copies each piece once; a
    regular expression with captures, or splitting off ever shorter remainders,
    costs several times more. A user with ` [` in it is not read.
    """
    msg = pl.col("msg")
    landmarks = (
        msg.str.find(mark, literal=True).cast(pl.Int64).alias(f"p{i}")
        for i, mark in enumerate(_MARKS)
    )
    p0, p1, p2 = pl.col("p0"), pl.col("p1"), pl.col("p2")

    def between(start: pl.Expr, end: pl.Expr) -> pl.Expr:  # landmarks out of order: empty
        return msg.str.slice(start, (end - start).clip(lower_bound=0))

    return rows.with_columns(landmarks).select(
        "source_line",
        between(pl.lit(0), p0).alias("who"),
        between(p0 + 2, p1).alias("time"),
        between(p1 + 3, p2).alias("request"),
        msg.str.slice(p2 + 2).alias("tail"),
    )


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    c = pl.col
    tunnel = c("method") == "CONNECT"
    # The record's other fields, unused by the event, confirm that it is Olfeo's.
    recognised = (
        to_int(c("status"), pl.Int32).is_between(100, 999)
        & (c("version").is_null() | c("version").str.starts_with("HTTP/"))
        & to_int(c("category_id")).is_not_null()
        & (c("category").str.strip_chars() != "")
    )
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": pl.lit("http"),
            "client_ip": c("client"),
            "user_raw": dash_null(c("user")),
            "host_raw": c("url_authority"),
            "method": c("method"),
            "url_path": pl.when(~tunnel).then(c("url_path")),
            "status": c("status"),
            "action": pl.lit("unknown"),
        },
        required=("ts", "host_raw"),
        also=recognised,
        url=c("url"),
    )
    return project(raw, projection)
