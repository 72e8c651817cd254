"""Golden files: `fixtures/<format>/<scenario>.log` next to `<scenario>.expected.jsonl`.

`make golden` (python -m tests.golden) rewrites every expected file from the
current parsers; review the diff like code. Tests compare against them.
"""

from __future__ import annotations

import json
from pathlib import Path

from shadowscan.pipeline import parse_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: Year-less fixture times (syslog, dnsmasq) are read in this year, not the checkout's.
GOLDEN_YEAR = 2026


def cases() -> list[Path]:
    """Every scenario log under a folder named after a format."""
    from shadowscan.formats import FORMATS

    return sorted(p for name in FORMATS for p in (FIXTURES / name).glob("*.log"))


def expected_path(case: Path) -> Path:
    return case.with_name(case.stem + ".expected.jsonl")


def render(case: Path) -> str:
    """The normalised events of a scenario as JSON lines with sorted keys."""
    _, events = parse_file(case, log_format=case.parent.name, year=GOLDEN_YEAR)
    events = events.drop("day").sort("source_line")
    lines = []
    for row in events.iter_rows(named=True):
        row["ts"] = row["ts"].isoformat().replace("+00:00", "Z")
        row["source_file"] = Path(row["source_file"]).name
        lines.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


if __name__ == "__main__":
    for case in cases():
        expected_path(case).write_text(render(case), encoding="utf-8")
        print(f"wrote {expected_path(case).relative_to(FIXTURES.parent)}")
