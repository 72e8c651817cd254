"""Elastic Common Schema (ECS) JSON lines, and the JSON helpers other JSON formats share.

`json_fields` reads the keys a format needs from a chunk of JSON lines in one
bulk `read_ndjson`, several times faster than a JSONPath per key, which it
keeps for the few lines around one that is not JSON or has an unexpected shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import split_url, to_int
from shadowscan.formats.syslog import unwrap

#: Where a JSON value sits: keys from the top; an int picks a list element.
JsonPath = tuple[str | int, ...]

#: ECS fields read, by the name used here.
_ECS = {
    "ts": "@timestamp", "source_ip": "source.ip", "client_ip": "client.ip",
    "user": "user.name", "url_domain": "url.domain", "url_full": "url.full",
    "url_original": "url.original", "url_path": "url.path", "url_query": "url.query",
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
        raw = json_fields(unwrapped(chunk, "{"), _ECS_PATHS)
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
        .when(has("url_domain", "url_full", "url_original", "url_path", "method", "status"))
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


def _ecs_time(text: pl.Expr) -> pl.Expr:
    """`@timestamp` with an offset (`Z`, `+02:00`), or naive, which ECS defines as UTC."""
    aware = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", strict=False)
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    return pl.coalesce(aware, naive.dt.replace_time_zone("UTC"))


def _ecs_host(kind: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The host for the kind, and the URL's path and query (from the full URL, else `url.path`)."""
    authority, full_path = split_url(pl.coalesce("url_full", "url_original"))
    query = (pl.lit("?") + pl.col("url_query")).fill_null("")
    path = pl.coalesce(full_path, pl.col("url_path") + query)
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
    out = _ecs_traffic(raw).select(
        "source_line",
        _ecs_time(pl.col("ts")).alias("ts"),
        "event_kind",
        pl.coalesce("source_ip", "client_ip").alias("client_ip"),
        pl.col("user").alias("user_raw"),
        host.alias("host_raw"),
        pl.when(~dns).then(to_int(pl.col("dest_port"), pl.Int32)).alias("port"),
        pl.when(dns).then(pl.col("dns_type")).otherwise(pl.col("method")).alias("method"),
        pl.when(kind == "http").then(path).alias("url_path"),
        pl.when(kind == "http").then(to_int(pl.col("status"), pl.Int32)).alias("status"),
        _ecs_action(pl.col("action")).alias("action"),
        to_int(pl.coalesce("src_bytes", "req_bytes")).alias("bytes_out"),
        to_int(pl.coalesce("dst_bytes", "resp_bytes")).alias("bytes_in"),
        pl.col("ua").alias("user_agent"),
    )
    who = pl.col("client_ip").is_not_null() | pl.col("user_raw").is_not_null()
    ok = pl.col("ts").is_not_null() & kind.is_not_null() & who
    return out.with_columns((ok & (~dns | pl.col("host_raw").is_not_null())).alias("ok"))


# --- JSON helpers shared by the JSON formats (Suricata, Zscaler, ECS) ----------------------

#: Runs this short are read key by key with JSONPath rather than halved further.
_SMALL_RUN = 32


def unwrapped(chunk: pl.DataFrame, starts: str) -> pl.DataFrame:
    """The chunk with the syslog header cut from lines that do not start with `starts`.

    Most files carry no syslog header at all, so the three header regexes run
    only when some line does not start as the bare record would.
    """
    line = pl.col("line")
    bare = line.str.strip_chars_start().str.starts_with(starts)
    if chunk.height == 0 or chunk.select(bare.all()).item():
        return chunk
    msg = unwrap(line).struct.field("msg")
    return chunk.with_columns(pl.when(bare).then(line).otherwise(msg).alias("line"))


