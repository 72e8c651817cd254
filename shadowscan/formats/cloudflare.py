"""Cloudflare Zero Trust logs as Logpush delivers them: one JSON object per line.

Logpush names every field in CamelCase and pushes one dataset per job; a job
may push any subset of a dataset's fields, so the dataset is told by the keys
present, never assumed complete.
"""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_seconds, to_int, with_url_parts
from shadowscan.formats.jsonl import JsonPath, json_fields
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import unwrapped
from shadowscan.schema import UTC_MICROS

#: Logpush fields read (`gateway_dns`, `gateway_http`, `gateway_network`, `access_requests`).
_FIELDS = (
    "Datetime", "CreatedAt", "Email", "SrcIP", "SourceIP", "SourceInternalIP", "IPAddress",
    "QueryName", "QueryType", "QueryTypeName", "RCode", "ResolverDecision", "HTTPHost", "URL",
    "HTTPMethod", "HTTPStatusCode", "UserAgent", "Action", "SNI", "SessionID", "DestinationIP",
    "DestinationPort", "TransportProtocol", "Transport", "AppDomain", "Allowed", "RayID",
)  # fmt: skip
_PATHS: dict[str, JsonPath] = {name: (name,) for name in _FIELDS}
#: Keys that tell each dataset (a job may push only some of its fields).
_DNS_KEYS = ("QueryName", "QueryType", "QueryTypeName", "ResolverDecision", "SrcIP")
_HTTP_KEYS = ("HTTPHost", "URL", "HTTPMethod", "HTTPStatusCode", "UserAgent")
_NETWORK_KEYS = ("SNI", "SessionID", "DestinationIP", "TransportProtocol", "Transport", "SourceIP")
_ACCESS_KEYS = ("AppDomain", "CreatedAt", "IPAddress", "RayID")
#: A line worth a trial parse: a Logpush time and a key of one of the datasets read.
_HINTS = tuple(f'"{key}"' for key in ("QueryName", "ResolverDecision", "SrcIP", "HTTPHost", "URL"))
_HINTS += ('"SourceIP"', '"SNI"', '"SessionID"')
#: DNS query type numbers (RFC 1035, 3596, 9460) → names, for jobs that push `QueryType` only.
_QTYPES = {
    "1": "A", "2": "NS", "5": "CNAME", "6": "SOA", "12": "PTR", "15": "MX", "16": "TXT",
    "28": "AAAA", "33": "SRV", "35": "NAPTR", "43": "DS", "48": "DNSKEY", "64": "SVCB",
    "65": "HTTPS", "99": "SPF", "255": "ANY", "257": "CAA",
}  # fmt: skip
#: `ResolverDecision` as GraphQL numbers it (0 unknown, 1 allowedByQueryName, …).
_DECISIONS = {
    "1": "allowed", "2": "blocked", "3": "blocked", "4": "allowed", "5": "allowed",
    "6": "blocked", "7": "allowed", "8": "blocked", "9": "blocked", "10": "allowed",
}  # fmt: skip


