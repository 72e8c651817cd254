"""Fortinet FortiGate and FortiProxy key=value logs."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_any, unquoted_value, verdict, with_url_parts
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import local_time, strip_syslog, with_syslog_time

#: Keys read from every line; every key not named here is ignored.
_KEYS = (
    "type", "subtype", "eventtime", "srcip", "user", "remotename", "url", "dstport", "action",
    "sentbyte", "rcvdbyte", "agent",
)  # fmt: skip
#: Fallback keys, read only on lines that lack the key they stand in for: a recent
#: FortiGate sends `eventtime`, so its lines are never searched for the other times.
_FALLBACK_KEYS = {
    "date": "eventtime", "time": "eventtime", "tz": "eventtime", "timestamp": "eventtime",
    "src": "srcip", "deviceip": "srcip", "unauthuser": "user", "hostname": "remotename",
    "utmaction": "action",
}  # fmt: skip
#: Keys only DNS records need, and keys only the others need: read on those records alone.
_DNS_KEYS = ("qname", "qtype", "eventtype", "sessionid", "rcode")
_OTHER_KEYS = ("httpmethod", "statuscode")
#: A comma-separated line (`date=2016-02-12,time=14:10:42,logid=…`, an old syslog mode).
_COMMA_LINE = r"^\s*[\w-]+=[^\s\",]*,[\w-]+="
_SUBTYPE = re.compile(r"(?:^|[\s,])subtype=")
_DEVICE_KEYS = re.compile(r"(?:^|[\s,>])(?:logid|devid|devname)=")


class FortiGateKv(LogFormat):
    """FortiGate (and FortiProxy) logs in their native `key=value` syslog format.

    Reads `traffic` logs (flows; FortiProxy's `http-transaction` as HTTP), `utm`
    web filter logs (HTTP: `hostname`, `url`), DNS logs (`qname`, `qtype`, `rcode`)
    and every other `utm` record that names a host in `hostname` or `url`:
    application control (`app-ctrl`, where FortiGate names applications such as
    ChatGPT), `dlp`, `ips`, `virus`, `waf`, `file-filter`… as HTTP, `ssl` as TLS.
    Records naming no host (`event`, an IPS detection on a bare address…) are
    skipped. A `dns-response` record answering a `dns-query` record of the same
    session and name earlier in the chunk is no second event: its verdict and
    rcode go to the query. Values are quoted or not; old firmware separates pairs
    by commas. Time is `eventtime` (epoch s, ms, µs or ns by magnitude), else
    `date`+`time` with the `tz` offset, else `timestamp`, else the syslog
    header's. `sentbyte` is upload, `rcvdbyte` download; `action` (`passthrough`,
    `accept`, `blocked`, `deny`, `pass`, `dropped`…), else `utmaction`, gives the verdict.

        date=2025-12-01 time=11:00:00 devname="FG" logid="0317013312" type="utm" \
            subtype="webfilter" srcip=10.0.0.5 hostname="chatgpt.com" url="/backend-api/x" \
            user="alice" sentbyte=1234 rcvdbyte=5678 action="passthrough" \
            eventtime=1764583200123456789 tz="+0100"

    (one line; broken here for width).
    """

    name = "fortigate"
    title = "FortiGate / FortiProxy key=value"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        'date=2025-12-01 time=11:00:00 devname="FG100F" devid="FG100FTK22000001" '
        'eventtime=1764583200123456789 tz="+0100" logid="0317013312" type="utm" '
        'subtype="webfilter" eventtype="ftgd_allow" level="notice" vd="root" policyid=12 '
        'sessionid=8812 user="alice" srcip=10.0.0.5 srcport=53122 dstip=104.18.32.47 '
        'dstport=443 proto=6 service="HTTPS" hostname="chatgpt.com" action="passthrough" '
        'reqtype="direct" url="/backend-api/conversation" sentbyte=1234 rcvdbyte=5678 '
        'direction="outgoing" msg="URL belongs to an allowed category in policy" '
        'catdesc="Artificial Intelligence Technology"',
        'date=2025-12-01 time=11:00:03 devname="FG100F" devid="FG100FTK22000001" '
        'eventtime=1764583203000000000 tz="+0100" logid="1501054802" type="utm" subtype="dns" '
        'eventtype="dns-response" level="notice" vd="root" srcip=10.0.0.9 srcport=61512 '
        'dstip=10.0.0.2 dstport=53 qname="claude.ai" qtype="A" qtypeval=1 qclass="IN" '
        'action="pass"',
        'date=2025-12-01 time=11:00:05 devname="FG100F" devid="FG100FTK22000001" '
        'eventtime=1764583205 tz="+0100" logid="0000000013" type="traffic" subtype="forward" '
        'level="notice" vd="root" srcip=10.0.0.12 srcport=50412 dstip=142.250.74.110 '
        'dstport=443 proto=6 action="deny" policyid=0 service="HTTPS" sentbyte=0 rcvdbyte=0',
    )

    def signature(self, head: list[str]) -> bool:
        """Some line has FortiOS's `subtype=` and `logid=`/`devid=`/`devname=` keys."""
        return any(_SUBTYPE.search(line) and _DEVICE_KEYS.search(line) for line in head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        msg = pl.col("msg")
        msg = (
            pl.when(msg.str.contains(_COMMA_LINE))
            .then(msg.str.replace_all(r",([\w-]+=)", " ${1}"))
            .otherwise(msg)
        )
        frame = strip_syslog(chunk).with_columns(msg.alias("msg"))
        raw = frame.lazy().select(
            "source_line",
            "syslog_time",
            "msg",
            *(unquoted_value(pl.col("msg"), key).alias(key) for key in _KEYS),
        )
        fallbacks = {key: f"_no_{instead}" for key, instead in _FALLBACK_KEYS.items()}
        missing = {f"_no_{key}": pl.col(key).is_null() for key in set(_FALLBACK_KEYS.values())}
        raw = _read(raw, fallbacks, missing)
        host = pl.coalesce(pl.col("remotename"), pl.col("hostname"), pl.col("url_authority"))
        typed = (
            with_url_parts(raw, pl.col("url"))
            .with_columns(host.alias("named_host"))
            .with_columns(_kind().alias("kind"))
            .filter(pl.col("kind").is_not_null())
            .collect()  # once: the DNS pairing reads it three times
        )
        return _events(_with_kind_keys(typed).lazy(), ctx).collect()


def _read(frame: pl.LazyFrame, keys: dict[str, str], masks: dict[str, pl.Expr]) -> pl.LazyFrame:
    """`frame` with each key's unquoted value read from `msg` on the lines its mask (named in
    `keys`) selects, null on the others: each mask is applied once, and a masked-out line
    costs no search."""
    masked = frame.with_columns(
        pl.when(where).then(pl.col("msg")).alias(name) for name, where in masks.items()
    )
    return masked.with_columns(
        unquoted_value(pl.col(mask), key).alias(key) for key, mask in keys.items()
    ).drop(*masks)


def _kind() -> pl.Expr:
    """dns, http, tls or flow for the record types read; `reject` for a line with no `type`;
    null (skipped) for the other types and for `utm` records that name no host."""
    kind, sub = pl.col("type"), pl.col("subtype")
    dns = (kind == "dns") | sub.str.starts_with("dns")
    utm_named = (kind == "utm") & pl.col("named_host").is_not_null()
    return (
        pl.when(kind.is_null()).then(pl.lit("reject"))
        .when(dns & kind.is_in(["dns", "utm"])).then(pl.lit("dns"))
        .when((kind == "utm") & (sub == "webfilter")).then(pl.lit("http"))
        .when(utm_named & (sub == "ssl")).then(pl.lit("tls"))
        .when(utm_named).then(pl.lit("http"))
        .when((kind == "traffic") & (sub == "http-transaction")).then(pl.lit("http"))
        .when(kind == "traffic").then(pl.lit("flow"))
    )  # fmt: skip


def _with_kind_keys(typed: pl.DataFrame) -> pl.DataFrame:
    """`typed` with the keys only DNS records use read on those alone, the keys only the
    others use on those, and answers merged into their queries by `_answered_queries`;
    `msg` dropped."""
    dns = pl.col("kind") == "dns"
    keys = {**dict.fromkeys(_DNS_KEYS, "_dns"), **dict.fromkeys(_OTHER_KEYS, "_other")}
    typed = _read(typed.lazy(), keys, {"_dns": dns, "_other": ~dns}).drop("msg").collect()
    pairs_possible = _dns_role("dns-query").any() & _dns_role("dns-response").any()
    if typed.select(pairs_possible).item():  # else no response answers a query here
        return _answered_queries(typed.lazy()).collect()
    return typed


def _dns_role(role: str) -> pl.Expr:
    """Whether a DNS record is a `dns-query` or a `dns-response` (the subtype of `type=dns`,
    the event type of `type=utm subtype=dns`)."""
    return (pl.col("kind") == "dns") & ((pl.col("subtype") == role) | (pl.col("eventtype") == role))


def _answered_queries(typed: pl.LazyFrame) -> pl.LazyFrame:
    """`typed` with each `dns-response` that answers an earlier `dns-query` of the same session
    and name dropped, and its verdict and rcode given to that query.

    Each response goes to the latest query before it with the same key; when several
    responses reach one query, the first answers it and the others stay events.
    """
    name = pl.col("qname").str.strip_chars("[]").str.to_lowercase()
    key = pl.concat_str(pl.col("sessionid"), name, separator=" ")
    keyed = typed.with_columns(key.alias("dns_key"))
    queries = keyed.filter(_dns_role("dns-query") & key.is_not_null())
    responses = keyed.filter(_dns_role("dns-response") & key.is_not_null())
    pairs = (
        responses.select(
            pl.col("source_line").alias("answer_line"),
            "dns_key",
            pl.coalesce("action", "utmaction").alias("answer_action"),
            pl.col("rcode").alias("answer_rcode"),
        )
        .join_asof(
            queries.select("source_line", "dns_key"),
            left_on="answer_line",
            right_on="source_line",
            by="dns_key",
            strategy="backward",
            check_sortedness=False,
        )
        .filter(pl.col("source_line").is_not_null())
        .unique("source_line", keep="first", maintain_order=True)
        .drop("dns_key")
    )
    return (
        keyed.join(pairs, on="source_line", how="left", maintain_order="left")
        .join(
            pairs.select(pl.col("answer_line").alias("source_line")),
            on="source_line",
            how="anti",
            maintain_order="left",
        )
        .with_columns(
            pl.coalesce("answer_action", "action").alias("action"),
            pl.coalesce("answer_rcode", "rcode").alias("rcode"),
        )
    )


def _time(ctx: ParseContext) -> pl.Expr:
    """`eventtime`, else `date time` at the `tz` offset (`+0100`, `UTC+2`) or, without one, in
    `--timezone`, else `timestamp` (epoch seconds), else the syslog header's time.

    Needs the `zone` column from `_zone` and `syslog_ts` from `with_syslog_time`. The
    fallbacks read null (no parsing work) on rows that have an `eventtime`: every row of a
    recent FortiGate."""
    eventtime = epoch_any(pl.col("eventtime"))
    missing = pl.col("eventtime").is_null()
    local = pl.when(missing).then(pl.concat_str(pl.col("date"), pl.col("time"), separator=" "))
    zone = pl.col("zone")
    zoned = pl.concat_str(local, zone, separator=" ").str.to_datetime(
        "%Y-%m-%d %H:%M:%S %z", time_unit="us", strict=False
    )
    naive = local.str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=False)
    dated = pl.when(zone.is_not_null()).then(zoned).otherwise(local_time(naive, ctx))
    return pl.coalesce(
        eventtime,
        dated,
        epoch_any(pl.when(missing).then(pl.col("timestamp"))),
        pl.col("syslog_ts"),
    )


