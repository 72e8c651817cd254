"""Keyed pseudonyms: the same person gets the same opaque name in every report.

HMAC-SHA256 of the identity under the organisation's key, so nobody without
the key can link a pseudonym to a person, and an investigator with it can
(`shadowscan reveal`, which recomputes pseudonyms of known identities).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import replace
from pathlib import Path

import polars as pl

from shadowscan.analyse.aggregate import IngestHealth, Report
from shadowscan.errors import UsageError

KEY_ENV = "SHADOWSCAN_PSEUDONYM_KEY"
PREFIX = "p-"


def load_key(key_file: Path | None) -> bytes:
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            raise UsageError(f"cannot read the key file {key_file}: {exc.strerror}.") from None
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if len(key) < 16:
        raise UsageError(
            "pseudonyms need a key of at least 16 bytes.",
            hint=f"Set ${KEY_ENV} or pass --key-file (e.g. `head -c 32 /dev/urandom | base64`).",
        )
    return key


def pseudonym(key: bytes, identity: str) -> str:
    return PREFIX + hmac.new(key, identity.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def pseudonymize_column(frame: pl.DataFrame, column: str, key: bytes) -> pl.DataFrame:
    """Replace `column` by pseudonyms, computed once per unique value."""
    if column not in frame.columns or frame.is_empty():
        return frame
    unique = frame[column].drop_nulls().unique()
    table = pl.DataFrame(
        {column: unique, "_p": [pseudonym(key, v) for v in unique]},
        schema={column: pl.String, "_p": pl.String},
    )
    joined = frame.join(table, on=column, how="left", maintain_order="left")
    return joined.with_columns(pl.col("_p").alias(column)).drop("_p")


def pseudonymize_report(report: Report, key: bytes) -> Report:
    """The report with every identity replaced and raw log samples withheld."""
    h = report.ingest
    problems = h.problems.with_columns(
        pl.col("rejected_samples").list.eval(pl.lit("(withheld: --pseudonymize)")).list.head(1)
    )
    return replace(
        report,
        identities=pseudonymize_column(report.identities, "identity", key),
        shadow_identities=pseudonymize_column(report.shadow_identities, "identity", key),
        decisions=replace(
            report.decisions,
            champions=pseudonymize_column(report.decisions.champions, "identity", key),
        ),
        ingest=IngestHealth(h.files, h.lines, h.events, h.rejected, problems),
    )
