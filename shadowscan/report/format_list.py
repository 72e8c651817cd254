"""`shadowscan formats`: the registered log formats in detection order and what each fills."""

from __future__ import annotations

import json
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from shadowscan.formats.base import LogFormat


def to_json(formats: Iterable[LogFormat]) -> str:
    rows = [{"name": f.name, "title": f.title, "fills": list(f.fills)} for f in formats]
    return json.dumps(rows, indent=2) + "\n"


def render(formats: Iterable[LogFormat], console: Console) -> None:
    table = Table(title="Log formats (detection tries them in this order)", title_justify="left")
    for column in ("Name", "Source", "Fills besides time and host"):
        table.add_column(column)
    for fmt in formats:
        table.add_row(fmt.name, fmt.title, ", ".join(fmt.fills) or "-")
    console.print(table)
