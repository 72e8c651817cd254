"""Palo Alto Networks PAN-OS (and Prisma Access) syslog logs in their CSV layout."""

from __future__ import annotations

import io
import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import dash_null, verdict
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import iso_time, local_time, strip_syslog, with_first_time

#: `FUTURE_USE,Receive Time,Serial Number,Type,…` — how every PAN-OS record starts.
_RECORD = (
    r"\d+,(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d|\d{1,2}/\d{1,2}/\d{2,4} \d{1,2}:\d\d(?::\d\d)?),"
    r"[^,]*,[A-Z][A-Z_-]+,"
)
_RECORD_RE = re.compile(_RECORD)
#: One CSV field: quoted (`"a,b"`, `""` inside) or plain, with its trailing comma.
_CSV_FIELD = r'(?:"(?:[^"]|"")*"|[^,]*)(?:,|$)'
#: The high-resolution time PAN-OS 10+ appends (`2024-01-03T13:15:30.547+01:00`).
_HIGH_RES = r",(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)),"
#: 0-based positions from the PAN-OS 10.x/11.x "Traffic/Threat Log Fields" tables.
_RECEIVE, _TYPE, _SUBTYPE, _GENERATED = 1, 3, 4, 6
_SRC, _DST, _SRC_USER, _DST_PORT, _ACTION = 7, 8, 12, 25, 30
_BYTES_SENT, _BYTES_RECEIVED = 32, 33  # TRAFFIC
_URL, _USER_AGENT, _HTTP_METHOD = 31, 46, 63  # THREAT
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M:%S")


