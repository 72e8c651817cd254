"""Palo Alto Networks logs as JSON, as Strata Logging Service (Cortex Data Lake) forwards them.

The Log Forwarding app of Strata Logging Service (formerly Cortex Data Lake,
where Prisma Access and Panorama-managed firewalls log) sends each record as a
JSON object keyed by its documented "HTTPS field names" (`LogType`,
`SourceAddress`, `URL`, …). The records are those of the PAN-OS CSV that
`panos` reads, so they are mapped alike: the same two kinds kept, the same
preference for the high-resolution time (one firewall's events then carry the
same time whichever way they travel), the same verdicts, and a TRAFFIC
record, which names no host, has its destination address as the host (as
`umbrella-ip` too), so that sessions to an AI service's own addresses stay
visible in the store.
"""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import to_int, verdict
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import iso_time, unwrapped

#: The HTTPS field names read (Strata Logging Service Log Reference, Traffic and URL logs).
_FIELDS = (
    "LogType", "Subtype", "SubType", "TimeGeneratedHighResolution", "TimeGenerated",
    "TimeReceived", "LogTime", "SourceAddress", "SourceUser", "DestinationAddress",
    "DestinationPort", "URL", "URLDomain", "HTTPMethod", "UserAgent", "Action", "BytesSent",
    "BytesReceived",
)  # fmt: skip
#: HTTPS forwarding to a collector wraps each record as `{"time":…,"event":{…}}` (HEC style).
_WRAPPER = "event"
_PATHS: dict[str, JsonPath] = {name: (name,) for name in _FIELDS}
_WRAPPED_PATHS: dict[str, JsonPath] = {
    **_PATHS,
    **{f"{_WRAPPER}.{name}": (_WRAPPER, name) for name in _FIELDS},
}
#: Times in order of preference: as PAN-OS CSV, the high-resolution time first.
_TIMES = ("TimeGeneratedHighResolution", "TimeGenerated", "TimeReceived", "LogTime")
#: A record of the Logging Service names its type and one of its times.
_TIME_KEYS = tuple(f'"{name}"' for name in ("TimeGenerated", "TimeReceived", "LogTime"))


