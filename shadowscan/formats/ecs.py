"""Elastic Common Schema (ECS) JSON lines."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import unwrapped, with_first_time

#: ECS fields read, by the name used here.
_ECS = {
    "ts": "@timestamp", "source_ip": "source.ip", "client_ip": "client.ip",
    "user": "user.name", "url_domain": "url.domain", "url_full": "url.full",
    "url_original": "url.original", "url_only_path": "url.path", "url_query": "url.query",
    "dest_domain": "destination.domain", "dest_port": "destination.port",
    "dns_name": "dns.question.name", "dns_type": "dns.question.type", "dns_kind": "dns.type",
    "sni": "tls.client.server_name", "method": "http.request.method",
    "status": "http.response.status_code", "src_bytes": "source.bytes",
    "dst_bytes": "destination.bytes", "req_bytes": "http.request.bytes",
    "resp_bytes": "http.response.bytes", "ua": "user_agent.original",
    "action": "event.action", "kind": "event.kind",
}  # fmt: skip
#: `event.kind` values that describe no traffic: detections, metrics, enrichments.
_NOT_TRAFFIC = ["alert", "signal", "metric", "enrichment", "state", "pipeline_error", "asset"]
_ECS_HINTS = (
    r'"(?:source\.ip|url\.domain|destination\.domain|dns\.question\.name)"',
    r'"source"\s*:\s*\{[^{}]*"ip"\s*:',
    r'"url"\s*:\s*\{[^{}]*"(?:domain|full|original)"\s*:',
    r'"destination"\s*:\s*\{[^{}]*"domain"\s*:',
    r'"question"\s*:\s*\{[^{}]*"name"\s*:',
)


class EcsJson(LogFormat):
    """Any JSON lines in Elastic Common Schema: Filebeat/Elastic Agent output, Gatewatcher, ….

    Keys may be nested objects or dotted (`"source.ip"`). Read: `@timestamp`,
    `source.ip` (else `client.ip`), `user.name`, `url.domain`/`url.full`/
    `url.original`/`url.path`, `destination.domain`/`.port`,
    `dns.question.name`/`.type`, `tls.client.server_name`,
    `http.request.method`, `http.response.status_code`, `source.bytes` (else
    `http.request.bytes`) as bytes out, `destination.bytes` (else
    `http.response.bytes`) as bytes in, `user_agent.original`, and
    `event.action` (block/deny/drop/reject → blocked; allow/accept/permit/pass
    → allowed). `event.outcome` says whether the event itself succeeded, not
    what a device decided, so it is not read. The kind is DNS with a question
    name, TLS with an SNI, HTTP with URL or HTTP fields, else flow.
    Documents that are not traffic (`event.kind` alert, metric, enrichment,
    state; no network fields at all; DNS answers without their question) are
    skipped; lines without a readable `@timestamp` are rejected.

        {"@timestamp":"2025-12-01T10:00:00.000Z","source":{"ip":"10.0.0.5"},"url":{"domain":"chatgpt.com"}}
    """

    name = "ecs-json"
    title = "Elastic Common Schema (ECS) JSON lines"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        '{"@timestamp":"2025-12-01T10:00:00.123Z","event":{"kind":"event","action":"allowed"},'
        '"source":{"ip":"10.0.0.5","bytes":812},"destination":{"ip":"104.18.32.47","port":443,'
        '"bytes":5120},"user":{"name":"alice"},"url":{"full":"https://chatgpt.com/backend-api/'
        'conversation","domain":"chatgpt.com"},"http":{"request":{"method":"POST"},"response":'
        '{"status_code":200}},"user_agent":{"original":"Mozilla/5.0"}}',
        '{"@timestamp":"2025-12-01T10:00:01.500Z","source.ip":"10.0.0.7",'
        '"dns.question.name":"claude.ai","dns.question.type":"AAAA","dns.type":"query"}',
        '{"@timestamp":"2025-12-01T10:00:02Z","event":{"kind":"event"},"source":{"ip":"10.0.0.9"},'
        '"destination":{"ip":"142.250.74.110","port":443},'
        '"tls":{"client":{"server_name":"gemini.google.com"}}}',
    )

    def signature(self, head: list[str]) -> bool:
        """A JSON line with `@timestamp` and an ECS network field (`source.ip`, `url.domain`, …)."""
        return any(
            "{" in line and '"@timestamp"' in line and any(re.search(p, line) for p in _ECS_HINTS)
            for line in head[:10]
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        raw = json_fields(unwrapped(chunk), _ECS_PATHS)
        fields = raw.select(
            pl.coalesce(f"{name}.nested", f"{name}.dotted").alias(name) for name in _ECS
        )
        out = pl.concat([chunk.select("source_line"), fields], how="horizontal").lazy()
        return _ecs_events(out).collect()


#: Each field nested (`{"source":{"ip":…}}`) and dotted (`{"source.ip":…}`).
_ECS_PATHS: dict[str, JsonPath] = {
    f"{name}.{spelling}": path
    for name, field in _ECS.items()
    for spelling, path in (("nested", tuple(field.split("."))), ("dotted", (field,)))
}


def _ecs_kind() -> pl.Expr:
    """dns, tls, http or flow from the fields present; null when no network field is.

    A DNS question without a name is still DNS, so that it is rejected, not a flow.
    """

    def has(*names: str) -> pl.Expr:
        return pl.any_horizontal(pl.col(n).is_not_null() for n in names)

    return (
        pl.when(has("dns_name", "dns_type")).then(pl.lit("dns"))
        .when(has("sni")).then(pl.lit("tls"))
        .when(has("url_domain", "url_full", "url_original", "url_only_path", "method", "status"))
        .then(pl.lit("http"))
        .when(has("dest_domain", "source_ip", "client_ip")).then(pl.lit("flow"))
    )  # fmt: skip


def _ecs_action(action: pl.Expr) -> pl.Expr:
    """A device's verdict spelled in `event.action` (`blocked`, `deny`, `dns-request-Allowed`)."""
    text = action.str.to_lowercase()
    blocked = r"(?:^|[^a-z])(?:block(?:ed)?|den(?:y|ied)|drop(?:ped)?|reject(?:ed)?)(?:$|[^a-z])"
    allowed = r"(?:^|[^a-z])(?:allow(?:ed)?|accept(?:ed)?|permit(?:ted)?|pass(?:ed)?)(?:$|[^a-z])"
    return (
        pl.when(text.str.contains(blocked)).then(pl.lit("blocked"))
        .when(text.str.contains(allowed)).then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip


def _with_ecs_time(raw: pl.LazyFrame) -> pl.LazyFrame:
    """`raw` with `ts` read: `@timestamp` with an offset (`Z`, `+02:00`), else naive, which
    ECS defines as UTC (read only where the first shape failed)."""
    readers = [
        lambda t: t.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", strict=False),
        lambda t: t.str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False
        ).dt.replace_time_zone("UTC"),
    ]
    return with_first_time(raw, pl.col("ts"), readers, "ts")


