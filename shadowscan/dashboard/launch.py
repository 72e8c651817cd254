"""What the CLI calls: the app, the one static frame of `--once`, and `watch` under the app."""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from shadowscan.dashboard import panels
from shadowscan.dashboard.source import DashboardSource, Ingest, TimeRange
from shadowscan.errors import ShadowscanError
from shadowscan.store.delta import EventStore


def run_app(source: DashboardSource, refresh: float, span: TimeRange, light: bool) -> None:
    """The full-screen app until `q`; Textual restores the terminal on the way out."""
    from shadowscan.dashboard.app import Dashboard  # Textual loads only for the app

    Dashboard(source, refresh=refresh, span=span, light=light).run()


def print_frame(
    source: DashboardSource, span: TimeRange, width: int, height: int | None, color: bool
) -> None:
    """Every panel once, as a Rich frame `width` columns wide, cut to `height` lines."""
    report = source.report(span)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        no_color=not color,
        color_system="truecolor" if color else None,
        force_terminal=color,
        legacy_windows=False,
    )
    console.print(panels.frame(report, source.ingest(), width))
    lines = buffer.getvalue().splitlines()
    sys.stdout.write("\n".join(lines[:height] if height else lines) + "\n")


class IngestLoop(threading.Thread):
    """`watch`'s loop in a thread behind the app: ingest every `interval` seconds, keep the rate."""

    def __init__(self, ingest: Callable[[], object], interval: float) -> None:
        super().__init__(daemon=True, name="shadowscan-watch")
        self.ingest, self.interval = ingest, interval
        self.stopping = threading.Event()
        self.status = Ingest()
        self.started = self.passes = 0  # passes begun and finished, failed or not

    def run(self) -> None:
        while not self.stopping.is_set():
            self.started += 1
            try:
                summary = self.ingest()
            except (ShadowscanError, OSError) as exc:  # shown on screen; the next pass retries
                self.status = replace(self.status, error=str(exc))
            else:
                rate = summary.lines_per_second if summary.total("lines") else self.status.rate
                self.status = replace(self.status, rate=rate, error=None)
            self.passes += 1
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        """Ask the loop to stop and wait for a pass in progress to commit."""
        self.stopping.set()
        self.join()


def watch_app(
    paths: list[Path],
    store: EventStore,
    source: DashboardSource,
    interval: float,
    options: dict,
    light: bool = False,
) -> None:
    """`watch` on a terminal: the ingest loop in a thread, the dashboard in front of it."""
    from shadowscan.dashboard.app import Dashboard
    from shadowscan.pipeline import ingest

    loop = IngestLoop(lambda: ingest(list(paths), store, **options), interval)

    def status() -> Ingest:
        stored = source.ingest()
        return replace(stored, rate=loop.status.rate, error=loop.status.error)

    loop.start()
    try:
        Dashboard(source, refresh=min(interval, 5.0), ingest=status, light=light).run()
    finally:
        loop.stop()


def terminal_size(width: int | None, height: int | None) -> tuple[int, int | None]:
    """`--width`/`--height`, else the terminal's (COLUMNS/LINES), else 120 by no limit."""
    if width:
        return width, height
    size = os.get_terminal_size() if sys.stdout.isatty() else None
    return (size.columns if size else 120), height or (size.lines if size else None)
