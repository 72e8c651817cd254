"""The dashboard's secondary screens: help, a one-line prompt, and the drill-down tables."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from shadowscan.dashboard import drill
from shadowscan.report.safe import cell

HELP = """\
shadowscan dashboard keys

  ?        this help (any key closes it)
  /        filter every panel by service, category, department or identity
  t        time range: 24h, 7d, 30d, all (the whole store), default,
           or typed dates SINCE..UNTIL (2026-11-01..2026-11-30)
  Enter    drill in: service -> identities -> evidence lines
  Esc      back one level
  s        cycle the services sort: users, shadow users, events, name
  p        pause / resume the refresh
  e        export the current view (a .json file, else CSV)
  q        quit (Ctrl-C too)
"""


class HelpScreen(ModalScreen[None]):
    """The keys, GoAccess/k9s style; any key closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: auto; border: round $accent; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text(HELP), id="help")

    def on_key(self, event) -> None:
        event.stop()
        self.dismiss(None)


class PromptScreen(ModalScreen[str | None]):
    """One line of input: Enter gives it back, Esc gives None."""

    DEFAULT_CSS = (
        "PromptScreen { align: center bottom; } #prompt { height: auto; border: round $accent; }"
    )
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, label: str, value: str = "") -> None:
        super().__init__()
        self.label, self.value = label, value

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Static(Text(self.label))
            yield Input(value=self.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TableScreen(Screen[None]):
    """A title and one table of a drill-down level; Esc goes back, Enter drills further.

    A level is one service's classified events seen as its identities, or as
    one identity's evidence lines: `show` rebuilds it from the service's
    events after a refresh, so a drill-down stays as current as the panels.
    """

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(
        self,
        title: str,
        events: pl.DataFrame,
        level: str,
        service_id: str,
        identity: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.level = title, level
        self.service_id, self.identity = service_id, identity
        self.key_column = "identity" if level == "identities" else "where"
        self.events = events  # the service's classified events, for the next level
        self.frame = self._build(events)

    def compose(self) -> ComposeResult:
        yield Static(Text(self.title_text, style="bold"), id="drill-title")
        yield DataTable(id="drill", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.frame.columns)
        self._fill(table)
        table.focus()

    def show(self, events: pl.DataFrame) -> None:
        """The level rebuilt from the service's newer events, the cursor kept on its row."""
        self.events = events
        frame = self._build(events)
        if frame.equals(self.frame):
            return
        selected, self.frame = self.selected(), frame
        table = self.query_one(DataTable)
        table.clear()
        self._fill(table)
        keys = frame[self.key_column].to_list()
        if selected in keys:
            table.move_cursor(row=keys.index(selected), animate=False)

    def _build(self, events: pl.DataFrame) -> pl.DataFrame:
        if self.level == "identities":
            return drill.identities(events)
        return drill.evidence(events, self.identity)

    def _fill(self, table: DataTable) -> None:
        for i, row in enumerate(self.frame.iter_rows()):
            table.add_row(*(cell(_text(v)) for v in row), key=f"{i}")

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.frame.height:
            return None
        return self.frame[self.key_column][min(table.cursor_row, self.frame.height - 1)]


def _text(value) -> str:
    if value is None:
        return "-"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return f"{value:,}" if isinstance(value, int) else str(value)
