"""Keep long-lived frames from pinning the chunks they came from.

Polars stores strings as views into shared buffers: a few rows filtered or
grouped out of a chunk keep that chunk's whole buffers alive. Anything kept
across chunks (caches, tallies) is compacted first, or memory grows with the
input instead of staying bounded.
"""

from __future__ import annotations

import polars as pl


def detached(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of `frame` that owns its strings (Arrow export copies them contiguously)."""
    return pl.from_arrow(frame.to_arrow())
