"""W3C Extended Log File Format: ProxySG/Edge SWG, Microsoft TMG/IIS, Forcepoint exports."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import dash_null, proxy_verdict, query_suffix
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import local_time, unwrapped, with_first_time
from shadowscan.schema import UTC_MICROS

_STATE = "w3c"
#: A field: double-quoted (`""` is a quote inside) or a run of non-blanks; blanks separate.
_TOKEN = r'"(?:[^"]|"")*"|[^ \t]+'
#: Event fields → W3C field names that can carry them, first found wins (lower case).
FIELD_NAMES = {
    "date": ("date", "date-local", "x-date"),
    "time": ("time", "time-local", "x-time"),
    "client_ip": ("c-ip", "c-ip-address"),
    "user": ("cs-username", "cs-userdn", "c-auth-id", "cs-user"),
    "host": ("cs-host", "cs(host)", "r-host", "x-cs-host"),
    "port": ("cs-uri-port", "r-port"),
    "method": ("cs-method", "s-operation"),
    "path": ("cs-uri-path", "cs-uri-stem"),
    "query": ("cs-uri-query",),
    "uri": ("cs-uri", "c-uri", "cs-url"),
    "status": ("sc-status",),
    "filter_result": ("sc-filter-result",),
    "proxy_action": ("s-action", "sc-action", "x-action"),
    "bytes_in": ("sc-bytes",),
    "bytes_out": ("cs-bytes",),
    "user_agent": ("cs(user-agent)", "c-agent", "cs-user-agent"),
}
_EMPTY_LAYOUT: dict[str, Any] = {"fields": (), "tabs": False, "date": None, "offset": None}


class W3cExtended(LogFormat):
    """W3C extended log format, read by its `#Fields:` directive.

    Covers Symantec/Blue Coat ProxySG and Edge SWG access logs, Microsoft TMG and
    IIS, and Forcepoint exports. Columns are found by name, so any field order
    works; a new `#Fields:` line (concatenated or rotated logs) switches the
    layout from there on, and other directives (`#Software`, `#Version`,
    `#Date`) are skipped. Values are blank-separated, quoted when they hold
    blanks; `-` is null. `date`/`time` are UTC by the W3C spec, so they are read
    in `--timezone` (default UTC) unless a `#GMT-Offset` says otherwise; a log
    without a `date` column takes the day of `#Date`. The action comes from
    `sc-filter-result` (DENIED/OBSERVED/PROXIED) or the `s-action` code.

        #Fields: date time time-taken c-ip cs-username cs-auth-group s-supplier-name sc-status \
            s-action cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query ...
        2025-12-01 10:00:00 412 10.0.0.5 alice - chatgpt.com 200 TCP_NC_MISS POST https ...
    """

    name = "w3c"
    replay = b"#"  # #Fields and #Date may come anywhere
    title = "W3C extended log (ProxySG, TMG/IIS, Forcepoint)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        "#Software: SGOS 7.3.16.1",
        "#Version: 1.0",
        "#Date: 2025-12-01 10:00:00",
        "#Fields: date time time-taken c-ip cs-username cs-auth-group s-supplier-name sc-status "
        "s-action cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query "
        "cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes sc-filter-result",
        '2025-12-01 10:00:00 412 10.0.0.5 alice "ACME\\AI Users" chatgpt.com 200 TCP_NC_MISS '
        "POST https chatgpt.com 443 /backend-api/conversation - - "
        '"Mozilla/5.0 (Windows NT 10.0; Win64; x64)" 10.0.0.2 5120 2311 OBSERVED',
        "2025-12-01 10:00:02 0 10.0.0.9 bob - - 403 TCP_DENIED CONNECT tcp claude.ai 443 / - - "
        '"curl/8.5.0" 10.0.0.2 0 517 DENIED',
    )

    def signature(self, head: list[str]) -> bool:
        """A `#Fields:` directive among the first lines (possibly behind a syslog header)."""
        return any("#Fields:" in line for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        """Cut the chunk at directives; each run of data lines uses the layout in force."""
        layout = ctx.state.setdefault(_STATE, dict(_EMPTY_LAYOUT))
        lines = unwrapped(chunk)
        directives = lines.with_row_index("i").filter(pl.col("line").str.starts_with("#"))
        parts, start = [], 0
        for i, line in directives.select("i", "line").iter_rows():
            parts.append(_events(lines.slice(start, i - start), layout, ctx))
            _apply_directive(line, layout)
            start = i + 1
        parts.append(_events(lines.slice(start), layout, ctx))
        return pl.concat(parts).collect()


def _apply_directive(line: str, layout: dict[str, Any]) -> None:
    """Update the layout from `#Fields:`, `#Date:`/`#Start-Date:` and `#GMT-Offset:`."""
    match = re.match(r"#([\w-]+):[ \t]*(.*?)\s*(?://.*)?$", line)
    if match is None:
        return
    key, value = match[1].lower(), match[2]
    if key == "fields":
        layout["fields"] = tuple(name.lower() for name in value.split())
        # ISA/TMG write tab-separated columns whose values hold unquoted blanks.
        layout["tabs"] = "\t" in value
    elif key in ("date", "start-date") and re.match(r"\d{4}-\d\d-\d\d", value):
        layout["date"] = value[:10]
    elif key == "gmt-offset" and (offset := re.fullmatch(r"([+-])(\d\d):?(\d\d)", value)):
        sign = -1 if offset[1] == "-" else 1
        layout["offset"] = sign * (int(offset[2]) * 60 + int(offset[3]))


def _columns(seg: pl.DataFrame, layout: dict[str, Any]) -> pl.LazyFrame:
    """The wanted values by name (null when the layout lacks them) and a `valid` flag."""
    fields = layout["fields"]
    line = pl.col("line")
    split = line.str.split("\t") if layout["tabs"] else line.str.extract_all(_TOKEN)
    # The fields are split once into a column; each wanted value is then one list lookup.
    tokens = seg.lazy().select("source_line", split.alias("tokens"))

    def raw(event_field: str) -> pl.Expr:
        name = next((n for n in FIELD_NAMES[event_field] if n in fields), None)
        if name is None:
            return pl.lit(None, pl.String)
        return pl.col("tokens").list.get(fields.index(name), null_on_oob=True)

    def value(event_field: str) -> pl.Expr:
        text = pl.col(event_field)
        quoted = text.str.starts_with('"') & text.str.ends_with('"') & (text.str.len_chars() > 1)
        inner = text.str.slice(1, text.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
        return dash_null(pl.when(quoted).then(inner).otherwise(text))

    valid = pl.lit(bool(fields)) & (pl.col("tokens").list.len() == len(fields))
    return tokens.select(
        "source_line", *(raw(f).alias(f) for f in FIELD_NAMES), valid.alias("valid")
    ).with_columns(value(f).alias(f) for f in FIELD_NAMES)


def _with_time(raw: pl.LazyFrame, layout: dict[str, Any], ctx: ParseContext) -> pl.LazyFrame:
    """`raw` with `ts`: `date time` (or the `#Date` day and `time`) in `--timezone`, or at
    `#GMT-Offset`; each date shape tried only on the lines the earlier ones left."""
    day = pl.col("date") if layout["date"] is None else pl.col("date").fill_null(layout["date"])
    text = pl.concat_str(day, pl.col("time"), separator=" ")

    def reader(fmt: str):
        def read(text: pl.Expr) -> pl.Expr:
            naive = text.str.to_datetime(fmt, time_unit="us", strict=False)
            if layout["offset"] is None:
                return local_time(naive, ctx)
            utc = naive.dt.replace_time_zone("UTC") - pl.duration(minutes=layout["offset"])
            return utc.cast(UTC_MICROS)

        return read

    formats = ("%Y-%m-%d %H:%M:%S%.f", "%d/%b/%Y %H:%M:%S%.f", "%m/%d/%Y %H:%M:%S%.f")
    return with_first_time(raw, text, [reader(fmt) for fmt in formats], "ts")


def _events(seg: pl.DataFrame, layout: dict[str, Any], ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    # `https://h/p`, or the authority form `h:443` that CONNECT requests log
    absolute = c("uri").str.contains(r"://|^[^/\s]+:\d+$").fill_null(False)
    connect = c("method").eq_missing("CONNECT")
    path = pl.concat_str(c("path"), query_suffix(c("query")))
    projection = Projection(
        fields={
            "ts": c("ts"),
            "event_kind": pl.lit("http"),
            "client_ip": c("client_ip"),
            "user_raw": c("user"),
            "host_raw": pl.coalesce(c("host"), pl.when(absolute | connect).then("url_authority")),
            "port": c("port"),
            "method": c("method"),
            "url_path": pl.when(~connect).then(pl.coalesce(path, c("url_path"))),
            "status": c("status"),
            "action": proxy_verdict(c("filter_result"), c("proxy_action")),
            "bytes_out": c("bytes_out"),
            "bytes_in": c("bytes_in"),
            "user_agent": c("user_agent"),
        },
        also=c("valid"),
        url=c("uri"),
    )
    return project(_with_time(_columns(seg, layout), layout, ctx), projection)
