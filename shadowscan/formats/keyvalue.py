"""`key=value` web gateway logs: Blue Coat ProxySG and Skyhigh.

The key=value toolkit they share with FortiGate, Sophos, CEF and LEEF
(`value`, `mark_keys`/`kv`, `unquote`, verdicts, epochs) is in `fields.py`.
"""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import (
    epoch_any,
    kv,
    mark_keys,
    proxy_verdict,
    query_suffix,
    to_int,
    unquote,
    unquoted_value,
    verdict,
)
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import iso_time, strip_syslog


class BlueCoatKv(LogFormat):
    """Symantec/Blue Coat ProxySG (Edge SWG) access log in its key=value syslog format.

    The format the Splunk add-on documents (`bluecoat - splunk_format - c-ip=… cs-host=…`),
    behind an RFC 5424 header whose time is UTC; without a header, `date=`/`time=`
    keys are read in `--timezone`. Keys are W3C field names; values are quoted
    when they hold spaces. `sc-filter-result` (DENIED/OBSERVED/PROXIED) or the
    `s-action` code gives the action; `cs-bytes` is upload, `sc-bytes` download.

        <111>1 2025-12-01T10:00:00.000z proxy1 bluecoat - splunk_format - c-ip=10.0.0.5 \
            cs-host=chatgpt.com cs-username=alice cs-method=POST cs-uri-path=/backend-api/x ...

    (one line; broken here for width).
    """

    name = "bluecoat-kv"
    title = "Blue Coat ProxySG key=value (splunk_format)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        "<111>1 2025-12-01T10:00:00.000z proxy1 bluecoat - splunk_format - c-ip=10.0.0.5 "
        'rs-Content-Type="application/json" cs-auth-groups=- cs-bytes=2311 '
        'cs-categories="Artificial Intelligence" cs-host=chatgpt.com cs-method=POST '
        'cs-uri-port=443 cs-uri-scheme=https cs-User-Agent="Mozilla/5.0 (X11; Linux x86_64)" '
        "cs-username=alice s-action=TCP_NC_MISS sc-bytes=5120 sc-filter-result=OBSERVED "
        'sc-status=200 time-taken=412 c-url="https://chatgpt.com/backend-api/conversation" '
        "cs-uri-path=/backend-api/conversation cs-uri-query=-",
        "<111>1 2025-12-01T10:00:02.000z proxy1 bluecoat - splunk_format - c-ip=10.0.0.9 "
        'cs-bytes=512 cs-categories="Artificial Intelligence" cs-host=claude.ai cs-method=CONNECT '
        'cs-uri-port=443 cs-uri-scheme=tcp cs-User-Agent="-" cs-username=ACME\\bob '
        "s-action=TCP_DENIED sc-bytes=0 sc-filter-result=DENIED sc-status=403 cs-uri-path=/ "
        "cs-uri-query=-",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line carries the `c-ip=` and `cs-host=` keys."""
        return any("c-ip=" in line and "cs-host=" in line for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        line = pl.col("line")
        raw = chunk.lazy().select(
            "source_line",
            line.str.extract(_HEADER_TIME).alias("header_time"),
            *(unquoted_value(line, k).alias(k) for k in _BLUECOAT_KEYS),
        )
        return _bluecoat_events(raw, ctx).collect()


_BLUECOAT_KEYS = (
    "c-ip", "cs-username", "cs-host", "cs-uri-port", "cs-method", "cs-uri-path", "cs-uri-query",
    "c-url", "sc-status", "s-action", "sc-filter-result", "sc-bytes", "cs-bytes", "cs-User-Agent",
    "cs-user-agent", "cs(User-Agent)", "date", "time",
)  # fmt: skip
#: The RFC 5424 header time, also when glued to the host name as some relays do.
_HEADER_TIME = (
    r"^\s*(?:<\d{1,3}>1? ?)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[zZ]|[+-]\d\d:?\d\d)?)"
)


def _bluecoat_events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    path = pl.concat_str(c("cs-uri-path"), query_suffix(c("cs-uri-query")))
    date_time = pl.concat_str(c("date"), c("time"), separator="T")
    projection = Projection(
        fields={
            "ts": pl.coalesce(iso_time(c("header_time"), ctx), iso_time(date_time, ctx)),
            "event_kind": pl.lit("http"),
            "client_ip": c("c-ip"),
            "user_raw": c("cs-username"),
            "host_raw": pl.coalesce(c("cs-host"), c("url_authority")),
            "port": c("cs-uri-port"),
            "method": c("cs-method"),
            "url_path": pl.when(c("cs-method") != "CONNECT").then(pl.coalesce(path, c("url_path"))),
            "status": c("sc-status"),
            "action": proxy_verdict(c("sc-filter-result"), c("s-action")),
            "bytes_out": c("cs-bytes"),
            "bytes_in": c("sc-bytes"),
            "user_agent": pl.coalesce(c("cs-User-Agent"), c("cs-user-agent"), c("cs(User-Agent)")),
        },
        required=("ts", "client_ip"),
        url=c("c-url"),
    )
    return project(raw, projection)


class SkyhighKv(LogFormat):
    """Skyhigh Security (McAfee) Web Gateway and Skyhigh SSE web logs as key=value lines.

    Two layouts share the machinery: the on-premises Web Gateway syslog format
    (`date="…Z" username=… source_ip=… destination_host=… http_request_first_line="GET …"
    block_id=…`; a non-zero `block_id` is a block) and the Skyhigh SSE cloud export
    (`username=… requested_host=… requested_path=… result=OBSERVED|DENIED
    request_timestamp_epoch=… client_ip=…`, unquoted values with spaces). The
    client is `client_ip` (the internal address) when logged, else `source_ip`.

        date="2025-12-01T10:00:00.000Z" hostname="mwg1" username="alice" source_ip=10.0.0.5 \
            destination_host="chatgpt.com" http_status_code=200 ...
    """

    name = "skyhigh"
    title = "Skyhigh / McAfee Web Gateway key=value"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        'date="2025-12-01T10:00:00.120Z" hostname="mwg1" username="alice" source_ip=10.0.0.5 '
        'destination_ip=104.18.32.47 destination_host="chatgpt.com" http_status_code=200 '
        'media_type="application/json" source_bytes=2311 destination_bytes=5120 '
        'http_request_first_line="POST https://chatgpt.com/backend-api/conversation HTTP/1.1" '
        'url_categories="Generative AI" block_id=0 block_reason="" user_agent="Mozilla/5.0"',
        "user_id=-1 username=bob source_ip=198.51.100.7 http_action=CONNECT "
        "server_to_client_bytes=0 client_to_server_bytes=517 requested_host=claude.ai "
        "requested_path=/ result=DENIED virus= request_timestamp_epoch=1764583201 "
        "request_timestamp=2025-12-01 10:00:01 uri_scheme=https category=Generative AI "
        "http_status_code=403 client_ip=10.0.0.9 block_reason=Blocked by URL filtering "
        "user_agent_comment=Mozilla/5.0 (Windows NT 10.0; Win64; x64) destination_port=443",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line carries `source_ip=` and a `destination_host=` or `requested_host=` key."""
        return any(
            "source_ip=" in line and ("destination_host=" in line or "requested_host=" in line)
            for line in head
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        frame = strip_syslog(chunk).with_columns(mark_keys(pl.col("msg")).alias("ext"))
        raw = frame.lazy().select(
            "source_line", *(unquote(kv(pl.col("ext"), k)).alias(k) for k in _SKYHIGH_KEYS)
        )
        return _skyhigh_events(raw, ctx).collect()


_SKYHIGH_KEYS = (
    "date", "request_timestamp_epoch", "username", "source_ip", "client_ip", "destination_host",
    "requested_host", "requested_path", "http_request_first_line", "http_action",
    "http_status_code", "block_id", "result", "source_bytes", "destination_bytes",
    "client_to_server_bytes", "server_to_client_bytes", "destination_port", "user_agent",
    "user_agent_comment",
)  # fmt: skip


def _skyhigh_events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    first = c("__first")  # the request line's method and URL, extracted once
    raw = raw.with_columns(
        c("http_request_first_line").str.extract_groups(r"^(\S+) (\S+)").alias("__first")
    )
    method = pl.coalesce(first.struct.field("1"), c("http_action"))
    blocked_id = to_int(c("block_id"))
    action = (
        pl.when(blocked_id > 0).then(pl.lit("blocked"))
        .when(blocked_id == 0).then(pl.lit("allowed"))
        .otherwise(verdict(c("result")))
    )  # fmt: skip
    projection = Projection(
        fields={
            "ts": pl.coalesce(epoch_any(c("request_timestamp_epoch")), iso_time(c("date"), ctx)),
            "event_kind": pl.lit("http"),
            "client_ip": pl.coalesce(c("client_ip"), c("source_ip")),
            "user_raw": c("username"),
            "host_raw": pl.coalesce(c("destination_host"), c("requested_host"), c("url_authority")),
            "port": c("destination_port"),
            "method": method,
            "url_path": pl.when(method != "CONNECT").then(
                pl.coalesce(c("requested_path"), c("url_path"))
            ),
            "status": c("http_status_code"),
            "action": action,
            # Coalesced as text, then typed: a present but unreadable count stays null.
            "bytes_out": pl.coalesce(c("source_bytes"), c("client_to_server_bytes")),
            "bytes_in": pl.coalesce(c("destination_bytes"), c("server_to_client_bytes")),
            "user_agent": pl.coalesce(c("user_agent"), c("user_agent_comment")),
        },
        required=("ts", "client_ip"),
        url=first.struct.field("2"),
    )
    return project(raw, projection)