class PanOsCsv(LogFormat):
    """PAN-OS firewall (and Prisma Access) syslog in the default CSV layout.

    Reads TRAFFIC logs as flows (source, user, destination address as the host,
    as `umbrella-ip` and `panos-json` give it, port, action, bytes sent as
    upload and received as download) and
    URL-filtering THREAT logs (`THREAT,url`) as HTTP requests to the logged URL,
    usually without scheme (`chatgpt.com/backend-api/…`), with the User-Agent
    and method; a URL of `-` or empty names no host, and such a record counts as a
    request to its destination address. Other log types (SYSTEM, CONFIG, USERID, GLOBALPROTECT,
    HIPMATCH, DECRYPTION…) and other threat subtypes (detections about sessions
    the traffic log records) are skipped. Fields with commas are double-quoted.
    The time is PAN-OS 10's high-resolution timestamp with its offset when
    present, else the Generated Time (the firewall's local time, read in
    `--timezone`).

        <14>Dec  1 11:00:00 fw1 1,2025/12/01 11:00:00,012801001234,THREAT,url,2561,\
            2025/12/01 11:00:00,10.0.0.5,104.18.32.47,…,"chatgpt.com/backend-api/conversation",…

    (one line; broken here for width).
    """

    name = "panos"
    title = "Palo Alto Networks PAN-OS syslog (CSV)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "action", "bytes_out", "bytes_in",
        "user_agent",
    )  # fmt: skip
    samples = (
        "<14>Dec  1 11:00:00 fw1 1,2025/12/01 11:00:00,012801001234,THREAT,url,2561,"
        "2025/12/01 11:00:00,10.0.0.5,104.18.32.47,203.0.113.9,104.18.32.47,allow-web,"
        "acme\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,2025/12/01 11:00:00,"
        '88412,1,53122,443,41022,443,0x40b000,tcp,alert,"chatgpt.com/backend-api/conversation",'
        "(9999),artificial-intelligence,informational,client-to-server,7310000000000000001,0x0,"
        "10.0.0.0-10.255.255.255,United States,,text/html,0,,,1,"
        '"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",,,,,,,0,0,0,0,0,vsys1,fw1,,,,post,0,,0,,N/A,'
        'N/A,AppThreat-0-0,0x0,0,4294967295,,"artificial-intelligence,low-risk",,0,,,,,,',
        "<14>Dec  1 11:00:09 fw1 1,2025/12/01 11:00:09,012801001234,TRAFFIC,end,2561,"
        "2025/12/01 11:00:09,10.0.0.9,160.79.104.10,203.0.113.9,160.79.104.10,allow-web,"
        "acme\\bob,,claude-base,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,"
        "2025/12/01 11:00:09,88417,1,53200,443,41100,443,0x40001c,tcp,allow,11146,1804,9342,24,"
        "2025/12/01 10:59:51,17,artificial-intelligence,,7310000000000000002,0x0,"
        "10.0.0.0-10.255.255.255,United States,,12,12,tcp-fin,0,0,0,0,,fw1,from-policy,,,0,,0,,N/A",
        "<14>Dec  1 11:00:10 fw1 1,2025/12/01 11:00:10,012801001234,SYSTEM,general,2561,"
        '2025/12/01 11:00:10,,general,,0,0,general,informational,"User admin logged in",'
        "7310000000000000003,0x0,0,0,0,0,,fw1,0,0",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line holds a PAN-OS record start (`1,2025/12/01 11:00:00,<serial>,TRAFFIC,`)."""
        return any(_RECORD_RE.search(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        msg = pl.col("msg")
        start = msg.str.find(_RECORD)  # where the record starts, behind any relay's prefix
        record = pl.when(start.is_not_null()).then(msg.str.slice(start))
        head = pl.col("record").str.splitn(",", 6)
        typed = (
            strip_syslog(chunk)
            .select("source_line", record.alias("record"))
            .with_columns(
                head.struct.field(f"field_{_TYPE}").alias("type"),
                head.struct.field(f"field_{_SUBTYPE}").alias("subtype"),
            )
            .with_columns(_kind().alias("kind"))
            .filter(pl.col("kind").is_not_null())
        )
        fields = _csv_fields(typed.get_column("record"))
        return _events(pl.concat([typed, fields], how="horizontal").lazy(), ctx).collect()


def _kind() -> pl.Expr:
    """flow (TRAFFIC), http (THREAT url), `reject` (not a PAN-OS record); null: skipped."""
    kind = pl.col("type")
    return (
        pl.when(pl.col("record").is_null()).then(pl.lit("reject"))
        .when(kind == "TRAFFIC").then(pl.lit("flow"))
        .when((kind == "THREAT") & (pl.col("subtype") == "url")).then(pl.lit("http"))
    )  # fmt: skip


def _unquoted(value: pl.Expr) -> pl.Expr:
    """A raw CSV field (with its trailing comma) as text: quotes undone, empty is null."""
    value = value.str.strip_suffix(",")
    quoted = value.str.starts_with('"') & value.str.ends_with('"') & (value.str.len_chars() > 1)
    inner = value.str.slice(1, value.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
    value = pl.when(quoted).then(inner).otherwise(value)
    return pl.when(value != "").then(value)


def _with_time(typed: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """`typed` with `ts`: the high-resolution time (with offset), else Generated, else
    Receive Time in `--timezone`; each fallback read only on the rows still without one."""
    readers = [
        lambda t, f=f: local_time(t.str.to_datetime(f, strict=False), ctx) for f in _TIME_FORMATS
    ]
    typed = typed.with_columns(pl.col("record").str.extract(_HIGH_RES).alias("ts"))
    typed = typed.with_columns(iso_time(pl.col("ts"), ctx).alias("ts"))
    for name in ("generated", "received"):
        missing = pl.when(pl.col("ts").is_null()).then(pl.col(name))
        typed = with_first_time(typed, missing, readers, "fallback_ts")
        typed = typed.with_columns(pl.coalesce("ts", "fallback_ts").alias("ts"))
    return typed.drop("fallback_ts")


#: The CSV fields read, by position.
_WANTED = {
    "received": _RECEIVE, "generated": _GENERATED, "src": _SRC, "dst": _DST,
    "src_user": _SRC_USER, "dst_port": _DST_PORT, "pan_action": _ACTION, "bytes_sent": _BYTES_SENT,
    "bytes_received": _BYTES_RECEIVED, "url": _URL, "user_agent": _USER_AGENT,
    "http_method": _HTTP_METHOD,
}  # fmt: skip


def _csv_fields(records: pl.Series) -> pl.DataFrame:
    """The wanted fields of each record, one row per record, CSV quoting undone.

    Polars' CSV reader splits the records several times faster than a regular
    expression; a first row of empty fields fixes its column count. A stray quote
    makes it fail or merge lines, and then each record is split alone instead.
    """
    names = [f"f{i}" for i in range(max(_WANTED.values()) + 1)]
    text = "," * (len(names) - 1) + "\n" + records.fill_null("-").str.join("\n").item()
    try:
        table = pl.read_csv(
            io.BytesIO(text.encode()), has_header=False, new_columns=names, quote_char='"',
            infer_schema=False, truncate_ragged_lines=True, extra_columns="ignore",
        ).slice(1)  # fmt: skip
    except pl.exceptions.PolarsError:
        table = None
    if table is not None and table.height == records.len():
        return table.select(pl.col(f"f{i}").alias(name) for name, i in _WANTED.items())
    split = records.to_frame("record").select(pl.col("record").str.extract_all(_CSV_FIELD))
    return split.select(
        _unquoted(pl.col("record").list.get(i, null_on_oob=True)).alias(name)
        for name, i in _WANTED.items()
    )


def _events(typed: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    http, flow = c("kind") == "http", c("kind") == "flow"
    user = c("src_user")
    # A flow's host is its destination address; so is a URL record's without a URL.
    host = pl.coalesce(pl.when(http).then(c("url_authority")), c("dst"))
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": pl.when(c("kind") != "reject").then(c("kind")),
            "client_ip": c("src"),
            # PAN-OS writes the X-Forwarded-For address there when it maps no user.
            "user_raw": pl.when(~user.str.starts_with("x-fwd-for:")).then(user),
            "host_raw": host,
            "port": c("dst_port"),
            "method": pl.when(http).then(c("http_method").str.to_uppercase()),
            "url_path": pl.when(http).then(c("url_path")),
            "action": verdict(c("pan_action").fill_null("")),
            "bytes_out": pl.when(flow).then(c("bytes_sent")),
            "bytes_in": pl.when(flow).then(c("bytes_received")),
            "user_agent": pl.when(http).then(c("user_agent")),
        },
        required=("ts", "client_ip", "event_kind"),
        also=~http | host.is_not_null(),
        url=dash_null(c("url")),
    )
    return project(_with_time(typed, ctx), projection)
