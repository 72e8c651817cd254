"""Netskope web transaction events (Log Streaming / Transaction Events), W3C-style lines."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import epoch_seconds, query_suffix, verdict
from shadowscan.formats.projection import Projection, project
from shadowscan.formats.syslog import unwrapped
from shadowscan.schema import UTC_MICROS

_STATE = "netskope"
#: Netskope's documented field order, fixed per format version; each version appends fields
#: (Format 1 ends at `x-sr-headers-value`, the 2023 streams at `x-sc-notification-name`).
FIELDS = (
    "date", "time", "time-taken", "cs-bytes", "sc-bytes", "bytes", "c-ip", "s-ip",
    "cs-username", "cs-method", "cs-uri-scheme", "cs-uri-query", "cs-user-agent",
    "cs-content-type", "sc-status", "sc-content-type", "cs-dns", "cs-host", "cs-uri",
    "cs-uri-port", "cs-referer", "x-cs-session-id", "x-cs-access-method", "x-cs-app",
    "x-s-country", "x-s-latitude", "x-s-longitude", "x-s-location", "x-s-region",
    "x-s-zipcode", "x-c-country", "x-c-latitude", "x-c-longitude", "x-c-location",
    "x-c-region", "x-c-zipcode", "x-c-os", "x-c-browser", "x-c-browser-version", "x-c-device",
    "x-cs-site", "x-cs-timestamp", "x-cs-page-id", "x-cs-userip", "x-cs-traffic-type",
    "x-cs-tunnel-id", "x-category", "x-other-category", "x-type", "x-server-ssl-err",
    "x-client-ssl-err", "x-transaction-id", "x-request-id", "x-cs-sni",
    "x-cs-domain-fronted-sni", "x-category-id", "x-other-category-id", "x-sr-headers-name",
    "x-sr-headers-value", "x-cs-ssl-ja3", "x-sr-ssl-ja3s", "x-ssl-bypass",
    "x-ssl-bypass-reason", "x-r-cert-subject-cn", "x-r-cert-issuer-cn", "x-r-cert-startdate",
    "x-r-cert-enddate", "x-r-cert-valid", "x-r-cert-expired", "x-r-cert-untrusted-root",
    "x-r-cert-incomplete-chain", "x-r-cert-self-signed", "x-r-cert-revoked",
    "x-r-cert-revocation-check", "x-r-cert-mismatch", "x-cs-ssl-fronting-error",
    "x-cs-ssl-handshake-error", "x-sr-ssl-handshake-error", "x-sr-ssl-client-certificate-error",
    "x-sr-ssl-malformed-ssl", "x-s-custom-signing-ca-error", "x-cs-ssl-engine-action",
    "x-cs-ssl-engine-action-reason", "x-sr-ssl-engine-action", "x-sr-ssl-engine-action-reason",
    "x-ssl-policy-src-ip", "x-ssl-policy-dst-ip", "x-ssl-policy-dst-host",
    "x-ssl-policy-dst-host-source", "x-ssl-policy-categories", "x-ssl-policy-action",
    "x-ssl-policy-name", "x-cs-ssl-version", "x-cs-ssl-cipher", "x-sr-ssl-version",
    "x-sr-ssl-cipher", "x-cs-src-ip-egress", "x-s-dp-name", "x-cs-src-ip", "x-cs-src-port",
    "x-cs-dst-ip", "x-cs-dst-port", "x-sr-src-ip", "x-sr-src-port", "x-sr-dst-ip",
    "x-sr-dst-port", "x-cs-ip-connect-xff", "x-cs-ip-xff", "x-cs-connect-host",
    "x-cs-connect-port", "x-cs-connect-user-agent", "x-cs-url", "x-cs-uri-path",
    "x-cs-http-version", "rs-status", "x-cs-app-category", "x-cs-app-cci", "x-cs-app-ccl",
    "x-cs-app-tags", "x-cs-app-suite", "x-cs-app-instance-id", "x-cs-app-instance-name",
    "x-cs-app-instance-tag", "x-cs-app-activity", "x-cs-app-from-user", "x-cs-app-to-user",
    "x-cs-app-object-type", "x-cs-app-object-name", "x-cs-app-object-id", "x-rs-file-type",
    "x-rs-file-category", "x-rs-file-language", "x-rs-file-size", "x-rs-file-md5",
    "x-rs-file-sha256", "x-error", "x-c-local-time", "x-policy-action", "x-policy-name",
    "x-policy-src-ip", "x-policy-dst-ip", "x-policy-dst-host", "x-policy-dst-host-source",
    "x-policy-justification-type", "x-policy-justification-reason", "x-sc-notification-name",
    "sr-bytes", "rs-bytes", "x-action", "x-action-reason", "x-c-authn-user",
    "x-c-authn-source", "x-c-authn-surrogate", "x-c-authn-surrogate-status",
    "x-c-authz-groups", "x-c-authz-ou", "x-cs-xau", "x-cs-connect-xau",
    "x-c-user-confidence-index", "x-c-hostname", "x-c-device-uid", "x-c-os-family",
    "x-c-os-version", "x-c-nsclient-version", "x-c-nsclient-client-profile",
    "x-c-nsclient-steering-profile", "x-c-device-classification", "x-cs-nsclient-tunnel-type",
    "x-cs-process", "x-cs-pid", "x-cs-parent-process", "x-cs-ppid", "x-tp-result",
    "x-tp-engine", "x-tp-malware-name", "x-tp-severity", "x-sr-forward-dest",
    "x-ssl-policy-issuer", "x-eip-policy-name", "x-eip-policy-footprint",
    "x-policy-categories", "x-c-timezone", "x-support",
)  # fmt: skip
#: The fewest fields a headerless record may have: Netskope's Format 1.
MIN_FIELDS = FIELDS.index("x-sr-headers-value") + 1
#: Event fields → Netskope field names that can carry them, first present and non-null wins.
_NAMES = {
    "date": ("date",),
    "time": ("time",),
    "epoch": ("x-cs-timestamp",),
    "client_ip": ("x-cs-userip", "c-ip"),
    "user": ("cs-username",),
    "host": ("cs-host", "x-cs-sni", "cs-dns"),
    "url": ("x-cs-url",),
    "port": ("cs-uri-port",),
    "method": ("cs-method",),
    "path": ("cs-uri", "x-cs-uri-path"),
    "query": ("cs-uri-query",),
    "status": ("sc-status",),
    "verdict": ("x-policy-action", "x-action"),
    "bytes_out": ("cs-bytes",),
    "bytes_in": ("sc-bytes",),
    "user_agent": ("cs-user-agent",),
}
#: Names only Netskope writes: a `#Fields:` line with two of them is Netskope's.
_OWN_NAMES = {"x-cs-userip", "x-cs-traffic-type", "x-cs-access-method", "x-transaction-id"}
#: Placeholders Netskope writes for "no value".
_NULLS = ["", "-", "NotAvailable", "NotChecked", "NoSSL", "N/A", "None"]
#: A field: double-quoted (`""` or `\"` is a quote inside) or a run of non-blanks.
_TOKEN = r'"(?:[^"\\]|""|\\.)*"|[^ \t]+'
#: A CSV field (Log Streaming to cloud storage writes CSV); every match but the first
#: starts with the comma before it.
_CSV_FIELD = r'(?:^|,)(?:"(?:[^"]|"")*"|[^,"]*)'
_DATE_TIME = r"\d{4}-\d\d-\d\d[ ,]\d\d:\d\d:\d\d"
#: A header: `#Fields: date time …`, or the bare `date,time,time-taken,…` of CSV exports.
_HEADER = re.compile(r"^(?:#Fields:\s*|(?=date[ ,]+time[ ,]+time-taken))(.*)$")


def record(**values: object) -> str:
    """A headerless record in the documented order: `values` by field name (`_` for `-`),
    `-` elsewhere, quoted when they hold blanks. Used for the samples and in tests."""
    given = {name.replace("_", "-"): str(value) for name, value in values.items()}
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise ValueError(f"not Netskope fields: {sorted(unknown)}")
    width = FIELDS.index("x-sc-notification-name") + 1

    def cell(name: str) -> str:
        value = given.get(name, "-")
        return f'"{value}"' if re.search(r"[ \t]", value) else value

    return " ".join(cell(name) for name in FIELDS[:width])


class NetskopeTransactions(LogFormat):
    """Netskope web transaction events, as Log Streaming and Transaction Events deliver them.

    One blank-separated record per transaction, values quoted when they hold
    blanks, `-` (or `NotChecked`, `NoSSL`, `NotAvailable`) for nothing. The
    streams carry no header: fields are read in Netskope's documented order,
    which each format version only extends (Format 1 has 59 fields, the 2023
    streams 146), so any record of 59 fields or more is read by position (a
    record cut short after its 59th field keeps every field read). A
    `#Fields:` header (or the bare `date,time,time-taken,…` header of CSV
    exports) names the columns instead and may change mid-file; CSV records
    are read too. `date`/`time` are GMT, so `--timezone` does not apply;
    `x-cs-timestamp` (epoch) stands in when they are absent. The client is
    `x-cs-userip` (documented as the client address), else `c-ip`; the user
    `cs-username`, as logged (Netskope writes the user's IP there when it
    knows no user name); the host `cs-host`,
    else the TLS SNI `x-cs-sni`, else `cs-dns`; the path `cs-uri` (and
    `cs-uri-query`); bytes out `cs-bytes`, in `sc-bytes`; the action from
    `x-policy-action` (`allow`, `block`, `useralert`, …) or `x-action`.

        2025-12-01 10:00:00 412 1830 48211 50041 198.51.100.7 104.18.32.47 alice@acme.example \
