"""`make bench`: does `watch` keep up with a log appended at 50,000 lines/s?

A writer appends pre-generated Squid lines to `access.log` at `RATE` lines per
second, in tenths of a second, for `SECONDS`; `shadowscan watch --no-dashboard
--interval INTERVAL` runs beside it. Every second the store's committed line
count is read from its manifest; the lag is how far the count is behind what
was written, in seconds of writing. Prints the worst and the final lag and the
watch process's peak RSS: a lag that stays under two intervals keeps up.

    python -m bench.watch [SECONDS]    (default 60)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl

from bench.bounded import LINES
from bench.run import DATA
from shadowscan.store.delta import EventStore

RATE = 50_000  # lines per second
INTERVAL = 5.0  # watch's --interval


def committed(store: Path) -> int:
    """Lines the store's manifest says were read (0 before the first commit)."""
    try:
        runs = EventStore(store).runs().select(pl.col("lines").sum()).collect()
    except Exception:  # the table is being created: nothing committed yet
        return 0
    return int(runs.item() or 0)


def main() -> None:
    seconds = min(int(sys.argv[1]) if len(sys.argv) > 1 else 60, LINES // RATE)
    lines = DATA / "squid-3M-300hosts.log"
    if not lines.exists():  # written in a child: see bench.bounded
        code = f"import bench.bounded as b; b.many_hosts(b.DATA / {lines.name!r}, 300)"
        subprocess.run([sys.executable, "-c", code], check=True)
    work = Path(tempfile.mkdtemp(prefix="shadowscan-watch-"))
    (work / "logs").mkdir()
    log, store = work / "logs" / "access.log", work / "store"
    log.touch()
    exe = Path(sys.executable).with_name("shadowscan")
    watch = subprocess.Popen(
        [exe, "watch", "--no-dashboard", "-q", "--interval", str(INTERVAL), "--store", store,
         work / "logs"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    source = lines.read_bytes().splitlines(keepends=True)  # after the fork: watch's RSS is its own
    written = 0

    def write() -> None:
        nonlocal written
        step = RATE // 10
        started = time.monotonic()
        with open(log, "ab") as out:
            while written + step <= min(len(source), RATE * seconds):
                out.write(b"".join(source[written : written + step]))
                out.flush()
                written += step
                time.sleep(max(0.0, started + written / RATE - time.monotonic()))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    worst = 0.0
    while writer.is_alive():
        time.sleep(1)
        worst = max(worst, (written - committed(store)) / RATE)
    deadline = time.monotonic() + 6 * INTERVAL
    while committed(store) < written and time.monotonic() < deadline:
        time.sleep(0.5)
    final = (written - committed(store)) / RATE
    print(
        f"watch at {RATE:,} lines/s for {seconds} s ({written:,} lines): worst lag "
        f"{worst:.1f} s ({worst / INTERVAL:.1f} intervals), behind at the end {final:.1f} s",
        end="",
        flush=True,
    )
    watch.send_signal(signal.SIGTERM)
    usage = _reap(watch.pid, timeout=60)
    print(f", peak RSS {usage.ru_maxrss / 1024:,.0f} MB" if usage else ": watch ignored SIGTERM")


def _reap(pid: int, timeout: float):
    """The resource usage of `pid` once it exits; None (after SIGKILL) past `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, _, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return usage
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    os.wait4(pid, 0)
    return None


if __name__ == "__main__":
    main()
