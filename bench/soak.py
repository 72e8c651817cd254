"""Soak: logs appended to and rotated while `shadowscan ingest` runs from a loop.

A writer appends Squid lines to `access.log` at a steady rate and rotates it
like logrotate: by rename with delayed compression (`access.log` →
`access.log.1` → `access.log.2.gz` …), and every third time by copy-truncate.
A loop runs `shadowscan ingest` on the folder as cron would, `compact` once
half-way. At the end one last ingest must hold every line written, exactly
once. Prints the counts and the ingest runs' times and peak memory.

    python -m bench.soak [SECONDS]    (default 300)
"""

from __future__ import annotations

import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl

from shadowscan.store.delta import EventStore

RATE = 2_000  # lines per second
ROTATE_EVERY = 20.0  # seconds
INGEST_EVERY = 3.0


def line(i: int) -> str:
    return (
        f"{1795000000 + i / 1000:.3f} 120 10.1.{i % 200}.{i % 250} TCP_MISS/200 800 GET "
        f"https://h{i % 5000}.example.net/p/{i} user{i % 300} HIER_DIRECT/h.example.net "
        "text/html\n"
    )


class Writer(threading.Thread):
    def __init__(self, logs: Path, stop: threading.Event):
        super().__init__(daemon=True)
        self.logs, self.stop, self.written, self.rotations = logs, stop, 0, 0

    def run(self) -> None:
        last_rotation = time.monotonic()
        while not self.stop.is_set():
            started = time.monotonic()
            with open(self.logs / "access.log", "a") as f:
                f.write("".join(line(self.written + k) for k in range(RATE // 10)))
            self.written += RATE // 10
            if time.monotonic() - last_rotation > ROTATE_EVERY:
                self.rotate()
                last_rotation = time.monotonic()
            time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))

    def rotate(self) -> None:
        self.rotations += 1
        log = self.logs / "access.log"
        for n in sorted(
            (int(p.name.split(".")[2]) for p in self.logs.glob("access.log.*.gz")), reverse=True
        ):
            os.rename(self.logs / f"access.log.{n}.gz", self.logs / f"access.log.{n + 1}.gz")
        first = self.logs / "access.log.1"
        if first.exists():  # delaycompress: yesterday's .1 becomes .2.gz
            (self.logs / "access.log.2.gz").write_bytes(gzip.compress(first.read_bytes()))
            first.unlink()
        if self.rotations % 3 == 0:  # copytruncate
            shutil.copyfile(log, first)
            with open(log, "r+") as f:
                f.truncate(0)
        else:
            os.rename(log, first)


def ingest(exe: str, store: Path, logs: Path) -> tuple[float, int]:
    """(seconds, peak RSS in MB) of one `shadowscan ingest` run."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([exe, "ingest", "-q", "--store", str(store), str(logs)], check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - started, max(peak, before) // 1024


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    exe = str(Path(sys.executable).with_name("shadowscan"))
    root = Path(tempfile.mkdtemp(prefix="shadowscan-soak-"))
    logs, store = root / "logs", root / "store"
    logs.mkdir()
    stop = threading.Event()
    writer = Writer(logs, stop)
    writer.start()
    runs, compacted, deadline = [], False, time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs.append(ingest(exe, store, logs))
        if not compacted and time.monotonic() > deadline - seconds / 2:
            subprocess.run(
                [exe, "compact", "--store", str(store), "--vacuum-hours", "0"],
                check=True,
                capture_output=True,
            )
            compacted = True
        time.sleep(INGEST_EVERY)
    stop.set()
    writer.join()
    old = time.time() - 3600  # the writer has stopped: let the last lines count as settled
    for path in logs.iterdir():
        os.utime(path, (old, old))
    runs.append(ingest(exe, store, logs))
    events = EventStore(store).events().select("source_id", "source_line").collect()
    duplicates = int(events.is_duplicated().sum())
    print(
        f"soak: {seconds:.0f} s, {writer.written:,} lines written, {writer.rotations} "
        f"rotations, {len(runs)} ingest runs, compact once"
    )
    print(
        f"store: {events.height:,} events, {duplicates} duplicated, "
        f"{writer.written - events.height:,} missing"
    )
    times = pl.Series([t for t, _ in runs])
    print(
        f"ingest runs: median {times.median():.2f} s, max {times.max():.2f} s, "
        f"peak RSS {max(m for _, m in runs)} MB"
    )
    shutil.rmtree(root)
    if events.height != writer.written or duplicates:
        raise SystemExit("soak FAILED: the store does not hold every line exactly once")


if __name__ == "__main__":
    main()
