"""What every log format plug-in provides.

A format turns a chunk of raw lines into rows of event fields. It never reads
files itself: the reader hands it a frame of `source_line` and `line`, so the
same parser runs on plain, compressed and partially read files alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import polars as pl


@dataclass
class ParseContext:
    """Per-file settings and state carried from one chunk to the next."""

    #: Zone of naive log times (`--timezone`).
    timezone: str = "UTC"
    #: Year for year-less times (`--year`); inferred from `modified` when None.
    year: int | None = None
    #: The file's modification time (UTC), the latest a line can be.
    modified: datetime | None = None
    #: Who a log that names no user or client belongs to (`--identity`): Proxifier's.
    identity: str | None = None
    #: Formats with header lines (Zeek's `#fields`) keep the layout in force here.
    state: dict[str, Any] = field(default_factory=dict)


class LogFormat:
    """A log format: sample lines, a sniffer and a vectorised parser.

    `parse` receives a frame with `source_line` (Int64) and `line` (String,
    never null or blank) and returns one row per line that is an event or a
    rejected line, with `source_line`, a Boolean `ok`, and any of the event
    schema's fields; `host_raw` may carry a host with a port or trailing dot
    for the normaliser to clean. Lines that are neither (comments, headers)
    are simply not returned, and count as skipped.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    #: Lines that must parse; detection and golden tests use them.
    samples: ClassVar[tuple[str, ...]]
    #: Event fields this format can fill (beyond time and host): what its logs can tell.
    fills: ClassVar[tuple[str, ...]] = ()
    #: One computer's log that names no user or client: `--identity` says whose it is.
    names_no_one: ClassVar[bool] = False
    #: What a read resuming mid-file replays first, because later lines depend on
    #: it: None (every line stands alone), `b""` (the file's first line, a header
    #: row) or a prefix such as `b"#"` (the first line and every earlier line that
    #: starts with it: W3C and Zeek directives, which may change the layout mid-file).
    replay: ClassVar[bytes | None] = None

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        raise NotImplementedError

    def signature(self, head: list[str]) -> bool:
        """Cheap test on the first lines before a trial parse; default: maybe."""
        return True
