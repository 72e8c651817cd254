"""`make bench`: ingest fanned out over 2 Dask workers beside a local run, and commit rates.

- the same 4 Squid files of 1M lines each, ingested in this process by
  `pipeline.ingest` and by `distribute.ingest` on an already running
  2-worker LocalCluster (as with `--scheduler tcp://…`): wall time, lines/s,
  and the lines/s of one worker while it computes (Dask's task stream); then
  as a user runs them, `shadowscan ingest` with and without `--scheduler
  local:2` (process and cluster start included);
- the per-task overhead: a no-op task's round trip through the scheduler,
  and the client's two commits per file (events, manifest row);
- commits/s of an empty append (no file, one application transaction) on a
  local Delta table opened for each commit as the store does: where one
  table's commit rate becomes the limit.

Run with `python -m bench.dask` (the module name shadows Dask's when run as a
file). Timings are printed, never asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from bench.generate import block
from shadowscan import distribute
from shadowscan.pipeline import ingest
from shadowscan.schema import PARTITION_COLUMN, TABLE_SCHEMA
from shadowscan.store.delta import EventStore

DATA = Path(__file__).parent / "data"
FILES, LINES = 4, 1_000_000
SMALL_LINES = 200
COMMITS = 200
SCHEDULER = ("--scheduler", "local:2")


def squid_files(count: int, lines: int, folder: Path) -> list[Path]:
    """`count` distinct Squid logs of `lines` lines (each a different stretch of rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"access-{i}.log"
        if not path.exists():
            rows = block(i * lines, lines)["line"]
            path.write_bytes(("\n".join(rows) + "\n").encode())
            old = time.time() - 3600  # settled: nothing held back as still being written
            os.utime(path, (old, old))
        paths.append(path)
    return paths


def cli_seconds(paths: list[Path], *extra: str) -> float:
    """Wall time of one `shadowscan ingest` process into a fresh store."""
    store = Path(tempfile.mkdtemp(prefix="shadowscan-bench-"))
    exe = Path(sys.executable).with_name("shadowscan")
    try:
        started = time.perf_counter()
        subprocess.run([exe, "ingest", "-q", "--store", store / "s", *extra, *paths], check=True)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(store, ignore_errors=True)


def fanned_out(paths: list[Path], address: str, client) -> tuple[float, list[float]]:
    """Wall time of `distribute.ingest` on a running cluster, and each task's compute time."""
    from distributed import get_task_stream

    store = Path(tempfile.mkdtemp(prefix="shadowscan-bench-"))
    try:
        with get_task_stream(client) as stream:
            started = time.perf_counter()
            distribute.ingest(paths, EventStore(store / "s"), address)
            seconds = time.perf_counter() - started
        computes = [
            part["stop"] - part["start"]
            for task in stream.data
            if "read_share" in str(task["key"])
            for part in task["startstops"]
            if part["action"] == "compute"
        ]
        return seconds, computes
    finally:
        shutil.rmtree(store, ignore_errors=True)


def local_seconds(paths: list[Path]) -> float:
    store = Path(tempfile.mkdtemp(prefix="shadowscan-bench-"))
    try:
        started = time.perf_counter()
        ingest(paths, EventStore(store / "s"))
        return time.perf_counter() - started
    finally:
        shutil.rmtree(store, ignore_errors=True)


def commits_per_second() -> float:
    """Empty appends (one application transaction, no file) on a fresh local table, the
    table opened for each commit as the store does."""
    folder = Path(tempfile.mkdtemp(prefix="shadowscan-bench-")) / "events"
    schema = pl.DataFrame(schema=TABLE_SCHEMA).to_arrow().schema
    try:
        write_deltalake(str(folder), pl.DataFrame(schema=TABLE_SCHEMA).to_arrow())
        started = time.perf_counter()
        for i in range(COMMITS):
            DeltaTable(str(folder)).create_write_transaction(
                [],
                mode="append",
                schema=schema,
                partition_by=[PARTITION_COLUMN],
                commit_properties=CommitProperties(app_transactions=[Transaction(f"b:{i}", i)]),
            )
        return COMMITS / (time.perf_counter() - started)
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def round_trip_ms(client) -> float:
    """Median time to submit a task that does nothing and get its result back."""
    times = []
    for _ in range(50):
        started = time.perf_counter()
        client.submit(int, pure=False).result()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000


def commit_ms(path: Path) -> float:
    """Median time of what the client does per finished file: one events commit of the
    file's Parquet files, then its manifest row (each a Delta commit)."""
    store = EventStore(Path(tempfile.mkdtemp(prefix="shadowscan-bench-")) / "s")
    try:
        ingest([path], store)  # a table, some events and a manifest row to copy
        events = store.events().head(SMALL_LINES).collect()
        row = store.runs().collect().row(0, named=True)
        times = []
        for i in range(30):
            actions = store.write([events], "bench")
            started = time.perf_counter()
            store.commit(actions, source_file=str(path), source_id="bench", offset=i)
            store.record_run(row)
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2] * 1000
    finally:
        shutil.rmtree(store.root.parent, ignore_errors=True)


def main() -> None:
    from distributed import Client, LocalCluster

    big = squid_files(FILES, LINES, DATA / "dask")
    small = squid_files(1, SMALL_LINES, DATA / "dask-small")[0]
    lines = FILES * LINES
    local = local_seconds(big)
    print(
        f"local run, {FILES} x {LINES:,} Squid lines: {local:6.2f} s, "
        f"{lines / local:>9,.0f} lines/s"
    )
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("shadowscan.distribute"))  # imports are not the task's
        fanned, computes = fanned_out(big, cluster.scheduler_address, client)
        per_worker = LINES / (sum(computes) / len(computes)) if computes else float("nan")
        print(
            f"2 workers on a running cluster: {fanned:6.2f} s, {lines / fanned:>10,.0f} lines/s "
            f"({local / fanned:.2f}x the local run); one worker computing: "
            f"{per_worker:,.0f} lines/s"
        )
        trip = round_trip_ms(client)
    commit = commit_ms(small)
    print(
        f"per task: {trip:.0f} ms to schedule a task and get its result back, then "
        f"{commit:.0f} ms for the client's two commits (events, manifest row), which a "
        "local run makes too"
    )
    print(f"empty appends on one local Delta table: {commits_per_second():.0f} commits/s")
    for label, extra in (("shadowscan ingest", ()), ("... --scheduler local:2", SCHEDULER)):
        seconds = cli_seconds(big, *extra)
        print(f"{label:<24} {seconds:6.2f} s, {lines / seconds:>9,.0f} lines/s (start included)")


if __name__ == "__main__":
    main()
