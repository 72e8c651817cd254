"""The Textual app: panels that refresh in a worker thread, keys in the GoAccess/k9s manner.

The report is rebuilt off the event loop (`DashboardSource`, a thread
worker), so keys answer while it loads; the services table is updated in
place and keeps its selected service across refreshes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from shadowscan.analyse.aggregate import Report
from shadowscan.dashboard import panels
from shadowscan.dashboard.save import export_view
from shadowscan.dashboard.screens import HelpScreen, PromptScreen, TableScreen
from shadowscan.dashboard.source import (
    DEFAULT_RANGE,
    PRESETS,
    DashboardSource,
    Ingest,
    TimeRange,
)
from shadowscan.dashboard.view import View, apply
from shadowscan.errors import ShadowscanError
from shadowscan.report.safe import visible
from shadowscan.report.tables import flat_tables

#: Typed time ranges: a preset's short name, or SINCE..UNTIL.
SHORT = {"default": PRESETS[0], "24h": PRESETS[1], "7d": PRESETS[2], "30d": PRESETS[3]}
SHORT["all"] = PRESETS[4]


def parse_range(text: str) -> TimeRange:
    """`24h`, `7d`, `30d`, `all`, `default`, or `SINCE..UNTIL` (either side may be empty)."""
    text = text.strip()
    if text in SHORT:
        return SHORT[text]
    since, _, until = text.partition("..")
    return TimeRange(text, since.strip() or None, until.strip() or None)


class Dashboard(App[None]):
    """`shadowscan dashboard`: the gap, the services, drill-down, refreshed every few seconds."""

    TITLE = "shadowscan"
    CSS = """
    #status { height: 1; background: $boost; }
    #services { height: auto; max-height: 60%; border: round $primary; }
    #gap, #side, #health { height: auto; }
    """
    BINDINGS: ClassVar = [
        Binding("question_mark", "help", "Help"),
        Binding("slash", "filter", "Filter"),
        Binding("t", "time_range", "Time"),
        Binding("s", "sort", "Sort"),
        Binding("p", "pause", "Pause"),
        Binding("e", "export", "Export"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        source: DashboardSource,
        refresh: float = 5.0,
        span: TimeRange = DEFAULT_RANGE,
        ingest: Callable[[], Ingest] | None = None,
        light: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.clock = clock  # fixed in snapshot tests, so "updated at" and lags stay put
        self.source, self.every = source, refresh
        self.view = View(span=span)
        self.ingest = ingest or source.ingest
        self.report: Report | None = None
        self.last_ingest = Ingest()
        self.paused = self.loading = False
        self.message = "loading…"
        self.loads = 0  # finished refreshes, for tests and the status line
        self.theme = "textual-light" if light else "textual-dark"

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with VerticalScroll(id="body"):
            yield Static(id="health")  # first: whether the data is current, on any screen size
            yield Static(id="gap")
            yield DataTable(id="services", cursor_type="row", zebra_stripes=True)
            yield Static(id="side")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#services", DataTable).focus()
        self.set_interval(self.every, self.refresh_report)
        self.refresh_report(force=True)

    # -- refresh -------------------------------------------------------------------
    def refresh_report(self, force: bool = False) -> None:
        """Load the report in a thread; a tick while one is loading waits for the next."""
        if force or not (self.paused or self.loading):
            self.loading = True
            self._load(self.view.span)

    @work(thread=True, group="refresh")
    def _load(self, span: TimeRange) -> None:
        try:
            report, ingest = self.source.report(span), self.ingest()
        except ShadowscanError as exc:
            self.call_from_thread(self._fail, str(exc))
        except Exception as exc:  # e.g. a vacuum racing a read: said, retried next tick
            self.call_from_thread(self._fail, f"{type(exc).__name__}: {exc}")
        else:
            self.call_from_thread(self._show, span, report, ingest)

    def _fail(self, text: str) -> None:
        self.loading = False
        self.message = f"error: {visible(text)}"
        self._status()

    def _show(self, span: TimeRange, report: Report, ingest: Ingest) -> None:
        self.loading = False
        if span != self.view.span:
            return  # a newer range was chosen while this one loaded
        unchanged = report is self.report and ingest == self.last_ingest
        self.report, self.last_ingest = report, ingest
        self.message = f"updated {self.clock():%H:%M:%S}"
        self.loads += 1
        if unchanged:  # an idle store: only the clock moved; leave the tables be
            self._health()
            self._status()
        else:
            self._render()
            self._refresh_drill()

    def _render(self) -> None:
        if self.report is None:
            return
        shown = apply(self.report, self.view)
        width = max(40, self.size.width - 2)
        self.query_one("#gap", Static).update(panels.gap_panel(shown, width))
        self._services(shown, width)
        self.query_one("#side", Static).update(Group(*panels.side_panels(shown, width)))
        self._health()
        self._status()

    def _health(self) -> None:
        """The ingest line: its lag behind now changes even when the store does not."""
        health = panels.health_panel(self.report, self.last_ingest, self.clock())
        self.query_one("#health", Static).update(health)

    def _services(self, shown: Report, width: int) -> None:
        """Refill the table in place, the cursor staying on the service it was on."""
        table = self.query_one("#services", DataTable)
        selected = self.selected_service()
        columns, rows = panels.services_cells(shown, width)
        table.clear(columns=True)
        table.add_columns(*(Text(h, justify="right" if r else "left") for h, _, r in columns))
        for key, cells in rows:
            table.add_row(*cells, key=key)
        keys = [key for key, _ in rows]
        if selected in keys:
            table.move_cursor(row=keys.index(selected), animate=False)
        table.border_title = f"AI services by {self.view.sort_label}"

    def selected_service(self) -> str | None:
        table = self.query_one("#services", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _status(self) -> None:
        parts = [self.view.span.label]
        if self.report is not None:
            p = self.report.period
            parts[0] += f" ({p.start:%Y-%m-%d} → {p.end:%Y-%m-%d})"
        if self.view.text:
            parts.append(f"filter: {visible(self.view.text)}")
        parts.append(f"sort: {self.view.sort_label}")
        parts.append("PAUSED" if self.paused else f"every {self.every:g}s")
        parts.append(self.message)
        self.query_one("#status", Static).update(Text(" · ".join(parts)))

    def on_resize(self) -> None:
        self._render()

    # -- keys ----------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_filter(self) -> None:
        def done(text: str | None) -> None:
            if text is not None:
                self.view = replace(self.view, text=text)
                self._render()

        self.push_screen(PromptScreen("Filter (service, category, department, identity):",
                                      self.view.text), done)  # fmt: skip

    def action_time_range(self) -> None:
        def done(text: str | None) -> None:
            if text:
                self.view = replace(self.view, span=parse_range(text))
                self.message = "loading…"
                self._status()
                self.refresh_report(force=True)

        self.push_screen(
            PromptScreen("Time range: 24h, 7d, 30d, all, default, or SINCE..UNTIL:"), done
        )

    def action_sort(self) -> None:
        self.view = self.view.next_sort()
        self._render()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._status()

    def action_export(self) -> None:
        def done(text: str | None) -> None:
            if text:
                self._export(Path(text).expanduser())

        self.push_screen(PromptScreen("Export this view to (.json, else CSV):",
                                      "shadowscan-view.csv"), done)  # fmt: skip

    def _export(self, path: Path) -> None:
        screen = self.screen
        if isinstance(screen, TableScreen):
            tables = {screen.level: screen.frame}
        elif self.report is not None:
            shown = flat_tables(apply(self.report, self.view))
            tables = {"services": shown.pop("services"), **shown}
        else:
            return
        try:
            fmt = export_view(tables, path, self.source.store.root, self.source.policy.files)
        except ShadowscanError as exc:
            self.notify(visible(str(exc)), severity="error")
            return
        self.notify(f"exported {fmt.upper()} to {visible(path)}")

    # -- drill-down ----------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        screen = self.screen
        if event.data_table.id == "services":
            self._drill_service(event.row_key.value, self.view.span)
        elif isinstance(screen, TableScreen) and screen.level == "identities":
            identity = screen.selected()
            if identity is not None:
                title = f"evidence of {visible(identity)}, newest first (Esc: back)"
                evidence = TableScreen(
                    title, screen.events, "evidence", screen.service_id, identity
                )
                self.push_screen(evidence)

    @work(thread=True, exclusive=True, group="drill")
    def _drill_service(self, service_id: str, span: TimeRange) -> None:
        try:
            events = self.source.service_events(span, service_id)
        except Exception as exc:  # said on screen; the app stays up
            self.call_from_thread(self._fail, f"{type(exc).__name__}: {exc}")
        else:
            self.call_from_thread(self._push_identities, service_id, events)

    def _push_identities(self, service_id: str, events) -> None:
        title = f"{visible(service_id)}: identities in the period (Enter: evidence, Esc: back)"
        self.push_screen(TableScreen(title, events, "identities", service_id))

    def _refresh_drill(self) -> None:
        """After the panels changed, the open drill-down levels too (in a thread)."""
        drilled = [s for s in self.screen_stack if isinstance(s, TableScreen)]
        if drilled:
            self._reload_drill(drilled[0].service_id, self.view.span)

    @work(thread=True, exclusive=True, group="drill-refresh")
    def _reload_drill(self, service_id: str, span: TimeRange) -> None:
        try:
            events = self.source.service_events(span, service_id)
        except Exception as exc:  # said on screen; retried at the next change
            self.call_from_thread(self._fail, f"{type(exc).__name__}: {exc}")
        else:
            self.call_from_thread(self._refill, service_id, events)

    def _refill(self, service_id: str, events) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, TableScreen) and screen.service_id == service_id:
                screen.show(events)
