"""Broadcom (Symantec) Cloud SWG access logs as JSON lines keyed by W3C field names.

Cloud SWG (formerly Symantec Web Security Service, WSS) writes the ProxySG
access log in the W3C extended log file format; log streaming and SIEM
collectors deliver each record as one JSON object whose keys are those W3C
field names (`c-ip`, `cs-host`, `sc-filter-result`, …). The names are
looked up through the `w3c` format's table, so both formats read a field
the same way; only the spelling of header fields (`cs(User-Agent)`) and the
time differ.
"""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_seconds, proxy_verdict, query_suffix, to_int
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import unwrapped
from shadowscan.formats.w3c import FIELD_NAMES as W3C_NAMES
from shadowscan.schema import UTC_MICROS

#: Event fields read through the W3C table. The time is not: Cloud SWG writes GMT
#: `date`/`time` (else the epoch `x-timestamp-unix`), never W3C's local-time alternatives.
_FIELDS = (
    "client_ip", "user", "host", "port", "method", "path", "query", "uri", "status",
    "filter_result", "proxy_action", "bytes_in", "bytes_out", "user_agent",
)  # fmt: skip
#: Keys read under their own name: the time, and the scheme that tells a TLS tunnel.
_OWN_KEYS = {
    "date": "date", "time": "time", "epoch": "x-timestamp-unix", "scheme": "cs-uri-scheme",
}  # fmt: skip
#: A line worth a trial parse: a JSON object with the client address and a request field.
_HINTS = ('"cs-host"', '"cs-uri-path"', '"cs-userdn"', '"sc-filter-result"', '"x-bluecoat-')


def _spellings(name: str) -> tuple[str, ...]:
    """A W3C name as the JSON keys spell it: as is, and a header field's name
    capitalised as HTTP writes it (`cs(user-agent)` → `cs(User-Agent)`)."""
    header = re.sub(r"\((.*)\)", lambda m: "(" + m[1].title() + ")", name)
    return (name, header) if header != name else (name,)


#: Each event field → the JSON keys that may carry it, in the W3C table's order.
_KEYS: dict[str, tuple[str, ...]] = {
    field: tuple(key for name in W3C_NAMES[field] for key in _spellings(name)) for field in _FIELDS
}
_PATHS: dict[str, JsonPath] = {
    **{key: (key,) for keys in _KEYS.values() for key in keys},
    **{key: (key,) for key in _OWN_KEYS.values()},
}


