"""`make bench`: shadowscan's ingest beside a minimal Polars pipeline, per format family.

For each family a log with realistic host and user cardinality is generated
(`bench/workload.py`), then `shadowscan ingest` and the hand-written reference
(`bench/reference.py`) run on it alternately, each as its own process, three
times. Printed: medians of wall and CPU time, their ratios and each side's peak RSS. The machine is
shared and noisy, so only the ratio within one run means much.

    python -m bench.compare [FAMILY ...] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data" / "realistic"
#: Family → (lines, shadowscan format): Squid is the high-volume case.
FAMILIES = {
    "squid": (2_000_000, "squid"),
    "zeek-dns": (1_000_000, "zeek-tsv"),
    "suricata-dns": (1_000_000, "suricata"),
    "fortigate": (1_000_000, "fortigate"),
}


def timed(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one process, measured with wait4 (its
    own alone). CPU time (user + system) moves less than wall time on a busy machine."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def shadowscan(exe: list[str], log: Path, fmt: str, work: Path) -> tuple[float, float, float]:
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    return timed([*exe, "ingest", "--quiet", "--store", str(store), "--log-format", fmt, str(log)])


def reference(log: Path, family: str, work: Path) -> tuple[float, float, float]:
    out = work / "reference.parquet"
    return timed([sys.executable, "-m", "bench.reference", family, str(log), str(out)])


def generated(family: str, lines: int) -> Path:
    """The family's log, generated once by its own process: Linux keeps a process's peak RSS
    across fork and exec, so generating here would inflate every measured child's peak."""
    log = DATA / f"{family}-{lines // 1_000_000}M.log"
    if not log.exists():
        subprocess.run([sys.executable, "-m", "bench.workload", family, str(log), str(lines)],
                       check=True)  # fmt: skip
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--shadowscan",
        default=str(Path(sys.executable).with_name("shadowscan")),
        help="the command to measure, split on spaces (another build, to compare two versions)",
    )
    args = parser.parse_args()
    print(f"{'family':<14}{'lines':>11}{'wall: ours':>12}{'ref':>8}{'ratio':>7}"
          f"{'CPU: ours':>12}{'ref':>8}{'ratio':>7}{'RSS: ours':>12}{'ref':>9}")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="shadowscan-compare-"))
    try:
        for family in args.families:
            lines, fmt = FAMILIES[family]
            log = generated(family, lines)
            ours, theirs = [], []
            for _ in range(args.repeat):  # alternate, so both see the same machine load
                ours.append(shadowscan(args.shadowscan.split(), log, fmt, work))
                theirs.append(reference(log, family, work))
            wall = [statistics.median(t[0] for t in side) for side in (ours, theirs)]
            cpu = [statistics.median(t[1] for t in side) for side in (ours, theirs)]
            rss = [max(t[2] for t in side) for side in (ours, theirs)]
            w_ratio, c_ratio = wall[0] / wall[1], cpu[0] / cpu[1]
            print(f"{family:<14}{lines:>11,}{wall[0]:>11.2f}s{wall[1]:>7.2f}s{w_ratio:>6.2f}x"
                  f"{cpu[0]:>11.2f}s{cpu[1]:>7.2f}s{c_ratio:>6.2f}x"
                  f"{rss[0]:>9,.0f} MB{rss[1]:>6,.0f} MB", flush=True)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
