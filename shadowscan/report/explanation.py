"""`explain IDENTITY` for people and for tools: the per-service verdicts, then the lines."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shadowscan.analyse.evidence import Evidence
from shadowscan.report.jsonout import iso, records
from shadowscan.report.safe import cell, visible

#: Evidence lines shown per service on the terminal; JSON carries them all.
LINES_PER_SERVICE = 10


def to_json(found: Evidence) -> str:
    doc = {
        "identity": found.identity,
        "period": {"start": iso(found.period.start), "end": iso(found.period.end)},
        "services": records(found.services),
        "evidence": records(found.lines),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(found: Evidence, console: Console) -> None:
    heading = f"{visible(found.identity)}: {found.lines.height} AI event(s)"
    console.print(Text(heading, style="bold"))
    for row in found.services.iter_rows(named=True):
        what = f"  {row['service_id']} ({row['signal']}): {row['classification']}"
        when = f"{row['first']:%Y-%m-%d} to {row['last']:%Y-%m-%d}"
        console.print(Text(f"{what}: {row['reason']}; {row['events']} event(s), {when}"))
    table = Table(title="Evidence (first lines per service)", title_justify="left")
    for column in ("Time", "File:line", "Host", "Rule", "Class"):
        table.add_column(column, overflow="fold")
    shown = found.lines.group_by("service_id", maintain_order=True).head(LINES_PER_SERVICE)
    for r in shown.iter_rows(named=True):
        table.add_row(
            f"{r['ts']:%Y-%m-%d %H:%M:%S}",
            cell(f"{r['source_file']}:{r['source_line']}"),
            cell(r["host"]),
            cell(r["rule"]),
            r["classification"],
        )
    console.print(table)
