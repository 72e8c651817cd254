"""`make bench`: dashboard refreshes over the 10M-event Squid store, beside a naive aggregation.

Each measurement runs in its own process and reports its own wall time
without the imports, and its own peak RSS (`ru_maxrss` of the process
itself, so the ingest it starts is not counted in it):

- first load: `DashboardSource.report` with an empty summary cache, every
  file of the store summarised (what the first report or dashboard costs);
- another process: the same with the summaries on disk (every later
  `report`, or a dashboard started again);
- refresh after an ingest: that process ingests 10,000 more lines (in a
  child) into a copy of the store and refreshes: only the new file is read;
- idle refresh: the same call again with the store unchanged;
- `report --format json` from the command line, whole process, summaries on disk;
- naive Polars: scan ts, identity, host of the whole store, users and events
  per host, the issue's yardstick for "at most half its time".

`SHADOWSCAN_BENCH_STORE=DIR` reuses a store; otherwise one is built from the
generated 10M-line log under bench/data (written in a child, see
bench.bounded). Times are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
LINES = 10_000_000
MORE = 10_000

REFRESH = """
import json, resource, subprocess, sys, time
from pathlib import Path
from shadowscan.dashboard.source import DEFAULT_RANGE, DashboardSource
from shadowscan.match.catalogue import load_catalogue
from shadowscan.policy.config import load_policy
from shadowscan.store.delta import EventStore
store, more = Path(sys.argv[1]), sys.argv[2:]
catalogue = load_catalogue()
source = DashboardSource(EventStore(store), catalogue, load_policy(None, {}, catalogue))
started = time.perf_counter()
report = source.report(DEFAULT_RANGE)
out = {"load": time.perf_counter() - started, "events": report.events_in_period}
if more:
    subprocess.run(more, check=True)
    started = time.perf_counter()
    changed = source.report(DEFAULT_RANGE)
    out["refresh"] = time.perf_counter() - started
    out["added"] = changed.events_in_period - report.events_in_period
    idle = []
    for _ in range(5):
        started = time.perf_counter()
        assert source.report(DEFAULT_RANGE) is changed
        idle.append(time.perf_counter() - started)
    out["idle"] = sorted(idle)[2]
out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

NAIVE = """
import json, resource, sys, time
import polars as pl
started = time.perf_counter()
per_host = (
    pl.scan_delta(sys.argv[1] + "/events")
    .select("ts", "identity", "host")
    .group_by("host")
    .agg(pl.col("identity").n_unique().alias("users"), pl.len().alias("events"),
         pl.col("ts").max())
    .collect()
)
print(json.dumps({"naive": time.perf_counter() - started, "hosts": per_host.height,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: object, env: dict) -> dict:
    """What the child process printed (its timings and peak RSS)."""
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout)


def timed(command: list, env: dict) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of a whole command."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:2]} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def bench_store() -> Path:
    if given := os.environ.get("SHADOWSCAN_BENCH_STORE"):
        return Path(given)
    store = DATA / "store-10M"
    if not (store / "events").is_dir():
        log = DATA / "squid-10M.log"
        code = f"import bench.generate as g; g.generate(g.Path({str(log)!r}), {LINES})"
        subprocess.run([sys.executable, "-c", code], check=True)
        subprocess.run([_exe(), "ingest", "--quiet", "--store", store, log], check=True)
    return store


def _exe() -> str:
    return str(Path(sys.executable).with_name("shadowscan"))


def main() -> None:
    store = bench_store()
    work = Path(tempfile.mkdtemp(prefix="shadowscan-bench-dashboard-"))
    env = {**os.environ, "SHADOWSCAN_CACHE": str(work / "cache")}
    try:
        cold = child(REFRESH, store, env=env)
        warm = child(REFRESH, store, env=env)
        copy = work / "store"
        shutil.copytree(store, copy)
        more = work / "more.log"  # the lines after the store's own, in a child
        code = f"import bench.generate as g; g.generate(g.Path({str(more)!r}), {MORE}, {LINES})"
        subprocess.run([sys.executable, "-c", code], check=True)
        ingest = [_exe(), "ingest", "--quiet", "--store", copy, more]
        live = child(REFRESH, copy, *ingest, env=env)
        cli = timed([_exe(), "report", "--store", store, "--format", "json"], env)
        naive = child(NAIVE, store, env=env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = naive["naive"]
    print(f"dashboard refresh over {cold['events']:,} stored events ({store}):")
    rss = "s, peak RSS {:,.0f} MB"
    print(f"  first load (every file summarised):  {cold['load']:6.2f} {rss.format(cold['rss'])}")
    print(f"  another process (summaries on disk): {warm['load']:6.2f} {rss.format(warm['rss'])}")
    print(
        f"  refresh after ingesting {live['added']:,} events: {live['refresh']:6.2f} s "
        f"({live['refresh'] / base:.2f}x naive), process peak RSS {live['rss']:,.0f} MB"
    )
    print(f"  idle refresh (cached by Delta version): {live['idle'] * 1000:6.1f} ms")
    print(f"  report --format json, whole process: {cli[0]:6.2f} s, peak RSS {cli[1]:,.0f} MB")
    print(f"  naive Polars aggregation:           {base:6.2f} s, peak RSS {naive['rss']:,.0f} MB")


if __name__ == "__main__":
    main()