POST https - "Mozilla/5.0 (Windows NT 10.0)" … 200 - chatgpt.com chatgpt.com \
/backend-api/conversation 443 … allow …

    (one line of 146 fields, shortened here.)
    """

    name = "netskope"
    replay = b"#"  # #Fields, or a header row first
    title = "Netskope web transaction events (Log Streaming)"
    fills = (
        "client_ip", "user", "port", "method", "url_path", "status", "action", "bytes_out",
        "bytes_in", "user_agent",
    )  # fmt: skip
    samples = (
        record(
            date="2025-12-01",
            time="10:00:00",
            time_taken=412,
            cs_bytes=1830,
            sc_bytes=48211,
            bytes=50041,
            c_ip="198.51.100.7",
            s_ip="104.18.32.47",
            cs_username="alice@acme.example",
            cs_method="POST",
            cs_uri_scheme="https",
            cs_user_agent="Mozilla/5.0 (Windows NT 10.0)",
            sc_status=200,
            cs_dns="chatgpt.com",
            cs_host="chatgpt.com",
            cs_uri="/backend-api/conversation",
            cs_uri_port=443,
            x_cs_access_method="Client",
            x_cs_app="ChatGPT",
            x_cs_timestamp=1764583200,
            x_cs_userip="10.0.0.5",
            x_cs_traffic_type="CloudApp",
            x_category="Generative AI",
            x_type="http_transaction",
            x_cs_sni="chatgpt.com",
            x_cs_url="https://chatgpt.com/backend-api/conversation",
            x_policy_action="allow",
            x_policy_name="Allow GenAI",
        ),
        record(
            date="2025-12-01",
            time="10:00:03",
            time_taken=51,
            cs_bytes=517,
            sc_bytes=0,
            bytes=517,
            c_ip="198.51.100.7",
            s_ip="160.79.104.10",
            cs_username="bob@acme.example",
            cs_dns="claude.ai",
            cs_host="claude.ai",
            cs_uri_port=443,
            x_cs_access_method="Client",
            x_cs_timestamp=1764583203,
            x_cs_userip="10.0.0.6",
            x_cs_traffic_type="Web",
            x_type="http_transaction",
            x_cs_sni="claude.ai",
            x_policy_action="block",
            x_policy_name="Block unsanctioned AI",
        ),
    )

    def signature(self, head: list[str]) -> bool:
        """A header naming Netskope's own fields, or else a long record led by date and time.

        A header naming other fields (a ProxySG or IIS log) is the W3C format's.
        """
        header = next((m[1] for line in head if (m := _HEADER.match(line.lstrip()))), None)
        if header is not None:
            return len(_OWN_NAMES.intersection(re.split(r"[ ,\t]+", header.lower()))) >= 2
        return any(
            re.search(_DATE_TIME, line[:200]) and _width(line) >= MIN_FIELDS for line in head
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        """Cut the chunk at header lines; each run of records uses the layout in force."""
        layout = ctx.state.setdefault(_STATE, {"fields": None})
        lines = unwrapped(chunk)
        line = pl.col("line")
        cuts = lines.with_row_index("i").filter(
            line.str.starts_with("#") | line.str.contains(r"^date[ ,]+time[ ,]+time-taken")
        )
        parts, start = [], 0
        for i, text in cuts.select("i", "line").iter_rows():
            parts.append(_events(lines.slice(start, i - start), layout["fields"]))
            if header := _HEADER.match(text):
                names = tuple(n.strip('"').lower() for n in re.split(r"[ ,\t]+", header[1]) if n)
                layout["fields"] = names or None
            start = i + 1
        parts.append(_events(lines.slice(start), layout["fields"]))
        return pl.concat(parts).collect()


def _width(line: str) -> int:
    """How many fields a record holds, blank- or comma-separated."""
    comma = re.search(r"\d{4}-\d\d-\d\d,", line[:40]) is not None
    return len(re.findall(_CSV_FIELD if comma else _TOKEN, line))


def _tokens() -> pl.Expr:
    """A record's fields as a list: CSV when the date is followed by a comma, else blanks."""
    line = pl.col("line")
    csv = line.str.contains(r"^\s*\d{4}-\d\d-\d\d,")
    cells = line.str.extract_all(_CSV_FIELD).list.eval(pl.element().str.strip_prefix(","))
    return pl.when(csv).then(cells).otherwise(line.str.extract_all(_TOKEN))


