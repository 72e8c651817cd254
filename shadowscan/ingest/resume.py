"""Where a file's reading resumes: the manifest's position, checked against the store."""

from __future__ import annotations

from shadowscan.ingest.reader import Source, count_lines
from shadowscan.store.delta import EventStore
from shadowscan.store.manifest import Position

#: A plain file modified this recently is still being written: its last line,
#: if it has no newline yet, waits for the next run.
SETTLE_SECONDS = 60.0


def resume_point(
    store: EventStore, source: Source, position: Position, reingest: bool
) -> tuple[int, int]:
    """(decompressed byte offset, lines before it) to read `source` from.

    The events table's transaction is the truth about what was committed; the
    ingest table only adds the line count. Should a run have stopped between
    committing events and writing their row, the missing lines are counted
    from the file instead of trusting the stale row.
    """
    if reingest:
        store.forget(position.source_id)
        return 0, 0
    committed = store.committed_offset(position.source_id)
    if committed <= position.offset:
        return position.offset, position.line
    return committed, position.line + count_lines(source, position.offset, committed)
