"""`rules diff` output: a patch-like terminal listing, or JSON for a review bot."""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from shadowscan import __version__
from shadowscan.match.diff import CatalogueDiff, Change
from shadowscan.report.safe import visible

SCHEMA = "shadowscan.rules-diff/1"
MARKS = {"added": "+", "removed": "-", "changed": "~", "renamed": "~"}
STYLES = {"added": "green", "removed": "red", "changed": "yellow", "renamed": "yellow"}


def render(result: CatalogueDiff, console: Console) -> None:
    console.print(Text(f"rules diff {visible(result.old)} -> {visible(result.new)}", style="bold"))
    for s in result.services:
        head = f"{MARKS[s.status]} {s.id} ({visible(s.name)}): {s.status}"
        if s.old_id:
            head += f" from {s.old_id}"
        console.print(Text(head, style=STYLES[s.status]))
        for change in s.changes:
            console.print(Text(f"    {MARKS[change.change]} {_line(change)}"))
    console.print(Text(_summary(result)))


def _line(c: Change) -> str:
    what = f"{c.kind} {visible(c.key)}"
    if c.change == "added":
        return f"{what}: {_value(c.new)}"
    if c.change == "removed":
        return f"{what}: {_value(c.old)}"
    return f"{what}: {_value(c.old)} -> {_value(c.new)}"


def _value(value: object) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={visible(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return "[" + ", ".join(visible(v) for v in value) + "]"
    return visible(value)


def _summary(result: CatalogueDiff) -> str:
    n = result.summary()
    if not result.services:
        return "no differences."
    return (
        f"services: {n['services_added']} added, {n['services_removed']} removed, "
        f"{n['services_changed']} changed, {n['services_renamed']} renamed; "
        f"hosts: +{n['hosts_added']} -{n['hosts_removed']} ~{n['hosts_changed']}; "
        f"paths: +{n['paths_added']} -{n['paths_removed']} ~{n['paths_changed']}"
    )


def to_json(result: CatalogueDiff) -> str:
    doc = {
        "schema": SCHEMA,
        "generator": f"shadowscan {__version__}",
        "old": str(result.old),
        "new": str(result.new),
        "summary": result.summary(),
        "services": [
            {
                "id": s.id,
                "status": s.status,
                "name": s.name,
                "old_id": s.old_id,
                "changes": [
                    {"kind": c.kind, "key": c.key, "change": c.change, "old": c.old, "new": c.new}
                    for c in s.changes
                ],
            }
            for s in result.services
        ],
    }
    # U+2028/2029 escaped by ensure_ascii: one JSON document, whatever the rule text
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
