"""Per-format throughput: each format's own fixture, repeated to a million lines.

Header lines (`#…`) are written once, data lines repeated; then one
`shadowscan ingest --log-format NAME` per format is measured like the Squid
benchmark. Repeated lines make the unique-host work optimistic, so these
numbers compare formats with each other, not with real traffic.

Two rates are printed: end to end (the whole process, as a user times it) and
steady (after start-up: the time of ingesting the format's small fixture,
about a second of imports, catalogue and store set-up, is subtracted), which
is what a large file sees.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.run import DATA, measure
from shadowscan.formats import FORMATS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LINES = 1_000_000


def scenario(name: str) -> Path | None:
    """The format's `basic` fixture, else its first scenario that is not an edge case."""
    folder = FIXTURES / name
    preferred = folder / "basic.log"
    if preferred.exists():
        return preferred
    edge = ("reject", "invalid", "empty", "header_only", "truncated")
    return next(
        (p for p in sorted(folder.glob("*.log")) if not any(e in p.stem for e in edge)), None
    )


def inflate(source: Path, target: Path, lines: int) -> int:
    """Write `source`'s headers once and its data lines repeated; the data line count."""
    text = source.read_text(encoding="utf-8").splitlines()
    headers = [line for line in text if line.startswith("#")]
    data = [line for line in text if line.strip() and not line.startswith("#")]
    if not data:
        return 0
    repeat = lines // len(data) + 1
    body = "\n".join(data) + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as out:
        out.write("".join(h + "\n" for h in headers))
        for _ in range(repeat):  # one copy at a time: a forked ingest inherits our memory
            out.write(body)
    return len(data) * repeat


def main() -> None:
    print(f"{'format':<20}{'lines':>12}{'end to end':>14}{'steady':>14}{'peak RSS':>12}")
    for name in sys.argv[1:] or FORMATS:  # `python -m bench.formats squid bind`: just those
        source = scenario(name)
        if source is None:
            continue
        log = DATA / "formats" / f"{name}.log"
        count = inflate(source, log, LINES)
        rate, rss = measure(log, count, ["--log-format", name])
        small_rate, _ = measure(source, 1, ["--log-format", name])
        steady = count / (count / rate - 1 / small_rate)
        print(f"{name:<20}{count:>12,}{rate:>14,.0f}{steady:>14,.0f}{rss:>9,.0f} MB")


if __name__ == "__main__":
    main()
