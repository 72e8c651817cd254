"""What a catalogue service is: its host, path and exclusion rules, facts and cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SIGNALS = ("ui", "api", "auth", "static", "telemetry")
#: Signals that make someone an AI user; the others are kept as evidence only.
USE_SIGNALS = ("ui", "api", "auth")
PLANS = ("personal", "business", "enterprise", "org-cloud", "unknown")
MATCH_KINDS = ("exact", "suffix")


@dataclass(frozen=True)
class HostRule:
    service_id: str
    pattern: str
    kind: str
    signal: str
    plan: str
    line: int | None = None


@dataclass(frozen=True)
class PathRule:
    service_id: str
    host: str
    prefix: str
    signal: str
    plan: str
    line: int | None = None


@dataclass(frozen=True)
class Exclusion:
    """A host that is never a match, whatever rule claims it."""

    service_id: str
    pattern: str
    kind: str
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class Fact:
    value: str | bool
    source: str | None


@dataclass(frozen=True)
class Case:
    """An embedded test: `input` must match `service_id` with this signal (and plan)."""

    input: str
    service_id: str
    signal: str
    plan: str | None


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    vendor: str
    category: str
    homepage: str
    aliases: tuple[str, ...] = ()
    facts: dict[str, Fact] = field(default_factory=dict)
    hosts: tuple[HostRule, ...] = ()
    paths: tuple[PathRule, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    must_match: tuple[Case, ...] = ()
    must_not_match: tuple[str, ...] = ()
    source: Path | None = None
    #: a candidate (`review = true`, e.g. from `rules import`): never matched until reviewed
    review: bool = False
    #: where the hosts came from (the rule file's `source`: a list's URL or file)
    provenance: str | None = None
