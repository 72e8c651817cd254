"""Read a log file, compressed or not, as frames of numbered lines.

Files are read in chunks of whole lines, so memory stays bounded whatever the
file size, and each chunk becomes a one-column Polars frame through Polars'
own multi-threaded CSV reader with a separator that does not occur in logs.
A line longer than the line limit is never held whole: past the limit its bytes
are skipped as they are read, and only its first bytes reach the chunk, to be
counted and sampled as a rejected line.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow as pa

from shadowscan.errors import InputError

#: Input per chunk. Each chunk's frames peak at many times its size and two are in
#: flight (one parsed while the last is written): 4 MB kept ingest under 512 MB
#: peak RSS where 8 MB reached 550, at the same lines/s within noise.
CHUNK_BYTES = 4 << 20
#: Longest line read (`--max-line-bytes`); longer ones are rejected, as shippers
#: do (Filebeat's `max_bytes`, Vector's `max_line_bytes`): log content is hostile.
MAX_LINE_BYTES = 64 << 10
#: Characters of an over-long line kept as its sample.
SAMPLE_CHARS = 256
#: A byte that never separates anything in a log line: each line is one column.
_SEPARATOR = b"\x1f"
_BOM = b"\xef\xbb\xbf"
#: Starts of input that Polars' CSV reader treats as a BOM or as compressed data.
_POLARS_SNIFFS = (_BOM, b"\x28\xb5\x2f\xfd", b"\x1f\x8b")
_BROKEN_STREAM = (EOFError, OSError, lzma.LZMAError, zlib.error, pa.ArrowException)

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}


@dataclass
class Chunk:
    """Consecutive lines of one file: `lines` has `source_line` and `line`."""

    lines: pl.DataFrame
    #: lines over the line limit, left out of `lines`: `source_line` and their first characters
    too_long: pl.DataFrame
    #: lines in the chunk, blank ones included
    count: int
    #: bytes of decompressed input consumed once this chunk is done
    end_offset: int
    #: bytes of the file on disk read so far (compressed size for compressed files)
    raw_offset: int


#: A log to read: a path, or a file already open (so that detection, the
#: fingerprint and the reading all see the same file, even if rotation renames
#: another one into its place meanwhile).
Source = Path | BinaryIO


@contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """The source as a binary file at its start; a path is opened and closed here."""
    if isinstance(source, Path):
        with open(source, "rb") as f:
            yield f
    else:
        source.seek(0)
        yield source


def compression_of(source: Source) -> str | None:
    """Tell compression by magic bytes, not by name: rotated files are often misnamed."""
    with opened(source) as f:
        head = f.read(6)
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def _stream(raw: BinaryIO) -> BinaryIO:
    kind = compression_of(raw)
    raw.seek(0)
    return decompressed(raw, kind)


class _Decompressing:
    """Incremental decompression that hands over every byte before a truncation.

    The standard library's file objects drop the whole last read when a stream
    ends early; a decompressor object fed piece by piece keeps it. Concatenated
    streams (multi-member gzip, as `cat a.gz b.gz` makes) are followed. Output is
    asked for in bounded amounts: a megabyte of gzip can inflate to a gigabyte
    (one long line of one repeated byte does).
    """

    RAW_PIECE = 1 << 20

    def __init__(self, raw: BinaryIO, factory):
        self.raw, self.factory, self.engine = raw, factory, factory()
        self.pending = bytearray()

    def read(self, size: int) -> bytes:
        while len(self.pending) < size and self._fill(size):
            pass
        out = bytes(self.pending[:size])
        del self.pending[:size]
        return out

    def _fill(self, size: int) -> bool:
        """Decompress up to about `size` more bytes; False at a clean end of input."""
        cap = max(size - len(self.pending), self.RAW_PIECE)
        if self.engine.eof:
            data = self.engine.unused_data or self.raw.read(self.RAW_PIECE)
            if not data:
                return False
            self.engine = self.factory()  # a new stream begins after a finished one
        elif _holding(self.engine):
            data = b""
        else:
            data = self.raw.read(self.RAW_PIECE)
            if not data:
                if out := _inflate(self.engine, b"", cap):  # output zlib still holds
                    self.pending += out
                    return True
                if self.pending:
                    return False
                raise EOFError("compressed data ends before its end-of-stream marker")
        self.pending += _inflate(self.engine, data, cap)
        return True


def _holding(engine) -> bool:
    """The engine has input left that it could not yet turn into output."""
    return bool(getattr(engine, "unconsumed_tail", b"")) or not getattr(engine, "needs_input", True)


def _inflate(engine, data: bytes, cap: int) -> bytes:
    """At most `cap` bytes of output; zlib hands back its unread input, bz2 and xz keep it."""
    tail = getattr(engine, "unconsumed_tail", b"")
    return engine.decompress(tail + data if tail else data, cap)


class _Borrowed:
    """A file handed to pyarrow, which closes what it wraps: closing this keeps `raw` open."""

    closed = False

    def __init__(self, raw: BinaryIO):
        self._raw = raw

    def __getattr__(self, name: str):
        return getattr(self._raw, name)

    def close(self) -> None:
        self.closed = True


class _Piecewise:
    """Zstandard through pyarrow, read in small pieces.

    pyarrow's stream raises on a truncation and drops that whole read, so
    reading 256 KiB at a time keeps all but the last piece before the break.
    """

    PIECE = 256 << 10

    def __init__(self, stream):
        self.stream = stream
        self.error: BaseException | None = None

    def read(self, size: int) -> bytes:
        if self.error is not None:
            raise self.error
        out = bytearray()
        while len(out) < size:
            try:
                piece = self.stream.read(min(self.PIECE, size - len(out)))
            except _BROKEN_STREAM as exc:
                if not out:
                    raise
                self.error = exc  # reported by the next read
                break
            if not piece:
                break
            out += piece
        return bytes(out)


_ENGINES = {
    "gzip": lambda: zlib.decompressobj(wbits=zlib.MAX_WBITS | 16),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}


def decompressed(raw: BinaryIO, kind: str | None) -> BinaryIO:
    """A reader of the decompressed bytes of an open file."""
    if kind in _ENGINES:
        return _Decompressing(raw, _ENGINES[kind])
    if kind == "zstd":
        return _Piecewise(pa.CompressedInputStream(pa.PythonFile(_Borrowed(raw), mode="r"), "zstd"))
    return raw


def head_lines(source: Source, limit: int = 50, max_bytes: int = 256 << 10) -> list[str]:
    """The first non-blank lines of a file, decoded leniently, for format sniffing.

    A compressed file cut short still shows the lines before the cut.
    """
    data = b""
    try:
        with opened(source) as raw:
            stream = _stream(raw)
            while len(data) < max_bytes and (piece := stream.read(64 << 10)):
                data += piece
    except OSError as exc:
        name = getattr(source, "name", source)
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc}).") from exc
    except _BROKEN_STREAM:
        pass
    text = data[:max_bytes].decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if len(data) >= max_bytes:
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:limit]


def read_chunks(
    source: Source,
    chunk_bytes: int = CHUNK_BYTES,
    warnings: list[str] | None = None,
    *,
    start: int = 0,
    first_line: int = 1,
    hold_partial: bool = False,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[Chunk]:
    """Yield the file's lines chunk by chunk from decompressed byte `start`.

    Lines are numbered from `first_line`. A last line without a newline is
    included, unless `hold_partial` (a file still being written): then it waits
    for a later run, and no chunk's `end_offset` covers it. A line longer than
    `max_line_bytes` goes to the chunk's `too_long`, not its `lines`, and no more
    than `max_line_bytes` of it is ever in memory. A truncated or corrupt
    compressed stream ends the file where it breaks: the readable part is kept
    and the reason appended to `warnings`.
    """
    offset = start
    warnings = [] if warnings is None else warnings
    with opened(source) as raw:
        stream = _stream(raw)
        _skip(stream, raw, start)
        for block, consumed, complete in _blocks(stream, chunk_bytes, max_line_bytes, warnings):
            if not complete and hold_partial:
                return
            if offset == 0 and block.startswith(_BOM):
                block = block[3:]
            frame = _lines_frame(block, first_line)
            offset += consumed
            first_line += frame.height
            lines, too_long = _split(frame, max_line_bytes)
            yield Chunk(lines, too_long, frame.height, offset, raw.tell())


def _skip(stream: BinaryIO, raw: BinaryIO, start: int) -> None:
    """Position `stream` at decompressed byte `start`: a seek, or decompressing past it."""
    if start <= 0:
        return
    if stream is raw:
        raw.seek(start)
        return
    left = start
    while left > 0:
        try:
            data = stream.read(min(left, CHUNK_BYTES))
        except _BROKEN_STREAM:
            return  # the read that follows meets the same break and reports it
        if not data:
            return
        left -= len(data)


def count_lines(source: Source, start: int, end: int) -> int:
    """Newlines between decompressed bytes `start` and `end`: to recover a line count."""
    with opened(source) as raw:
        stream = _stream(raw)
        _skip(stream, raw, start)
        left, lines = end - start, 0
        while left > 0:
            try:
                data = stream.read(min(left, CHUNK_BYTES))
            except _BROKEN_STREAM:
                break
            if not data:
                break
            lines += data.count(b"\n")
            left -= len(data)
    return lines


def replay_lines(source: Source, end: int, prefix: bytes, limit: int = MAX_LINE_BYTES) -> list[str]:
    """The file's first line and, for a non-empty `prefix`, every later line before
    decompressed byte `end` that starts with it: what a resumed read replays.

    The prefix is searched for with `bytes.find` after each newline, so scanning
    a large file's read part costs about as much as reading it. A line longer than
    `limit` was rejected when first read, so it is skipped here too, without ever
    being held whole.
    """
    head = read_head(source, min(end, limit + 1))
    first = head.split(b"\n", 1)[0] if b"\n" in head else b""  # none: the line was too long
    found = [first] if first else []
    if prefix:
        found += _lines_starting(source, end, b"\n" + prefix, limit)
    lines = (line.decode("utf-8", errors="replace").rstrip("\r") for line in found)
    return [line for line in lines if line.strip()]  # parsers never see blank lines


def _lines_starting(source: Source, end: int, needle: bytes, limit: int) -> list[bytes]:
    """Lines (after the first, at most `limit` bytes) before byte `end` that follow a
    `needle` newline. What is carried from one read to the next stays under
    `limit` plus the needle: the unfinished line that follows a needle, else the
    bytes a needle could start in."""
    found, carry, done, skipping = [], b"", 0, False
    with opened(source) as raw:
        stream = _stream(raw)
        while done < end:
            try:
                data = stream.read(min(CHUNK_BYTES, end - done))
            except _BROKEN_STREAM:
                break
            if not data:
                break
            done += len(data)
            block, at = carry + data, 0
            if skipping:  # the rest of a line too long to replay
                at = block.find(b"\n")
                skipping = at < 0
                if skipping:
                    carry = b""
                    continue
            while (at := block.find(needle, at)) >= 0:
                stop = block.find(b"\n", at + 1)
                if stop < 0:
                    break
                if stop - at - 1 <= limit:
                    found.append(block[at + 1 : stop])
                at = stop
            if at < 0:
                carry = block[len(block) - len(needle) + 1 :]
            elif len(block) - at > limit + 1:
                carry, skipping = b"", True
            else:
                carry = block[at:]
    return found


def read_head(source: Source, size: int) -> bytes:
    """The first `size` decompressed bytes of a file (fewer if it is shorter)."""
    with opened(source) as raw:
        stream = _stream(raw)
        try:
            return stream.read(size)
        except _BROKEN_STREAM:
            return b""


def _blocks(
    f: BinaryIO, size: int, limit: int, warnings: list[str]
) -> Iterator[tuple[bytes, int, bool]]:
    """(block of whole lines, input bytes it stands for, whether it ends with a newline).

    A line longer than `limit` stands in its block as its first `limit + 1` bytes,
    so the block is shorter than the input it stands for; the rest of that line is
    dropped as it is read, never gathered.
    """
    rest, rest_bytes, skipping = b"", 0, False
    while True:
        try:
            data = f.read(size)
        except _BROKEN_STREAM as exc:
            warnings.append(f"compressed data ends early or is corrupt ({exc}); kept what was read")
            data = b""
        if not data:
            if rest:
                yield rest, rest_bytes, False
            return
        consumed = rest_bytes + len(data)
        if skipping:  # inside an over-long line: drop bytes up to its newline
            end = data.find(b"\n")
            if end < 0:
                rest_bytes = consumed
                continue
            data, skipping = b"\n" + data[end + 1 :], False
        data = rest + data
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut], consumed - len(rest), True
        rest_bytes = len(rest) if cut else consumed
        if len(rest) > limit + 1:  # over the limit even if it ends in the CR of a CRLF
            rest, skipping = _stub(rest, limit), True


def _stub(line: bytes, limit: int) -> bytes:
    """What stands for an over-long line: its first `limit + 1` bytes, not ending in CR
    (which the CSV reader would drop with the newline, making the line seem to fit)."""
    stub = line[: limit + 1]
    return stub[:-1] + b"?" if stub.endswith(b"\r") else stub


def _lines_frame(block: bytes, first_line: int) -> pl.DataFrame:
    if _SEPARATOR in block:  # the reader's column separator, in hostile or binary input
        block = block.replace(_SEPARATOR, "\ufffd".encode())
    # Polars drops a BOM that starts its input, and decompresses input that starts
    # like a zstd or zlib stream: a line that begins so is content, so shield it.
    shield = block.startswith(_POLARS_SNIFFS) or (
        block[:1] == b"x" and block[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda")
    )
    lines = pl.read_csv(
        b"\n" + block if shield else block,
        separator=_SEPARATOR.decode(),
        has_header=False,
        quote_char=None,
        schema={"line": pl.String},
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
    )
    lines = lines.slice(1) if shield else lines
    return lines.with_row_index("source_line", offset=first_line).with_columns(
        pl.col("source_line").cast(pl.Int64)
    )


def _split(frame: pl.DataFrame, limit: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the non-blank lines within `limit` bytes, the longer ones cut to a sample)."""
    line = pl.col("line")
    fits = line.str.len_bytes() <= limit
    lines = frame.filter(fits & line.str.contains(r"\S"))  # stripping would copy every line
    too_long = frame.filter(~fits).with_columns(line.str.head(SAMPLE_CHARS))
    return lines, too_long
