"""Turn a parser's rows into events of the one schema."""

from __future__ import annotations

import polars as pl

from shadowscan.enrich.hosts import HostTable
from shadowscan.enrich.identity import user_table
from shadowscan.schema import PARTITION_COLUMN, capped, conform


def normalise(
    parsed: pl.DataFrame, hosts: HostTable, source_format: str, source_file: str
) -> pl.DataFrame:
    """Events from a chunk's accepted rows: clean host and port, identity, provenance,
    long text capped (see `schema.CAPS`).

    Hosts and users are cleaned once per unique value and joined back, all in
    one lazy query; a port spelled in the host (`chatgpt.com:443`) fills a
    missing `port`.
    """
    rows = parsed.filter(pl.col("ok"))
    for name in ("host_raw", "user_raw", "port", "client_ip"):
        if name not in rows.columns:
            rows = rows.with_columns(pl.lit(None, pl.String).alias(name))
    events = (
        rows.lazy()
        .join(hosts.lookup(rows["host_raw"]).lazy(), on="host_raw", how="left")
        .join(user_table(rows["user_raw"]).lazy(), on="user_raw", how="left")
        .with_columns(
            pl.coalesce(pl.col("port").cast(pl.Int32, strict=False), "host_port").alias("port"),
            pl.coalesce("user", "client_ip").alias("identity"),
            pl.col("source_format").fill_null(source_format)  # a mixed file's own per line
            if "source_format" in rows.columns
            else pl.lit(source_format).alias("source_format"),
            pl.lit(source_file).alias("source_file"),
        )
    )
    events = conform(events).with_columns(pl.col("ts").dt.date().alias(PARTITION_COLUMN))
    return capped(events.collect())
