"""Minimal hand-written Polars pipelines: read a log, extract a few fields, write Parquet.

What a competent analyst would write for one format in ten lines, with no
normalising, matching or store: the floor shadowscan's ingest is compared with.

    python -m bench.reference FAMILY LOG OUT.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

NEVER = "\x1f"  # a separator byte that never occurs in logs: one column of whole lines


def lines(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(
        path, has_header=False, separator=NEVER, quote_char=None, new_columns=["line"],
        schema_overrides={"line": pl.String}, encoding="utf8-lossy",
    )  # fmt: skip


def squid(path: Path) -> pl.LazyFrame:
    words = pl.col("line").str.replace(r"^(\S+) +", "$1 ").str.split_exact(" ", 9)
    url = words.struct.field("field_6")
    return lines(path).select(
        words.struct.field("field_0").cast(pl.Float64, strict=False).alias("ts"),
        words.struct.field("field_2").alias("client_ip"),
        words.struct.field("field_3").alias("code"),
        url.str.extract(r"^(?:\w+://)?([^/:]+)").alias("host"),
        words.struct.field("field_7").alias("user"),
    )


def zeek_dns(path: Path) -> pl.LazyFrame:
    frame = pl.scan_csv(
        path, separator="\t", comment_prefix="#", has_header=False, quote_char=None,
        infer_schema=False,
    )  # fmt: skip
    return frame.select(
        pl.col("column_0").cast(pl.Float64, strict=False).alias("ts"),
        pl.col("column_2").alias("client_ip"),
        pl.col("column_9").alias("query"),
        pl.col("column_13").alias("qtype"),
        pl.col("column_14").alias("rcode"),
    )


def suricata_dns(path: Path) -> pl.LazyFrame:
    dns = pl.Struct({"type": pl.String, "rrname": pl.String, "rrtype": pl.String})
    schema = {"timestamp": pl.String, "event_type": pl.String, "src_ip": pl.String, "dns": dns}
    frame = pl.scan_ndjson(path, schema=schema, ignore_errors=True)
    return frame.filter(pl.col("dns").struct.field("type") == "query").select(
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False).alias("ts"),
        pl.col("src_ip").alias("client_ip"),
        pl.col("dns").struct.field("rrname").alias("query"),
        pl.col("dns").struct.field("rrtype").alias("qtype"),
    )


def fortigate(path: Path) -> pl.LazyFrame:
    def key(name: str) -> pl.Expr:
        return pl.col("line").str.extract(rf'(?:^|\s){name}="?([^"\s]*)').alias(name)

    keys = ("eventtime", "srcip", "user", "hostname", "url", "action")
    return lines(path).select(key(k) for k in keys)


PIPELINES = {
    "squid": squid,
    "zeek-dns": zeek_dns,
    "suricata-dns": suricata_dns,
    "fortigate": fortigate,
}

if __name__ == "__main__":
    family, log, out = sys.argv[1:4]
    PIPELINES[family](Path(log)).sink_parquet(out)