def _ecs_host(kind: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The host for the kind, and the URL's path and query (from the full URL split by
    `project` into `url_authority` and `url_path`, else `url.path`)."""
    authority, full_path = pl.col("url_authority"), pl.col("url_path")
    query = (pl.lit("?") + pl.col("url_query")).fill_null("")
    path = pl.coalesce(full_path, pl.col("url_only_path") + query)
    host = (
        pl.when(kind == "dns").then(pl.col("dns_name"))
        .when(kind == "tls").then(pl.coalesce("sni", "dest_domain"))
        .when(kind == "http").then(pl.coalesce("url_domain", authority, "dest_domain"))
        .otherwise(pl.col("dest_domain"))
    )  # fmt: skip
    return host, path


def _ecs_traffic(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Documents that may be traffic, with their `event_kind`; the rest are skipped.

    Skipped: detections, metrics and other non-traffic `event.kind`s, readable
    documents without any network field, and DNS answers without their question.
    Unreadable lines (no `@timestamp`) stay, to be rejected.
    """
    kind = pl.col("event_kind")
    not_traffic = pl.col("kind").str.to_lowercase().is_in(_NOT_TRAFFIC).fill_null(False)
    no_network = pl.col("ts").is_not_null() & kind.is_null()
    dns_answer = pl.col("dns_kind").str.to_lowercase().eq_missing("answer")
    answer = dns_answer & pl.col("dns_name").is_null()
    return raw.with_columns(_ecs_kind().alias("event_kind")).filter(
        ~(not_traffic | no_network | answer)
    )


def _ecs_events(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Map traffic documents onto the event schema, with `ok`."""
    kind = pl.col("event_kind")
    host, path = _ecs_host(kind)
    dns = kind == "dns"
    projection = Projection(
        fields={
            "ts": pl.col("ts"),
            "event_kind": kind,
            "client_ip": pl.coalesce("source_ip", "client_ip"),
            "user_raw": pl.col("user"),
            "host_raw": host,
            "port": pl.when(~dns).then(pl.col("dest_port")),
            "method": pl.when(dns).then(pl.col("dns_type")).otherwise(pl.col("method")),
            "url_path": pl.when(kind == "http").then(path),
            "status": pl.when(kind == "http").then(pl.col("status")),
            "action": _ecs_action(pl.col("action")),
            "bytes_out": pl.coalesce("src_bytes", "req_bytes"),
            "bytes_in": pl.coalesce("dst_bytes", "resp_bytes"),
            "user_agent": pl.col("ua"),
        },
        required=("ts", "event_kind"),
        any_of=("client_ip", "user_raw"),  # someone
        url=pl.coalesce("url_full", "url_original"),
    )
    return project(_with_ecs_time(_ecs_traffic(raw)), projection)