def json_fields(chunk: pl.DataFrame, paths: Mapping[str, JsonPath]) -> pl.DataFrame:
    """Each path's value as a string, one row per line; null when absent or not JSON.

    Objects and lists come out as JSON text, numbers and booleans as their
    literal. Lines that cannot be an object (no `{…}`) are null without being
    parsed; the rest are read in bulk, see `_isolate` for when that fails.
    """
    if chunk.height == 0:
        return pl.DataFrame(schema=dict.fromkeys(paths, pl.String))
    text = pl.col("line").str.strip_chars()
    objects = chunk.select(text.str.starts_with("{") & text.str.ends_with("}")).to_series()
    if objects.all():
        return _read(chunk, paths)
    read = _read(chunk.filter(objects), paths).with_columns(_i=objects.arg_true())
    nulls = pl.DataFrame({"_i": (~objects).arg_true()}).with_columns(
        pl.lit(None, pl.String).alias(name) for name in paths
    )
    return pl.concat([read, nulls], how="diagonal").sort("_i").drop("_i")


def _read(chunk: pl.DataFrame, paths: Mapping[str, JsonPath]) -> pl.DataFrame:
    data = _bulk(chunk, paths)
    return _isolate(chunk, paths) if data is None else data


def _bulk(chunk: pl.DataFrame, paths: Mapping[str, JsonPath]) -> pl.DataFrame | None:
    """One `read_ndjson` of the whole run (several times faster than JSONPath per key)."""
    if chunk.height == 0:
        return pl.DataFrame(schema=dict.fromkeys(paths, pl.String))
    text = chunk.get_column("line").str.join("\n").item()
    try:
        data = pl.read_ndjson(text.encode(), schema=_schema(paths.values()))
    except pl.exceptions.PolarsError:
        return None
    if data.height != chunk.height:
        return None
    return data.select(_pick(path).alias(name) for name, path in paths.items())


def _isolate(chunk: pl.DataFrame, paths: Mapping[str, JsonPath]) -> pl.DataFrame:
    """Read a run whose bulk read failed (a bad line, or an unexpected shape somewhere).

    While only one half fails, the other is kept and the failing one halved
    again, so a stray line costs about two more bulk reads; when both halves
    fail the bad lines are spread out, and JSONPath reads the run key by key.
    """
    if chunk.height <= _SMALL_RUN:
        return _by_key(chunk, paths)
    half = chunk.height // 2
    halves = (chunk.slice(0, half), chunk.slice(half))
    reads = [_bulk(part, paths) for part in halves]
    if all(read is None for read in reads):
        return _by_key(chunk, paths)
    return pl.concat(
        _isolate(part, paths) if read is None else read
        for part, read in zip(halves, reads, strict=True)
    )


def _by_key(chunk: pl.DataFrame, paths: Mapping[str, JsonPath]) -> pl.DataFrame:
    line = pl.col("line")
    return chunk.select(line.str.json_path_match(_jsonpath(p)).alias(n) for n, p in paths.items())


def _schema(paths: Iterable[JsonPath]) -> dict[str, pl.DataType]:
    """The nested read schema holding every path; leaves are strings."""
    tree: dict = {}
    for path in paths:
        node, i = tree, 0
        while i < len(path) - 1:
            if isinstance(path[i + 1], int):  # a list of objects: read its element's keys
                node, i = node.setdefault(path[i], {0: {}})[0], i + 2
            else:
                node, i = node.setdefault(path[i], {}), i + 1
        node.setdefault(path[-1], None)
    return {key: _dtype(sub) for key, sub in tree.items()}


def _dtype(node: dict | None) -> pl.DataType:
    if node is None:
        return pl.String()
    if 0 in node:  # a list of objects
        return pl.List(_dtype(node[0]))
    return pl.Struct({key: _dtype(sub) for key, sub in node.items()})


def _pick(path: JsonPath) -> pl.Expr:
    expr = pl.col(path[0])
    for key in path[1:]:
        expr = (
            expr.list.get(key, null_on_oob=True) if isinstance(key, int) else expr.struct.field(key)
        )
    return expr


def _jsonpath(path: JsonPath) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f"['{k}']" for k in path)
