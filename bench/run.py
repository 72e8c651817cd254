"""`make bench`: ingest generated Squid logs and print lines/s and peak RSS.

Each ingest runs as its own `shadowscan ingest` process (as a user runs it),
measured with wait4 so the peak RSS is that process's alone. Timings are
printed, never asserted: this machine is shared and noisy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import generate

DATA = Path(__file__).parent / "data"
SIZES = (5_000_000, 20_000_000)


def measure(log: Path, lines: int, extra: list[str] | None = None) -> tuple[float, float]:
    """(lines per second, peak RSS in MB) of one ingest of `log` into a fresh store."""
    store = Path(tempfile.mkdtemp(prefix="shadowscan-bench-"))
    exe = Path(sys.executable).with_name("shadowscan")
    try:
        started = time.perf_counter()
        command = [exe, "ingest", "--quiet", "--store", store / "s", *(extra or []), log]
        proc = subprocess.Popen(command)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"ingest of {log} failed")
        return lines / seconds, usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(store, ignore_errors=True)


def prepare() -> list[Path]:
    return [generate(DATA / f"squid-{lines // 1_000_000}M.log", lines) for lines in SIZES]


def main() -> None:
    # Written in a child of their own: Linux counts a child's peak RSS across fork and
    # exec, so generating here would inflate every ingest measured after it.
    subprocess.run([sys.executable, "-c", "import bench.run as b; b.prepare()"], check=True)
    results = []
    for lines, log in zip(SIZES, prepare(), strict=True):
        rate, rss = measure(log, lines)
        results.append((lines, rate, rss))
        size = log.stat().st_size / 1e6
        print(
            f"{lines:>11,} lines ({size:,.0f} MB): {rate:>11,.0f} lines/s, peak RSS {rss:,.0f} MB"
        )
    (small, _, rss_small), (large, _, rss_large) = results[0], results[-1]
    growth = (rss_large / rss_small - 1) * 100
    print(f"peak RSS growth from {small:,} to {large:,} lines: {growth:+.1f}%")


if __name__ == "__main__":
    main()
