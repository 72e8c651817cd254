"""`shadowscan rules diff`: what a catalogue update changes, to review it like code.

Two rule folders are read as they are (candidates awaiting review included,
with their mark) and compared service by service: services added, removed or
renamed (a new service whose `aliases` name the old id), and within a service
its fields, facts, host rules (keyed by pattern), path rules (host and prefix)
and exclusions, each added, removed or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shadowscan.errors import UsageError
from shadowscan.match.catalogue import default_rules_dir, raise_errors, service_files
from shadowscan.match.rulefile import Problem, read_categories, read_service
from shadowscan.match.service import Service

#: Service attribute → the rule file's key, as a reviewer knows it
FIELDS = {
    "name": "name",
    "vendor": "vendor",
    "category": "category",
    "homepage": "homepage",
    "aliases": "aliases",
    "review": "review",
    "provenance": "source",
}


@dataclass(frozen=True)
class Change:
    """One difference: `kind` (field, fact, host, path, exclude), its key, old and new."""

    kind: str
    key: str
    change: str  # added | removed | changed
    old: object = None
    new: object = None


@dataclass(frozen=True)
class ServiceDiff:
    id: str
    status: str  # added | removed | changed | renamed
    name: str
    changes: tuple[Change, ...]
    old_id: str | None = None


@dataclass
class CatalogueDiff:
    old: Path
    new: Path
    services: list[ServiceDiff] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = {f"services_{s}": 0 for s in ("added", "removed", "changed", "renamed")}
        for kind in ("host", "path"):
            counts |= {f"{kind}s_{c}": 0 for c in ("added", "removed", "changed")}
        for service in self.services:
            counts[f"services_{service.status}"] += 1
            for c in service.changes:
                if c.kind in ("host", "path"):
                    counts[f"{c.kind}s_{c.change}"] += 1
        return counts


def load_folder(root: Path) -> dict[str, Service]:
    """Every service in a rules folder (`rules/` or a flat folder), review candidates too."""
    if not root.is_dir():
        raise UsageError(f"no rules folder at {root}.", hint="Give a folder of *.toml rules.")
    problems: list[Problem] = []
    own = root / "categories.toml"
    categories = read_categories(
        own if own.is_file() else default_rules_dir() / "categories.toml", problems
    )
    services = {}
    for path in service_files(root):
        service = read_service(path, categories, problems)
        if service is not None:
            services[service.id] = service
    raise_errors(problems, str(root), "`shadowscan rules check --rules DIR` lists them.")
    return services


def diff_folders(old_dir: Path, new_dir: Path) -> CatalogueDiff:
    return diff(load_folder(old_dir), load_folder(new_dir), old_dir, new_dir)


def diff(
    old: dict[str, Service], new: dict[str, Service], old_dir: Path, new_dir: Path
) -> CatalogueDiff:
    """Services added, removed, renamed or changed from `old` to `new`, in id order."""
    out = CatalogueDiff(old_dir, new_dir)
    renamed = {
        alias: sid
        for sid, s in new.items()
        if sid not in old
        for alias in s.aliases
        if alias in old and alias not in new
    }
    for sid in sorted(set(old) | set(new)):
        if sid in renamed:
            continue  # shown under its new id
        before = old.get(sid) or old.get(_former(sid, renamed))
        after = new.get(sid)
        if after is None:
            out.services.append(ServiceDiff(sid, "removed", before.name, _rules(before, "removed")))
        elif before is None:
            out.services.append(ServiceDiff(sid, "added", after.name, _rules(after, "added")))
        else:
            changes = compare(before, after)
            status = "renamed" if before.id != sid else "changed"
            if changes or status == "renamed":
                former = before.id if status == "renamed" else None
                out.services.append(ServiceDiff(sid, status, after.name, changes, former))
    return out


def _former(sid: str, renamed: dict[str, str]) -> str | None:
    return next((old for old, new in renamed.items() if new == sid), None)


def compare(before: Service, after: Service) -> tuple[Change, ...]:
    """Every difference between two versions of a service."""
    changes = [
        Change("field", key, "changed", _plain(getattr(before, name)), _plain(getattr(after, name)))
        for name, key in FIELDS.items()
        if getattr(before, name) != getattr(after, name)
    ]
    changes += _keyed("fact", _facts(before), _facts(after))
    for kind in ("host", "path", "exclude"):
        changes += _keyed(kind, _table(before, kind), _table(after, kind))
    return tuple(changes)


def _keyed(kind: str, old: dict[str, dict], new: dict[str, dict]) -> list[Change]:
    out = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            out.append(Change(kind, key, "removed", old[key], None))
        elif key not in old:
            out.append(Change(kind, key, "added", None, new[key]))
        elif old[key] != new[key]:
            out.append(Change(kind, key, "changed", old[key], new[key]))
    return out


def _rules(service: Service, change: str) -> tuple[Change, ...]:
    """An added or removed service's rules, each as one change."""
    side = "new" if change == "added" else "old"
    return tuple(
        Change(kind, key, change, **{side: value})
        for kind in ("host", "path", "exclude")
        for key, value in _table(service, kind).items()
    )


def _table(service: Service, kind: str) -> dict[str, dict]:
    if kind == "host":
        return {
            r.pattern: {"match": r.kind, "signal": r.signal, "plan": r.plan} for r in service.hosts
        }
    if kind == "path":
        return {r.host + r.prefix: {"signal": r.signal, "plan": r.plan} for r in service.paths}
    return {r.pattern: {"match": r.kind, "reason": r.reason} for r in service.exclusions}


def _facts(service: Service) -> dict[str, dict]:
    return {k: {"value": f.value, "source": f.source} for k, f in service.facts.items()}


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
