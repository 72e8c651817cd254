"""Each format's declared `fills` is what its parser really fills, on its own samples and
golden scenarios: `shadowscan formats` and the README's table cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.pipeline import parse_file
from tests.golden import cases

#: What a log can tell beyond time and host; the other columns are derived for every event.
TOLD = ("client_ip", "user", "port", "method", "url_path", "status", "action")
TOLD += ("bytes_out", "bytes_in", "user_agent")
#: A device that only observes says `unknown`: that tells nothing.
UNTOLD = {"action": "unknown"}

BY_FORMAT: dict[str, list[Path]] = {}
for case in cases():
    BY_FORMAT.setdefault(case.parent.name, []).append(case)


def filled(events: pl.DataFrame) -> set[str]:
    told = set()
    for column in TOLD:
        values = events[column].drop_nulls()
        if column in UNTOLD:
            values = values.filter(values != UNTOLD[column])
        if values.len():
            told.add(column)
    return told


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_declared_fills_are_what_the_parser_fills(name, tmp_path):
    fmt = FORMATS[name]
    samples = tmp_path / "samples.log"
    samples.write_text("\n".join(fmt.samples) + "\n", encoding="utf-8")
    seen: set[str] = set()
    for path in [samples, *BY_FORMAT.get(name, [])]:
        seen |= filled(parse_file(path, log_format=name, identity="alice")[1])
    assert sorted(seen - set(fmt.fills)) == [], "filled but not declared"
    assert sorted(set(fmt.fills) - seen) == [], "declared but never filled"


def test_every_registered_format_has_golden_scenarios():
    assert sorted(set(FORMATS) - set(BY_FORMAT)) == []
