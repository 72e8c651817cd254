"""Where the dashboard's numbers come from: `build_report`, re-run only when the store changed.

A refresh first reads the two Delta tables' versions (a few small files);
while they and the time range are unchanged it reuses the last report, so an
idle store costs almost nothing between refreshes. A range that ends now
(`24h`, `7d`) is recomputed once a minute as well, as its window slides.
When the store changed, the report is merged from the files' summaries the
source keeps (`analyse/partcache.py`): only the files the ingest added are read.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from deltalake import DeltaTable

from shadowscan.analyse.aggregate import Report, ai_events, build_report
from shadowscan.analyse.classify import classify
from shadowscan.analyse.partcache import PartCache
from shadowscan.analyse.rollup import merge_days
from shadowscan.match.catalogue import Catalogue
from shadowscan.policy.config import Policy
from shadowscan.report.export import PERSONAL
from shadowscan.report.pseudonym import pseudonymize_column, pseudonymize_report
from shadowscan.store.delta import EventStore


@dataclass(frozen=True)
class Ingest:
    """What the report does not carry about ingestion: the newest run and, under watch, its rate."""

    last_run: datetime | None = None
    last_lines: int = 0
    rate: float | None = None  # lines/s of the live loop's last pass
    error: str | None = None  # the live loop's last failure, until a pass succeeds


@dataclass(frozen=True)
class TimeRange:
    """A report period as `--since`/`--until` text; both None is the report's default."""

    label: str
    since: str | None = None
    until: str | None = None


DEFAULT_RANGE = TimeRange("default (30 busy days)")
#: What `t` cycles through, GoAccess-style; "whole store" is filled in from the store.
PRESETS = (
    DEFAULT_RANGE,
    TimeRange("last 24h", "24h"),
    TimeRange("last 7d", "7d"),
    TimeRange("last 30d", "30d"),
    TimeRange("whole store", "whole"),
)


class DashboardSource:
    """The store, catalogue and policy behind the dashboard; thread-safe, cached by version."""

    def __init__(
        self,
        store: EventStore,
        catalogue: Catalogue,
        policy: Policy,
        key: bytes | None = None,
    ):
        self.store, self.catalogue, self.policy, self.key = store, catalogue, policy, key
        self.parts = PartCache(store, catalogue)
        self._lock = threading.RLock()  # the events cache asks for the report
        self._cache: dict[tuple, object] = {}

    def version(self) -> tuple[int | None, int | None]:
        """The events and ingest tables' Delta versions: what changes when anything is stored."""
        return _version(self.store.events_path), _version(self.store.runs_path)

    def report(self, span: TimeRange) -> Report:
        """The report `report --format json` would give for this range (pseudonymised if keyed)."""
        return self._cached(("report", span), lambda: self._report(span))

    def service_events(self, span: TimeRange, service_id: str) -> pl.DataFrame:
        """The period's classified AI events of one service, oldest first: the drill-down's rows."""
        return self._cached(
            ("events", span, service_id), lambda: self._classified(span, service_id)
        )

    def ingest(self) -> Ingest:
        """The newest ingest commit (one file's batch): when, and how many lines it read."""
        return self._cached(("ingest",), self._ingest)

    def _ingest(self) -> Ingest:
        runs = self.store.runs()
        newest = runs.select(pl.col("ingested_at").max()).collect().item()
        if newest is None:
            return Ingest()
        lines = runs.filter(pl.col("ingested_at") == newest).select(pl.col("lines").sum())
        return Ingest(newest, int(lines.collect().item()))

    def _cached(self, what: tuple, compute):
        with self._lock:
            key = (what, self.version(), _moving(what))
            if key not in self._cache:  # one entry per kind: the memory stays bounded
                stale = [k for k in self._cache if k[0][0] == what[0]]
                for k in stale:
                    del self._cache[k]
                self._cache[key] = compute()
            return self._cache[key]

    def _bounds(self, span: TimeRange) -> tuple[str | None, str | None]:
        if span.since != "whole":
            return span.since, span.until
        days = merge_days(self.parts.current())
        if days.is_empty():
            return None, None
        return _iso(days["first"].min()), _iso(days["last"].max())

    def _report(self, span: TimeRange) -> Report:
        since, until = self._bounds(span)
        report = build_report(
            self.store, self.catalogue, since, until, self.policy, parts=self.parts
        )
        return report if self.key is None else pseudonymize_report(report, self.key)

    def _classified(self, span: TimeRange, service_id: str) -> pl.DataFrame:
        period = self.report(span).period  # the same period the panels show
        mine = pl.col("service_id") == service_id
        events = ai_events(self.store, self.catalogue, period, self.parts, mine)
        events = classify(events, self.policy)
        if self.key is not None:
            for column in PERSONAL:
                events = pseudonymize_column(events, column, self.key)
        return events


def _moving(what: tuple) -> int | None:
    """For a range that ends now (`--since 24h` alone), the minute: its window slides with time
    even when the store does not change."""
    span = what[1] if len(what) > 1 else None
    if isinstance(span, TimeRange) and span.since not in (None, "whole") and span.until is None:
        return int(time.time() // 60)
    return None


def _version(path) -> int | None:
    if not (path / "_delta_log").is_dir():
        return None
    return DeltaTable(str(path)).version()


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def lag(newest: datetime | None, now: datetime | None = None) -> str:
    """How far the newest stored event is behind now, in the largest whole unit."""
    if newest is None:
        return "-"
    seconds = int(((now or datetime.now(UTC)) - newest).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
