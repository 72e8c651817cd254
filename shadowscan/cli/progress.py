"""The ingest progress bar: on a terminal only, so cron mail and pipes stay clean."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from shadowscan.cloud import is_uri
from shadowscan.ingest.walk import find_logs
from shadowscan.report.safe import visible


@contextmanager
def ingest_progress(paths, console: Console, enabled: bool) -> Iterator:
    """A progress callback driving a Rich bar on a terminal; None elsewhere."""
    if not (enabled and console.is_terminal):
        yield None
        return
    local = [p for p in paths if not is_uri(p)]
    # objects are sized only once listed: an address makes the bar's end unknown
    total = (
        None if len(local) < len(paths) else sum(p.stat().st_size for p in find_logs(local).files)
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingesting", total=total)
        done: dict[Path, int] = {}

        def advance(path: Path, raw_offset: int) -> None:
            done[path] = raw_offset
            bar.update(task, completed=sum(done.values()), description=visible(path.name)[:40])

        yield advance
