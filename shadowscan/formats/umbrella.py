"""Cisco Umbrella S3 log exports: DNS logs, proxy (SIG / secure web gateway) logs and
IP (IP-layer enforcement) logs.

Every field is double-quoted; the column count grows with the export's
schema version, and columns are read by position. Times are UTC.
"""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import quoted_fields, rcode_number, to_int
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import unwrapped

#: Identity types Umbrella gives a directory user (the docs say `AD User`, logs `AD Users`).
_USER_TYPES = ["AD Users", "AD User"]
_HEADER_FIRST = ["timestamp", "time", "date"]
_TIME = r'^"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"'
#: An IP log record's start: time, identity, source IP and port, destination IP and port.
_IP_RECORD = re.compile(
    _TIME + r',\s*"(?:[^"]|"")*",\s*"[0-9A-Fa-f.:]+",\s*"\d*",\s*"[0-9A-Fa-f.:]+",\s*"\d*"(?:,|$)'
)
#: An IPv4 or IPv6 address, loosely: what Umbrella writes in the address columns.
_ADDRESS = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$"


class UmbrellaDns(LogFormat):
    r"""Cisco Umbrella DNS logs (`dnslogs/` in the S3 export), any schema version.

    Columns: time (UTC), most granular identity, identities, internal IP,
    external IP, action (Allowed/Blocked), query type (`1 (A)`), response
    code, domain (with a trailing dot), categories; version 3 and later add
    the most granular identity type and the identity types, then blocked
    categories, rule ID, destination countries, organization ID. The client is
    the internal IP (else the external one); the user is the identity of type
    `AD Users` when the identity types name one, else the most granular
    identity (`ACME\alice (alice@acme.example)`, cleaned by the normaliser).
    The optional header row (`"Timestamp",…`) is skipped.

        "2025-12-01 10:00:00","ACME\alice (alice@acme.example)",\
"ACME\alice (alice@acme.example),HQ","10.0.0.5","203.0.113.5","Allowed","1 (A)",\
"NOERROR","chatgpt.com.","Generative AI","AD Users","AD Users,Sites",""

    (one line; broken here for width).
    """

    name = "umbrella-dns"
    title = "Cisco Umbrella DNS log (CSV)"
    fills = ("client_ip", "user", "method", "status", "action")
    samples = (
        '"2025-12-01 10:00:00","ACME\\alice (alice@acme.example)","ACME\\alice (alice@acme.example)'
        ',HQ Site","10.0.0.5","203.0.113.5","Allowed","1 (A)","NOERROR","chatgpt.com.",'
        '"Generative AI,Application","AD Users","AD Users,Sites",""',
        '"2025-12-01 10:00:01","LAPTOP-42","LAPTOP-42,Bob Example (bob@acme.example)","10.0.0.7",'
        '"203.0.113.5","Blocked","28 (AAAA)","NOERROR","claude.ai.","Generative AI",'
        '"Roaming Computers","Roaming Computers,AD Users","Generative AI"',
        '"2025-12-01 10:00:02","HQ Network","HQ Network","10.0.0.9","203.0.113.5","Allowed",'
        '"1 (A)","NXDOMAIN","intranet.acme.example.","","Networks","Networks",""',
    )

    def signature(self, head: list[str]) -> bool:
        """A quoted `"YYYY-MM-DD hh:mm:ss"` first field."""
        return _looks_like_umbrella(head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        verdict = _c(5).str.to_lowercase()
        projection = Projection(
            fields={
                "ts": _utc(_c(0)),
                "event_kind": pl.lit("dns"),
                "client_ip": _client(_c(3), _c(4)),
                "user_raw": pl.col("user"),
                "host_raw": _blank_null(_c(8)),
                "method": _c(6).str.extract(r"\(([A-Za-z0-9]+)\)"),  # `1 (A)`; not `Other`
                "status": rcode_number(_c(7)),
                "action": _action(verdict),
            },
            required=("ts", "host_raw"),
            also=(pl.col("n") >= 10) & verdict.is_in(["allowed", "blocked"]),
        )
        return _rows(_with_user(_cells(chunk, 16), _c(1), _c(2), _c(11)), projection)


class UmbrellaProxy(LogFormat):
    r"""Cisco Umbrella proxy / SIG web logs (`proxylogs/` in the S3 export), any schema version.

    Columns (Cisco's "Web Log Formats"): time (UTC), policy identity label,
    internal client IP, external client IP, destination IP, content type,
    action (ALLOWED/BLOCKED), URL, referer, user agent, status code, request
    size (bytes out), response size (bytes in), response body size, SHA-256,
    categories, AV detections, PUAs, AMP disposition, AMP malware name, AMP
    score, policy identity type, blocked categories, identities, identity
    types, request method, … (older exports stop after fewer columns; newer
    ones go on to 40 and more). The URL gives host and path; the user is the
    `AD Users` identity when the identity types name one, else the policy
    identity. The optional header row is skipped.

        "2025-12-01 10:00:00","alice@acme.example","10.0.0.5","203.0.113.5","104.18.32.47",\
"text/html","ALLOWED","https://chatgpt.com/backend-api/conversation","","Mozilla/5.0",\
"200","812","5120",…

    (one line; broken here for width).
    """

    name = "umbrella-proxy"
    title = "Cisco Umbrella proxy / SIG web log (CSV)"
    fills = (
        "client_ip", "user", "method", "url_path", "status", "action", "bytes_out", "bytes_in",
        "user_agent",
    )  # fmt: skip
    samples = (
        '"2025-12-01 10:00:00","Alice Example (alice@acme.example)","10.0.0.5","203.0.113.5",'
        '"104.18.32.47","text/event-stream","ALLOWED","https://chatgpt.com/backend-api/'
        'conversation","https://chatgpt.com/","Mozilla/5.0 (Windows NT 10.0; Win64; x64)","200",'
        '"1812","52311","52011","","Generative AI","","","","","","AD Users","",'
        '"Alice Example (alice@acme.example),HQ Site","AD Users,Sites","POST","","","",'
        '"","","","","",""',
        '"2025-12-01 10:00:05","LAPTOP-42","10.0.0.7","203.0.113.5","160.79.104.10","",'
        '"BLOCKED","https://claude.ai/api/organizations","","Mozilla/5.0 (Macintosh)","403",'
        '"640","1290","0","","Generative AI","","","","","","Roaming Computers","Generative AI",'
        '"LAPTOP-42,Bob Example (bob@acme.example)","Roaming Computers,AD Users","GET","","","",'
        '"","","","","",""',
    )

    def signature(self, head: list[str]) -> bool:
        """A quoted `"YYYY-MM-DD hh:mm:ss"` first field."""
        return _looks_like_umbrella(head)

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        verdict = _c(6).str.to_lowercase()
        absolute = _c(7).str.contains("://", literal=True)
        authority, path = pl.col("url_authority"), pl.col("url_path")
        projection = Projection(
            fields={
                "ts": _utc(_c(0)),
                "event_kind": pl.lit("http"),
                "client_ip": _client(_c(2), _c(3)),
                "user_raw": pl.col("user"),
                "host_raw": pl.when(absolute).then(authority),
                "method": _blank_null(_c(25)),
                "url_path": pl.when(absolute).then(path),
                "status": _c(10),
                "action": _action(verdict),
                "bytes_out": _c(11),
                "bytes_in": _c(12),
                "user_agent": _blank_null(_c(9)),
            },
            # A URL or a verdict tells a web record from a DNS one of the same width.
            also=(pl.col("n") >= 13)
            & (absolute.fill_null(False) | verdict.is_in(["allowed", "blocked"])),
            url=_blank_null(_c(7)),
        )
        return _rows(_with_user(_cells(chunk, 26), _c(1), _c(23), _c(24)), projection)


class UmbrellaIp(LogFormat):
    r"""Cisco Umbrella IP logs (`iplogs/` in the S3 export): the roaming client's IP-layer
    enforcement, which sends connections to suspicious IP addresses through Umbrella.

    Columns, as Elastic's and SEKOIA's Umbrella parsers read them: time (UTC),
    identity, source IP, source port, destination IP, destination port,
    categories; some exports (SEKOIA's sample) add the identity types, others
    (Elastic's test data) stop after the categories, and any further columns
    are ignored. There is no host name:
    the destination IP is the host, so only rules that name addresses can
    match it, and the destination port is the port (0, logged for port-less
    protocols, is null). The identity is the user when it is a person: its
    type (the first listed) is `AD Users`, or the export logs no types; a
    `Roaming Computers` or network identity is a machine, not a user, and the
    event falls back to the client address. The log has no verdict column,
    so the action is unknown. The optional header row is skipped.

        "2025-12-01 10:00:00","alice@acme.example","10.0.0.5","51544","160.79.104.10",\
"443","Generative AI","AD Users"

    (one line; broken here for width).
    """

    name = "umbrella-ip"
    title = "Cisco Umbrella IP (IP-layer enforcement) log (CSV)"
    fills = ("client_ip", "user", "port")
    samples = (
        '"2025-12-01 10:00:00","alice@acme.example","10.0.0.5","51544","160.79.104.10","443",'
        '"Generative AI","AD Users"',
        '"2025-12-01 10:00:02","LAPTOP-42","192.168.1.23","61095","104.18.32.47","443",'
        '"Generative AI,Application","Roaming Computers"',
        '"2025-12-01 10:00:04","ACME\\bob","10.0.0.7","50122","2607:6bc0::10","443",'
        '"Generative AI"',
    )

    def signature(self, head: list[str]) -> bool:
        """A quoted time, an identity, then an address and a port twice."""
        return any(_IP_RECORD.match(line.lstrip()) for line in head[:10])

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        ports = _c(3).str.contains(r"^\d*$") & _c(5).str.contains(r"^\d*$")
        addresses = _c(2).str.contains(_ADDRESS) & _c(4).str.contains(_ADDRESS)
        projection = Projection(
            fields={
                "ts": _utc(_c(0)),
                "event_kind": pl.lit("flow"),
                "client_ip": _blank_null(_c(2)),
                "user_raw": _person(_c(1), _c(7)),
                "host_raw": _blank_null(_c(4)),
                "port": _port(_c(5)),
                "action": pl.lit("unknown"),
            },
            also=(pl.col("n") >= 7) & ports & addresses,
        )
        return _rows(_cells(chunk, 8).lazy(), projection)


def _looks_like_umbrella(head: list[str]) -> bool:
    return any(re.match(_TIME, line.lstrip()) for line in head[:10])


def _c(i: int) -> pl.Expr:
    return pl.col(f"c{i}")


def _rows(cells: pl.LazyFrame, projection: Projection) -> pl.DataFrame:
    """The projected events; header rows (`"Timestamp",…`) are skipped."""
    header = _c(0).str.to_lowercase().is_in(_HEADER_FIRST).fill_null(False)
    return project(cells.filter(~header), projection).collect()


def _utc(text: pl.Expr) -> pl.Expr:
    return text.str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC", time_unit="us", strict=False)


def _blank_null(text: pl.Expr) -> pl.Expr:
    """Umbrella writes `""` (or `" "`) for a missing value."""
    return pl.when(text.str.strip_chars() == "").then(None).otherwise(text)


def _client(internal: pl.Expr, external: pl.Expr) -> pl.Expr:
    return pl.coalesce(_blank_null(internal), _blank_null(external))


def _action(verdict: pl.Expr) -> pl.Expr:
    return (
        pl.when(verdict == "allowed").then(pl.lit("allowed"))
        .when(verdict == "blocked").then(pl.lit("blocked"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip


def _with_user(
    cells: pl.DataFrame, first: pl.Expr, identities: pl.Expr, types: pl.Expr
) -> pl.LazyFrame:
    """`cells` with `user`: the identity whose type is `AD Users`, else the first (most
    granular) identity.

    Identities are comma-separated but a name may hold commas itself
    (`Doe, Jane (jane@acme.example)`); the first identity is known, so it is
    cut off before splitting the rest, and the names are used only when they
    line up one to one with the types. Each list is split once, in its own stage.
    """
    words = pl.element().str.strip_chars()
    user, kinds, names = pl.col("user"), pl.col("kinds"), pl.col("names")
    rest = identities.str.strip_prefix(user).str.strip_prefix(",")
    listed = (
        pl.when(identities.str.starts_with(user))
        .then(pl.concat_list(user, rest.str.split(",").list.eval(words).fill_null([])))
        .otherwise(identities.str.split(",").list.eval(words))
    )
    typed = kinds.list.eval(pl.element().is_in(_USER_TYPES))
    aligned = kinds.list.len() == names.list.len()
    user_named = (pl.col("typed").list.any() & aligned).fill_null(False)
    named = names.list.get(pl.col("typed").list.arg_max())
    return (
        cells.lazy()
        .with_columns(
            _blank_null(first).alias("user"), types.str.split(",").list.eval(words).alias("kinds")
        )
        .with_columns(listed.alias("names"), typed.alias("typed"))
        .with_columns(pl.when(user_named).then(named).otherwise(user).alias("user"))
        .drop("kinds", "names", "typed")
    )


def _person(identity: pl.Expr, types: pl.Expr) -> pl.Expr:
    """The identity when its type (the first listed) is a user's, or when no type is logged."""
    kind = _blank_null(types.str.split(",").list.first().str.strip_chars())
    return pl.when(kind.is_null() | kind.is_in(_USER_TYPES)).then(_blank_null(identity))


def _port(text: pl.Expr) -> pl.Expr:
    """A port number; 0 (no port) as null."""
    number = to_int(text, pl.Int32)
    return pl.when(number > 0).then(number)


def _cells(chunk: pl.DataFrame, width: int) -> pl.DataFrame:
    """`source_line`, the first `width` fields `c0`… and the field count `n` (capped above it)."""
    lines = unwrapped(chunk).select("source_line", pl.col("line").str.strip_chars().alias("line"))
    fields = quoted_fields(lines.get_column("line"), width + 1)
    return pl.concat([lines.select("source_line"), fields], how="horizontal")
