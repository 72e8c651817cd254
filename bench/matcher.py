"""Matcher speed: unique hosts per second against the whole catalogue, and explain latency.

Two host mixes, a million unique hosts each:
- `office`: what a proxy sees, 96% hosts no rule knows (many under the same
  parents as AI hosts: googleapis.com, microsoft.com, amazonaws.com) and 4%
  AI hosts and their subdomains;
- `adversarial`: every host under a catalogue pattern's last two labels, so
  every one is expanded and joined (the prefilter lets nothing through early).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from shadowscan.match.catalogue import load_catalogue
from shadowscan.match.explain import explain
from shadowscan.match.matcher import HostMatcher

HOSTS = 1_000_000
PARENTS = ["example.com", "googleapis.com", "microsoft.com", "amazonaws.com", "cdn.example.net",
           "co.uk", "github.com", "cloudfront.net", "akamaiedge.net", "azure.com"]  # fmt: skip


def host_mix(patterns: list[str], ai_share: float, seed: int = 7) -> pl.Series:
    """`HOSTS` unique hosts: `ai_share` of them under catalogue patterns, the rest elsewhere."""
    n_ai = int(HOSTS * ai_share)
    ids = pl.int_range(0, HOSTS, eager=True)
    frame = pl.DataFrame({"i": ids}).with_columns(
        pl.col("i").hash(seed).alias("h"),
    )
    ai_parent = pl.lit(pl.Series(patterns)).gather(pl.col("h") % len(patterns))
    other = pl.lit(pl.Series(PARENTS)).gather(pl.col("h") % len(PARENTS))
    label = pl.lit("h") + pl.col("i").cast(pl.String)
    hosts = frame.select(
        pl.when(pl.col("i") < n_ai)
        .then(label + pl.lit(".") + ai_parent)
        .otherwise(label + pl.lit(".") + other)
        .alias("host")
    )
    return hosts["host"]


def best_of(run, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    catalogue = load_catalogue()
    matcher = HostMatcher(catalogue)
    patterns = sorted({r.pattern for r in catalogue.host_rules})
    roots = sorted({".".join(p.split(".")[-2:]) for p in patterns})
    print(f"catalogue: {len(catalogue.services)} services, {len(patterns)} host patterns")
    for name, hosts in (
        ("office (4% AI)", host_mix(patterns, 0.04)),
        ("adversarial (all under AI parents)", host_mix(roots, 1.0)),
    ):
        matched = matcher.match_hosts(hosts).height
        seconds = best_of(lambda h=hosts: matcher.match_hosts(h))
        print(f"match_hosts {name}: {HOSTS:,} unique hosts in {seconds:.2f} s = "
              f"{HOSTS / seconds:,.0f} hosts/s ({matched:,} matched)")  # fmt: skip
    explain(matcher, "chatgpt.com")
    per = best_of(lambda: explain(matcher, "https://x.individual.githubcopilot.com/v1/x"), 20)
    print(f"rules explain (in process): {per * 1000:.1f} ms per host")
    exe = str(Path(sys.executable).with_name("shadowscan"))
    wall = best_of(lambda: subprocess.run([exe, "rules", "explain", "chatgpt.com"],
                                          capture_output=True, check=True), 3)  # fmt: skip
    print(f"`shadowscan rules explain` (whole process, imports included): {wall * 1000:.0f} ms")


if __name__ == "__main__":
    main()
