"""Any CSV or JSON-lines log, read through a column mapping the user gives (`--map`).

Exports from devices shadowscan has no parser for (a firewall's "report as
CSV", a SIEM search saved as JSON lines) still say when, who and where to:
the user names the columns that say so, on the command line
(`--map ts=Time,host=Domain,user=User,client_ip=Src`) or in a small TOML
file of the same `field = "Column"` pairs. `mapping.load_mapping` reads either and
`MappedFormat` is the parser it configures; `check` tells, from a file's first
lines, why a mapping cannot read that file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import dash_null, epoch_any, quoted_fields, verdict
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.mapping import FIELDS, Mapping, is_aware
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import iso_time, local_time

#: Separators sniffed from a CSV header row; the first wins a tie.
SEPARATORS = (",", "\t", ";", "|")
#: Mapped field → the event field it lets the format fill (beyond time and host).
_FILLS = {field: field for field in FIELDS[3:]} | {"url": "url_path"}
#: Mapped fields that make the events web requests rather than flows.
_HTTP = {"url", "method", "url_path"}
_STATE = "mapped"
#: What `ctx.state` keeps for a JSON-lines file; a CSV file's is its header `_Layout`.
_JSON = "json"
#: A quoted CSV field; a doubled `""` inside splits it in two, which leaves the count alone.
_QUOTED = r'"[^"]*"'
#: A column name that names the same key in JSON read flat (`{"source.ip": …}`).
_FLAT = "\x00flat"
#: Columns listed at most in a `check` message.
_LISTED = 40


@dataclass(frozen=True)
class _Layout:
    """A CSV header row: the line as written, its separator and column names."""

    header: str
    separator: str
    names: tuple[str, ...]

    @property
    def index(self) -> dict[str, int]:
        """Column name (case and surrounding spaces ignored) → position; the first wins."""
        index: dict[str, int] = {}
        for i, name in enumerate(self.names):
            index.setdefault(_key(name), i)
        return index


class MappedFormat(LogFormat):
    """CSV (with a header row) or JSON lines, read through a column mapping (`--map`).

    A mapping names the column holding each event field, on the command line
    (`--map ts=Time,host=Domain,user=User,client_ip=Src`) or in a TOML file of
    the same pairs. Fields: `ts` and `host` or `url` (a full URL: host and
    path) are required; `user`, `client_ip`, `method`, `url_path`, `status`,
    `action` (words such as Allow, Deny, Blocked), `bytes_out`, `bytes_in`,
    `user_agent` and `port` are optional. A TOML file may also set
    `time_format` (a strftime pattern such as `%d/%m/%Y %H:%M:%S`, its naive
    times read in `--timezone`; without it times are ISO 8601, with or without
    a zone, `YYYY-MM-DD HH:MM:SS[.f]` or epoch seconds, ms, µs or ns),
    `separator` (else sniffed from the header among `,` tab `;` `|`) and
    `event_kind` (else `http` when a URL, method or path is mapped, `flow`
    otherwise).

    CSV: the first line is the header; column names compare without regard to
    case or surrounding spaces; the header repeated further on (as when
    exports are concatenated), or another header naming every mapped column,
    is skipped and its layout used from there. A row whose field count differs
    from the header's is rejected. JSON lines (lines starting with `{`): a
    column is a key or a dotted path to a nested one (`source.ip`), also read
    as a flat key of that name. A row without a readable time or host is
    rejected; `-` and empty values are nulls.

        Time,Source IP,User,Domain,Bytes Sent,Bytes Received,Action
        2025-12-01 10:00:00,10.0.0.5,alice,chatgpt.com,1830,48211,Allow
    """

    name = "mapped"
    title = "CSV or JSON lines read through a column mapping (--map)"
    samples = ()
    replay = b""  # a CSV file's header row

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.fills = tuple(dict.fromkeys(_FILLS[f] for f in mapping.columns if f in _FILLS))
        self.kind = mapping.event_kind or ("http" if _HTTP & set(mapping.columns) else "flow")
        fmt = mapping.time_format
        self._aware = fmt is not None and is_aware(fmt)

    def signature(self, head: list[str]) -> bool:
        """The mapping can read the file: see `check`."""
        return self.check(head) is None

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        return self._events(self._fields(chunk, ctx), ctx)

    def check(self, head: list[str]) -> str | None:
        """Why this mapping cannot read a file whose first non-blank lines are `head`, or None."""
        lines = [line.rstrip("\r\n").removeprefix("\ufeff") for line in head if line.strip()]
        if not lines:
            return None
        if lines[0].lstrip().startswith("{"):
            reason = self._check_json(lines)
        else:
            reason = self._check_header(self._layout(lines[0]))
        return reason or self._check_rows(lines)

    # --- reading fields ------------------------------------------------------------------

    def _fields(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        """`source_line`, each mapped field's text (null when unmapped) and `valid`.

        The first line the parser sees of a file tells JSON lines (`{`) from CSV,
        whose header row it is; `ctx.state` keeps either for the later chunks.
        """
        line = pl.col("line")
        if chunk.height == 0:
            return _fields_frame(chunk.select("source_line"), {}, pl.lit(True))
        if chunk.select(line.str.ends_with("\r").any()).item():
            chunk = chunk.with_columns(line.str.strip_chars_end("\r"))  # a copy: only if needed
        if _STATE not in ctx.state:
            first = chunk.item(0, "line")
            ctx.state[_STATE] = _JSON if first.lstrip().startswith("{") else self._layout(first)
            if ctx.state[_STATE] is not _JSON:
                chunk = chunk.slice(1)
        if ctx.state[_STATE] is _JSON:
            return self._json_fields(chunk)
        return pl.concat(self._csv_fields(chunk, ctx))

    def _json_fields(self, rows: pl.DataFrame) -> pl.DataFrame:
        paths: dict[str, JsonPath] = {}
        for field, column in self.mapping.columns.items():
            paths[field] = tuple(column.split("."))
            if "." in column:
                paths[field + _FLAT] = (column,)
        # A key holding `'` or `\` has no JSONPath for json_fields' line-by-line fallback.
        paths = {n: p for n, p in paths.items() if not any(re.search(r"['\\]", k) for k in p)}
        if not paths:
            return _fields_frame(rows.select("source_line"), {}, pl.lit(True))
        raw = pl.concat([json_fields(rows, layer) for layer in _layers(paths)], how="horizontal")
        values = {
            field: pl.coalesce(field, field + _FLAT)
            if field + _FLAT in raw.columns
            else pl.col(field)
            for field in self.mapping.columns
            if field in raw.columns
        }
        source = pl.concat([rows.select("source_line"), raw], how="horizontal")
        return _fields_frame(source, values, pl.lit(True))

    def _csv_fields(self, rows: pl.DataFrame, ctx: ParseContext) -> list[pl.DataFrame]:
        """Each run of CSV rows read with the header in force; header rows are dropped."""
        layout = ctx.state[_STATE]
        parts, start = [], 0
        for i, text in self._header_candidates(rows, layout).iter_rows():
            new = layout if text == layout.header else self._layout(text)
            if new is not layout and self._check_header(new) is not None:
                continue  # a row that merely mentions the column names
            parts.append(self._csv_run(rows.slice(start, i - start), layout))
            layout = ctx.state[_STATE] = new
            start = i + 1
        parts.append(self._csv_run(rows.slice(start), layout))
        return parts

    def _header_candidates(self, rows: pl.DataFrame, layout: _Layout) -> pl.DataFrame:
        """(`i`, `line`) of rows that may be a header: the header again, or rows naming every
        mapped column. A cheap test on every row narrows the costlier one to a few."""
        line = pl.col("line")
        names = [re.escape(column) for column in dict.fromkeys(self.mapping.columns.values())]
        named = line.str.contains("(?i)" + names[0])
        narrowed = rows.with_row_index("i").filter((line == layout.header) | named)
        if narrowed.height == 0:
            return narrowed.select("i", "line")
        every = pl.all_horizontal(line.str.contains("(?i)" + name) for name in names)
        return narrowed.filter((line == layout.header) | every).select("i", "line")

    def _csv_run(self, rows: pl.DataFrame, layout: _Layout) -> pl.DataFrame:
        index = layout.index
        positions = {f: index.get(_key(c)) for f, c in self.mapping.columns.items()}
        found = {f: p for f, p in positions.items() if p is not None}
        cells = _cells(rows.get_column("line"), max(found.values(), default=0) + 1, layout)
        count = _field_count(rows.get_column("line"), layout.separator)
        source = pl.concat([rows.select("source_line"), cells], how="horizontal")
        values = {field: pl.col(f"c{p}") for field, p in found.items()}
        return _fields_frame(
            source.with_columns(_n=count), values, pl.col("_n") == len(layout.names)
        )

    def _layout(self, line: str) -> _Layout:
        """The layout a header row gives: its separator (the mapping's or sniffed) and names."""
        line = line.rstrip("\r").removeprefix("\ufeff")
        separator = self.mapping.separator or _sniff(line)
        width = int(_field_count(pl.Series([line]), separator)[0])
        cells = _cells(pl.Series([line]), width, _Layout(line, separator, ()))
        names = tuple((cell or "").strip() for cell in cells.row(0))
        return _Layout(line, separator, names)

    # --- events --------------------------------------------------------------------------

    def _events(self, fields: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        c = pl.col
        # The mapped `url_path` is read as `path`: the projection's URL split writes `url_path`.
        clean = fields.lazy().with_columns(
            dash_null(c(f).str.strip_chars()).alias("path" if f == "url_path" else f)
            for f in FIELDS
        )
        connect = c("method").str.to_uppercase().eq_missing("CONNECT")
        action = verdict(c("action")) if "action" in self.mapping.columns else pl.lit("unknown")
        projection = Projection(
            fields={
                "ts": self._time(c("ts"), ctx),
                "event_kind": pl.lit(self.kind),
                "client_ip": c("client_ip"),
                "user_raw": c("user"),
                "host_raw": pl.coalesce(c("host"), c("url_authority")),
                "port": c("port"),
                "method": c("method"),
                "url_path": pl.coalesce(c("path"), pl.when(~connect).then(c("url_path"))),
                "status": c("status"),
                "action": action,
                "bytes_out": c("bytes_out"),
                "bytes_in": c("bytes_in"),
                "user_agent": c("user_agent"),
            },
            required=("ts", "host_raw"),
            also=c("valid"),
            url=c("url"),
        )
        return project(clean, projection).collect()

    def _time(self, text: pl.Expr, ctx: ParseContext) -> pl.Expr:
        """The time column as UTC: by `time_format`, else ISO 8601 or epoch by magnitude."""
        if self.mapping.time_format is None:
            iso = iso_time(text.str.replace(r"^(\d{4}-\d\d-\d\d) ", "${1}T"), ctx)
            return pl.coalesce(iso, epoch_any(text))
        read = text.str.to_datetime(self.mapping.time_format, time_unit="us", strict=False)
        return read.dt.convert_time_zone("UTC") if self._aware else local_time(read, ctx)

    # --- check ---------------------------------------------------------------------------

    def _check_header(self, layout: _Layout) -> str | None:
        if len(layout.names) < 2:
            sep = self.mapping.separator
            which = "no ',' tab ';' or '|'" if sep is None else f"no {_shown(sep)}"
            return (
                f"its first line, {_clip(layout.header)!r}, is neither a JSON object nor a CSV "
                f"header row ({which} separates column names in it)"
            )
        index = layout.index
        missing = [c for c in dict.fromkeys(self.mapping.columns.values()) if _key(c) not in index]
        if not missing:
            return None
        named = _joined(missing)
        which = "column" if len(missing) == 1 else "columns"
        return (
            f"the mapping names the {which} {named}, which this file's header does not have; "
            f"its columns are: {_listed(layout.names)}"
        )

    def _check_json(self, lines: list[str]) -> str | None:
        records = [r for r in map(_json_object, lines) if r is not None]
        if not records:
            return "its first line starts like JSON, but none of its first lines is a JSON object"
        columns = dict.fromkeys(self.mapping.columns.values())
        missing = [c for c in columns if not any(_has_path(r, c) for r in records)]
        if not missing:
            return None
        keys = dict.fromkeys(str(key) for record in records for key in record)
        which = "key" if len(missing) == 1 else "keys"
        return (
            f"the mapping names the {which} {_joined(missing)}, which none of this file's first "
            f"JSON records has; their top-level keys are: {_listed(tuple(keys))}"
        )

    def _check_rows(self, lines: list[str]) -> str | None:
        """Why no row of the head is an event (time, host or field count), if none is."""
        chunk = pl.DataFrame(
            {"source_line": range(1, len(lines) + 1), "line": lines},
            schema={"source_line": pl.Int64, "line": pl.String},
        )
        ctx = ParseContext()
        fields = self._fields(chunk, ctx)
        out = self._events(fields, ctx)
        if out.height == 0 or out["ok"].any():
            return None
        columns, valid = self.mapping.columns, fields["valid"]
        if not valid.any():
            width = len(ctx.state[_STATE].names)
            return f"none of its first rows has the {width} fields of its header row"
        if out.filter(valid)["ts"].is_null().all():
            first = fields.filter(valid)["ts"].drop_nulls()
            value = f" (the first: {_clip(first[0])!r})" if first.len() else ""
            if self.mapping.time_format is None:
                how, fix = "ISO 8601 or epoch", "set time_format to its strftime pattern"
            else:
                how, fix = repr(self.mapping.time_format), "check time_format"
            return (
                f"the column {columns['ts']!r} holds no time the mapping can read as {how} "
                f"in the first lines{value}; {fix}"
            )
        where = " or ".join(repr(columns[f]) for f in ("host", "url") if f in columns)
        return f"no row in the first lines has a host in {where}"


def _fields_frame(source: pl.DataFrame, values: dict[str, pl.Expr], valid: pl.Expr) -> pl.DataFrame:
    """`source_line`, every mapped field as text (null when unmapped or absent), `valid`."""
    return source.select(
        "source_line",
        *(values.get(f, pl.lit(None)).cast(pl.String).alias(f) for f in FIELDS),
        valid.alias("valid"),
    )


def _layers(paths: dict[str, JsonPath]) -> list[dict[str, JsonPath]]:
    """Paths grouped so no group holds a key and a key inside it (`source` and
    `source.ip`): one bulk read cannot give an object both as text and as keys."""
    layers: list[dict[str, JsonPath]] = []
    for name, path in sorted(paths.items(), key=lambda item: -len(item[1])):
        for layer in layers:
            if not any(_inside(path, p) or _inside(p, path) for p in layer.values()):
                layer[name] = path
                break
        else:
            layers.append({name: path})
    return layers or [{}]


def _inside(outer: JsonPath, inner: JsonPath) -> bool:
    return len(outer) < len(inner) and inner[: len(outer)] == outer


def _cells(lines: pl.Series, width: int, layout: _Layout) -> pl.DataFrame:
    """The first `width` fields `c0`… of CSV lines, one row per line."""
    return quoted_fields(lines, width, layout.separator).drop("n")


def _field_count(lines: pl.Series, separator: str) -> pl.Series:
    """How many fields each CSV line has: separators outside quotes, plus one."""
    quoted = lines.str.contains('"', literal=True).any()
    bare = lines.str.replace_all(_QUOTED, "") if quoted else lines
    return (bare.str.count_matches(separator, literal=True) + 1).cast(pl.Int64)


def _sniff(header: str) -> str:
    """The separator occurring most often outside quotes in a header row (`,` if none)."""
    bare = re.sub(_QUOTED, "", header)
    return max(SEPARATORS, key=lambda s: (bare.count(s), -SEPARATORS.index(s)))


def _key(name: str) -> str:
    return name.strip().lower()


def _json_object(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _has_path(record: dict, column: str) -> bool:
    """Whether `record` holds `column`, as a flat key or as a dotted path to a nested one."""
    if column in record:
        return True
    node: Any = record
    for key in column.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _joined(names: list[str]) -> str:
    """`'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`."""
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _listed(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown + (f", … ({len(names)} in all)" if len(names) > _LISTED else "")


def _shown(separator: str) -> str:
    return "tab" if separator == "\t" else repr(separator)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
