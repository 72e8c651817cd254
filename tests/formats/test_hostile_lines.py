"""Every format survives hostile lines: arbitrary text and mutated real samples.

Properties, for each registered format: no exception escapes; every returned
row is one of the input lines, at most once; `ok` is a Boolean; the rows
normalise into exactly the stored schema.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.enrich.hosts import HostTable
from shadowscan.formats import FORMATS, ParseContext
from shadowscan.normalise import normalise
from shadowscan.schema import STORE_SCHEMA

_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=300)
_LINES = st.lists(_TEXT.filter(lambda s: s.strip() != ""), min_size=1, max_size=12)


@st.composite
def _mutated_samples(draw, name: str) -> list[str]:
    """The format's own sample lines, each cut, spliced or salted with odd characters."""
    lines = []
    for sample in FORMATS[name].samples:
        cut = draw(st.integers(0, len(sample)))
        insert = draw(st.sampled_from(["", '"', "\\", "=", "|", ",", "\t", "{", "\x00", "é", " "]))
        line = sample[:cut] + insert + sample[cut + draw(st.integers(0, 3)) :]
        if line.strip():
            lines.append(line)
    return lines or ["x"]


def _check(name: str, lines: list[str]) -> None:
    chunk = pl.DataFrame(
        {"source_line": range(1, len(lines) + 1), "line": lines},
        schema={"source_line": pl.Int64, "line": pl.String},
    )
    out = FORMATS[name].parse(chunk, ParseContext(year=2026))
    assert out["ok"].dtype == pl.Boolean
    returned = out["source_line"].to_list()
    assert len(returned) == len(set(returned)) and set(returned) <= set(range(1, len(lines) + 1))
    events = normalise(out, HostTable(), name, "hostile.log")
    assert events.schema == STORE_SCHEMA


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", list(FORMATS))
@_SETTINGS
@given(lines=_LINES)
def test_arbitrary_text_never_breaks_a_parser(name, lines):
    _check(name, lines)


@pytest.mark.parametrize("name", list(FORMATS))
@_SETTINGS
@given(data=st.data())
def test_mutated_samples_never_break_a_parser(name, data):
    _check(name, data.draw(_mutated_samples(name)))
