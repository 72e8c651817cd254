"""Sophos Firewall (SFOS, formerly XG) key=value syslog, and Sophos UTM (SG) records."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import to_int, unquoted_value, verdict
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import iso_time, local_time, strip_syslog, with_syslog_time

#: Keys read from a line; every other key is ignored. SFOS up to v19 writes `user_name`,
#: `sent_bytes`, `recv_bytes`, `status_code`; v19.5+ (`log_version=1`, `timestamp=`) writes
#: `bytes_sent`, `bytes_received`, `http_status`. UTM writes `srcip`, `user`, `statuscode`.
_KEYS = (
    "log_type", "log_component", "log_subtype", "status", "date", "time", "timezone",
    "timestamp", "user_name", "user", "src_ip", "dst_port", "url", "domain", "sni", "method",
    "sent_bytes", "bytes_sent", "recv_bytes", "bytes_received", "status_code",
    "httpresponsecode", "http_status", "user_agent",
    "id", "sub", "srcip", "dstport", "statuscode", "size", "action", "ua",
)  # fmt: skip
#: A Sophos UTM line's own time and tag: `2025:12:01-11:00:00 utm httpproxy[2112]: `.
_UTM_HEADER = r"^\s*(\d{4}:\d\d:\d\d-\d\d:\d\d:\d\d) \S+ [^\s\[:]+(?:\[\d+\])?: "
#: Zone abbreviations SFOS writes in `timezone=`, as UTC offsets. Ambiguous ones (CST: US
#: Central or China; IST: India, Ireland or Israel; BST; AST) are read in `--timezone`.
_ZONES = {
    "UTC": "+0000", "GMT": "+0000", "Z": "+0000", "WET": "+0000", "WEST": "+0100",
    "CET": "+0100", "MET": "+0100", "CEST": "+0200", "MEST": "+0200", "EET": "+0200",
    "EEST": "+0300", "SAST": "+0200", "MSK": "+0300", "PKT": "+0500", "NPT": "+0545",
    "ICT": "+0700", "WIB": "+0700", "SGT": "+0800", "HKT": "+0800", "AWST": "+0800",
    "JST": "+0900", "KST": "+0900", "ACST": "+0930", "ACDT": "+1030", "AEST": "+1000",
    "AEDT": "+1100", "NZST": "+1200", "NZDT": "+1300", "BRT": "-0300", "ART": "-0300",
    "EST": "-0500", "EDT": "-0400", "CDT": "-0500", "MST": "-0700", "MDT": "-0600",
    "PST": "-0800", "PDT": "-0700", "AKST": "-0900", "AKDT": "-0800", "HST": "-1000",
}  # fmt: skip
_SFOS = re.compile(r"(?:^|\s)log_type=")
_SFOS_ID = re.compile(r"(?:^|\s)(?:log_id|log_component)=")
_UTM = re.compile(r'(?:^|\s)id="\d{4}" .*\bsys="[^"]+" sub="')


class SophosFirewall(LogFormat):
    """Sophos Firewall (SFOS / XG) syslog in its native `key=value` format.

    Reads `log_type="Firewall"` records as flows (`src_ip`, `user_name`, `dst_port`,
    `sent_bytes` as upload, `recv_bytes` as download; no host name) and
    `log_type="Content Filtering"` records as HTTP (the host from `domain`, else
    `url`) or, for SSL/TLS inspection records with only an `sni`, as TLS. Other log
    types (Event, IPS, Anti-Virus, SD-WAN, System Health…) are skipped. The verdict is
    `status` (`Allow`, `Deny`; `Would deny` is a rule in monitor mode, so allowed),
    else `log_subtype` (`Allowed`, `Denied`). Time is `timestamp` (v19.5+, with its
    offset), else `date`+`time` at `timezone` (an abbreviation like `CET` or an
    offset like `+11`; ambiguous or unknown abbreviations are read in `--timezone`).
    v19.5+ key names (`bytes_sent`, `bytes_received`, `http_status`, `user`) work too.

    Sophos UTM (SG) lines (`id="0001" … sys="SecureWeb" sub="http"`) are read as well:
    the web proxy (`sub="http"`) as HTTP and the packet filter as flows, timed by the
    UTM's own `2025:12:01-11:00:00 host prog[pid]:` prefix in `--timezone`; UTM lines
    without any time are rejected.

        device="SFW" date=2025-12-01 time=11:00:00 timezone="CET" device_name="XGS2100" \
            log_type="Content Filtering" log_component="HTTP" log_subtype="Allowed" \
            user_name="alice" url="https://chatgpt.com/backend-api/x" src_ip=10.0.0.5 \
            dst_port=443 sent_bytes=2311 recv_bytes=8421 domain=chatgpt.com ...

    (one line; broken here for width).
    """

    name = "sophos"
    title = "Sophos Firewall (SFOS / XG) key=value"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        'device="SFW" date=2025-12-01 time=11:00:00 timezone="CET" device_name="XGS2100" '
        'device_id=X21010389TJ3H54 log_id=050901616001 log_type="Content Filtering" '
        'log_component="HTTP" log_subtype="Allowed" status="" priority=Information '
        'fw_rule_id=5 user_name="alice" user_gp="AI-Pilot" iap=13 '
        'category="Generative AI" category_type="Acceptable" '
        'url="https://chatgpt.com/backend-api/conversation" contenttype="application/json" '
        'httpresponsecode="" src_ip=10.0.0.5 dst_ip=104.18.32.47 protocol="TCP" '
        "src_port=53122 dst_port=443 sent_bytes=2311 recv_bytes=8421 domain=chatgpt.com "
        'exceptions="" activityname="" reason="" user_agent="Mozilla/5.0 (X11; Linux x86_64)" '
        'status_code="200" transactionid="" referer="" con_id=88120 app_is_cloud=0',
        'timestamp="2025-12-01T11:00:05+0100" device_model="XGS2100" '
        'device_serial_id="X21010389TJ3H54" log_id="010101600001" log_type="Firewall" '
        'log_component="Firewall Rule" log_subtype="Allowed" log_version=1 '
        'severity="Information" fw_rule_id="2" fw_rule_name="LAN to WAN" src_ip="10.0.0.9" '
        'dst_ip="160.79.104.10" protocol="TCP" src_port=51514 dst_port=443 packets_sent=12 '
        'packets_received=14 bytes_sent=1840 bytes_received=9260 src_zone="LAN" '
        'dst_zone="WAN" con_event="Stop" user="bob"',
    )

    def signature(self, head: list[str]) -> bool:
        """Some line has SFOS's `log_type=` with `log_id=`/`log_component=`, or is a UTM
        record (`id="0001" … sys="…" sub="…"`)."""
        return any(
            (_SFOS.search(line) and _SFOS_ID.search(line)) or _UTM.search(line) for line in head
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        msg = pl.col("msg").str.replace(r"^\s*<\d{1,3}>", "")
        frame = strip_syslog(chunk).with_columns(msg.alias("msg"))
        raw = frame.lazy().select(
            "source_line",
            "syslog_time",
            pl.col("msg").str.extract(_UTM_HEADER).alias("utm_time"),
            *(unquoted_value(pl.col("msg"), key).alias(key) for key in _KEYS),
        )
        kind = _kind()
        typed = raw.with_columns(kind.alias("kind")).filter(kind.is_not_null())
        typed = with_syslog_time(typed, pl.col("syslog_time"), ctx, "syslog_ts")
        return _events(typed, ctx).collect()


def _kind() -> pl.Expr:
    """flow, http or tls for the records read; `reject` for a line that is not a Sophos
    record; null (skipped) for the other log types."""
    c = pl.col
    log_type, filtering = c("log_type"), c("log_type") == "Content Filtering"
    utm = log_type.is_null() & c("id").str.contains(r"^\d{4}$")
    return (
        pl.when(log_type == "Firewall").then(pl.lit("flow"))
        .when(filtering & (c("domain").is_not_null() | c("url").is_not_null())).then(pl.lit("http"))
        .when(filtering & c("sni").is_not_null()).then(pl.lit("tls"))
        .when(log_type.is_not_null()).then(None)
        .when(utm & (c("sub") == "packetfilter")).then(pl.lit("flow"))
        .when(utm & (c("sub") == "http")).then(pl.lit("http"))
        .when(utm).then(None)
        .otherwise(pl.lit("reject"))
    )  # fmt: skip


def _with_zone(raw: pl.LazyFrame) -> pl.LazyFrame:
    """`raw` with `zone`: `timezone` as a `+hhmm` offset, a known abbreviation or an offset
    (`+11`, `+05:30`, `UTC-3`); null when unknown or ambiguous. Parsed once a line."""
    text = pl.col("timezone").str.strip_chars()
    named = text.str.to_uppercase().replace_strict(_ZONES, default=None, return_dtype=pl.String)
    offset = text.str.extract_groups(r"^(?i:UTC|GMT)?([+-])(\d{1,2})(?::?(\d\d))?$")
    groups = pl.col("zone").struct
    numeric = pl.concat_str(
        groups.field("1"), groups.field("2").str.zfill(2), groups.field("3").fill_null("00")
    )
    return raw.with_columns(named.alias("named_zone"), offset.alias("zone")).with_columns(
        pl.coalesce("named_zone", numeric).alias("zone")
    )


def _time(ctx: ParseContext) -> pl.Expr:
    """`timestamp` with its offset, else `date time` at `timezone` (without a known zone, in
    `--timezone`), else a UTM prefix or a relay's syslog header time. Reads the `zone`
    column (`_with_zone`) and `syslog_ts` (`with_syslog_time`)."""
    c = pl.col
    local = pl.concat_str(c("date"), c("time"), separator=" ")
    zoned = pl.concat_str(local, c("zone"), separator=" ").str.to_datetime(
        "%Y-%m-%d %H:%M:%S %z", time_unit="us", strict=False
    )
    naive = local.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False)
    dated = pl.when(c("zone").is_not_null()).then(zoned).otherwise(local_time(naive, ctx))
    utm = c("utm_time").str.to_datetime("%Y:%m:%d-%H:%M:%S", time_unit="us", strict=False)
    return pl.coalesce(
        iso_time(c("timestamp"), ctx),
        dated.dt.convert_time_zone("UTC"),
        local_time(utm, ctx),
        c("syslog_ts"),
    )


def _action() -> pl.Expr:
    """SFOS `status`, else `log_subtype`; UTM `action`. `Would deny` (monitor mode) passed."""
    c = pl.col
    word = pl.coalesce(c("status"), c("log_subtype"), c("action")).fill_null("")
    # An SSL/TLS inspection record (`Decrypt`, `Do not decrypt`) let the connection through
    # unless it says `Reject`.
    passed = word.str.contains(r"(?i)^would") | (
        (c("kind") == "tls") & (verdict(word) == "unknown")
    )
    return pl.when(passed).then(pl.lit("allowed")).otherwise(verdict(word))


def _events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    http, tls = c("kind") == "http", c("kind") == "tls"
    host = pl.when(http).then(pl.coalesce(c("domain"), c("url_authority"))).when(tls).then(c("sni"))
    method = c("method").str.to_uppercase()
    status = to_int(
        pl.coalesce(c("status_code"), c("httpresponsecode"), c("http_status"), c("statuscode")),
        pl.Int32,
    )
    utm_http = http & c("log_type").is_null()
    projection = Projection(
        fields={
            "ts": _time(ctx),
            "event_kind": pl.when(c("kind") != "reject").then(c("kind")),
            "client_ip": pl.coalesce(c("src_ip"), c("srcip")),
            "user_raw": pl.coalesce(c("user_name"), c("user")),
            "host_raw": host,
            "port": pl.coalesce(c("dst_port"), c("dstport")),
            "method": pl.when(http).then(method),
            "url_path": pl.when(http & (method.fill_null("") != "CONNECT")).then(c("url_path")),
            "status": pl.when(status > 0).then(status),  # SFOS writes 0 for "no response"
            "action": _action(),
            "bytes_out": pl.coalesce(c("sent_bytes"), c("bytes_sent")),
            "bytes_in": pl.coalesce(
                to_int(pl.coalesce(c("recv_bytes"), c("bytes_received"))),
                pl.when(utm_http).then(to_int(c("size"))),  # UTM logs the response size only
            ),
            "user_agent": pl.coalesce(c("user_agent"), c("ua")),
        },
        required=("event_kind", "ts"),
        any_of=("client_ip", "user_raw"),  # someone
        url=c("url"),
    )
    return project(_with_zone(raw), projection)
