"""Zscaler Internet Access NSS feeds: web logs (and DNS logs) as JSON or CSV/TSV.

An NSS feed's output format is a template the administrator writes, so field
names vary: they are matched against the names Zscaler's documentation and
the common SIEM templates use (`login` or `user`, `eurl` or `url`, …).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_seconds, quoted_fields
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import local_time, unwrapped

#: Event field → the NSS names it may go by (JSON keys; CSV headers compare lower-cased).
_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("time", "datetime"),
    "epoch": ("epochtime",),
    "user": ("login", "user", "elogin"),
    "url": ("eurl", "url"),
    "host": ("ehost", "host", "hostname"),
    "method": ("reqmethod", "requestmethod"),
    "status": ("respcode", "status", "statuscode"),
    "bytes_out": ("reqsize", "requestsize"),
    "bytes_in": ("respsize", "responsesize"),
    "client": ("cip", "clientip", "ClientIP", "clt_sip", "csip"),
    "ua": ("ua", "useragent"),
    "dns_name": ("dns_req", "req"),
    "dns_type": ("dns_reqtype", "reqtype"),
}
#: Verdict fields: web `action`, DNS request/response actions.
_VERDICTS = ("action", "reqaction", "resaction")
#: Feeds read; the others (firewall, audit, CASB, tunnel, …) are skipped.
_FEEDS = {"zscalernss-web": "http", "zscalernss-dns": "dns"}
#: Zscaler's documented sample web feed (`"%s{time}","%s{login}",…`), when no header names one.
_SAMPLE_LAYOUT = (
    "time", "login", "proto", "eurl", "action", "appname", "appclass", "reqsize", "respsize",
    "stime", "ctime", "urlclass", "urlsupercat", "urlcat", "malwarecat", "threatname",
    "riskscore", "dlpeng", "dlpdict", "location", "dept", "cip", "sip", "reqmethod", "respcode",
    "ua", "ereferer", "ruletype", "rulelabel", "contenttype", "unscannabletype", "deviceowner",
    "devicehostname", "keyprotectiontype",
)  # fmt: skip
_NULLS = ["", "None", "NA", "N/A"]
_STATE = "zscaler"
_NSS_TIME = r'^"?[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \d{4}"?[,\t]'
_KNOWN = {alias.lower() for aliases in _ALIASES.values() for alias in aliases} | set(_VERDICTS)


class ZscalerNss(LogFormat):
    """Zscaler (ZIA) NSS web feed, as JSON or as CSV/TSV; DNS feed records too.

    JSON: `{ "sourcetype" : "zscalernss-web", "event" :{…}}`, every value a
    string; `zscalernss-dns` records are DNS events, other feeds (firewall,
    audit, CASB, tunnel) are skipped. CSV or TSV: a header row names the
    columns (a new header switches the layout); before any header, the layout
    of Zscaler's sample web feed (`time,login,proto,eurl,action,…`) is
    assumed. Fields: `time`/`datetime` (`Fri Dec 31 07:07:07 2021` or
    `2023-08-28 15:43:14`, no zone: read in `--timezone`) or `epochtime`;
    `login`/`user`; `eurl`/`url` (often without scheme: `chatgpt.com:443`,
    `chatgpt.com/c/1`) else `host`/`hostname`; `reqmethod`; `respcode`;
    `reqsize` (bytes out); `respsize` (bytes in); `action` (Allowed/Blocked);
    `cip`/`ClientIP`; `ua`/`useragent`. DNS: `dns_req`/`req`, `dns_reqtype`,
    `clt_sip`, `reqaction`/`resaction`. `None`/`NA` are nulls; user names and
    User-Agents are URL-decoded (`Financial%20Dept`), URLs are left as logged.
    `appname`/`appclass` have no field in the event schema and are not read.

        { "sourcetype" : "zscalernss-web", "event" :{"time":"Mon Dec  1 10:00:00 2025",\
"login":"alice@acme.example","eurl":"chatgpt.com/backend-api/conversation","action":"Allowed",…}}

    (one line; broken here for width).
    """

    name = "zscaler"
    replay = b""  # a CSV/TSV feed's header row
    title = "Zscaler NSS web feed (JSON, CSV, TSV)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        '{ "sourcetype" : "zscalernss-web", "event" :{"time":"Mon Dec  1 10:00:00 2025",'
        '"login":"alice@acme.example","proto":"HTTPS","eurl":"chatgpt.com/backend-api/'
        'conversation","action":"Allowed","appname":"ChatGPT","appclass":"Generative AI",'
        '"reqsize":"1830","respsize":"48211","cip":"10.0.0.5","reqmethod":"POST",'
        '"respcode":"200","ua":"Mozilla/5.0%20(Windows%20NT%2010.0)","dept":"Sales%20EMEA"}}',
        '{ "sourcetype" : "zscalernss-web", "event" :{"time":"Mon Dec  1 10:00:03 2025",'
        '"login":"bob@acme.example","proto":"HTTP_PROXY","eurl":"claude.ai:443",'
        '"action":"Blocked","appname":"Claude","appclass":"Generative AI","reqsize":"512",'
        '"respsize":"65","cip":"10.0.0.7","reqmethod":"CONNECT","respcode":"403","ua":"curl/8.5.0"}}',
        '{ "sourcetype" : "zscalernss-dns", "event" :{"datetime":"Mon Dec  1 10:00:04 2025",'
        '"user":"carol@acme.example","dns_req":"gemini.google.com","dns_reqtype":"A",'
        '"clt_sip":"10.0.0.9","reqaction":"Allow","resaction":"Allow"}}',
    )

    def signature(self, head: list[str]) -> bool:
        """An NSS JSON record, an NSS time first, or a header row of NSS field names."""
        return any(
            '"zscalernss-' in line or re.match(_NSS_TIME, line) or _header(line) is not None
            for line in head[:10]
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        lines = unwrapped(chunk)
        is_json = pl.col("line").str.strip_chars_start().str.starts_with("{")
        parts = [_json_fields(lines.filter(is_json))]
        parts += _text_fields(lines.filter(~is_json), ctx)
        fields = pl.concat(parts, how="diagonal_relaxed")
        events = _events(fields.lazy(), ctx).collect().sort("source_line")
        return _decoded(_decoded(events, "user_raw"), "user_agent")


def _header(line: str) -> tuple[str, tuple[str, ...]] | None:
    """(separator, field names) when the line is a header row naming NSS fields."""
    sep = "\t" if "\t" in line else ","
    names = tuple(cell.strip().strip('"').strip() for cell in line.split(sep))
    known = sum(name.lower() in _KNOWN for name in names)
    plain = all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in names)
    return (sep, names) if plain and known >= 3 else None


def _json_fields(rows: pl.DataFrame) -> pl.DataFrame:
    """The canonical columns of JSON records (`sourcetype` and the `event` object's keys)."""
    keys = {alias for aliases in _ALIASES.values() for alias in aliases} | set(_VERDICTS)
    paths: dict[str, JsonPath] = {key: ("event", key) for key in sorted(keys)}
    raw = json_fields(rows, {**paths, "sourcetype": ("sourcetype",)})
    return pl.concat(
        [rows.select("source_line"), raw.select(*_canonical(set(paths)), "sourcetype")],
        how="horizontal",
    ).with_columns(pl.lit(True).alias("valid"))


def _canonical(present: set[str], lower: bool = False) -> list[pl.Expr]:
    """One column per event field: the first alias present; verdict fields as they are."""

    def col(name: str) -> pl.Expr:
        return pl.col(name.lower() if lower else name)

    def available(names: tuple[str, ...]) -> list[str]:
        return [n for n in names if (n.lower() if lower else n) in present]

    columns = [
        (pl.coalesce(col(n) for n in found) if (found := available(aliases)) else pl.lit(None))
        .cast(pl.String)
        .alias(field)
        for field, aliases in _ALIASES.items()
    ]
    verdicts = [
        (col(n) if available((n,)) else pl.lit(None)).cast(pl.String).alias(n) for n in _VERDICTS
    ]
    return columns + verdicts


def _text_fields(rows: pl.DataFrame, ctx: ParseContext) -> list[pl.DataFrame]:
    """CSV/TSV lines cut at header rows; each run is read with the layout in force."""
    layout = ctx.state.setdefault(_STATE, {"sep": ",", "names": _SAMPLE_LAYOUT, "sample": True})
    # A header starts with a name and, unlike any timed record, holds no `:`.
    line = pl.col("line")
    named = line.str.contains(r'^"?[A-Za-z_]') & ~line.str.contains(":", literal=True)
    candidates = rows.with_row_index("i").filter(named)
    parts, start = [], 0
    for i, line in candidates.select("i", "line").iter_rows():
        if (header := _header(line)) is None:
            continue
        parts.append(_csv_fields(rows.slice(start, i - start), layout))
        layout.update(sep=header[0], names=header[1], sample=False)
        start = i + 1
    parts.append(_csv_fields(rows.slice(start), layout))
    return parts


def _csv_fields(rows: pl.DataFrame, layout: dict) -> pl.DataFrame:
    """Canonical columns of one run of CSV/TSV lines; `valid` when the column count fits."""
    names = [name.lower() for name in layout["names"]]
    cells = quoted_fields(rows.get_column("line").str.strip_chars(), len(names) + 1, layout["sep"])
    cells = cells.rename({f"c{i}": name for i, name in enumerate(names)})
    # The sample layout's last field (`keyprotectiontype`) is recent: older feeds stop before it.
    fits = (pl.col("n") == len(names)) | (layout["sample"] & (pl.col("n") == len(names) - 1))
    return pl.concat(
        [
            rows.select("source_line"),
            cells.select(*_canonical(set(names), lower=True), fits.alias("valid")),
        ],
        how="horizontal",
    )


def _time(ctx: ParseContext) -> pl.Expr:
    """`Mon Dec  1 10:00:00 2025` or `2025-12-01 10:00:00` in `--timezone`, or epoch seconds.

    The weekday is dropped unread: a wrong one (seen in test feeds) must not lose the line.
    """
    text = pl.col("time").str.replace_all(r"\s+", " ").str.strip_chars()
    dated = text.str.replace(r"^[A-Za-z]{3} ([A-Za-z]{3} )", "$1")
    nss = dated.str.to_datetime("%b %d %H:%M:%S %Y", time_unit="us", strict=False)
    iso = text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False)
    return pl.coalesce(local_time(pl.coalesce(nss, iso), ctx), epoch_seconds(pl.col("epoch")))


