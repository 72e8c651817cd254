"""One ingest at a time per source: a lock file per source under the store.

Two cron runs, or a cron run and `watch`, over the same logs must not both
append the same lines. `flock` is released by the kernel when a process dies,
so a `kill -9` never leaves a source locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def source_lock(root: Path, source_id: str) -> Iterator[bool]:
    """Yields True with the lock held, False if another process holds it."""
    folder = root / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{source_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
