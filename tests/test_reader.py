"""Reading log files as numbered lines, whatever their compression and chunking.

Proven here: plain, gzip, bz2, xz and zstd files give the same lines and line
numbers; compression is told by magic bytes, not by name; a BOM and CR of CRLF are
dropped; blank lines are skipped but counted; a last line without newline is kept;
invalid UTF-8 is replaced; any chunk size (down to one byte, or shorter than a line)
gives the same lines as one big chunk; a damaged file is an `InputError`;
`head_lines` returns only the first non-blank lines; and a line over the line
limit, wherever it falls, is set apart with its number while the lines around
it are read, without its whole length ever being in memory.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowscan.ingest.reader import compression_of, head_lines, read_chunks

TEXT = "\ufeffone\r\n\r\ntwo\n   \nthree é\n\nfour".encode()
#: (source_line, line) of TEXT: BOM and CR dropped, blank lines skipped but counted.
LINES = [(1, "one"), (3, "two"), (5, "three é"), (7, "four")]


def _zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


COMPRESSORS: dict[str | None, Callable[[bytes], bytes]] = {
    None: bytes,
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zstd": _zstd,
}


def _read(path: Path, chunk_bytes: int = 1 << 20) -> tuple[list[tuple[int, str]], int]:
    """All (source_line, line) rows of the file, and the line count over all chunks."""
    chunks = list(read_chunks(path, chunk_bytes))
    rows = [row for chunk in chunks for row in chunk.lines.iter_rows()]
    return rows, sum(chunk.count for chunk in chunks)


def _write(tmp_path: Path, data: bytes, name: str = "access.log") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", list(COMPRESSORS))
@pytest.mark.parametrize("chunk_bytes", [1, 7, 1 << 20])
def test_every_compression_reads_the_same_lines(tmp_path: Path, kind: str | None, chunk_bytes):
    # Named `.log` whatever the content: rotated files are often misnamed.
    path = _write(tmp_path, COMPRESSORS[kind](TEXT))
    assert compression_of(path) == kind
    assert _read(path, chunk_bytes) == (LINES, 7)


@pytest.mark.parametrize(
    ("data", "expected", "count"),
    [
        pytest.param(b"a\nb\n", [(1, "a"), (2, "b")], 2, id="plain"),
        pytest.param(b"a\nb", [(1, "a"), (2, "b")], 2, id="last line without newline"),
        pytest.param(b"a\r\nb\r\n", [(1, "a"), (2, "b")], 2, id="crlf"),
        pytest.param(b"\xef\xbb\xbfa\n", [(1, "a")], 1, id="bom"),
        pytest.param(b"\xef\xbb\xbf\n\na", [(3, "a")], 3, id="bom then blank lines"),
        pytest.param(b"\n\n\na\n\n", [(4, "a")], 5, id="blank lines counted"),
        pytest.param(b" \t \n\r\na\n", [(3, "a")], 3, id="whitespace lines are blank"),
        pytest.param(b'a "q\nb"\n', [(1, 'a "q'), (2, 'b"')], 2, id="quotes are text"),
        pytest.param(
            b"caf\xe9\n\xff\xfe\n", [(1, "caf\ufffd"), (2, "\ufffd\ufffd")], 2, id="bad utf8"
        ),
        pytest.param(b"a\x00b\n", [(1, "a\x00b")], 1, id="nul byte"),
        # the reader's column separator is shown as U+FFFD rather than splitting the line
        pytest.param(b"a\x1fb\n", [(1, "a\ufffdb")], 1, id="unit separator byte"),
        pytest.param(b"", [], 0, id="empty"),
        pytest.param(b"\n", [], 1, id="one blank line"),
    ],
)
@pytest.mark.parametrize("chunk_bytes", [1, 3, 1 << 20])
def test_read_chunks(tmp_path: Path, data: bytes, expected, count: int, chunk_bytes: int):
    assert _read(_write(tmp_path, data), chunk_bytes) == (expected, count)


def test_a_line_longer_than_a_chunk(tmp_path: Path) -> None:
    long = "x" * 1000
    path = _write(tmp_path, f"a\n{long}\nb\n".encode())
    assert _read(path, 7) == ([(1, "a"), (2, long), (3, "b")], 3)


def test_offsets_reach_the_end_of_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, gzip.compress(TEXT))
    last = list(read_chunks(path, 7))[-1]
    assert (last.end_offset, last.raw_offset) == (len(TEXT), path.stat().st_size)


# \x1c-\x1f are whitespace to Python's `str.strip` only; \x1f has its own case above.
_LINE = st.text(st.characters(codec="utf-8", exclude_characters="\n\r\x1c\x1d\x1e\x1f"))


@given(st.lists(_LINE, max_size=20), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.data())
def test_any_chunk_size_gives_the_lines_of_the_text(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], eol: str, last_eol: bool, data
):
    text = eol.join(lines) + (eol if last_eol else "")
    path = _write(tmp_path_factory.mktemp("lines"), text.encode())
    body = text.removeprefix("\ufeff")
    in_file = body.removesuffix(eol).split(eol) if body else []
    expected = [(n, line) for n, line in enumerate(in_file, 1) if line.strip()]
    chunk_bytes = data.draw(st.integers(1, max(1, len(text.encode()))))
    assert _read(path, chunk_bytes) == (expected, len(in_file))


@given(st.lists(_LINE, max_size=20), st.sampled_from(["\n", "\r\n"]), st.integers(1, 12), st.data())
def test_any_limit_and_chunk_size_set_apart_exactly_the_longer_lines(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], eol: str, limit: int, data
):
    lines = [line.removeprefix("\ufeff") for line in lines]
    text = "".join(line + eol for line in lines).encode()
    path = _write(tmp_path_factory.mktemp("limit"), text)
    numbered = list(enumerate(lines, 1))
    expected = [(n, x) for n, x in numbered if len(x.encode()) <= limit and x.strip()]
    long = [n for n, x in numbered if len(x.encode()) > limit]
    chunk_bytes = data.draw(st.integers(1, max(1, len(text))))
    rows, too_long, count, end = _read_limited(path, chunk_bytes, limit)
    assert (rows, [n for n, _ in too_long], count, end) == (expected, long, len(lines), len(text))


def test_a_truncated_gzip_keeps_the_readable_part_and_warns(tmp_path: Path) -> None:
    whole = TEXT * 100
    path = _write(tmp_path, gzip.compress(whole)[:-20], "access.log.gz")
    assert head_lines(path)[:2] == ["one", "two"]
    warnings: list[str] = []
    lines = [line for c in read_chunks(path, warnings=warnings) for line in c.lines["line"]]
    assert 0 < len(lines) <= whole.count(b"\n")
    assert len(warnings) == 1 and "ends early" in warnings[0]


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_head_lines_returns_non_blank_lines(tmp_path: Path, kind: str | None) -> None:
    path = _write(tmp_path, COMPRESSORS[kind](TEXT))
    assert head_lines(path) == [line for _, line in LINES]
    assert head_lines(path, limit=2) == ["one", "two"]


def test_head_lines_drops_a_line_cut_by_max_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path, b"first\nsecond\nthird\n")
    assert head_lines(path, max_bytes=10) == ["first"]


LIMIT = 64
LONG = b"L" * 1000
#: (file content, lines read, numbers of the lines over LIMIT, line count)
OVER_THE_LIMIT = [
    pytest.param(LONG + b"\na\nb\n", [(2, "a"), (3, "b")], [1], 3, id="first"),
    pytest.param(b"a\n" + LONG + b"\nb\n", [(1, "a"), (3, "b")], [2], 3, id="middle"),
    pytest.param(b"a\nb\n" + LONG + b"\n", [(1, "a"), (2, "b")], [3], 3, id="last"),
    pytest.param(b"a\nb\n" + LONG, [(1, "a"), (2, "b")], [3], 3, id="no final newline"),
    pytest.param(b"a\n" + LONG + b"\n" + LONG + b"\nb", [(1, "a"), (4, "b")], [2, 3], 4, id="two"),
    pytest.param(b"a\r\n" + LONG + b"\r\nb\r\n", [(1, "a"), (3, "b")], [2], 3, id="crlf"),
    pytest.param(b"a" * LIMIT + b"\r\n", [(1, "a" * LIMIT)], [], 1, id="crlf after the limit"),
    pytest.param(b"a" * LIMIT + b"\r\r\n", [], [1], 1, id="cr at the cut"),
    pytest.param(b"a" * LIMIT + b"\r" + LONG, [], [1], 1, id="cr then more at the cut"),
    pytest.param(b"x" * LIMIT + b"\n", [(1, "x" * LIMIT)], [], 1, id="exactly the limit"),
]


def _read_limited(path: Path, chunk_bytes: int, limit: int = LIMIT):
    chunks = list(read_chunks(path, chunk_bytes, max_line_bytes=limit))
    rows = [row for chunk in chunks for row in chunk.lines.iter_rows()]
    long = [row for chunk in chunks for row in chunk.too_long.iter_rows()]
    end = chunks[-1].end_offset if chunks else 0
    return rows, long, sum(chunk.count for chunk in chunks), end


@pytest.mark.parametrize("kind", list(COMPRESSORS))
@pytest.mark.parametrize(("data", "expected", "long", "count"), OVER_THE_LIMIT)
@pytest.mark.parametrize("chunk_bytes", [1, 7, 100, 1 << 20])
def test_a_line_over_the_limit_is_set_apart_wherever_it_falls(
    tmp_path: Path, kind, data: bytes, expected, long: list[int], count: int, chunk_bytes: int
):
    path = _write(tmp_path, COMPRESSORS[kind](data))
    rows, too_long, counted, end = _read_limited(path, chunk_bytes)
    assert (rows, [n for n, _ in too_long], counted, end) == (expected, long, count, len(data))
    assert all(len(sample) <= 256 and sample[:1] in "La" for _, sample in too_long)


def test_a_line_over_the_limit_across_gzip_members(tmp_path: Path) -> None:
    """`cat a.gz b.gz`, the long line starting in one stream and ending in the next."""
    data = b"a\n" + LONG + b"\nb\n"
    path = _write(tmp_path, gzip.compress(data[:500]) + gzip.compress(data[500:]))
    for chunk_bytes in (1, 7, 100, 1 << 20):
        rows, long, count, end = _read_limited(path, chunk_bytes)
        assert (rows, [n for n, _ in long], count, end) == ([(1, "a"), (3, "b")], [2], 3, len(data))


def test_resuming_after_a_line_over_the_limit_counts_lines_exactly(tmp_path: Path) -> None:
    data = b"a\n" + LONG + b"\nb\nc\n"
    path = _write(tmp_path, data)
    first = next(read_chunks(path, 100, max_line_bytes=LIMIT))
    rest = list(read_chunks(path, 100, start=first.end_offset, first_line=first.count + 1,
                            max_line_bytes=LIMIT))  # fmt: skip
    rows = [row for chunk in [first, *rest] for row in chunk.lines.iter_rows()]
    assert rows == [(1, "a"), (3, "b"), (4, "c")]


@pytest.mark.parametrize("kind", [None, "gzip", "bz2", "xz", "zstd"])
def test_a_huge_line_is_never_held_whole(tmp_path: Path, kind: str | None) -> None:
    """32 MB of one repeated byte (a few kilobytes compressed) read a megabyte at a time
    with a 64 KiB limit: Python never holds more than a few megabytes (xz's decoder
    allocates its 8 MiB dictionary through Python's allocator, hence the margin)."""
    huge = 32 << 20
    data = b"a\n" + b"A" * huge + b"\nb\n"
    path = _write(tmp_path, COMPRESSORS[kind](data))
    del data
    tracemalloc.start()
    try:
        rows, long, count, end = _read_limited(path, 1 << 20, 64 << 10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (rows, [n for n, _ in long], count, end) == ([(1, "a"), (3, "b")], [2], 3, huge + 5)
    assert peak < 14 << 20, f"peak {peak / 1e6:.1f} MB"
