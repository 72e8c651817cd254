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
}

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
