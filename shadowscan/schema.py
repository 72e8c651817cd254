"""The one normalised event schema every parser produces and the store keeps.

Declared once here with a description per field; the README's schema table is
generated from it and tests assert every parser's output matches it exactly.
"""

from __future__ import annotations

import polars as pl

UTC_MICROS = pl.Datetime("us", "UTC")

EVENT_KINDS = ("dns", "http", "tls", "flow")
ACTIONS = ("allowed", "blocked", "unknown")

#: name -> (dtype, description)
FIELDS: dict[str, tuple[pl.DataType, str]] = {
    "ts": (UTC_MICROS, "When the event happened, UTC, microsecond precision."),
    "event_kind": (pl.String, "dns, http, tls or flow: what kind of record this was."),
    "client_ip": (pl.String, "Address of the client that made the request."),
    "user_raw": (pl.String, "The user name exactly as logged (e.g. `ACME\\alice`)."),
    "user": (pl.String, "Lower-case account name without NT domain or UPN suffix."),
    "identity": (pl.String, "Who: `user` when the log names one, else `client_ip`."),
    "host": (
        pl.String,
        "Destination host: lower case, no trailing dot, no port, IDNA as punycode.",
    ),
    "registered_domain": (
        pl.String,
        "The host's registrable domain (`example.co.uk`), from the Public Suffix List.",
    ),
    "port": (pl.Int32, "Destination port, when the log gives one."),
    "method": (pl.String, "HTTP method (GET, POST, CONNECT, …) or DNS query type."),
    "url_path": (pl.String, "Path and query of the URL, when the log gives one."),
    "status": (pl.Int32, "HTTP status or DNS response code number."),
    "action": (pl.String, "allowed, blocked or unknown: what the device did."),
    "bytes_out": (pl.Int64, "Bytes sent by the client to the server."),
    "bytes_in": (pl.Int64, "Bytes sent by the server to the client."),
    "user_agent": (pl.String, "HTTP User-Agent, when logged."),
    "source_format": (pl.String, "Name of the parser that read the line."),
    "source_file": (pl.String, "Absolute path of the log file the event came from."),
    "source_line": (pl.Int64, "1-based line number in that (decompressed) file."),
    "cut": (
        pl.Boolean,
        "True when a text field was longer than its cap and was cut (see the caps below).",
    ),
}

#: The most characters of a text field the store keeps: log content is written by
#: whoever makes the request, and no event should grow past a few kilobytes. A
#: longer value is cut (a host keeps its last whole labels, which matching needs;
#: the rest keep their start) and the event's `cut` is set.
CAPS: dict[str, int] = {"url_path": 2048, "user_agent": 512, "host": 253, "registered_domain": 253}
#: The cap of the other text fields (user names, addresses, methods…).
DEFAULT_CAP = 256
#: Text that does not come from log content (the path the shadowscan user named).
UNCAPPED = frozenset({"source_file"})

#: Columns the store adds for partitioning; not part of an event.
PARTITION_COLUMN = "day"
#: The store's name for the logical log a line came from (stable across rotation):
#: what the ingest manifest, `--reingest` and deduplication key on.
SOURCE_COLUMN = "source_id"

EVENT_SCHEMA: pl.Schema = pl.Schema({name: dtype for name, (dtype, _) in FIELDS.items()})
#: What normalising a chunk gives: the events and their day.
STORE_SCHEMA: pl.Schema = pl.Schema({**EVENT_SCHEMA, PARTITION_COLUMN: pl.Date})
#: The events table: each event, the source it came from, its day.
TABLE_SCHEMA: pl.Schema = pl.Schema(
    {**EVENT_SCHEMA, SOURCE_COLUMN: pl.String, PARTITION_COLUMN: pl.Date}
)


def conform(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Select exactly the event schema, adding missing fields as nulls and casting the rest."""
    lazy = frame.lazy()
    present = set(lazy.collect_schema().names())
    return lazy.select(
        (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in EVENT_SCHEMA.items()
    )


def capped(events: pl.DataFrame) -> pl.DataFrame:
    """`events` with every text field within its cap and `cut` set where one was cut."""
    caps = {
        name: CAPS.get(name, DEFAULT_CAP)
        for name, dtype in EVENT_SCHEMA.items()
        if dtype == pl.String and name not in UNCAPPED
    }
    # bytes bound characters and cost nothing to count: most chunks stop here
    over = pl.any_horizontal(pl.col(n).str.len_bytes() > cap for n, cap in caps.items())
    if not events.select(over.fill_null(False).any()).item():
        return events.with_columns(pl.lit(False).alias("cut"))
    long = {n: pl.col(n).str.len_chars() > cap for n, cap in caps.items()}
    return events.with_columns(
        *(
            pl.when(long[n]).then(_cut(n, cap)).otherwise(pl.col(n)).alias(n)
            for n, cap in caps.items()
        ),
        pl.any_horizontal(long.values()).fill_null(False).alias("cut"),
    )


def _cut(name: str, cap: int) -> pl.Expr:
    """The first `cap` characters; for a host, its last whole labels within `cap`."""
    value = pl.col(name)
    if name not in ("host", "registered_domain"):
        return value.str.slice(0, cap)
    labels = value.str.slice(-(cap + 1)).str.extract(r"^[^.]*\.(.+)$")
    return pl.coalesce(labels, value.str.slice(0, cap))
