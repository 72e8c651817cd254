"""Reading log files as numbered lines, whatever their compression and chunking.

Proven here: plain, gzip, bz2, xz and zstd files give the same lines and line
numbers; compression is told by magic bytes, not by name; a BOM and CR of CRLF are
dropped; blank lines are skipped but counted; a last line without newline is kept;
invalid UTF-8 is replaced; any chunk size (down to one byte, or shorter than a line)
gives the same lines as one big chunk; a damaged file is an `InputError`; and
`head_lines` returns only the first non-blank lines.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
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