def _kind() -> pl.Expr:
    """The feed's kind from `sourcetype`, else from the fields (URL or host: web; query: DNS)."""
    feed = pl.col("sourcetype").str.to_lowercase()
    by_fields = (
        pl.when(pl.any_horizontal(pl.col("url", "host").is_not_null())).then(pl.lit("http"))
        .when(pl.col("dns_name").is_not_null()).then(pl.lit("dns"))
    )  # fmt: skip
    return (
        pl.when(feed.is_null()).then(by_fields).otherwise(feed.replace_strict(_FEEDS, default=None))
    )


def _action() -> pl.Expr:
    """Blocked if any verdict field blocks, else allowed if one allows, else unknown."""
    verdicts = [pl.col(n).str.to_lowercase() for n in _VERDICTS]
    block = pl.any_horizontal(v.str.contains("block|drop|deny") for v in verdicts)
    allow = pl.any_horizontal(v.str.contains("allow") for v in verdicts)
    return (
        pl.when(block.fill_null(False)).then(pl.lit("blocked"))
        .when(allow.fill_null(False)).then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip


def _events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    """Map canonical columns onto the event schema; other feeds are skipped."""
    text = [n for n in (*_ALIASES, *_VERDICTS) if n not in ("time", "epoch")]
    raw = raw.with_columns(
        pl.when(pl.col(n).str.strip_chars().is_in(_NULLS)).then(None).otherwise(pl.col(n)).alias(n)
        for n in text
    ).with_columns(_kind().alias("kind"))
    other_feed = pl.col("sourcetype").is_not_null() & pl.col("kind").is_null()
    kind = pl.col("kind")
    dns, http = kind == "dns", kind == "http"
    connect = pl.col("method").eq_missing("CONNECT")
    projection = Projection(
        fields={
            "ts": _time(ctx),
            "event_kind": kind,
            "client_ip": pl.col("client"),
            "user_raw": pl.col("user"),
            "host_raw": pl.when(dns)
            .then(pl.col("dns_name"))
            .otherwise(pl.coalesce("url_authority", "host")),
            "method": pl.when(dns).then(pl.col("dns_type")).otherwise(pl.col("method")),
            "url_path": pl.when(http & ~connect).then(pl.col("url_path")),
            "status": pl.when(http).then(pl.col("status")),
            "action": _action(),
            "bytes_out": pl.when(http).then(pl.col("bytes_out")),
            "bytes_in": pl.when(http).then(pl.col("bytes_in")),
            "user_agent": pl.when(http).then(pl.col("ua")),
        },
        required=("ts", "event_kind"),
        any_of=("client_ip", "user_raw"),  # someone
        also=pl.col("valid"),
        url=pl.col("url"),
    )
    return project(raw.filter(~other_feed), projection)


def _decoded(events: pl.DataFrame, column: str) -> pl.DataFrame:
    """URL-decode a display column (`Financial%20Dept`), once per distinct encoded value."""
    values = events.get_column(column)
    encoded = values.filter(values.str.contains("%", literal=True)).unique().to_list()
    if not encoded:
        return events
    mapping = {value: unquote(value) for value in encoded}
    return events.with_columns(pl.col(column).replace(mapping))
