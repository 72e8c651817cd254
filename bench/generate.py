"""Deterministic Squid access.log generator for benchmarks.

Lines are built with Polars expressions from the row number alone, so the
same count always gives the same bytes: a mix of CONNECT tunnels and plain
HTTP requests from a few thousand clients and users to a few thousand hosts,
a slice of them AI services, with Squid's space-padded elapsed field.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

AI_HOSTS = [
    "chatgpt.com",
    "claude.ai",
    "gemini.google.com",
    "copilot.microsoft.com",
    "www.perplexity.ai",
    "chat.deepseek.com",
    "chat.mistral.ai",
    "grok.com",
    "api.openai.com",
]
OTHER_HOSTS = [f"www.site{i}.example{i % 40}.com" for i in range(3000)]
HOSTS = AI_HOSTS + OTHER_HOSTS
START = 1_764_547_200  # 2025-12-01T00:00:00Z
BLOCK = 1_000_000


def block(first: int, count: int) -> pl.DataFrame:
    n = pl.int_range(first, first + count, dtype=pl.Int64)
    mix = n.hash(seed=7)
    host = pl.lit(pl.Series(HOSTS)).gather(
        pl.when(mix % 10 == 0).then(mix % len(AI_HOSTS)).otherwise(mix % len(HOSTS))
    )
    connect = (mix // 10) % 5 < 2
    ts = pl.lit(START) + n * 3 // 1000
    millis = (n * 3 % 1000).cast(pl.String).str.zfill(3)
    elapsed = ((mix // 100) % 120_000).cast(pl.String).str.pad_start(6)
    user = (
        pl.when(mix % 7 == 0)
        .then(pl.lit("-"))
        .otherwise(pl.format("ACME\\user{}", (mix // 1000) % 2000))
    )
    url = (
        pl.when(connect)
        .then(pl.format("{}:443", host))
        .otherwise(pl.format("http://{}/path/{}/page.html?q={}", host, n % 997, mix % 89))
    )
    line = pl.format(
        "{}.{} {} 10.{}.{}.{} TCP_MISS/200 {} {} {} {} HIER_DIRECT/{} {}",
        ts,
        millis,
        elapsed,
        (mix // 7) % 8,
        (mix // 11) % 250,
        (mix // 13) % 250 + 1,
        (mix // 17) % 90_000 + 100,
        pl.when(connect).then(pl.lit("CONNECT")).otherwise(pl.lit("GET")),
        url,
        user,
        host,
        pl.when(connect).then(pl.lit("-")).otherwise(pl.lit("text/html")),
    )
    return pl.select(line.alias("line"))


def generate(path: Path, lines: int, start: int = 0) -> Path:
    """Write `lines` lines, from line number `start` on, to `path` unless it exists.

    Lines are numbered from the first of the whole log: `start` continues a log.
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        for first in range(start, start + lines, BLOCK):
            frame = block(first, min(BLOCK, start + lines - first))
            out.write(("\n".join(frame["line"]) + "\n").encode())
    tmp.rename(path)
    return path


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))
