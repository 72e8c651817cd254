"""`make bench`: one dashboard refresh over the 10M-event Squid store, beside a naive aggregation.

Each measurement runs in its own process (peak RSS from wait4 is that
process's alone) and reports its own wall time without the imports:

- refresh, changed store: `DashboardSource.report`, i.e. `build_report` (what
  a refresh costs after an ingest committed something);
- refresh, idle store: the same call again with the store unchanged (every
  `--refresh` seconds of a quiet store);
- naive Polars: scan ts, identity, host of the whole store, users and events
  per host, the floor any exact report over raw events has to beat.

`SHADOWSCAN_BENCH_STORE=DIR` reuses a store; otherwise one is built from the
generated 10M-line log under bench/data. Times are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.generate import generate

DATA = Path(__file__).parent / "data"
LINES = 10_000_000

REFRESH = """
import json, sys, time
from pathlib import Path
from shadowscan.dashboard.source import DEFAULT_RANGE, DashboardSource
from shadowscan.match.catalogue import load_catalogue
from shadowscan.policy.config import load_policy
from shadowscan.store.delta import EventStore
catalogue = load_catalogue()
source = DashboardSource(EventStore(Path(sys.argv[1])), catalogue, load_policy(None, {}, catalogue))
started = time.perf_counter()
report = source.report(DEFAULT_RANGE)
changed = time.perf_counter() - started
idle = []
for _ in range(5):
    started = time.perf_counter()
    assert source.report(DEFAULT_RANGE) is report
    idle.append(time.perf_counter() - started)
print(json.dumps({"changed": changed, "idle": sorted(idle)[2], "events": report.events_in_period}))
"""

NAIVE = """
import json, sys, time
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
print(json.dumps({"naive": time.perf_counter() - started, "hosts": per_host.height}))
"""


def measure(code: str, store: Path) -> tuple[dict, float]:
    """The child's printed timings and its peak RSS in MB."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(store)], stdout=subprocess.PIPE, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("a dashboard benchmark process failed")
    return json.loads(out), usage.ru_maxrss / 1024


def bench_store() -> Path:
    if given := os.environ.get("SHADOWSCAN_BENCH_STORE"):
        return Path(given)
    store = DATA / "store-10M"
    if not (store / "events").is_dir():
        log = generate(DATA / "squid-10M.log", LINES)
        exe = Path(sys.executable).with_name("shadowscan")
        subprocess.run([exe, "ingest", "--quiet", "--store", store, log], check=True)
    return store


def main() -> None:
    store = bench_store()
    refresh, refresh_rss = measure(REFRESH, store)
    naive, naive_rss = measure(NAIVE, store)
    print(f"dashboard refresh over {refresh['events']:,} stored events ({store}):")
    changed = refresh["changed"]
    print(f"  changed store (build_report): {changed:6.2f} s, peak RSS {refresh_rss:,.0f} MB")
    print(f"  idle store (cached by Delta version): {refresh['idle'] * 1000:6.1f} ms")
    print(f"  naive Polars aggregation:     {naive['naive']:6.2f} s, peak RSS {naive_rss:,.0f} MB")
    print(f"  changed-store refresh / naive: {changed / naive['naive']:.2f}x")


if __name__ == "__main__":
    main()