class CloudflareGateway(LogFormat):
    """Cloudflare Zero Trust Gateway logs pushed by Logpush as JSON lines.

    `gateway_dns`: `Datetime`, `SrcIP`, `Email`, `QueryName`, `QueryTypeName`
    (else the number `QueryType`), `RCode` as status, `ResolverDecision`
    (`blocked…` and `overrideApplied` are blocked, `overrideForSafeSearch` and
    `allowed…` allowed). `gateway_http`: `Datetime`, `SourceInternalIP` else
    `SourceIP`, `Email`, `HTTPHost` (else the `URL`'s host), the `URL`'s path
    and query, `HTTPMethod`, `HTTPStatusCode` (0, nothing returned, is null),
    `DestinationPort`, `Action` (`block` blocked; `allow`, `isolate` and the
    do-not-inspect/scan/isolate bypasses allowed), `UserAgent`.
    `gateway_network`: a TLS event with the `SNI`, else a flow event with no
    host. `access_requests` (logins to applications behind Cloudflare Access,
    an organisation's own AI gateway among them): `CreatedAt`, `IPAddress`,
    `Email`, `AppDomain` as host and path, `Allowed`. Gateway HTTP logs no
    byte counts, so uploads are "not logged". `SourceInternalIP` is preferred
    because it is the LAN address DHCP leases name; `SourceIP` is the public one.

    `Datetime` is RFC 3339 (`timestamp_format=rfc3339`) or Unix digits, as
    a number or a string: seconds (`unix`) or nanoseconds (`unixnano`, the
    default), told apart by magnitude. Empty strings are nulls. A line that
    is not JSON, not one of these datasets, has no readable time or names
    neither a user nor a client is rejected; so are DNS records without a
    query name. Overrides other than safe search, and redirects, count as
    blocked: like an RPZ rewrite, they keep the user from the service.

        {"Datetime":"2025-12-01T10:00:00Z","SrcIP":"10.0.0.5","Email":"alice@acme.example",\
"QueryName":"chatgpt.com","QueryTypeName":"A","RCode":0,"ResolverDecision":"allowedOnNoPolicyMatch"}

    (one line; broken here for width).
    """

    name = "cloudflare-gateway"
    title = "Cloudflare Zero Trust Gateway (Logpush JSON: DNS, HTTP, network; Access requests)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "user_agent",
    )  # fmt: skip
    samples = (
        '{"ColoCode":"CDG","Datetime":"2025-12-01T10:00:00Z","DeviceName":"LAPTOP-ALICE",'
        '"DstIP":"162.159.36.1","DstPort":443,"Email":"alice@acme.example","Location":"Paris",'
        '"Protocol":"https","QueryName":"chatgpt.com","QueryNameReversed":"com.chatgpt",'
        '"QuerySize":40,"QueryType":1,"QueryTypeName":"A","RCode":0,'
        '"ResolvedIPs":["104.18.32.47"],"ResolverDecision":"allowedOnNoPolicyMatch",'
        '"SrcIP":"10.0.0.5","SrcPort":53122}',
        '{"AccountID":"0123456789abcdef0123456789abcdef","Action":"block",'
        '"Datetime":1764583201500000000,"DestinationIP":"160.79.104.10","DestinationPort":443,'
        '"Email":"bob@acme.example","HTTPHost":"claude.ai","HTTPMethod":"POST",'
        '"HTTPStatusCode":403,"HTTPVersion":"HTTP/2","PolicyName":"Block unsanctioned AI",'
        '"SourceIP":"203.0.113.7","SourceInternalIP":"10.0.0.7","SourcePort":51544,'
        '"URL":"https://claude.ai/api/append_message","UserAgent":"Mozilla/5.0 (Macintosh)"}',
        '{"Action":"allow","Datetime":"1764583202","DestinationIP":"142.250.74.110",'
        '"DestinationPort":443,"Email":"","SNI":"gemini.google.com",'
        '"SessionID":"272706f9f70000fddab4381400000001","SourceIP":"10.0.0.9","SourcePort":50122,'
        '"TransportProtocol":"tcp"}',
    )

    def signature(self, head: list[str]) -> bool:
        """A JSON line with Logpush's `Datetime` and a Gateway key, or an Access request."""
        return any(
            "{" in line
            and (
                ('"Datetime"' in line and any(hint in line for hint in _HINTS))
                or ('"CreatedAt"' in line and '"AppDomain"' in line)
            )
            for line in head[:10]
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        raw = json_fields(unwrapped(chunk), _PATHS)
        raw = raw.with_columns(
            pl.when(pl.col(n).str.strip_chars() == "").then(None).otherwise(pl.col(n)).alias(n)
            for n in _FIELDS
        )
        frame = pl.concat([chunk.select("source_line"), raw], how="horizontal").lazy()
        return _events(frame.with_columns(_dataset().alias("dataset"))).collect()


def _present(keys: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal(pl.col(key).is_not_null() for key in keys)


def _dataset() -> pl.Expr:
    """dns, http, network or access from the keys present (HTTP records also have network keys)."""
    return (
        pl.when(_present(_DNS_KEYS)).then(pl.lit("dns"))
        .when(_present(_HTTP_KEYS)).then(pl.lit("http"))
        .when(_present(_NETWORK_KEYS)).then(pl.lit("network"))
        .when(_present(_ACCESS_KEYS)).then(pl.lit("access"))
    )  # fmt: skip


def _time(text: pl.Expr) -> pl.Expr:
    """RFC 3339, or Unix digits: s, ms, µs or ns by magnitude (Logpush's `unix`, `unixnano`)."""
    text = text.str.strip_chars()
    rfc3339 = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", strict=False)
    n = text.cast(pl.Int64, strict=False)
    micros = (
        pl.when(n < 100_000_000_000).then(n * 1_000_000)
        .when(n < 100_000_000_000_000).then(n * 1_000)
        .when(n < 100_000_000_000_000_000).then(n)
        .otherwise(n // 1_000)
    )  # fmt: skip
    digits = pl.when(n >= 0).then(micros).cast(UTC_MICROS)
    return pl.coalesce(rfc3339.dt.convert_time_zone("UTC"), digits, epoch_seconds(text))


def _verdict(text: pl.Expr) -> pl.Expr:
    """allowed, blocked or unknown from a Gateway `Action` or `ResolverDecision`.

    Safe-search overrides still reach the service; other overrides and
    redirects send the user elsewhere, like an RPZ rewrite, so they are blocked.
    """
    low = text.str.to_lowercase()
    return (
        pl.when(low.str.contains("safesearch")).then(pl.lit("allowed"))
        .when(low.str.contains("block|override|redirect")).then(pl.lit("blocked"))
        .when(low.str.contains("allow|isolate|bypass|inspect|scan")).then(pl.lit("allowed"))
        .otherwise(text.replace_strict(_DECISIONS, default="unknown", return_dtype=pl.String))
    )  # fmt: skip


def _action(dataset: pl.Expr) -> pl.Expr:
    allowed = pl.col("Allowed").str.to_lowercase()
    access = (
        pl.when(allowed == "true").then(pl.lit("allowed"))
        .when(allowed == "false").then(pl.lit("blocked"))
    )  # fmt: skip
    verdict = _verdict(pl.when(dataset == "dns").then("ResolverDecision").otherwise("Action"))
    return pl.when(dataset == "access").then(access).otherwise(verdict).fill_null("unknown")


def _kind(dataset: pl.Expr) -> pl.Expr:
    return (
        pl.when(dataset == "dns").then(pl.lit("dns"))
        .when(dataset.is_in(["http", "access"])).then(pl.lit("http"))
        .when((dataset == "network") & pl.col("SNI").is_not_null()).then(pl.lit("tls"))
        .when(dataset == "network").then(pl.lit("flow"))
    )  # fmt: skip


def _host(dataset: pl.Expr, url_host: pl.Expr, app_host: pl.Expr) -> pl.Expr:
    """The query name (`.`, the root, is no host), Host header, Access app or SNI."""
    return (
        pl.when((dataset == "dns") & (pl.col("QueryName") != ".")).then(pl.col("QueryName"))
        .when(dataset == "http").then(pl.coalesce("HTTPHost", url_host))
        .when(dataset == "access").then(app_host)
        .when(dataset == "network").then(pl.col("SNI"))
    )  # fmt: skip


def _events(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Map the Logpush fields onto the event schema, with `ok`."""
    dataset = pl.col("dataset")
    dns, http, access = dataset == "dns", dataset == "http", dataset == "access"
    # The projection splits `URL`; an Access record's `AppDomain` is split once here.
    raw = with_url_parts(raw, pl.col("AppDomain"), "app_authority", "app_path")
    qtype = pl.col("QueryType").replace_strict(_QTYPES, default=None, return_dtype=pl.String)
    method = pl.when(dns).then(pl.coalesce("QueryTypeName", qtype, "QueryType"))
    method = method.when(http).then(pl.col("HTTPMethod"))
    code = to_int(pl.col("HTTPStatusCode"), pl.Int32)  # 0: nothing was returned
    status = pl.when(dns).then(to_int(pl.col("RCode"), pl.Int32))
    status = status.when(http & (code > 0)).then(code)
    port = to_int(pl.col("DestinationPort"), pl.Int32)
    projection = Projection(
        fields={
            "ts": _time(pl.coalesce("Datetime", "CreatedAt")),
            "event_kind": _kind(dataset),
            "client_ip": pl.coalesce("SourceInternalIP", "SrcIP", "SourceIP", "IPAddress"),
            "user_raw": pl.col("Email"),
            "host_raw": _host(dataset, pl.col("url_authority"), pl.col("app_authority")),
            "port": pl.when(~dns & (port > 0)).then(port),
            "method": method,
            "url_path": pl.when(http).then("url_path").when(access).then("app_path"),
            "status": status,
            "action": _action(dataset),
            "user_agent": pl.when(http).then(pl.col("UserAgent")),
        },
        required=("ts", "event_kind"),
        any_of=("client_ip", "user_raw"),  # someone
        url=pl.col("URL"),
    )
    return project(raw, projection)
