"""Cisco Secure Web Appliance (WSA, formerly IronPort) access logs."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import dash_null, epoch_seconds
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import strip_syslog

_FIELDS = ("time", "elapsed", "client_ip", "code", "bytes", "method", "url", "user", "peer", "rest")
#: The ACL decision tag and the `<…>` WBRS/scanning verdict block that follows it.
_DECISION = r"(?:^|\s)([A-Z][A-Z0-9_]*?)(?:_\d+)?-\S*\s+<[^>]*>"
_DECISION_RE = re.compile(_DECISION)
_BLOCKED = r"^(?:BLOCK|DROP)"
_ALLOWED = r"^(?:ALLOW|DEFAULT_CASE|PASSTHRU|MONITOR|DECRYPT|SAAS)"
_IPV4 = r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$"


class CiscoWsaAccess(LogFormat):
    """Cisco Secure Web Appliance (IronPort WSA) access log, Squid-style.

    Squid's fields (epoch time, elapsed ms, client, result code/status, bytes,
    method, URL, user, hierarchy/peer, MIME type) followed by the ACL decision
    tag (`DEFAULT_CASE_12-PolicyGroup-…`) and a `<…>` block of WBRS and scanning
    verdicts; syslog subscriptions add an `Info:` prefix. HTTPS appears as
    `CONNECT tunnel://host:443/` (or `TCP_CONNECT ip:443` for transparent
    traffic, where the peer `DIRECT/name` gives the server name). The decision
    tag gives the action: `BLOCK_*`/`DROP_*` (or a `*_DENIED` code) is blocked,
    `ALLOW_*`, `DEFAULT_CASE`, `PASSTHRU_*`, `MONITOR_*`, `DECRYPT_*` allowed.
    A line without the decision tag and verdict block is rejected, so plain
    Squid logs are left to the Squid format.

        Info: 1764583200.352 412 10.0.0.5 TCP_MISS/200 5120 POST \
            https://chatgpt.com/backend-api/conversation alice DIRECT/chatgpt.com \
            application/json DEFAULT_CASE_12-Internet-Staff-NONE-NONE-NONE-DefaultGroup-NONE \
            <"IW_ai",6.8,…> -

    (one line; broken here for width).
    """

    name = "cisco-wsa"
    title = "Cisco Secure Web Appliance access log"
    fills = ("client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_in")
    samples = (
        "Info: 1764583200.352 412 10.0.0.5 TCP_MISS/200 5120 POST "
        "https://chatgpt.com/backend-api/conversation ACME\\alice DIRECT/chatgpt.com "
        "application/json DEFAULT_CASE_12-Internet-Staff-NONE-NONE-NONE-DefaultGroup-NONE "
        '<"IW_ai",6.8,0,"-",-,-,-,-,"-",-,-,-,"-",-,-,"-","-",-,-,"IW_ai",-,"-","-",'
        '"Unknown","Unknown","-","-",99.27,0,-,"-","-",-,"-",-,-,"-","-",-,-,"-",-> - -',
        "Info: 1764583201.020 0 10.0.0.9 TCP_DENIED/403 0 CONNECT tunnel://claude.ai:443/ bob "
        'NONE/- - BLOCK_WEBCAT_12-Internet-Staff-NONE-NONE-NONE-DefaultGroup-NONE <"IW_ai",-,-,'
        '"-",-,-,-,-,"-",-,-,-,"-",-,-,"-","-",-,-,"IW_ai",-,"-","-","-","-","-","-","-",0.00,0,'
        '-,"-","-",-,"-",-,-,"-","-",-,-,"-",-,-> - -',
    )

    def signature(self, head: list[str]) -> bool:
        """Some line has WSA's ACL decision tag followed by its `<…>` verdict block."""
        return any(_DECISION_RE.search(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        msg = pl.col("msg").str.replace(r"^\s*Info:\s+", "").str.replace_all(r" {2,}", " ")
        fields = msg.str.strip_chars(" ").str.splitn(" ", len(_FIELDS))
        raw = (
            strip_syslog(chunk)
            .lazy()
            .select(
                "source_line",
                *(fields.struct.field(f"field_{i}").alias(n) for i, n in enumerate(_FIELDS)),
            )
            .with_columns(pl.col("rest").str.extract(_DECISION).alias("decision"))
        )
        return _events(raw).collect()


def _host(url_host: pl.Expr) -> pl.Expr:
    """The URL's host; for an IP-only tunnel, the server name the peer field names instead."""
    peer = pl.col("peer").str.splitn("/", 2).struct.field("field_1")
    named_peer = pl.when(~peer.str.contains(r"^[\d.:\[\]-]*$")).then(peer)
    by_ip = url_host.str.contains(_IPV4).fill_null(False)
    return pl.when(by_ip).then(pl.coalesce(named_peer, url_host)).otherwise(url_host)


def _action(decision: pl.Expr, code: pl.Expr) -> pl.Expr:
    """`BLOCK_*`/`DROP_*` tags and `*_DENIED` codes are blocks; policy passes are allowed."""
    blocked = decision.str.contains(_BLOCKED) | code.str.contains("DENIED")
    return (
        pl.when(blocked).then(pl.lit("blocked"))
        .when(decision.str.contains(_ALLOWED)).then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    c = pl.col
    tunnel = c("method").is_in(["CONNECT", "TCP_CONNECT"]) | c("url").str.starts_with("tunnel://")
    code = c("code").struct  # split once below; fields picked from it
    url_host = c("url_authority")
    projection = Projection(
        fields={
            "ts": epoch_seconds(c("time")),
            "event_kind": pl.lit("http"),
            "client_ip": c("client_ip"),
            "user_raw": dash_null(c("user").str.strip_chars('"')),
            "host_raw": _host(url_host),
            "port": url_host.str.extract(r":(\d+)$"),
            "method": c("method"),
            "url_path": pl.when(~tunnel).then(c("url_path")),
            "status": code.field("field_1"),
            "action": _action(c("decision"), code.field("field_0")),
            "bytes_in": c("bytes"),
        },
        required=("ts", "status", "host_raw"),
        also=c("decision").is_not_null(),
        url=c("url").str.replace(r"^tunnel://", ""),
    )
    return project(raw.with_columns(c("code").str.splitn("/", 2)), projection)
