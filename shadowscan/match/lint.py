"""`shadowscan rules check`: problems that span files, on top of each file's own.

A report can run with these (the matcher breaks ties by service id), but a
catalogue with them is ambiguous to read, so `rules check` fails on them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from shadowscan.match.catalogue import Catalogue, gather
from shadowscan.match.matcher import HostMatcher
from shadowscan.match.rulefile import Problem


def check(dirs: Sequence[Path]) -> tuple[Catalogue, list[Problem]]:
    """The catalogue in `dirs` and every problem in it, errors and lint alike."""
    catalogue, problems = gather(dirs)
    problems += claimed_twice(catalogue) + alias_clashes(catalogue) + idle_exclusions(catalogue)
    problems += stale_candidates(catalogue)
    return catalogue, problems


def claimed_twice(catalogue: Catalogue) -> list[Problem]:
    """A host pattern or a host+path claimed by two services (or twice by one)."""
    owners: dict[str, list] = defaultdict(list)
    for rule in catalogue.host_rules:
        owners[f"host {rule.pattern!r}"].append(rule)
    for rule in catalogue.path_rules:
        owners[f"path {rule.host}{rule.prefix!r}"].append(rule)
    problems = []
    for what, rules in owners.items():
        if len(rules) < 2:
            continue
        files = ", ".join(sorted({catalogue.services[r.service_id].source.name for r in rules}))
        for rule in rules:
            source = catalogue.services[rule.service_id].source
            problems.append(Problem(source, rule.line, f"{what} is claimed by {files}", "lint"))
    return problems


def alias_clashes(catalogue: Catalogue) -> list[Problem]:
    """An alias that is another service's id or another service's alias."""
    seen: dict[str, str] = {sid: sid for sid in catalogue.services}
    problems = []
    for service in catalogue.services.values():
        for alias in service.aliases:
            other = seen.setdefault(alias, service.id)
            if other != service.id:
                problems.append(
                    Problem(service.source, None, f"alias {alias!r} is also {other!r}", "lint")
                )
    return problems


def idle_exclusions(catalogue: Catalogue) -> list[Problem]:
    """An exclusion under no rule's pattern excludes nothing: probably a typo."""
    matcher = HostMatcher(catalogue)
    problems = []
    for service in catalogue.services.values():
        for rule in service.exclusions:
            host = rule.pattern if rule.kind == "exact" else f"x.{rule.pattern}"
            hits = matcher.candidates(pl.Series([host], dtype=pl.String))
            if hits.filter(~pl.col("exclude")).is_empty():
                message = f"exclude {rule.pattern!r} is under no host rule"
                problems.append(Problem(service.source, rule.line, message, "lint"))
    return problems


def stale_candidates(catalogue: Catalogue) -> list[Problem]:
    """A host awaiting review that a reviewed service now matches would be claimed twice."""
    if not catalogue.awaiting_review:
        return []
    matcher = HostMatcher(catalogue)
    problems = []
    for service in catalogue.awaiting_review.values():
        lines = {rule.pattern: rule.line for rule in service.hosts}
        hosts = pl.Series(list(lines), dtype=pl.String)
        for host, owner in matcher.match_hosts(hosts).select("host", "service_id").rows():
            message = f"host {host!r} awaiting review is already {owner}'s: drop it"
            problems.append(Problem(service.source, lines[host], message, "lint"))
    return problems
