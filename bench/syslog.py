"""Cost of the syslog unwrapper alone: `strip_syslog` µs per line, by header shape.

Every syslog-borne format runs `strip_syslog` on every line, so its cost is
paid once per line of every FortiGate, PAN-OS, CEF, Squid… file. Each shape is
the same payloads (the fixtures of a few formats) behind one kind of header,
repeated to 200,000 lines and unwrapped as one chunk;
the best of five runs is printed (`python -m bench.syslog`).
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from shadowscan.formats.syslog import strip_syslog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LINES = 200_000
#: Header shapes: a format string around the payload.
SHAPES = {
    "none": "{}",
    "pri only": "<14>{}",
    "rfc3164 host prog": "<14>Dec  1 10:00:00 fw1 prog[12]: {}",
    "rfc3164 host": "<14>Dec  1 10:00:00 fw1 {}",
    "rfc3164 no host": "Dec  1 10:00:00 {}",
    "rfc5424": "<14>1 2025-12-01T10:00:00Z fw1 prog 12 - - {}",
    "iso host": "2025-12-01T10:00:00+01:00 fw1 {}",
    "iso tabs": "2025-12-01T10:00:00\tprog[12]\t{}",
}


def payloads() -> list[str]:
    """The data lines of the FortiGate, PAN-OS and Unbound `basic` fixtures, headers removed."""
    lines = []
    for name in ("fortigate", "panos", "unbound"):
        text = (FIXTURES / name / "basic.log").read_text(encoding="utf-8").splitlines()
        frame = pl.DataFrame({"source_line": range(len(text)), "line": text})
        lines += strip_syslog(frame)["msg"].to_list()
    return lines


def per_line(lines: list[str]) -> tuple[float, float]:
    """Best of five: wall and CPU (all threads) µs per line to unwrap `lines`. CPU time is
    the steadier figure on a shared machine."""
    frame = pl.DataFrame({"source_line": range(len(lines)), "line": lines})
    wall = cpu = float("inf")
    for _ in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        strip_syslog(frame)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall / len(lines) * 1e6, cpu / len(lines) * 1e6


def main() -> None:
    base = payloads()
    body = (base * (LINES // len(base) + 1))[:LINES]
    print(f"{'header shape':<22}{'wall µs/line':>14}{'CPU µs/line':>14}")
    for shape, template in SHAPES.items():
        wall, cpu = per_line([template.format(p) for p in body])
        print(f"{shape:<22}{wall:>14.3f}{cpu:>14.3f}")


if __name__ == "__main__":
    main()
