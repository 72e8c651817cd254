"""Format detection from a file's first lines.

Proven here: every registered format detects its own samples; which formats also
read other formats' samples is recorded (none today) and detection still picks the
owner; ties go to registry order; garbage and empty heads give no format and a
reason naming the best candidate and the line where it stopped; and the peer
projects' real Squid and Zeek files are detected as such.
"""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

import polars as pl
import pytest

from shadowscan import formats
from shadowscan.formats import FORMATS, LogFormat, ParseContext
from shadowscan.formats.squid import SquidNative
from shadowscan.ingest.detect import MIN_SCORE, detect, trial
from shadowscan.ingest.reader import head_lines

PEER = Path(__file__).resolve().parents[2] / "shared" / "peer-logs"

#: (format, owner of the samples) where the format also reads the owner's samples.
OVERLAPS: set[tuple[str, str]] = {("bind", "infoblox")}

SQUID_LINE = FORMATS["squid"].samples[0]


@pytest.mark.parametrize("name", list(FORMATS))
def test_a_format_detects_its_own_samples(name: str) -> None:
    detection = detect(list(FORMATS[name].samples))
    assert detection.fmt is FORMATS[name]
    assert detection.score == 1.0


@pytest.mark.parametrize(("name", "owner"), list(permutations(FORMATS, 2)))
def test_which_formats_read_other_formats_samples(name: str, owner: str) -> None:
    fmt, samples = FORMATS[name], list(FORMATS[owner].samples)
    reads = fmt.signature(samples) and trial(fmt, samples)[0] >= MIN_SCORE
    assert reads == ((name, owner) in OVERLAPS)
    assert detect(samples).fmt is FORMATS[owner]


class _Reads(LogFormat):
    """A stand-in format that reads lines starting with its prefix."""

    samples = ()

    def __init__(self, name: str, prefix: str) -> None:
        self.name, self.prefix = name, prefix

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        return chunk.select("source_line", pl.col("line").str.starts_with(self.prefix).alias("ok"))


def test_a_tie_goes_to_the_format_registered_first() -> None:
    first, second = _Reads("first", "a"), _Reads("second", "a")
    assert detect(["a1", "a2"], {"first": first, "second": second}).fmt is first
    assert detect(["a1", "a2"], {"second": second, "first": first}).fmt is second


def test_the_best_score_wins_over_registry_order() -> None:
    some, more = _Reads("some", "ab"), _Reads("more", "a")
    assert detect(["ab", "ac", "ad"], {"some": some, "more": more}).fmt is more


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        pytest.param([], "the file is empty", id="empty"),
        pytest.param(
            ["hello world", "not a log"],
            "no known format recognises its first line",
            id="prose",
        ),
        pytest.param(
            [SQUID_LINE, "garbage", "more garbage"],
            "best candidate squid read 33% of the first lines, stopping at line 2: 'garbage'",
            id="squid then garbage",
        ),
        pytest.param(
            ["1764547200.003 is not a squid line"],
            "best candidate squid read 0% of the first lines, "
            "stopping at line 1: '1764547200.003 is not a squid line'",
            id="squid signature only",
        ),
        pytest.param(
            ["#separator \\x09", "#path\tdns", "a data line before any #fields"],
            "best candidate zeek-tsv read 0% of the first lines, "
            "stopping at line 3: 'a data line before any #fields'",
            id="zeek header without fields",
        ),
    ],
)
def test_garbage_gives_no_format_and_says_why(head: list[str], reason: str) -> None:
    detection = detect(head)
    assert detection.fmt is None
    assert detection.reason == reason


_PEER_FILES = [
    *(("squid", path.name) for path in sorted(PEER.glob("squid/beats__access*.log"))),
    ("zeek-tsv", "zat__dns.log"),
    ("zeek-json", "zat__json__dns.log"),
]


@pytest.mark.skipif(not PEER.is_dir(), reason="the peer projects' logs are not here")
@pytest.mark.parametrize(("expected", "name"), _PEER_FILES)
def test_real_files_are_detected(expected: str, name: str) -> None:
    folder = "squid" if expected == "squid" else "zeek-dns"
    detection = detect(head_lines(PEER / folder / name))
    assert detection.fmt is FORMATS[expected], detection.reason


class _SiteProxy(SquidNative):
    """A site's own format whose lines Squid's loose signature also reads."""

    name = "site-proxy"
    title = "A site's proxy"


@pytest.fixture
def registry(monkeypatch):
    """Registrations made by the test are undone after it."""
    monkeypatch.setattr(formats, "_PRIORITY", dict(formats._PRIORITY))
    saved = dict(FORMATS)
    yield
    FORMATS.clear()
    FORMATS.update(saved)


def test_a_registered_format_is_tried_before_the_loose_ones(registry):
    formats.register(_SiteProxy())
    order = list(FORMATS)
    assert order.index("site-proxy") < order.index("bind") < order.index("squid")
    assert detect(list(SquidNative.samples)).fmt.name == "site-proxy"


def test_a_priority_says_where_detection_tries_a_format(registry):
    formats.register(_SiteProxy(), formats.LOOSE + 1)
    assert list(FORMATS)[-1] == "site-proxy"
    assert detect(list(SquidNative.samples)).fmt.name == "squid"
    formats.register(_SiteProxy(), formats.EXACT - 1)
    assert next(iter(FORMATS)) == "site-proxy"
