"""Every format's scenarios parse to their reviewed golden events, with the exact schema."""

from __future__ import annotations

import pytest

from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from shadowscan.pipeline import parse_file
from shadowscan.schema import STORE_SCHEMA
from tests.golden import cases, expected_path, render

CASES = cases()
IDS = [f"{c.parent.name}/{c.stem}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_golden(case):
    assert render(case) == expected_path(case).read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_output_has_exactly_the_schema_and_every_line_is_accounted_for(case):
    result, events = parse_file(case, log_format=case.parent.name)
    assert events.schema == STORE_SCHEMA
    assert result.events + result.rejected + result.skipped == result.lines
    assert result.events == events.height


BROKEN = {"squid/rejected_lines"}  # mostly bad lines on purpose: forced with --log-format


@pytest.mark.parametrize(
    "case",
    [c for c, i in zip(CASES, IDS, strict=True) if c.stat().st_size and i not in BROKEN],
    ids=lambda c: f"{c.parent.name}/{c.stem}",
)
def test_sniffing_finds_the_folder_format(case):
    assert detect(head_lines(case)).fmt.name == case.parent.name


def test_a_mostly_broken_head_is_not_guessed_and_the_reason_names_the_candidate():
    case = next(c for c, i in zip(CASES, IDS, strict=True) if i == "squid/rejected_lines")
    detection = detect(head_lines(case))
    assert detection.fmt is None
    assert "best candidate squid" in detection.reason
    assert "stopping at line 2" in detection.reason


@pytest.mark.parametrize(
    ("scenario", "lines", "events", "rejected"),
    [
        ("squid/rejected_lines", 6, 2, 3),
        ("squid/empty", 0, 0, 0),
        ("zeek-tsv/concatenated", 19, 2, 1),
        ("zeek-tsv/header_only", 9, 0, 0),
        ("zeek-json/invalid_lines", 7, 4, 3),
    ],
)
def test_bad_lines_are_counted_not_fatal(scenario, lines, events, rejected):
    case = next(c for c in CASES if f"{c.parent.name}/{c.stem}" == scenario)
    result, _ = parse_file(case, log_format=case.parent.name)
    assert (result.lines, result.events, result.rejected) == (lines, events, rejected)
    assert len(result.samples) == min(rejected, 5)
