"""ArcSight CEF and IBM QRadar LEEF: the two pipe-headed SIEM formats many gateways emit."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import (
    dash_null,
    epoch_any,
    kv,
    mark_keys,
    verdict,
)
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import iso_time, local_time, strip_syslog, with_syslog_time
from shadowscan.schema import UTC_MICROS

_HEADER_FIELDS = ("vendor", "product", "device_version", "class_id", "event_name", "severity")
#: `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|extension`; some relays drop `CEF:`.
_CEF_HEADER = (  # matched as a prefix only: the extension is what follows it
    r"(?P<head>(?:^\s*|CEF:\s*)(?P<version>\d+)\|"
    + "".join(rf"(?P<{name}>(?:[^|\\]|\\.)*)\|" for name in _HEADER_FIELDS)
    + ")"
)
_CEF_KEYS = (
    "rt", "start", "end", "dtz", "src", "c6a2", "suser", "duser", "dhost",
    "destinationDnsDomain", "dst", "c6a3", "dpt", "request", "requestMethod", "in", "out", "act",
    "requestClientApplication", "cat", "eventtime", "FTNTFGTeventtime",
    "FortinetFortiGateeventtime", "ad.eventtime", "FTNTFGThostname", "FortinetFortiGatehostname",
    "FTNTFGTqname", "FortinetFortiGateqname", "FTNTFGTqtype",
)  # fmt: skip
#: `csNLabel` values that say `csN` holds the destination host (Forcepoint, Check Point exports).
_HOST_LABELS = ["host", "hostname", "host name", "dhost", "destination host", "domain", "url host"]
_UTC_NAMES = ["UTC", "GMT", "Etc/UTC", "Z", "+00:00", "+0000"]


class CefEvents(LogFormat):
    r"""ArcSight Common Event Format (CEF) from web gateways and firewalls.

    `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|key=value …`, possibly
    behind a syslog header; header fields escape `\|`, extension values run to
    the next ` key=` (so they may hold spaces) and escape `\=`. Read: `rt`
    (epoch ms, `MMM dd yyyy HH:mm:ss` — naive times in `--timezone` unless
    `dtz=UTC` — or ISO), `src`, `suser` (else `duser`, where FortiGate puts its
    user; Forcepoint's `LDAP://…/name` paths keep the name), `dhost`, vendor host
    keys (`FTNTFGThostname`, `FTNTFGTqname`, a `csN` whose `csNLabel` says host),
    the `request` URL, `dpt`, `requestMethod`, `act`, `requestClientApplication`,
    and `out`/`in` as upload/download: the reading FortiGate, Forcepoint and Palo
    Alto document, the reverse of ArcSight's dictionary. Palo Alto records other
    than TRAFFIC and URL-filtering THREAT, FortiGate records other than traffic,
    web filter and DNS, and records with no destination at all are skipped.

        CEF:0|Forcepoint|Security|8.5.5|84|Transaction permitted|1| act=permitted \
            dhost=chatgpt.com dpt=443 src=10.0.0.5 suser=alice rt=1764583200000 ...
    """

    name = "cef"
    title = "CEF (Common Event Format)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "action", "bytes_out", "bytes_in",
        "user_agent",
    )  # fmt: skip
    samples = (
        "<134>Dec  1 10:00:00 wcg1 CEF:0|Forcepoint|Security|8.5.5|84|Transaction permitted|1| "
        "act=permitted app=https dvc=10.0.0.1 dst=104.18.32.47 dhost=chatgpt.com dpt=443 "
        "src=10.0.0.5 spt=50345 suser=LDAP://dc1 OU\\=Users,DC\\=acme,DC\\=local/alice "
        "rt=1764583200000 in=5120 out=2311 requestMethod=POST "
        "requestClientApplication=Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
        "cs1Label=Policy cs1=Default request=https://chatgpt.com/backend-api/conversation",
        "CEF:0|Palo Alto Networks|LF|2.0|TRAFFIC|end|3|dtz=UTC rt=Dec 01 2025 10:00:05 "
        "src=10.0.0.9 dst=160.79.104.10 suser=ACME\\\\bob dpt=443 proto=tcp act=allow "
        "out=1804 in=9342 app=claude-base cs2=artificial-intelligence cs2Label=URLCategory",
        "CEF:0|Fortinet|Fortigate|v7.2.8|13056|utm:webfilter ftgd_blk blocked|4|"
        "FTNTFGTeventtime=1764583207 cat=utm:webfilter duser=carol src=10.0.0.12 dpt=443 "
        "dhost=gemini.google.com act=blocked request=/app out=96 in=0",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line has `CEF:` or a bare `0|Vendor|Product|` header."""
        return any("CEF:" in line or _bare_header(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        # Header and marked extension materialised once: every key reads the same text.
        frame = (
            strip_syslog(chunk)
            .with_columns(pl.col("msg").str.extract_groups(_CEF_HEADER).alias("header"))
            .with_columns(_extension(pl.col("msg"), pl.col("header").struct.field("head")))
        )
        header, ext = pl.col("header").struct, pl.col("ext")
        raw = frame.lazy().select(
            "source_line",
            "syslog_time",
            header.field("version").is_not_null().alias("valid"),
            *(_unescape(header.field(k)).alias(k) for k in ("vendor", "class_id", "event_name")),
            *(_cef_value(ext, key).alias(key) for key in _CEF_KEYS),
            _labelled_host(ext, frame).alias("label_host"),
        )
        keep = _cef_keep()
        raw = with_syslog_time(raw.filter(keep), pl.col("syslog_time"), ctx, "syslog_ts")
        return _cef_events(raw, ctx).collect()


def _bare_header(line: str) -> bool:
    """`0|Forcepoint|Security|8.5.4|…`: a CEF header whose `CEF:` a relay dropped."""
    parts = line.strip().split("|", 7)
    return len(parts) == 8 and parts[0] in ("0", "1") and all(parts[1:3])


def _unescape(value: pl.Expr) -> pl.Expr:
    r"""CEF escapes: `\|`, `\=`, `\\` (and `\n` left as is)."""
    return value.str.replace_all(r"\\([|=\\])", "${1}")


def _extension(msg: pl.Expr, header: pl.Expr) -> pl.Expr:
    r"""What follows the header, keys marked, then unescaped once (no `\=` is a key any more)."""
    ext = msg.str.slice(msg.str.find(_CEF_HEADER) + header.str.len_chars())
    return _unescape(mark_keys(ext)).alias("ext")


def _cef_value(ext: pl.Expr, key: str) -> pl.Expr:
    """A value of an already unescaped extension; blank or `-` is null."""
    return dash_null(kv(ext, key).str.strip_chars(" "))


def _labelled_host(ext: pl.Expr, frame: pl.DataFrame) -> pl.Expr:
    """The `csN` value whose `csNLabel` names a host, when the chunk has such labels at all."""
    pattern = r"(?i)cs\dLabel=(?:" + "|".join(_HOST_LABELS) + ")"
    if not frame.height or not frame.select(pl.col("msg").str.contains(pattern).any()).item():
        return pl.lit(None, pl.String)
    hosts = [
        pl.when(_cef_value(ext, f"cs{n}Label").str.to_lowercase().is_in(_HOST_LABELS)).then(
            _cef_value(ext, f"cs{n}")
        )
        for n in range(1, 7)
    ]
    return pl.coalesce(hosts)


def _cef_keep() -> pl.Expr:
    """Lines that are not CEF (rejected) and the vendor records that are traffic."""
    vendor, c = pl.col("vendor"), pl.col
    palo = (c("class_id") == "TRAFFIC") | ((c("class_id") == "THREAT") & (c("event_name") == "url"))
    category = pl.coalesce(c("cat"), c("event_name"))  # `traffic:forward close` names it too
    forti = category.str.contains(r"^(?:traffic|dns|utm:webfilter|utm:dns)").fill_null(False)
    anywhere = pl.any_horizontal(
        c(k).is_not_null()
        for k in ("dst", "c6a3", "dhost", "request", "dpt", "FTNTFGTqname", "label_host")
    )
    return (
        ~c("valid")
        | pl.when(vendor == "Palo Alto Networks").then(palo)
        .when(vendor == "Fortinet").then(forti)
        .otherwise(anywhere)
    )  # fmt: skip


def _cef_time(text: pl.Expr, dtz: pl.Expr, ctx: ParseContext) -> pl.Expr:
    """`rt`-style times: epoch (s/ms/µs/ns), ISO 8601, or `MMM dd yyyy HH:mm:ss[.SSS] [zone]`."""
    named = text.str.extract(r"^([A-Z][a-z]{2} \d{1,2} \d{4} \d\d:\d\d:\d\d(?:\.\d+)?)")
    naive = named.str.to_datetime("%b %d %Y %H:%M:%S%.f", time_unit="us", strict=False)
    utc = text.str.contains(r" (?:UTC|GMT|Z)$") | dtz.is_in(_UTC_NAMES)
    named_utc = pl.when(utc.fill_null(False)).then(naive.dt.replace_time_zone("UTC"))
    iso = pl.when(text.str.contains(r"^\d{4}-\d\d-\d\dT")).then(iso_time(text, ctx))
    return pl.coalesce(epoch_any(text), iso, named_utc, local_time(naive, ctx))


def _suser(value: pl.Expr) -> pl.Expr:
    """Forcepoint logs the user as an LDAP path (`LDAP://dc OU=…/Jane Doe`): keep the name."""
    return pl.coalesce(value.str.extract(r"^LDAP://.*/([^/]+)$"), value)


def _cef_events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    qname = pl.coalesce(c("FTNTFGTqname"), c("FortinetFortiGateqname"))
    dns = qname.is_not_null()
    http = c("request").is_not_null() | c("requestMethod").is_not_null()
    url_host, url_path = c("url_authority"), c("url_path")
    absolute = c("request").str.contains("://", literal=True).fill_null(False)
    host = pl.coalesce(
        c("dhost"), c("FTNTFGThostname"), c("FortinetFortiGatehostname"), c("label_host"),
        pl.when(absolute).then(url_host), c("destinationDnsDomain"),
    )  # fmt: skip
    stamp = pl.coalesce(
        _cef_time(c("rt"), c("dtz"), ctx),
        *(epoch_any(c(k)) for k in ("FTNTFGTeventtime", "FortinetFortiGateeventtime",
                                    "ad.eventtime", "eventtime")),
        _cef_time(c("end"), c("dtz"), ctx), _cef_time(c("start"), c("dtz"), ctx),
        c("syslog_ts"),
    )  # fmt: skip
    projection = Projection(
        fields={
            "ts": stamp.cast(UTC_MICROS),
            "event_kind": pl.when(dns)
            .then(pl.lit("dns"))
            .when(http)
            .then(pl.lit("http"))
            .otherwise(pl.lit("flow")),
            "client_ip": pl.coalesce(c("src"), c("c6a2")),
            "user_raw": _suser(pl.coalesce(c("suser"), c("duser"))),
            "host_raw": pl.when(dns).then(qname).otherwise(host),
            "port": pl.when(~dns).then(c("dpt")),
            "method": pl.when(dns)
            .then(c("FTNTFGTqtype"))
            .otherwise(c("requestMethod").str.to_uppercase()),
            "url_path": pl.when(http & ~dns & c("requestMethod").ne_missing("CONNECT")).then(
                url_path
            ),
            "action": verdict(c("act").fill_null("")),
            "bytes_out": c("out"),
            "bytes_in": c("in"),
            "user_agent": c("requestClientApplication"),
        },
        **_NEEDS,
        url=c("request"),
    )
    return project(raw, projection)


#: What a CEF or LEEF event cannot lack: a readable header, a time, and someone or somewhere.
_NEEDS = {"also": pl.col("valid"), "any_of": ("client_ip", "user_raw", "host_raw")}


#: `LEEF:1.0|Vendor|Product|Version|EventID|attrs` or `LEEF:2.0|…|EventID|Delimiter|attrs`.
_LEEF_HEADER = r"(?P<head>LEEF:\s*(?P<version>[12](?:\.0)?)\|[^|]*\|[^|]*\|[^|]*\|[^|]*\|)"
_LEEF_KEYS = (
    "devTime", "src", "srcPort", "dst", "dstPort", "usrName", "url", "srcBytes", "dstBytes",
    "dhost", "dstHostName", "hostname", "host", "method", "reqmethod", "requestMethod",
    "status", "respcode", "action", "act", "disposition", "userAgent", "useragent", "ua",
)  # fmt: skip


class LeefEvents(LogFormat):
    """IBM QRadar Log Event Extended Format (LEEF 1.0 and 2.0) from web gateways.

    `LEEF:1.0|Vendor|Product|Version|EventID|` then tab-separated `key=value`
    attributes; LEEF 2.0 adds a delimiter field after the event ID (a character
    or its hex code, `^` or `x5E`). Read: `devTime` (epoch ms, `MMM dd yyyy
    HH:mm:ss`, ISO), `src`, `usrName`, `dst`, `dstPort`, the `url` and the host
    keys vendors use (`dhost`, `hostname`…), the method, status and User-Agent
    keys of Zscaler/Forcepoint exports, `srcBytes`/`dstBytes` as upload/download
    and `action` (`Allowed`/`Blocked`…). Possibly behind a syslog header.

        LEEF:1.0|Zscaler|NSS|5.7|Allowed|devTime=Dec 01 2025 10:00:00 UTC\tsrc=10.0.0.5\t...
    """

    name = "leef"
    title = "LEEF (Log Event Extended Format)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        "<134>Dec  1 10:00:00 nss1 LEEF:1.0|Zscaler|NSS|5.7|Allowed|devTime=Dec 01 2025 "
        "10:00:00 UTC\tsrc=10.0.0.5\tdst=104.18.32.47\tdstPort=443\tusrName=alice@acme.example"
        "\thostname=chatgpt.com\turl=https://chatgpt.com/backend-api/conversation"
        "\treqmethod=POST\tstatus=200\taction=Allowed\tsrcBytes=2311\tdstBytes=5120"
        "\tuseragent=Mozilla/5.0 (Windows NT 10.0; Win64; x64)\tcat=Generative AI",
        "LEEF:2.0|Forcepoint|Web Security|8.5|Blocked|^|devTime=1764583205000^src=10.0.0.9"
        "^usrName=ACME\\bob^dst=160.79.104.10^dstPort=443^url=https://claude.ai/"
        "^action=Blocked^srcBytes=517^dstBytes=0",
    )

    def signature(self, head: list[str]) -> bool:
        """Some line carries a `LEEF:` header."""
        return any("LEEF:" in line for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        frame = strip_syslog(chunk)
        frame = frame.with_columns(pl.col("msg").str.extract_groups(_LEEF_HEADER).alias("header"))
        head, msg = pl.col("header").struct.field("head"), pl.col("msg")
        attrs = msg.str.slice(msg.str.find(_LEEF_HEADER) + head.str.len_chars())
        frame = frame.with_columns(
            pl.col("header").struct.field("version").alias("version"), attrs.alias("attrs")
        )
        frame = frame.with_columns(_unescape(mark_keys(_leef_tabbed(frame))).alias("ext"))
        raw = frame.lazy().select(
            "source_line",
            "syslog_time",
            pl.col("version").is_not_null().alias("valid"),
            *(_cef_value(pl.col("ext"), key).alias(key) for key in _LEEF_KEYS),
        )
        raw = with_syslog_time(raw, pl.col("syslog_time"), ctx, "syslog_ts")
        return _leef_events(raw, ctx).collect()


def _leef_tabbed(frame: pl.DataFrame) -> pl.Expr:
    """The attributes with LEEF 2.0's own delimiter turned into tabs (one pass per delimiter)."""
    split = pl.col("attrs").str.splitn("|", 2)
    v2 = pl.col("version").str.starts_with("2")
    delimiter = pl.when(v2).then(split.struct.field("field_0"))
    base = pl.when(v2).then(split.struct.field("field_1")).otherwise(pl.col("attrs"))
    body = base
    for text in frame.select(delimiter.unique().drop_nulls()).to_series().to_list():
        char = _delimiter_char(text)
        if char and char != "\t":
            replaced = base.str.replace_all(char, "\t", literal=True)
            body = pl.when(delimiter == text).then(replaced).otherwise(body)
    return body


def _delimiter_char(text: str) -> str | None:
    """`^` → `^`; `x5E`/`0x5e` → `^`; empty → None (tab)."""
    hexed = re.fullmatch(r"(?:0?[xX])([0-9A-Fa-f]{1,4})", text)
    if hexed:
        return chr(int(hexed[1], 16))
    return text if len(text) == 1 else None


def _leef_events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    host = pl.coalesce(c("dhost"), c("dstHostName"), c("hostname"), c("host"), c("url_authority"))
    method = pl.coalesce(c("method"), c("reqmethod"), c("requestMethod")).str.to_uppercase()
    stamp = pl.coalesce(_cef_time(c("devTime"), pl.lit(None, pl.String), ctx), c("syslog_ts"))
    projection = Projection(
        fields={
            "ts": stamp.cast(UTC_MICROS),
            "event_kind": pl.when(c("url").is_not_null() | method.is_not_null())
            .then(pl.lit("http"))
            .otherwise(pl.lit("flow")),
            "client_ip": c("src"),
            "user_raw": c("usrName"),
            "host_raw": host,
            "port": c("dstPort"),
            "method": method,
            "url_path": pl.when(c("url").is_not_null()).then(c("url_path")),
            "status": pl.coalesce(c("status"), c("respcode")),
            "action": verdict(pl.coalesce(c("action"), c("act"), c("disposition")).fill_null("")),
            "bytes_out": c("srcBytes"),
            "bytes_in": c("dstBytes"),
            "user_agent": pl.coalesce(c("userAgent"), c("useragent"), c("ua")),
        },
        **_NEEDS,
        url=c("url"),
    )
    return project(raw, projection)
