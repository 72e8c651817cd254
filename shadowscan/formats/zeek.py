"""Zeek `dns.log`, `http.log` and `ssl.log`, as ASCII TSV or as JSON lines.

Zeek only observes traffic, so every event's action is `unknown`. Both readers
first reduce a line to the same Zeek fields as strings (null when unset), then
share one mapping onto the event schema.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_seconds
from shadowscan.formats.jsonl import json_fields
from shadowscan.formats.projection import Projection, project

#: Zeek `#path` (and JSON `_path`) → event kind.
_KINDS = {"dns": "dns", "http": "http", "ssl": "tls"}
#: Zeek fields the events are built from.
_WANTED = (
    "ts", "id.orig_h", "id.resp_p", "method", "host", "uri", "status_code",
    "request_body_len", "response_body_len", "user_agent", "username",
    "query", "qtype_name", "rcode", "server_name",
)  # fmt: skip
#: JSON also needs the keys that tell the log kind.
_JSON_KEYS = (*_WANTED, "_path", "ssl_history", "cipher")
#: Layout before any header line: Zeek's defaults, but no columns yet.
_DEFAULT_LAYOUT = {"separator": "\t", "empty_field": "(empty)", "unset_field": "-", "fields": ()}
_TSV_STATE = "zeek_tsv"


class ZeekTsv(LogFormat):
    r"""Zeek's default ASCII logs: `dns.log`, `http.log` and `ssl.log` (also Bro 2.x).

    A header block names the columns (`#fields`) and the log (`#path`); columns
    are read by name, so older column sets and extra columns are fine, and a
    new header block (concatenated logs) switches the layout from there on.
    `-` (unset) and `(empty)` are nulls. `ts` is epoch seconds, UTC. DNS gives
    the query as host, query type as method and rcode as status; HTTP the Host
    header (else the authority of an absolute or CONNECT URI), method, path,
    status, body sizes, user name and User-Agent; SSL the SNI and server port.
    Data lines before any `#fields` header or with the wrong column count are
    rejected. Columns are tab-separated (`\t` below):

        #separator \x09
        #path\tdns
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\t...
        1764547200.003152\tCmWd1R3fNBw3Jf0Mc4\t10.0.0.7\t51234\t10.0.0.2\t53\tudp\t...
    """

    name = "zeek-tsv"
    replay = b"#"  # the #fields and #separator headers
    title = "Zeek dns.log / http.log / ssl.log (TSV)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "bytes_out", "bytes_in",
        "user_agent",
    )  # fmt: skip
    samples = (
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tdns",
        "#open\t2025-12-01-00-00-00",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt"
        "\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA"
        "\tZ\tanswers\tTTLs\trejected",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount"
        "\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
        "\tvector[interval]\tbool",
        "1764547200.003152\tCmWd1R3fNBw3Jf0Mc4\t10.0.0.7\t51234\t10.0.0.2\t53\tudp\t40312"
        "\t0.012044\tchatgpt.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0"
        "\t104.18.32.47,172.64.155.209\t300.000000,300.000000\tF",
        "1764547201.250880\tC3Q8xk2Jt0aQmHf1Y9\t10.0.0.9\t60211\t10.0.0.2\t53\tudp\t1733\t-"
        "\tapi.anthropic.com\t1\tC_INTERNET\t28\tAAAA\t-\t-\tF\tF\tT\tF\t0\t-\t-\tF",
    )

    def signature(self, head: list[str]) -> bool:
        """The first header line, after any `##` comment (btest baselines start with one)."""
        first = next((line for line in head if not line.startswith("##")), "")
        return first.startswith("#separator")

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        """Cut the chunk at header lines; each run of data lines uses the layout in force."""
        layout = ctx.state.setdefault(_TSV_STATE, dict(_DEFAULT_LAYOUT))
        headers = chunk.with_row_index("i").filter(pl.col("line").str.starts_with("#"))
        parts, start = [], 0
        for i, line in headers.select("i", "line").iter_rows():
            parts.append(_events(_tsv_fields(chunk.slice(start, i - start), layout)))
            _apply_header(line, layout)
            start = i + 1
        parts.append(_events(_tsv_fields(chunk.slice(start), layout)))
        return pl.concat(parts).collect()


class ZeekJson(LogFormat):
    """Zeek's JSON logs (`LogAscii::use_json`): one object per line, dotted keys.

    The kind comes from `_path` when present, else from the keys: `query` is
    DNS, `server_name`/`ssl_history`/`cipher` SSL, `method`/`uri`/`status_code`
    HTTP. `ts` is epoch seconds or ISO 8601 (`JSON::TS_ISO8601`). Fields are
    mapped as for the TSV logs; lines that are not JSON objects are rejected.

        {"ts":1764547200.003152,"uid":"CmWd1R3fNBw3Jf0Mc4","id.orig_h":"10.0.0.7","query":"chatgpt.com",...}
    """

    name = "zeek-json"
    title = "Zeek dns.log / http.log / ssl.log (JSON)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "bytes_out", "bytes_in",
        "user_agent",
    )  # fmt: skip
    samples = (
        '{"ts":1764547200.003152,"uid":"CmWd1R3fNBw3Jf0Mc4","id.orig_h":"10.0.0.7",'
        '"id.orig_p":51234,"id.resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp",'
        '"trans_id":40312,"query":"chatgpt.com","qtype_name":"A","rcode":0,'
        '"rcode_name":"NOERROR","answers":["104.18.32.47"],"TTLs":[300.0],"rejected":false}',
        '{"ts":"2025-12-01T00:00:01.250880Z","uid":"C3Q8xk2Jt0aQmHf1Y9","id.orig_h":"10.0.0.9",'
        '"id.orig_p":60211,"id.resp_h":"160.79.104.10","id.resp_p":443,"version":"TLSv13",'
        '"cipher":"TLS_AES_128_GCM_SHA256","server_name":"claude.ai","established":true}',
        '{"ts":1764547202.001742,"uid":"CpT7sL1ZGd1kqPDX7e","id.orig_h":"10.0.0.12",'
        '"id.orig_p":49822,"id.resp_h":"10.0.0.3","id.resp_p":3128,"trans_depth":1,'
        '"method":"CONNECT","host":"api.openai.com","uri":"api.openai.com:443",'
        '"user_agent":"python-requests/2.32.3","request_body_len":0,"response_body_len":0,'
        '"status_code":200,"status_msg":"Connection established"}',
    )

    def signature(self, head: list[str]) -> bool:
        """The first line is an object with Zeek's `ts` and `id.orig_h` or `uid` keys."""
        first = next((line for line in head if line.strip()), "").lstrip()
        return (
            first.startswith("{")
            and '"ts"' in first
            and ('"id.orig_h"' in first or '"uid"' in first)
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        raw = pl.concat([chunk.select("source_line"), _json_fields(chunk)], how="horizontal")
        ts = pl.col("ts")
        iso = ts.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", strict=False)
        return _events(
            raw.lazy().with_columns(
                pl.coalesce(epoch_seconds(ts), iso).alias("ts"),
                _json_kind().alias("kind"),
                pl.lit(True).alias("valid"),
            )
        ).collect()


def _apply_header(line: str, layout: dict[str, Any]) -> None:
    """Update the layout from `#fields`, `#path`, `#separator`, `#unset_field`, `#empty_field`."""
    match = re.match(r"#(\w+)", line)
    if match is None:  # `##` comments
        return
    key, rest, sep = match[1], line[match.end() :], layout["separator"]
    # `#separator \x09` (and btest's masked `#open XXXX`) use a space, not the separator.
    value = rest[len(sep) :] if rest.startswith(sep) else rest[1:]
    if key == "separator":
        layout[key] = _separator(value, layout[key])
    elif key == "fields":
        layout[key] = tuple(value.split(sep))
    elif key in ("path", "empty_field", "unset_field"):
        layout[key] = value


def _separator(value: str, current: str) -> str:
    """`\\x09` or a literal character; anything else (empty, `\\x`) keeps the current one."""
    if re.fullmatch(r"\\x[0-9A-Fa-f]{2}", value):
        return chr(int(value[2:], 16))
    return value if len(value) == 1 else current


def _tsv_kind(layout: dict[str, Any]) -> str | None:
    """`#path`, else a guess from the columns (renamed paths such as `open_http`)."""
    fields = layout["fields"]
    if kind := _KINDS.get(layout.get("path", "")):
        return kind
    if "query" in fields:
        return "dns"
    if "server_name" in fields:
        return "tls"
    return "http" if "method" in fields or "uri" in fields else None


def _tsv_fields(seg: pl.DataFrame, layout: dict[str, Any]) -> pl.LazyFrame:
    """The wanted columns by name; a wrong column count or no `#fields` yet makes a line invalid."""
    fields, sep = layout["fields"], layout["separator"]
    line = pl.col("line")
    cells = pl.col("cells")  # the line split once; each wanted column picks its field
    nulls = [layout["unset_field"], layout["empty_field"]]

    def cell(name: str) -> pl.Expr:
        if name not in fields:
            return pl.lit(None, pl.String)
        value = cells.struct.field(f"field_{fields.index(name)}")
        return pl.when(value.is_in(nulls)).then(None).otherwise(value)

    width = max(len(fields), 1)
    # as many cells as fields: a short line leaves the last one null, a long line leaves
    # separators in it (cheaper than counting the separators in a second pass)
    last = cells.struct.field(f"field_{width - 1}")
    count_ok = last.is_not_null() & ~last.str.contains(sep, literal=True)
    return (
        seg.lazy()
        .with_columns(line.str.splitn(sep, width).alias("cells"))
        .select(
            "source_line",
            *(cell(name).alias(name) for name in _WANTED),
            pl.lit(_tsv_kind(layout), pl.String).alias("kind"),
            (pl.lit(bool(fields)) & count_ok).alias("valid"),
        )
        .with_columns(epoch_seconds(pl.col("ts")).alias("ts"))
    )


def _json_fields(chunk: pl.DataFrame) -> pl.DataFrame:
    """Every JSON key wanted, as strings: null when missing, null or not JSON at all.

    Zeek writes dotted keys (`id.orig_h`) as flat names, not nested objects.
    """
    return json_fields(chunk, {key: (key,) for key in _JSON_KEYS})


def _json_kind() -> pl.Expr:
    """`_path` when it names a kind we read, else the keys only that kind has."""

    def has(*keys: str) -> pl.Expr:
        return pl.any_horizontal(pl.col(key).is_not_null() for key in keys)

    by_keys = (
        pl.when(has("query")).then(pl.lit("dns"))
        .when(has("server_name", "ssl_history", "cipher")).then(pl.lit("tls"))
        .when(has("method", "uri", "status_code")).then(pl.lit("http"))
    )  # fmt: skip
    return pl.coalesce(pl.col("_path").replace_strict(_KINDS, default=None), by_keys)


def _host_raw(kind: pl.Expr, connect: pl.Expr) -> pl.Expr:
    """DNS query, TLS SNI, or HTTP Host header, else the authority of an absolute/CONNECT URI."""
    uri = pl.col("uri")
    uri_host = pl.when(uri.str.contains("://", literal=True) | connect).then("url_authority")
    return (
        pl.when(kind == "dns").then(pl.col("query"))
        .when(kind == "tls").then(pl.col("server_name"))
        .when(kind == "http").then(pl.coalesce(pl.col("host"), uri_host))
    )  # fmt: skip


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Map Zeek fields, typed `ts`, `kind` and `valid` onto the event schema, with `ok`."""
    kind, method = pl.col("kind"), pl.col("method")
    dns, http = kind == "dns", kind == "http"
    connect = method.eq_missing("CONNECT")
    status = pl.when(dns).then(pl.col("rcode")).when(http).then(pl.col("status_code"))
    projection = Projection(
        fields={
            "ts": pl.col("ts"),
            "event_kind": kind,
            "client_ip": pl.col("id.orig_h"),
            "user_raw": pl.when(http).then(pl.col("username")),
            "host_raw": _host_raw(kind, connect),
            "port": pl.when(~dns).then(pl.col("id.resp_p")),
            "method": pl.when(dns).then(pl.col("qtype_name")).when(http).then(method),
            "url_path": pl.when(http & ~connect).then(pl.col("url_path")),
            "status": status,
            "action": pl.lit("unknown"),
            "bytes_out": pl.when(http).then(pl.col("request_body_len")),
            "bytes_in": pl.when(http).then(pl.col("response_body_len")),
            "user_agent": pl.when(http).then(pl.col("user_agent")),
        },
        required=("ts", "client_ip", "event_kind"),
        also=pl.col("valid"),
        url=pl.col("uri"),
    )
    return project(raw, projection)
