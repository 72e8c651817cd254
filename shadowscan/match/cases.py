"""Run every rule file's embedded cases against the whole catalogue at once."""

from __future__ import annotations

from dataclasses import dataclass

from shadowscan.match.catalogue import Catalogue
from shadowscan.match.matcher import HostMatcher


@dataclass(frozen=True)
class CaseResult:
    service_id: str  # the file the case is written in
    input: str
    expected: str  # "chatgpt ui personal", or "no match"
    got: str

    @property
    def passed(self) -> bool:
        return self.expected == self.got


def run_cases(catalogue: Catalogue, matcher: HostMatcher | None = None) -> list[CaseResult]:
    """One result per case, in file order: `match` cases, then `no_match` look-alikes.

    A look-alike passes only when it matches nothing at all: `fakeclaude.ai`
    that some other service claimed would still be a wrong match.
    """
    matcher = matcher or HostMatcher(catalogue)
    planned = []
    for service in catalogue.services.values():
        for case in service.must_match:
            plan = f" {case.plan}" if case.plan is not None else ""
            planned.append((service.id, case.input, f"{case.service_id} {case.signal}{plan}"))
        for text in service.must_not_match:
            planned.append((service.id, text, "no match"))
    if not planned:
        return []
    hits = matcher.match_inputs([text for _, text, _ in planned]).rows(named=True)
    results = []
    for (sid, text, expected), hit in zip(planned, hits, strict=True):
        got = "no match"
        if hit["service_id"] is not None:
            with_plan = expected != "no match" and len(expected.split()) == 3
            got = f"{hit['service_id']} {hit['signal']}" + (f" {hit['plan']}" if with_plan else "")
        results.append(CaseResult(sid, text, expected, got))
    return results
