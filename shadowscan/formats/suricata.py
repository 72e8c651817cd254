"""Suricata EVE JSON (`eve.json`): DNS queries, TLS and QUIC SNI, HTTP transactions."""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import unwrapped

#: EVE keys read; DNS v1/v2 put the query at the top of `dns`, v3 in `dns.queries[0]`.
_PATHS: dict[str, JsonPath] = {
    "timestamp": ("timestamp",), "event_type": ("event_type",), "src_ip": ("src_ip",),
    "dest_port": ("dest_port",), "dns_type": ("dns", "type"), "rrname": ("dns", "rrname"),
    "rrtype": ("dns", "rrtype"), "q_rrname": ("dns", "queries", 0, "rrname"),
    "q_rrtype": ("dns", "queries", 0, "rrtype"), "tls_sni": ("tls", "sni"),
    "quic_sni": ("quic", "sni"), "hostname": ("http", "hostname"), "url": ("http", "url"),
    "http_method": ("http", "http_method"), "length": ("http", "length"),
    "http_user_agent": ("http", "http_user_agent"), "status": ("http", "status"),
    "alert": ("alert", "signature_id"),
}  # fmt: skip
#: EVE event types that are traffic, and the event kind each becomes.
_KINDS = {"dns": "dns", "http": "http", "tls": "tls", "quic": "tls"}
#: DNS records that answer a query already logged (v2 `answer`, v3 `response`).
_ANSWERS = ["answer", "response"]


class SuricataEve(LogFormat):
    """Suricata's EVE JSON log (`eve.json`), one event per line, also behind a syslog header.

    Read: `dns` queries (v1/v2 `{"dns":{"type":"query","rrname":…,"rrtype":…}}`,
    v3 `{"dns":{"queries":[{"rrname":…,"rrtype":…}]}}`, first query) as DNS
    events; `tls.sni` and `quic.sni` as TLS events; `http` records (Host
    header, URL, method, status, `length` as bytes in, User-Agent) as HTTP
    events. `src_ip` is the client and `dest_port` the port (not for DNS,
    whose port is the resolver's); `timestamp` carries its UTC offset. DNS
    answers repeat a logged query and, like `alert`, `flow`, `stats`,
    `fileinfo`, `netflow` and the other event types, are skipped. Suricata
    only observes, so every action is `unknown`. A line with no `event_type`
    (re-shipped records) is typed by its sections; with none it is rejected.

        {"timestamp":"2025-12-01T10:00:00.123456+0000","flow_id":1,"event_type":"dns","src_ip":"10.0.0.5",...}
    """

    name = "suricata"
    title = "Suricata EVE JSON (eve.json)"
    fills = ("client_ip", "port", "method", "url_path", "status", "bytes_in", "user_agent")
    samples = (
        '{"timestamp":"2025-12-01T10:00:00.123456+0000","flow_id":1811209371734542,'
        '"in_iface":"eth0","event_type":"dns","src_ip":"10.0.0.5","src_port":53211,'
        '"dest_ip":"10.0.0.2","dest_port":53,"proto":"UDP","dns":{"type":"query","id":4711,'
        '"rrname":"chatgpt.com","rrtype":"A","tx_id":0}}',
        '{"timestamp":"2025-12-01T10:00:00.250000+0000","flow_id":1811209371734542,'
        '"event_type":"dns","src_ip":"10.0.0.2","src_port":53,"dest_ip":"10.0.0.5",'
        '"dest_port":53211,"proto":"UDP","dns":{"version":2,"type":"answer","id":4711,'
        '"rcode":"NOERROR","rrname":"chatgpt.com","rrtype":"A","answers":[{"rrname":'
        '"chatgpt.com","rrtype":"A","ttl":60,"rdata":"104.18.32.47"}]}}',
        '{"timestamp":"2025-12-01T10:00:01.000000+0000","flow_id":733512312851190,'
        '"event_type":"tls","src_ip":"10.0.0.5","src_port":50122,"dest_ip":"160.79.104.10",'
        '"dest_port":443,"proto":"TCP","tls":{"sni":"claude.ai","version":"TLS 1.3"}}',
        '{"timestamp":"2025-12-01T10:00:02.500000+0000","flow_id":944151923470092,'
        '"event_type":"http","src_ip":"10.0.0.7","src_port":41402,"dest_ip":"93.184.215.14",'
        '"dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"example.com","url":'
        '"/index.html","http_user_agent":"curl/8.5.0","http_method":"GET","protocol":'
        '"HTTP/1.1","status":200,"length":1256}}',
    )

    def signature(self, head: list[str]) -> bool:
        """A JSON object with EVE's `event_type` key among the first lines."""
        return any("{" in line and '"event_type"' in line for line in head[:10])

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        raw = json_fields(unwrapped(chunk), _PATHS)
        frame = pl.concat([chunk.select("source_line"), raw], how="horizontal").lazy()
        return _events(frame.with_columns(_event_type().alias("event_type"))).collect()


def _event_type() -> pl.Expr:
    """`event_type`, else the section a re-shipped record carries (an alert first)."""
    by_section = pl.when(pl.col("alert").is_not_null()).then(pl.lit("alert"))
    for section, column in (("dns", "dns_type"), ("dns", "q_rrname"), ("tls", "tls_sni")):
        by_section = by_section.when(pl.col(column).is_not_null()).then(pl.lit(section))
    by_section = by_section.when(pl.col("hostname").is_not_null()).then(pl.lit("http"))
    return pl.coalesce(pl.col("event_type"), by_section)


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Skip records that are not traffic or repeat it; map the rest, with `ok`."""
    event_type = pl.col("event_type")
    answer = (event_type == "dns") & pl.col("dns_type").str.to_lowercase().is_in(_ANSWERS)
    skipped = event_type.is_not_null() & (~event_type.is_in(list(_KINDS)) | answer)
    kind = event_type.replace_strict(_KINDS, default=None)
    dns, http = kind == "dns", kind == "http"
    absolute = pl.col("url").str.contains("://", literal=True)
    connect = pl.col("http_method").eq_missing("CONNECT")
    host = (
        pl.when(dns).then(pl.coalesce("rrname", "q_rrname"))
        .when(http).then(pl.coalesce("hostname", pl.when(absolute | connect).then("url_authority")))
        .otherwise(pl.coalesce("tls_sni", "quic_sni"))
    )  # fmt: skip
    ts = pl.col("timestamp").str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", strict=False
    )
    projection = Projection(
        fields={
            "ts": ts,
            "event_kind": kind,
            "client_ip": pl.col("src_ip"),
            "host_raw": host,
            "port": pl.when(~dns).then(pl.col("dest_port")),
            "method": pl.when(dns)
            .then(pl.coalesce("rrtype", "q_rrtype"))
            .when(http)
            .then(pl.col("http_method")),
            "url_path": pl.when(http & ~connect).then("url_path"),
            "status": pl.when(http).then(pl.col("status")),
            "action": pl.lit("unknown"),
            "bytes_in": pl.when(http).then(pl.col("length")),
            "user_agent": pl.when(http).then(pl.col("http_user_agent")),
        },
        required=("ts", "client_ip", "event_kind"),
        url=pl.col("url"),
    )
    return project(raw.filter(~skipped.fill_null(False)), projection)