def _columns(seg: pl.DataFrame, fields: tuple[str, ...] | None) -> pl.LazyFrame:
    """The wanted raw values by name (null when the layout lacks them) and a `valid` flag."""
    names = fields or FIELDS
    tokens = seg.lazy().select("source_line", _tokens().alias("tokens"))

    def value(names_for_field: tuple[str, ...]) -> pl.Expr:
        """The first of the field's names the layout has (cleaning a name it lacks would
        clean a null once per missing name)."""
        present = [n for n in names_for_field if n in names]
        if not present:
            return pl.lit(None, pl.String)
        tokens = pl.col("tokens").list
        return pl.coalesce(_clean(tokens.get(names.index(n), null_on_oob=True)) for n in present)

    count = pl.col("tokens").list.len()
    valid = (count == len(fields)) if fields else (count >= MIN_FIELDS)
    return tokens.select(
        "source_line",
        *(value(names_for).alias(f) for f, names_for in _NAMES.items()),
        valid.alias("valid"),
    )


def _clean(text: pl.Expr) -> pl.Expr:
    """A field's value: unquoted (`""` and `\\"` are quotes), placeholders null."""
    quoted = text.str.starts_with('"') & text.str.ends_with('"') & (text.str.len_chars() > 1)
    inner = text.str.slice(1, text.str.len_chars() - 2)
    inner = inner.str.replace_all('""', '"', literal=True).str.replace_all('\\"', '"', literal=True)
    value = pl.when(quoted).then(inner).otherwise(text)
    return pl.when(value.str.strip_chars().is_in(_NULLS)).then(None).otherwise(value)


