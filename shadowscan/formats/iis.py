"""Microsoft IIS log file format (the native, comma-separated one), also written by ISA/TMG."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.dns_servers import per_unique
from shadowscan.formats.fields import dash_null
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import local_time, strip_syslog, with_first_time

_FIELDS = (
    "client_ip", "user", "date", "time", "service", "server_name", "server_ip", "time_taken",
    "client_bytes", "server_bytes", "status", "win32_status", "method", "target", "parameters",
)  # fmt: skip
#: Client, user, `M/D/YYYY` (or `MM/DD/YY`) date and time: the fixed start of every record.
_SIGNATURE = re.compile(r"^\s*[^,\s]+, [^,]+, \d{1,2}/\d{1,2}/\d{2,4}, \d{1,2}:\d\d:\d\d, ")
#: ISA/TMG's Win32 status when a rule denied the request ("The ISA Server denied the
#: specified Uniform Resource Locator").
_ISA_DENIED = "12202"


class IisNative(LogFormat):
    """Microsoft IIS log file format: the fixed, comma-separated one (not W3C).

    No header; fifteen fields separated by `, `, the record ending in a comma:
    client IP, user (`-`, or ISA/TMG's `anonymous`, when none), date
    (`M/D/YYYY`; IIS 5 wrote `MM/DD/YY`), local time (read in `--timezone`),
    service and instance (`W3SVC1`), server name, server IP, time taken (ms),
    client bytes sent (`bytes_out`), server bytes sent (`bytes_in`), HTTP
    status, Windows status, method, target and parameters (the query, `-` when
    none). The parameters are last, so a `, ` inside a query stays in it.

    On a web server the target is a path: the host is then the server name,
    which is what the log says the request went to (a computer name, seldom
    an AI service). ISA Server and TMG proxies wrote the same format with the
    full URL (or `host:port` for CONNECT) as target: the host comes from it.
    The action is `blocked` for ISA/TMG's Windows status 12202 (a rule denied
    the URL), `allowed` for other proxied requests, and `unknown` for a web
    server's own requests, which it does not filter.

        10.0.0.5, ACME\\alice, 12/1/2025, 10:00:00, w3proxy, TMG01, 104.18.32.47, 412, 2311, \
            5120, 200, 0, POST, https://chatgpt.com/backend-api/conversation, -,

    (one line; broken here for width).
    """

    name = "iis"
    title = "Microsoft IIS log file format (native, also ISA/TMG)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in",
    )  # fmt: skip
    samples = (
        "10.0.0.5, ACME\\alice, 12/1/2025, 10:00:00, w3proxy, TMG01, 104.18.32.47, 412, 2311, "
        "5120, 200, 0, POST, https://chatgpt.com/backend-api/conversation, -,",
        "10.0.0.7, ACME\\bob, 12/1/2025, 10:00:02, w3proxy, TMG01, -, 0, 517, 0, 403, 12202, "
        "CONNECT, claude.ai:443, -,",
        "192.168.114.201, -, 03/20/01, 7:55:20, W3SVC2, SALES1, 172.21.13.45, 4502, 163, 3223, "
        "200, 0, GET, /DeptLogo.gif, -,",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line starts with IIS's client, user, date and time separated by `, `."""
        return any(_SIGNATURE.search(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        record = pl.col("msg").str.strip_chars(" \t").str.strip_suffix(",")
        fields = record.str.splitn(", ", len(_FIELDS))
        raw = (
            strip_syslog(chunk)
            .lazy()
            .select(
                "source_line",
                *(fields.struct.field(f"field_{i}").alias(n) for i, n in enumerate(_FIELDS)),
                pl.col("msg").str.strip_chars_end(" \t").str.ends_with(",").alias("closed"),
            )
            .with_columns(pl.concat_str("date", "time", separator=" ").alias("stamp"))
        )
        return _events(per_unique(raw, "stamp", lambda t: _with_time(t, ctx))).collect()


def _with_time(rows: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """`rows` with `ts`: `stamp`, IIS 5's `03/20/01 7:55:20` or `12/1/2025 7:05:09`
    (month first), in `--timezone`."""
    readers = [
        lambda t, fmt=fmt: local_time(t.str.to_datetime(fmt, time_unit="us", strict=False), ctx)
        for fmt in ("%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M:%S")
    ]
    return with_first_time(rows, pl.col("stamp"), readers, "ts")


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    c = pl.col
    target = c("target")
    absolute = target.str.contains("://", literal=True)
    tunnel = (c("method") == "CONNECT") & ~target.str.starts_with("/")
    proxied = absolute | tunnel
    query, path = dash_null(c("parameters")), c("url_path")
    url_path = (
        pl.when(query.is_null()).then(path).otherwise(pl.concat_str(path, pl.lit("?"), query))
    )
    complete = c("parameters").is_not_null() & target.str.contains(r"^\S+$")
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": pl.lit("http"),
            "client_ip": dash_null(c("client_ip")),
            "user_raw": _user(c("user")),
            "host_raw": pl.when(proxied)
            .then(c("url_authority"))
            .otherwise(dash_null(c("server_name"))),
            "method": c("method"),
            "url_path": pl.when(~tunnel).then(url_path),
            "status": c("status"),
            "action": _action(c("win32_status"), proxied),
            "bytes_out": c("client_bytes"),
            "bytes_in": c("server_bytes"),
        },
        required=("ts", "status", "host_raw"),
        also=c("closed") & complete,
        url=target,
    )
    return project(raw, projection)


def _user(user: pl.Expr) -> pl.Expr:
    """The user; `-` and ISA/TMG's `anonymous` (no authentication) are none."""
    return pl.when(user.str.to_lowercase() == "anonymous").then(None).otherwise(dash_null(user))


def _action(win32_status: pl.Expr, proxied: pl.Expr) -> pl.Expr:
    """ISA/TMG's denial status is blocked; other proxied requests passed; a web server: unknown."""
    return (
        pl.when(win32_status == _ISA_DENIED).then(pl.lit("blocked"))
        .when(proxied).then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip
