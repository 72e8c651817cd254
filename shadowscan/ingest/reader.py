"""Read a log file, compressed or not, as frames of numbered lines.

Files are read in chunks of whole lines, so memory stays bounded whatever the
file size, and each chunk becomes a one-column Polars frame through Polars'
own multi-threaded CSV reader with a separator that does not occur in logs.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow as pa

from shadowscan.errors import InputError

CHUNK_BYTES = 4 << 20

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
    #: lines in the chunk, blank ones included
    count: int
    #: bytes of decompressed input consumed once this chunk is done
    end_offset: int
    #: bytes of the file on disk read so far (compressed size for compressed files)
    raw_offset: int


def compression_of(path: Path) -> str | None:
    """Tell compression by magic bytes, not by name: rotated files are often misnamed."""
    with open(path, "rb") as f:
        head = f.read(6)
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def decompressed(raw: BinaryIO, kind: str | None) -> BinaryIO:
    """A reader of the decompressed bytes of an open file."""
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(raw, "rb")
    if kind == "xz":
        return lzma.LZMAFile(raw, "rb")
    if kind == "zstd":
        return pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd")
    return raw


def head_lines(path: Path, limit: int = 50, max_bytes: int = 256 << 10) -> list[str]:
    """The first non-blank lines of a file, decoded leniently, for format sniffing."""
    try:
        with open(path, "rb") as raw:
            data = decompressed(raw, compression_of(path)).read(max_bytes)
    except (OSError, EOFError, lzma.LZMAError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read ({exc}).") from exc
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if len(data) == max_bytes:
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:limit]


def read_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Chunk]:
    """Yield the file's lines chunk by chunk; a last line without newline is included."""
    first_line = 1
    offset = 0
    with open(path, "rb") as raw:
        for block in _blocks(decompressed(raw, compression_of(path)), chunk_bytes):
            if offset == 0 and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
                offset += 3
            frame = _lines_frame(block, first_line)
            offset += len(block)
            first_line += frame.height
            yield Chunk(_non_blank(frame), frame.height, offset, raw.tell())


def _blocks(f: BinaryIO, size: int) -> Iterator[bytes]:
    rest = b""
    while True:
        data = f.read(size)
        if not data:
            if rest:
                yield rest
            return
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]


def _lines_frame(block: bytes, first_line: int) -> pl.DataFrame:
    lines = pl.read_csv(
        block,
        separator="\x1f",
        has_header=False,
        quote_char=None,
        schema={"line": pl.String},
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
    )
    return lines.with_row_index("source_line", offset=first_line).with_columns(
        pl.col("source_line").cast(pl.Int64)
    )


def _non_blank(frame: pl.DataFrame) -> pl.DataFrame:
    line = pl.col("line")
    return frame.filter(line.is_not_null() & (line.str.strip_chars() != ""))
