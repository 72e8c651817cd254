"""`rules check`, `rules test` and `rules import` as text: one finding per line, for
editors and grep, each log- or list-derived string escaped."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from shadowscan.match.cases import CaseResult
from shadowscan.match.catalogue import Catalogue
from shadowscan.match.importer import ImportResult
from shadowscan.match.rulefile import Problem
from shadowscan.report.safe import visible

#: lines of each kind printed before the rest are only counted: a list can have millions
MAX_NOTES_SHOWN = 200


def render_problems(console: Console, catalogue: Catalogue, problems: list[Problem]) -> None:
    for problem in problems:
        console.print(Text(f"{problem.severity}: {visible(problem)}"))
    for service in catalogue.awaiting_review.values():
        rules_count = len(service.hosts) + len(service.paths)
        console.print(
            Text(
                f"review: {visible(service.source)}: {rules_count} rule(s) awaiting review, "
                "not matched until `review = true` is removed"
            )
        )


def render_failures(console: Console, catalogue: Catalogue, failed: list[CaseResult]) -> None:
    for r in failed:
        console.print(
            Text(
                f"FAIL {r.service_id}: {visible(r.input)}: expected {r.expected}, "
                f"got {r.got}  ({catalogue.services[r.service_id].source})"
            )
        )


def render_import(console: Console, result: ImportResult, out_dir: Path) -> None:
    hosts = sum(len(c.entries) for c in result.candidates)
    console.print(
        Text(
            f"{result.lines} lines: {hosts} new host(s) in {len(result.candidates)} "
            f"candidate(s), {len(result.covered)} already covered, {len(result.notes)} note(s)"
        )
    )
    _capped(
        console, "candidate", result.candidates, lambda c: f"{c.path}: {len(c.entries)} host(s)"
    )
    _capped(console, "covered", result.covered, lambda x: f"{x[0].where}: {x[0].host} is {x[1]}")
    _capped(console, "note", result.notes, lambda n: f"{n.where}: {n.message}: {_quote(n.text)}")
    if result.candidates:
        console.print(
            Text(
                f"Review them, delete `review = true` from those you keep, then use "
                f"--rules {visible(out_dir)}; `shadowscan rules check --rules "
                f"{visible(out_dir)}` lists what awaits review."
            )
        )


def _capped(console: Console, label: str, items: list, line) -> None:
    """One line per item, the first MAX_NOTES_SHOWN of them, then a count of the rest."""
    for item in items[:MAX_NOTES_SHOWN]:
        console.print(Text(f"{label}: {visible(line(item))}"))
    if len(items) > MAX_NOTES_SHOWN:
        console.print(f"… and {len(items) - MAX_NOTES_SHOWN} more ({label}).")


def _quote(text: str, limit: int = 80) -> str:
    """A list line as shown in a note: escaped and cut, a 300-character label included."""
    shown = visible(text[:limit]) + ("…" if len(text) > limit else "")
    return f"'{shown}'"
