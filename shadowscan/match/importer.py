"""`shadowscan rules import`: a public list's hosts as candidate rule files for review.

One candidate file per registered domain, marked `review = true` so nothing in
it counts as use until an analyst has checked that the hosts are one AI
service and filled in its name, vendor and facts. Hosts the catalogue already
matches are reported, not written again, so an import never claims a host twice.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from shadowscan.match.catalogue import Catalogue
from shadowscan.match.lists import ListEntry, Note, read_list
from shadowscan.match.matcher import HostMatcher
from shadowscan.report.output import atomic_write

HEADER = """\
# Candidate written by `shadowscan rules import`: check that these hosts are one
# AI service, set name, vendor, category and facts (each with its source), then
# delete `review = true`. Until then nothing here is matched or counted.
"""


@dataclass(frozen=True)
class Candidate:
    id: str
    domain: str
    entries: tuple[ListEntry, ...]
    path: Path


@dataclass
class ImportResult:
    lines: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    #: (entry, the service that already matches its host)
    covered: list[tuple[ListEntry, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def import_list(
    path: Path,
    fmt: str,
    catalogue: Catalogue,
    out_dir: Path,
    *,
    category: str,
    source: str | None = None,
) -> ImportResult:
    """Read the list at `path` and write its new hosts as candidates into `out_dir`."""
    read = read_list(path, fmt)
    result = ImportResult(lines=read.lines, notes=list(read.notes))
    fresh = _uncovered(read.entries, catalogue, result)
    out_dir.mkdir(parents=True, exist_ok=True)
    taken = set(catalogue.services) | {a for s in catalogue.services.values() for a in s.aliases}
    for domain, entries in sorted(_by_domain(fresh).items()):
        sid = _free_id(domain, taken)
        target = out_dir / f"{sid}.toml"
        if target.exists() and not _is_candidate(target):
            where = entries[0].where
            result.notes.append(Note(where, domain, f"{target} exists and is reviewed: left alone"))
            continue
        text = render_candidate(domain, entries, category, source or str(path))
        atomic_write(target, text)
        result.candidates.append(Candidate(sid, domain, tuple(entries), target))
    return result


def _uncovered(entries: list[ListEntry], catalogue: Catalogue, result: ImportResult) -> list:
    """Entries whose host no catalogue rule matches; the others go to `result.covered`."""
    hosts = pl.Series([e.host for e in entries], dtype=pl.String)
    known = HostMatcher(catalogue).match_hosts(hosts).select("host", "service_id").rows()
    owner = dict(known)
    fresh = []
    for entry in entries:
        if entry.host in owner:
            result.covered.append((entry, owner[entry.host]))
        else:
            fresh.append(entry)
    return fresh


def _by_domain(entries: list[ListEntry]) -> dict[str, list[ListEntry]]:
    """Entries per registered domain, one per host (a suffix entry beats an exact one)."""
    best: dict[str, ListEntry] = {}
    for entry in entries:
        kept = best.get(entry.host)
        if kept is None or (kept.kind == "exact" and entry.kind == "suffix"):
            best[entry.host] = entry
    groups: dict[str, list[ListEntry]] = defaultdict(list)
    for entry in best.values():
        groups[entry.domain].append(entry)
    return {d: sorted(g, key=lambda e: (e.host.count("."), e.host)) for d, g in groups.items()}


def _free_id(domain: str, taken: set[str]) -> str:
    """`example.co.uk` → `example-co-uk`; never an id the catalogue already uses."""
    base = re.sub(r"[^a-z0-9]+", "-", domain).strip("-") or "imported"
    sid, n = base, 1
    while sid in taken:
        n += 1
        sid = f"{base}-{n}"
    taken.add(sid)
    return sid


def _is_candidate(path: Path) -> bool:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("review") is True
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def render_candidate(domain: str, entries: list[ListEntry], category: str, source: str) -> str:
    """The TOML text of one candidate: valid as it is, marked for review."""
    first = entries[0]
    lines = [
        HEADER,
        "review = true",
        f"source = {_s(source)}",
        f"name = {_s(first.name or domain)}",
        'vendor = "unknown"',
        f"category = {_s(first.category or category)}",
        f"homepage = {_s('https://' + domain)}",
        "",
        "[facts]",
        *(f'{fact} = {{ value = "unknown" }}' for fact in FACTS),
    ]
    for entry in entries:
        lines += ["", "[[hosts]]", f"pattern = {_s(entry.host)}", f'match = "{entry.kind}"']
        lines += ['signal = "ui"', f"source = {_s(_where(entry))}"]
    cases = ", ".join(f'{{ input = {_s(e.host)}, signal = "ui" }}' for e in entries)
    lines += ["", "[tests]", f"match = [{cases}]", f"no_match = [{_s(domain + '.invalid')}]"]
    return "\n".join(lines) + "\n"


FACTS = ("headquarters", "consumer_training", "enterprise_plan")


def _where(entry: ListEntry) -> str:
    marks = "".join(f" @{a}" for a in entry.attributes)
    return entry.where + marks


def _s(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (control characters as \\uXXXX)."""
    return json.dumps(text, ensure_ascii=True)
