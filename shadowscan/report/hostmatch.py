"""`rules explain HOST`: the winning rule, its signal and plan, and why the others lost."""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from shadowscan.match.explain import Explanation
from shadowscan.report.safe import visible


def to_json(answers: list[Explanation]) -> str:
    return json.dumps([_doc(a) for a in answers], indent=2) + "\n"


def render(answers: list[Explanation], console: Console) -> None:
    for answer in answers:
        _render_one(answer, console)


def _render_one(e: Explanation, console: Console) -> None:
    head = Text(visible(e.input), style="bold")
    if e.host and e.host != e.input:
        head.append(
            f"  (host {visible(e.host)}" + (f", path {visible(e.url_path)})" if e.url_path else ")")
        )
    console.print(head)
    if e.winner:
        w = e.winner
        console.print(
            Text(f"  match: {w.service_id}  signal {w.signal}  plan {w.plan}", style="green")
        )
        console.print(Text(f"  rule:  {w.kind} {visible(w.pattern)}  ({visible(w.where)})"))
    else:
        console.print(Text("  no match", style="yellow"))
    for rule, why in e.rivals:
        console.print(
            Text(
                f"  lost:  {rule.service_id} {rule.kind} {visible(rule.pattern)}: {why}"
                f"  ({visible(rule.where)})"
            )
        )
    for note in e.notes:
        console.print(Text(f"  note:  {visible(note)}"))


def _doc(e: Explanation) -> dict:
    def rule(r):
        return None if r is None else {k: getattr(r, k) for k in r.__dataclass_fields__}

    return {
        "input": e.input,
        "host": e.host,
        "url_path": e.url_path,
        "match": rule(e.winner),
        "rivals": [{"rule": rule(r), "why": why} for r, why in e.rivals],
        "notes": e.notes,
    }
