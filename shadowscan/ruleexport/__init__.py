"""`shadowscan rules export`: the catalogue as the block and watch lists IT already runs.

Each target lives in its own module with one `render(selection) -> str`.
Output is deterministic for a given catalogue (no timestamps), so exports can
be diffed and committed; only the RPZ serial moves, as zone transfers need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shadowscan.errors import UsageError
from shadowscan.match.catalogue import USE_SIGNALS, Catalogue
from shadowscan.match.service import SIGNALS, HostRule, PathRule, Service


@dataclass(frozen=True)
class Selection:
    """The rules to export, each with its service, in a stable order."""

    services: dict[str, Service]
    hosts: list[HostRule]
    paths: list[PathRule]
    signals: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{len(self.services)} services, {len(self.hosts)} host rules, "
            f"{len(self.paths)} path rules; signals {','.join(self.signals)}"
        )

    def uncovered_hosts(self) -> list[HostRule]:
        """Host rules not already covered by another selected suffix rule (for ACLs)."""
        suffixes = {r.pattern for r in self.hosts if r.kind == "suffix"}
        out, seen = [], set()
        for rule in sorted(self.hosts, key=lambda r: (r.pattern.count("."), r.pattern)):
            labels = rule.pattern.split(".")
            parents = {".".join(labels[i:]) for i in range(1, len(labels) - 1)}
            if parents & suffixes or rule.pattern in seen:
                continue
            seen.add(rule.pattern)
            out.append(rule)
        return sorted(out, key=lambda r: (r.service_id, r.pattern))


def select(
    catalogue: Catalogue,
    categories: tuple[str, ...] = (),
    signals: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> Selection:
    """The rules of the chosen services, categories and signals (default: the use signals)."""
    for category in categories:
        if category not in catalogue.categories:
            known = ", ".join(catalogue.categories)
            raise UsageError(f"unknown category {category!r}.", hint=f"Known: {known}.")
    for signal in signals:
        if signal not in SIGNALS:
            raise UsageError(f"unknown signal {signal!r}.", hint=f"Known: {', '.join(SIGNALS)}.")
    wanted = {catalogue.resolve(s) or _unknown_service(s) for s in services}
    chosen = {
        sid: s
        for sid, s in sorted(catalogue.services.items())
        if (not categories or s.category in categories) and (not wanted or sid in wanted)
    }
    signals = signals or USE_SIGNALS
    return Selection(
        services=chosen,
        hosts=[r for s in chosen.values() for r in s.hosts if r.signal in signals],
        paths=[r for s in chosen.values() for r in s.paths if r.signal in signals],
        signals=tuple(signals),
    )


def _unknown_service(sid: str) -> str:
    raise UsageError(f"no service {sid!r} in the catalogue.", hint="`shadowscan rules list`.")


def exporters() -> dict[str, Callable[[Selection], str]]:
    from shadowscan.ruleexport import (
        hosts_file,
        rpz,
        sigma,
        squid_acl,
        suricata_rules,
        table,
        zeek_intel,
    )

    return {
        "squid-acl": squid_acl.render,
        "hosts": hosts_file.render,
        "rpz": rpz.render,
        "zeek-intel": zeek_intel.render,
        "suricata": suricata_rules.render,
        "sigma": sigma.render,
        "csv": table.render,
    }


EXPORT_FORMATS = ("squid-acl", "hosts", "rpz", "zeek-intel", "suricata", "sigma", "csv")
