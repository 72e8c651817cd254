"""A log whose lines depend on its header reads the same when ingested in pieces.

W3C's `#Fields` (which may change mid-file), Zeek's `#fields`, Netskope's and
Zscaler's header rows sit at the top of a file that keeps growing; an ingest
that resumes past them must still read the new lines with the layout in force.
Proven here for every split point of each header-driven fixture, plain and
gzip'd, against one ingest of the whole file; and `replay_lines` finds the
directive lines across read-block boundaries.
"""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path

import polars as pl
import pytest

from shadowscan.ingest import reader
from shadowscan.ingest.reader import replay_lines
from shadowscan.pipeline import ingest
from shadowscan.store.delta import EventStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = [
    "w3c/basic.log",
    "w3c/concatenated.log",  # a second #Fields: the layout changes mid-file
    "w3c/tmg_tabs.log",
    "zeek-tsv/http.log",
    "zeek-tsv/concatenated.log",
    "netskope/with_fields_header.log",
    "zscaler/tsv_header.log",
    "mixed/syslog-server.log",
]
COLUMNS = ("source_line", "ts", "identity", "host", "url_path", "bytes_out", "action")


def _events(store: Path) -> pl.DataFrame:
    return EventStore(store).events().select(COLUMNS).collect().sort("source_line")


def _ingest(store: Path, log: Path, fmt: str) -> None:
    old = 1_600_000_000  # an old file: its last line is complete, not still being written
    os.utime(log, (old, old))
    ingest([log], EventStore(store), log_format=fmt, year=2026, settle=0)


def _format(case: str) -> str:
    folder = case.split("/")[0]
    return "cef,fortigate" if folder == "mixed" else folder


@pytest.mark.parametrize("case", CASES)
def test_every_split_point_reads_like_the_whole_file(tmp_path, case):
    source = FIXTURES / case
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    whole = tmp_path / "whole.log"
    whole.write_text("".join(lines), encoding="utf-8")
    _ingest(tmp_path / "whole", whole, _format(case))
    expected = _events(tmp_path / "whole")
    assert expected.height > 0
    for split in range(1, len(lines)):
        log = tmp_path / f"split{split}" / "access.log"
        log.parent.mkdir()
        log.write_text("".join(lines[:split]), encoding="utf-8")
        _ingest(log.parent / "store", log, _format(case))
        with open(log, "a", encoding="utf-8") as f:
            f.write("".join(lines[split:]))
        _ingest(log.parent / "store", log, _format(case))
        assert _events(log.parent / "store").equals(expected), f"split after line {split}"


def test_a_compressed_log_replays_its_directives_from_the_decompressed_text(tmp_path):
    # A compressed log resumes mid-stream only after a crash; its offsets are
    # decompressed bytes, and so is what is replayed.
    text = (FIXTURES / "w3c/concatenated.log").read_bytes()
    plain, packed = tmp_path / "a.log", tmp_path / "a.log.gz"
    plain.write_bytes(text)
    packed.write_bytes(gzip.compress(text))
    end = text.rindex(b"\n", 0, len(text) - 1) + 1  # before the last line
    assert replay_lines(packed, end, b"#") == replay_lines(plain, end, b"#")
    assert sum(line.startswith("#Fields") for line in replay_lines(packed, end, b"#")) == 2


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
def test_replay_lines_finds_directives_across_read_blocks(tmp_path, monkeypatch, block):
    monkeypatch.setattr(reader, "CHUNK_BYTES", block)
    text = "#A first\ndata 1\n#B second\n#C third\ndata 2\nx#not\n#D fourth\ndata 3\n#E after\n"
    log = tmp_path / "x.log"
    log.write_bytes(text.encode())
    end = text.index("#E")  # lines at or after the resume point are read, not replayed
    assert replay_lines(log, end, b"#") == ["#A first", "#B second", "#C third", "#D fourth"]
    assert replay_lines(log, end, b"") == ["#A first"]
    crlf = tmp_path / "crlf.log"
    crlf.write_bytes(b"h1,h2\r\n1,2\r\n#x\r\n3,4\r\n")
    assert replay_lines(crlf, 20, b"#") == ["h1,h2", "#x"]
    blank = tmp_path / "blank.log"
    blank.write_bytes(b"\n#x\n \n#\t\ndata\n")
    assert replay_lines(blank, 13, b"#") == ["#x", "#\t"]  # the blank first line dropped


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
def test_replay_skips_directive_lines_longer_than_the_line_limit(tmp_path, monkeypatch, block):
    # Such a line was rejected when first read: replaying it would be wrong, and
    # gathering it would hold an attacker's line whole.
    monkeypatch.setattr(reader, "CHUNK_BYTES", block)
    text = "#A first\ndata\n#" + "x" * 40 + "\n#B second\n#" + "y" * 11 + "\n#C third\nend\n"
    log = tmp_path / "x.log"
    log.write_bytes(text.encode())
    end = text.index("end")
    assert replay_lines(log, end, b"#", limit=10) == ["#A first", "#B second", "#C third"]
    assert replay_lines(log, end, b"#", limit=12) == [
        "#A first",
        "#B second",
        "#yyyyyyyyyyy",
        "#C third",
    ]
    assert replay_lines(log, end, b"#", limit=8) == ["#A first", "#C third"]
    assert replay_lines(log, end, b"#", limit=7) == []  # the first line too: it was rejected


@pytest.mark.parametrize("packed", [False, True])
def test_replaying_past_a_huge_directive_line_never_holds_it(tmp_path, packed):
    huge = 32 << 20
    text = b"#Fields: a\n1\n#" + b"z" * huge + b"\n#Fields: b\n2\n"
    log = tmp_path / ("x.log.gz" if packed else "x.log")
    log.write_bytes(gzip.compress(text) if packed else text)
    end = len(text) - 2
    del text
    tracemalloc.start()
    try:
        lines = replay_lines(log, end, b"#", limit=64 << 10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == ["#Fields: a", "#Fields: b"]
    # a read block, what it carries and the decompressor's buffers: not the 32 MB line
    assert peak < 5 * reader.CHUNK_BYTES, f"peak {peak / 1e6:.1f} MB"