def _zone(raw: pl.LazyFrame) -> pl.LazyFrame:
    """`raw` with `zone`: the `tz` key as a `%z` offset (`+0100`), parsed once a line."""
    offset = pl.col("zone").struct
    zone = pl.concat_str(
        offset.field("1"), offset.field("2").str.zfill(2), offset.field("3").fill_null("00")
    )
    groups = pl.col("tz").str.extract_groups(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d\d)?$")
    return raw.with_columns(groups.alias("zone")).with_columns(zone.alias("zone"))


def _events(raw: pl.LazyFrame, ctx: ParseContext) -> pl.LazyFrame:
    c = pl.col
    dns = c("kind") == "dns"
    host = pl.when(dns).then(c("qname").str.strip_chars("[]")).otherwise(c("named_host"))
    # SSL-VPN users authenticated by LDAP come as `john.doe,cn=john.doe`.
    user = pl.coalesce(c("user"), c("unauthuser")).str.replace(r"(?i),cn=.*$", "")
    projection = Projection(
        fields={
            "ts": _time(ctx),
            "event_kind": pl.when(c("kind") != "reject").then(c("kind")),
            "client_ip": pl.coalesce(c("srcip"), c("src"), c("deviceip")),
            "user_raw": pl.when(user != "N/A").then(user),
            "host_raw": host,
            "port": pl.when(~dns).then(c("dstport")),
            "method": pl.when(dns).then(c("qtype")).otherwise(c("httpmethod")),
            "url_path": pl.when(~dns).then(c("url_path")),
            "status": pl.when(dns).then(c("rcode")).otherwise(c("statuscode")),
            "action": verdict(pl.coalesce(c("action"), c("utmaction")).fill_null("")),
            "bytes_out": c("sentbyte"),
            "bytes_in": c("rcvdbyte"),
            "user_agent": c("agent"),
        },
        any_of=("client_ip", "user_raw", "host_raw"),  # someone or somewhere
        also=c("kind") != "reject",
    )
    header_time = pl.when(c("eventtime").is_null()).then(c("syslog_time"))  # only if needed
    return project(with_syslog_time(_zone(raw), header_time, ctx, "syslog_ts"), projection)
