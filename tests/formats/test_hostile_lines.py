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
from shadowscan.ingest.reader import compression_of
from shadowscan.normalise import normalise
from shadowscan.pipeline import parse_file
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


#: 25 byte strings a format and run: 750 in all, and new ones on every run.
_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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


_BYTES = st.lists(
    st.one_of(
        st.binary(max_size=120),
        st.sampled_from([b"\xff\xfe", b"\x00", b"\r\n", b"\xef\xbb\xbf", b"\x1f", b"\xc3("]),
        st.sampled_from([s.encode() for f in FORMATS.values() for s in f.samples]),
    ),
    max_size=8,
).map(lambda parts: b"\n".join(parts))


@pytest.mark.parametrize("name", list(FORMATS))
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=_BYTES)
def test_arbitrary_bytes_are_all_accounted_for(tmp_path_factory, name, data):
    """Whatever the bytes: no exception, and accepted + rejected + skipped = lines read."""
    path = tmp_path_factory.mktemp("bytes") / "hostile.log"
    path.write_bytes(data)
    result, events = parse_file(path, log_format=name, year=2026)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    lines = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    if compression_of(path) is None:
        assert result.lines == lines
    else:  # begins with a compression magic: a corrupt stream, reported, never fatal
        assert result.warnings
    assert result.events + result.rejected + result.skipped == result.lines
    assert events.height == result.events and events.schema == STORE_SCHEMA