class PanOsJson(LogFormat):
    """Palo Alto Networks firewall and Prisma Access logs as JSON lines (Strata Logging Service).

    What the Logging Service (formerly Cortex Data Lake) forwards over HTTPS,
    or a collector writes from it, one object a line, keyed by the documented
    HTTPS field names; a record wrapped as `{"time":…,"event":{…}}` (the HTTPS
    forwarding's HEC-style envelope) or behind a syslog header is read too.
    As with `panos`: `TRAFFIC` records are flows (`SourceAddress`,
    `SourceUser`, `DestinationPort`, `Action`, `BytesSent` as upload and
    `BytesReceived` as download) whose host is `URLDomain` when the record
    has one, else the `DestinationAddress`; URL-filtering records (`LogType`
    `THREAT` with `Subtype` `url`, or `URL`) are HTTP requests to `URLDomain`,
    else the host of `URL` (usually without scheme: `chatgpt.com/backend-api/…`),
    with its path, `HTTPMethod` (`unknown` is no method) and `UserAgent`.
    Every other type (SYSTEM, CONFIG, USERID, GLOBALPROTECT, HIPMATCH,
    DECRYPTION, AUTH, DNS telemetry) and threat subtype (file, vulnerability,
    wildfire: detections about sessions the traffic log records) is skipped:
    no web use. The time is `TimeGeneratedHighResolution`, else
    `TimeGenerated`, else when the service received it (`TimeReceived`,
    `LogTime`), all UTC. A line that is no record (not JSON, no word for
    `LogType`, no readable time) is rejected, and so is a flow or URL record
    without its client address or host.

        {"TimeReceived":"2025-12-01T10:00:02.000000Z","LogType":"THREAT","Subtype":"url",\
"TimeGenerated":"2025-12-01T10:00:00.000000Z","SourceAddress":"10.0.0.5",\
"SourceUser":"acme\\\\alice","DestinationAddress":"104.18.32.47","DestinationPort":443,\
"Action":"alert","URL":"chatgpt.com/backend-api/conversation","HTTPMethod":"post",…}

    (one line; broken here for width.)
    """

    name = "panos-json"
    title = "Palo Alto Networks Strata Logging Service / Cortex Data Lake (JSON)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "action", "bytes_out", "bytes_in",
        "user_agent",
    )  # fmt: skip
    samples = (
        '{"TimeReceived":"2025-12-01T10:00:02.000000Z","DeviceSN":"012801001234",'
        '"LogType":"THREAT","Subtype":"url","ConfigVersion":"11.1",'
        '"TimeGenerated":"2025-12-01T10:00:00.000000Z","SourceAddress":"10.0.0.5",'
        '"DestinationAddress":"104.18.32.47","Rule":"allow-web","SourceUser":"acme\\\\alice",'
        '"Application":"openai-chatgpt","DestinationPort":443,"Protocol":"tcp",'
        '"Action":"alert","URL":"chatgpt.com/backend-api/conversation",'
        '"URLCategory":"artificial-intelligence","UserAgent":"Mozilla/5.0 (Windows NT 10.0)",'
        '"HTTPMethod":"post","TimeGeneratedHighResolution":"2025-12-01T10:00:00.412000Z"}',
        '{"TimeReceived":"2025-12-01T10:00:12.000000Z","DeviceSN":"012801001234",'
        '"LogType":"TRAFFIC","Subtype":"end","TimeGenerated":"2025-12-01T10:00:09.000000Z",'
        '"SourceAddress":"10.0.0.9","DestinationAddress":"160.79.104.10",'
        '"SourceUser":"bob@acme.example","Application":"claude-base","DestinationPort":443,'
        '"Protocol":"tcp","Action":"allow","Bytes":11146,"BytesSent":1804,'
        '"BytesReceived":9342,"SessionEndReason":"tcp-fin"}',
        '{"LogTime":"2025-12-01T10:00:15.000000Z","LogSourceID":"012801001234",'
        '"LogType":"SYSTEM","Subtype":"auth","EventTime":"2025-12-01T10:00:14.000000Z",'
        '"EventName":"auth-success","EventDescription":"authenticated for user \'admin\'."}',
    )

    def signature(self, head: list[str]) -> bool:
        """Some line is a JSON object with `LogType` and a Logging Service time key."""
        return any(
            "{" in line and '"LogType"' in line and any(key in line for key in _TIME_KEYS)
            for line in head
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        frame = pl.concat([chunk.select("source_line"), _fields(chunk)], how="horizontal").lazy()
        typed = frame.with_columns(_time(ctx).alias("ts"), _kind().alias("kind"))
        # A record of another type is passed over; a line that is no record is rejected.
        record = pl.col("LogType").str.contains(r"^[A-Za-z][\w-]*$") & pl.col("ts").is_not_null()
        kept = typed.filter(pl.col("kind").is_not_null() | ~record.fill_null(False))
        return _events(kept).collect()


def _fields(chunk: pl.DataFrame) -> pl.DataFrame:
    """The fields read, top-level or in the envelope; blank is null.

    The envelope's keys double the bulk read's schema, which costs about a
    seventh of the parse, so they are read only in chunks where one appears.
    """
    wrapped = chunk.select(pl.col("line").str.contains(f'"{_WRAPPER}"', literal=True).any())
    if not wrapped.item():
        raw = json_fields(unwrapped(chunk), _PATHS)
    else:
        raw = json_fields(unwrapped(chunk), _WRAPPED_PATHS).select(
            pl.coalesce(name, f"{_WRAPPER}.{name}").alias(name) for name in _FIELDS
        )
    return raw.select(pl.col(name).str.strip_chars().replace("", None) for name in _FIELDS)


def _time(ctx: ParseContext) -> pl.Expr:
    return pl.coalesce(iso_time(pl.col(name), ctx) for name in _TIMES)


def _kind() -> pl.Expr:
    """flow (TRAFFIC), http (URL filtering), else null: skipped, or rejected if no record."""
    log_type = pl.col("LogType").str.to_uppercase()
    subtype = pl.coalesce("Subtype", "SubType").str.to_lowercase()
    url = ((log_type == "THREAT") & (subtype == "url")) | (log_type == "URL")
    return pl.when(log_type == "TRAFFIC").then(pl.lit("flow")).when(url).then(pl.lit("http"))


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    c = pl.col
    http, flow = c("kind") == "http", c("kind") == "flow"
    user, method = c("SourceUser"), c("HTTPMethod").str.to_uppercase()
    port = to_int(c("DestinationPort"), pl.Int32)
    host = (
        pl.when(http).then(pl.coalesce("URLDomain", "url_authority"))
        .when(flow).then(pl.coalesce("URLDomain", "DestinationAddress"))
    )  # fmt: skip
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": c("kind"),
            "client_ip": c("SourceAddress"),
            # PAN-OS writes the X-Forwarded-For address there when it maps no user.
            "user_raw": pl.when(~user.str.starts_with("x-fwd-for:")).then(user),
            "host_raw": host,
            "port": pl.when(port > 0).then(port),
            "method": pl.when(http & (method != "UNKNOWN")).then(method),
            "url_path": pl.when(http).then(c("url_path")),
            "action": verdict(c("Action").fill_null("")),
            "bytes_out": pl.when(flow).then(c("BytesSent")),
            "bytes_in": pl.when(flow).then(c("BytesReceived")),
            "user_agent": pl.when(http).then(c("UserAgent")),
        },
        required=("ts", "client_ip", "event_kind", "host_raw"),
        url=c("URL"),
    )
    return project(raw, projection)
