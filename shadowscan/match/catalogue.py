"""Load the AI service catalogue: one TOML file per service under `rules/services/`.

Loading collects every problem, each with its file, before failing, so a
rule author fixes them all in one pass. `rules/README.md` is the grammar.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from shadowscan.errors import RuleError

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


@dataclass(frozen=True)
class PathRule:
    service_id: str
    host: str
    prefix: str
    signal: str
    plan: str


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    vendor: str
    category: str
    homepage: str
    aliases: tuple[str, ...] = ()
    hosts: tuple[HostRule, ...] = ()
    paths: tuple[PathRule, ...] = ()
    #: (input, expected signal, expected plan or None) that must match this service
    must_match: tuple[tuple[str, str, str | None], ...] = ()
    must_not_match: tuple[str, ...] = ()
    source: Path | None = None


@dataclass
class Catalogue:
    services: dict[str, Service] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)

    @property
    def host_rules(self) -> list[HostRule]:
        return [rule for service in self.services.values() for rule in service.hosts]

    @property
    def path_rules(self) -> list[PathRule]:
        return [rule for service in self.services.values() for rule in service.paths]


def default_rules_dir() -> Path:
    """`rules/` at the repository root (installed in editable mode or run from a checkout)."""
    return Path(__file__).resolve().parents[2] / "rules"


def load_catalogue(root: Path | None = None) -> Catalogue:
    """Read `root/categories.toml` and every `root/services/*.toml`."""
    root = root or default_rules_dir()
    errors: list[str] = []
    categories = (_read(root / "categories.toml", errors) or {}).get("categories", {})
    catalogue = Catalogue(categories=categories)
    for path in sorted((root / "services").glob("*.toml")):
        doc = _read(path, errors)
        if doc is None or _shape_errors(path, doc, errors):
            continue
        service = _service(path, doc, categories, errors)
        if service is not None:
            catalogue.services[service.id] = service
    if not catalogue.services and not errors:
        errors.append(f"{root / 'services'}: no rule files found")
    if errors:
        raise RuleError(
            f"{len(errors)} problem(s) in the rules:\n  " + "\n  ".join(errors),
            hint="See rules/README.md for the rule file grammar.",
        )
    return catalogue


def _read(path: Path, errors: list[str]) -> dict | None:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror}")
    except tomllib.TOMLDecodeError as exc:
        errors.append(f"{path}: {exc}")
    return None


def _shape_errors(path: Path, doc: dict, errors: list[str]) -> bool:
    """Record entries of the wrong shape (a string where a table belongs); True if any."""
    found = []
    for key in ("hosts", "paths"):
        if not all(isinstance(entry, dict) for entry in doc.get(key, [])):
            found.append(f"{path}: every [[{key}]] entry must be a table")
    tests = doc.get("tests", {})
    cases = tests.get("match", []) if isinstance(tests, dict) else None
    if cases is None or not all(
        isinstance(c, dict) and "input" in c and "signal" in c for c in cases
    ):
        found.append(f"{path}: every [tests] match case needs an input and a signal")
    no_match = tests.get("no_match", []) if isinstance(tests, dict) else None
    if not isinstance(no_match, list) or not all(isinstance(x, str) for x in no_match):
        found.append(f"{path}: [tests] no_match must be a list of strings")
    errors.extend(found)
    return bool(found)


def _service(path: Path, doc: dict, categories: dict, errors: list[str]) -> Service | None:
    sid = path.stem
    missing = [k for k in ("name", "vendor", "category", "homepage") if k not in doc]
    if missing:
        errors.append(f"{path}: missing {', '.join(missing)}")
        return None
    if doc["category"] not in categories:
        errors.append(f"{path}: unknown category {doc['category']!r}")
    hosts = tuple(_host_rule(sid, path, h, errors) for h in doc.get("hosts", []))
    paths = tuple(_path_rule(sid, path, p, errors) for p in doc.get("paths", []))
    tests = doc.get("tests", {})
    return Service(
        id=sid,
        name=doc["name"],
        vendor=doc["vendor"],
        category=doc["category"],
        homepage=doc["homepage"],
        aliases=tuple(doc.get("aliases", ())),
        hosts=hosts,
        paths=paths,
        must_match=tuple(
            (case["input"], case["signal"], case.get("plan")) for case in tests.get("match", [])
        ),
        must_not_match=tuple(tests.get("no_match", [])),
        source=path,
    )


def _host_rule(sid: str, path: Path, entry: dict, errors: list[str]) -> HostRule:
    rule = HostRule(
        service_id=sid,
        pattern=str(entry.get("pattern", "")).lower().rstrip("."),
        kind=entry.get("match", "suffix"),
        signal=entry.get("signal", ""),
        plan=entry.get("plan", "unknown"),
    )
    _check(path, f"host {rule.pattern!r}", rule.kind, rule.signal, rule.plan, errors)
    if not rule.pattern:
        errors.append(f"{path}: a [[hosts]] entry has no pattern")
    return rule


def _path_rule(sid: str, path: Path, entry: dict, errors: list[str]) -> PathRule:
    rule = PathRule(
        service_id=sid,
        host=str(entry.get("host", "")).lower().rstrip("."),
        prefix=entry.get("prefix", ""),
        signal=entry.get("signal", ""),
        plan=entry.get("plan", "unknown"),
    )
    _check(path, f"path {rule.host}{rule.prefix}", "exact", rule.signal, rule.plan, errors)
    if not rule.host or not rule.prefix.startswith("/"):
        errors.append(f"{path}: a [[paths]] entry needs a host and a prefix starting with /")
    return rule


def _check(path: Path, what: str, kind: str, signal: str, plan: str, errors: list[str]) -> None:
    if kind not in MATCH_KINDS:
        errors.append(f"{path}: {what}: match must be one of {', '.join(MATCH_KINDS)}")
    if signal not in SIGNALS:
        errors.append(f"{path}: {what}: signal must be one of {', '.join(SIGNALS)}")
    if plan not in PLANS:
        errors.append(f"{path}: {what}: plan must be one of {', '.join(PLANS)}")