def _timestamp() -> pl.Expr:
    """`date time` in GMT (Netskope's documented zone), else `x-cs-timestamp` epoch seconds."""
    text = pl.concat_str(pl.col("date"), pl.col("time"), separator=" ")
    naive = text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False)
    epoch = epoch_seconds(pl.col("epoch").str.extract(r"^(\d{9,10})$"))
    return pl.coalesce(naive.dt.replace_time_zone("UTC"), epoch).cast(UTC_MICROS)


def _events(seg: pl.DataFrame, fields: tuple[str, ...] | None) -> pl.LazyFrame:
    c = pl.col
    connect = c("method").eq_missing("CONNECT")
    has_query = c("path").str.contains("?", literal=True).fill_null(False)
    path = pl.when(has_query).then(c("path")).otherwise(c("path") + query_suffix(c("query")))
    projection = Projection(
        fields={
            "ts": _timestamp(),
            "event_kind": pl.lit("http"),
            "client_ip": c("client_ip"),
            "user_raw": c("user"),
            "host_raw": pl.coalesce(c("host"), c("url_authority")),
            "port": c("port"),
            "method": c("method"),
            "url_path": pl.when(~connect).then(pl.coalesce(path, c("url_path"))),
            "status": c("status"),
            "action": verdict(c("verdict")),
            "bytes_out": c("bytes_out"),
            "bytes_in": c("bytes_in"),
            "user_agent": c("user_agent"),
        },
        also=c("valid"),
        url=c("url"),
    )
    return project(_columns(seg, fields), projection)