class BroadcomCloudSwg(LogFormat):
    """Broadcom (Symantec) Cloud SWG, formerly WSS: access log records as JSON lines.

    One object per line, keyed by the access log's W3C field names; values are
    strings or numbers, `-` or empty for nothing, and fields the record does
    not use may be absent. Read, by the same names as the `w3c` format: `c-ip`;
    the user from `cs-username`, else `cs-userdn` (`ACME\\alice`,
    `alice@acme.example`); `cs-host`, else the host of `cs-uri`; `cs-uri-port`;
    `cs-method`; `cs-uri-path` and `cs-uri-query`; `sc-status` (0, nothing
    returned, is null); `cs-bytes` out and `sc-bytes` in; `cs(User-Agent)`;
    the action from `sc-filter-result` (DENIED blocked, OBSERVED/PROXIED
    allowed), else `s-action`. Cloud SWG logs in GMT, so `date` and `time`
    are UTC whatever `--timezone` says; `x-timestamp-unix` stands in when they
    are absent. A record with the scheme `ssl` is a TLS connection the gateway
    did not decrypt: a TLS event with its host and port but no method, path
    or status. Lines that are not JSON objects, or lack a time, a host or
    both client and user, are rejected.

        {"date":"2025-12-01","time":"10:00:00","c-ip":"10.0.0.5","cs-userdn":"alice@acme.example",\
"cs-method":"POST","cs-host":"chatgpt.com","cs-uri-path":"/backend-api/conversation",…}

    (one line; shortened here.)
    """

    name = "broadcom-cloud-swg"
    title = "Broadcom (Symantec) Cloud SWG / WSS access log (JSON lines)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        '{"date":"2025-12-01","time":"10:00:00","time-taken":412,"c-ip":"10.0.0.5",'
        '"cs-userdn":"alice@acme.example","cs-auth-groups":["AI Users"],'
        '"sc-filter-result":"OBSERVED","cs-categories":["Artificial Intelligence"],'
        '"sc-status":200,"s-action":"TCP_NC_MISS","cs-method":"POST","cs-uri-scheme":"https",'
        '"cs-host":"chatgpt.com","cs-uri-port":443,"cs-uri-path":"/backend-api/conversation",'
        '"cs-uri-query":"-","cs(User-Agent)":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",'
        '"cs-bytes":1830,"sc-bytes":48211,"x-bluecoat-request-tenant-id":"1234",'
        '"x-timestamp-unix":1764583200}',
        '{"date":"2025-12-01","time":"10:00:03","c-ip":"10.0.0.7","cs-userdn":"ACME\\\\bob",'
        '"sc-filter-result":"DENIED","sc-status":"403","s-action":"TCP_DENIED",'
        '"cs-method":"GET","cs-uri-scheme":"https","cs-host":"claude.ai","cs-uri-port":"443",'
        '"cs-uri-path":"/api/organizations","cs-uri-query":"?limit=1","cs-bytes":"512",'
        '"sc-bytes":"1290","cs(User-Agent)":"curl/8.5.0"}',
        '{"date":"2025-12-01","time":"10:00:04","c-ip":"10.0.0.9","cs-userdn":"-",'
        '"sc-filter-result":"OBSERVED","sc-status":"0","s-action":"TCP_TUNNELED",'
        '"cs-method":"unknown","cs-uri-scheme":"ssl","cs-host":"gemini.google.com",'
        '"cs-uri-port":"443","cs-uri-path":"/","cs-bytes":"517","sc-bytes":"6120"}',
    )

    def signature(self, head: list[str]) -> bool:
        """A JSON object with the W3C `c-ip` key and a Cloud SWG request field."""
        return any(
            line.lstrip().startswith("{")
            and '"c-ip"' in line
            and any(hint in line for hint in _HINTS)
            for line in head[:10]
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        lines = unwrapped(chunk)
        raw = _values(json_fields(lines, _PATHS))
        frame = pl.concat([lines.select("source_line"), raw], how="horizontal").lazy()
        return _events(frame).collect()


def _values(fields: pl.DataFrame) -> pl.DataFrame:
    """One column per event field: the first of its keys with a value.

    Most of the W3C table's alternative names are absent from a whole chunk:
    their all-null columns are taken as they are rather than cleaned.
    """
    nulls = fields.null_count().row(0, named=True)
    present = {key for key, count in nulls.items() if count < fields.height}

    def value(key: str) -> pl.Expr:
        return _value(key) if key in present else pl.col(key)

    return fields.select(
        *(pl.coalesce(value(key) for key in keys).alias(f) for f, keys in _KEYS.items()),
        *(value(key).alias(name) for name, key in _OWN_KEYS.items()),
    )


def _value(key: str) -> pl.Expr:
    """A key's value; placeholders (`-`, empty, blanks) and objects or lists (which
    `json_fields` gives as JSON text, never a value read here) as null.

    One regular expression, not a strip and two prefix tests: stripping copies every value.
    """
    text = pl.col(key)
    return pl.when(~text.str.contains(r"(?s)^\s*(?:-?|[\[{].*)\s*$")).then(text)


def _time() -> pl.Expr:
    """`date` `time` (GMT), else `x-timestamp-unix` (epoch seconds)."""
    text = pl.concat_str(pl.col("date"), pl.col("time"), separator=" ")
    naive = text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False)
    epoch = epoch_seconds(pl.col("epoch").str.extract(r"^(\d{9,10}(?:\.\d+)?)$"))
    return pl.coalesce(naive.dt.replace_time_zone("UTC"), epoch).cast(UTC_MICROS)


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Map the W3C fields onto the event schema, with `ok`."""
    c = pl.col
    tls = c("scheme").str.to_lowercase().eq_missing("ssl")
    connect = c("method").eq_missing("CONNECT")
    absolute = c("uri").str.contains(r"://|^[^/\s]+:\d+$").fill_null(False)
    path = pl.concat_str(c("path"), query_suffix(c("query")))
    method = pl.when(c("method").str.to_lowercase() != "unknown").then(c("method"))
    status = to_int(c("status"), pl.Int32)
    projection = Projection(
        fields={
            "ts": _time(),
            "event_kind": pl.when(tls).then(pl.lit("tls")).otherwise(pl.lit("http")),
            "client_ip": c("client_ip"),
            "user_raw": c("user"),
            "host_raw": pl.coalesce(c("host"), pl.when(absolute | connect).then("url_authority")),
            "port": c("port"),
            "method": pl.when(~tls).then(method),
            "url_path": pl.when(~tls & ~connect).then(pl.coalesce(path, c("url_path"))),
            "status": pl.when(~tls & (status != 0)).then(status),
            "action": proxy_verdict(c("filter_result"), c("proxy_action")),
            "bytes_out": c("bytes_out"),
            "bytes_in": c("bytes_in"),
            "user_agent": c("user_agent"),
        },
        required=("ts", "host_raw"),
        any_of=("client_ip", "user_raw"),  # someone
        url=c("uri"),
    )
    return project(raw, projection)
