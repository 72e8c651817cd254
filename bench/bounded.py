"""Memory stays bounded whatever the logs hold: `make bench` cases for issue 19.

Three ingests, each its own `shadowscan ingest` process (see `bench.run.measure`):
- `300 hosts`: 3M Squid lines over 300 hosts and 20k users, the baseline;
- `3M hosts`: the same lines, byte for byte as long, but every host unique
  (a large network's DNS and CDN traffic looks like this);
- `huge line`: a thousand ordinary lines around one 200 MB line (a URL any
  client can make as long as it likes).
Lines/s and peak RSS are printed side by side with the ratios to the
baseline: the machine is shared, so only same-run ratios mean much.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from bench.generate import AI_HOSTS, START
from bench.run import DATA, measure

LINES = 3_000_000
USERS = 20_000
BLOCK = 1_000_000
HUGE_BYTES = 200 << 20
#: Digits of a generated host number: both files' lines have the same length.
DIGITS = 7


def block(first: int, count: int, hosts: int) -> pl.DataFrame:
    """Squid lines `first…first+count`, hosts drawn from `hosts` distinct names."""
    n = pl.int_range(first, first + count, dtype=pl.Int64)
    mix = n.hash(seed=11)
    number = (n if hosts >= LINES else mix % hosts).cast(pl.String).str.zfill(DIGITS)
    other = pl.format("n{}.cdn{}.example.com", number, number.str.slice(DIGITS - 2))
    # one line in ten goes to a subdomain of an AI service
    ai = pl.lit(pl.Series(AI_HOSTS)).gather(mix % len(AI_HOSTS))
    host = pl.when(mix % 10 == 0).then(pl.format("n{}.{}", number, ai)).otherwise(other)
    line = pl.format(
        "{}.000 {} 10.{}.{}.{} TCP_MISS/200 {} CONNECT {}:443 ACME\\user{} HIER_DIRECT/{} -",
        pl.lit(START) + n // 1000,
        ((mix // 100) % 120_000).cast(pl.String).str.pad_start(6),
        (mix // 7) % 8,
        (mix // 11) % 250,
        (mix // 13) % 250 + 1,
        (mix // 17) % 90_000 + 100,
        host,
        ((mix // 1000) % USERS).cast(pl.String).str.zfill(5),
        host,
    )
    return pl.select(line.alias("line"))


def many_hosts(path: Path, hosts: int) -> Path:
    """Write `LINES` lines over `hosts` hosts to `path` unless it exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        for first in range(0, LINES, BLOCK):
            frame = block(first, min(BLOCK, LINES - first), hosts)
            out.write(("\n".join(frame["line"]) + "\n").encode())
    tmp.rename(path)
    return path


def huge_line(path: Path) -> Path:
    """500 ordinary lines, one Squid line with a 200 MB URL, 500 more, unless `path` exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = block(0, 1000, 300)["line"].to_list()
    head = f"{START}.000    100 10.0.0.1 TCP_MISS/200 500 GET http://chatgpt.com/".encode()
    tail = b" alice HIER_DIRECT/chatgpt.com text/html\n"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        out.write(("\n".join(lines[:500]) + "\n").encode())
        out.write(head)
        piece = b"A" * (1 << 20)
        for _ in range(HUGE_BYTES >> 20):
            out.write(piece)
        out.write(tail)
        out.write(("\n".join(lines[500:]) + "\n").encode())
    tmp.rename(path)
    return path


def prepare() -> list[tuple[str, Path, int]]:
    """The three cases, their logs written unless they exist."""
    return [
        ("3M lines x 300 hosts", many_hosts(DATA / "squid-3M-300hosts.log", 300), LINES),
        ("3M lines x 3M hosts", many_hosts(DATA / "squid-3M-3Mhosts.log", LINES), LINES),
        ("one 200 MB line", huge_line(DATA / "squid-huge-line.log"), 1001),
    ]


def main() -> None:
    # Written in a child of their own: Linux counts a child's peak RSS across fork and
    # exec, so generating here would inflate every ingest measured after it.
    subprocess.run([sys.executable, "-c", "import bench.bounded as b; b.prepare()"], check=True)
    cases = prepare()
    base = None
    for name, log, lines in cases:
        rate, rss = measure(log, lines)
        base = base or rate
        size = log.stat().st_size / 1e6
        # lines/s says nothing of a file that is mostly one line: its time says more
        speed = (
            f"{rate:>9,.0f} lines/s, {rate / base:.2f}x the first's"
            if lines == LINES
            else f"{lines / rate:>9.1f} s in all"
        )
        print(f"{name:<22} ({size:,.0f} MB): {speed:<40} peak RSS {rss:,.0f} MB")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
