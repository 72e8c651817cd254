"""Read one rule file into a Service, recording each problem with its line.

`tomllib` gives no positions for values, so a problem's line is found by
looking for the offending key or value in the file's text: good enough to
take an editor straight to it.

Two severities: an `error` leaves the rule uninterpretable and stops every
command that matches; a `lint` problem (an unknown field, a fact without a
source) only fails `shadowscan rules check`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from shadowscan.match.service import (
    MATCH_KINDS,
    PLANS,
    SIGNALS,
    Case,
    Exclusion,
    Fact,
    HostRule,
    PathRule,
    Service,
)

TOP_KEYS = {
    "name",
    "vendor",
    "category",
    "homepage",
    "aliases",
    "facts",
    "hosts",
    "paths",
    "exclude",
    "tests",
    "review",
    "source",
}
ENTRY_KEYS = {
    "hosts": {"pattern", "match", "signal", "plan", "source"},
    "paths": {"host", "prefix", "signal", "plan", "source"},
    "exclude": {"pattern", "match", "reason"},
}
CASE_KEYS = {"input", "signal", "plan", "service"}
FACTS = {
    "headquarters": "an ISO 3166 alpha-2 country code",
    "consumer_training": "on-by-default, off-by-default, never, no-consumer-tier",
    "enterprise_plan": "true or false",
    "tenant_header": "the header name",
}
TRAINING = ("on-by-default", "off-by-default", "never", "no-consumer-tier")
ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HOST = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)+$")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class _File:
    """One rule file's text, for locating keys and values by line."""

    def __init__(self, path: Path, text: str, problems: list[Problem]):
        self.path = path
        self.lines = text.splitlines()
        self.problems = problems

    def line_of(self, needle: str, after: int | None = None) -> int | None:
        """The first line at or after `after` containing `needle`, else the first anywhere."""
        for start in (after or 1, 1):
            for number in range(start, len(self.lines) + 1):
                if needle in self.lines[number - 1]:
                    return number
        return None

    def key_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[+\s*{re.escape(key)}\b|{re.escape(key)}\s*=)")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)

    def add(self, line: int | None, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, line, message, severity))


def read_categories(path: Path, problems: list[Problem]) -> dict[str, str]:
    doc = _load(path, problems)
    return dict(doc.get("categories", {})) if doc else {}


def read_service(path: Path, categories: dict[str, str], problems: list[Problem]) -> Service | None:
    """The service in `path`, or None when it cannot be interpreted."""
    doc = _load(path, problems)
    if doc is None:
        return None
    f = _File(path, path.read_text(encoding="utf-8", errors="replace"), problems)
    before = sum(p.severity == "error" for p in problems)
    sid = path.stem
    if not ID.match(sid):
        f.add(None, f"the file name {sid!r} is not a kebab-case id (a-z, 0-9, -)")
    for key in sorted(set(doc) - TOP_KEYS):
        f.add(f.key_line(key), f"unknown field {key!r}", "lint")
    missing = [k for k in ("name", "vendor", "category", "homepage") if not doc.get(k)]
    if missing:
        f.add(None, f"missing {', '.join(missing)}")
    elif doc["category"] not in categories:
        f.add(f.key_line("category"), f"unknown category {doc['category']!r}")
    entries = {key: _entries(f, doc, key) for key in ENTRY_KEYS}
    hosts = tuple(_host_rule(sid, f, e) for e in entries["hosts"])
    paths = tuple(_path_rule(sid, f, e) for e in entries["paths"])
    exclusions = tuple(_exclusion(sid, f, e) for e in entries["exclude"])
    if not hosts and not paths:
        f.add(None, "no [[hosts]] or [[paths]] rule")
    facts = _facts(f, doc.get("facts", {}))
    must_match, must_not_match = _cases(sid, f, doc.get("tests"))
    aliases = doc.get("aliases", [])
    if not isinstance(aliases, list) or not all(
        isinstance(a, str) and ID.match(a) for a in aliases
    ):
        f.add(f.key_line("aliases"), "aliases must be a list of kebab-case ids")
        aliases = []
    review, provenance = doc.get("review", False), doc.get("source")
    if not isinstance(review, bool):
        f.add(f.key_line("review"), "review must be true or false")
    if provenance is not None and not (isinstance(provenance, str) and provenance.strip()):
        f.add(f.key_line("source"), "source must be a non-empty string (a URL or a list name)")
    if sum(p.severity == "error" for p in problems) > before:
        return None
    return Service(
        id=sid,
        name=doc["name"],
        vendor=doc["vendor"],
        category=doc["category"],
        homepage=doc["homepage"],
        aliases=tuple(aliases),
        facts=facts,
        hosts=hosts,
        paths=paths,
        exclusions=exclusions,
        must_match=must_match,
        must_not_match=must_not_match,
        source=path,
        review=review is True,
        provenance=provenance,
    )


def _load(path: Path, problems: list[Problem]) -> dict | None:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        problems.append(Problem(path, None, exc.strerror or str(exc)))
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))  # tomllib gives no line attribute
        problems.append(Problem(path, int(at.group(1)) if at else None, str(exc)))
    return None


def _entries(f: _File, doc: dict, key: str) -> list[tuple[dict, int | None]]:
    """The `[[key]]` tables with the line of each header, unknown fields flagged."""
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        f.add(f.key_line(key), f"every [[{key}]] entry must be a table")
        return []
    headers = [n for n, line in enumerate(f.lines, 1) if line.strip() == f"[[{key}]]"]
    out = []
    for i, entry in enumerate(raw):
        line = headers[i] if i < len(headers) else None
        for unknown in sorted(set(entry) - ENTRY_KEYS[key]):
            f.add(f.line_of(unknown, line), f"[[{key}]]: unknown field {unknown!r}", "lint")
        out.append((entry, line))
    return out


def _host(f: _File, value: object, line: int | None, what: str) -> str:
    host = str(value or "").strip().lower().rstrip(".")
    if not HOST.match(host):
        f.add(line, f"{what} {value!r} is not a host name (lower case, no scheme, port or *)")
    return host


def _enum(f: _File, line: int | None, what: str, value: object, allowed: tuple) -> str:
    if value not in allowed:
        f.add(line, f"{what}: {value!r} must be one of {', '.join(allowed)}")
    return str(value)


def _host_rule(sid: str, f: _File, item: tuple[dict, int | None]) -> HostRule:
    entry, line = item
    pattern = _host(f, entry.get("pattern"), line, "[[hosts]] pattern")
    what = f"host {pattern!r}"
    return HostRule(
        sid,
        pattern,
        _enum(f, line, f"{what} match", entry.get("match", "suffix"), MATCH_KINDS),
        _enum(f, line, f"{what} signal", entry.get("signal"), SIGNALS),
        _enum(f, line, f"{what} plan", entry.get("plan", "unknown"), PLANS),
        line,
    )


def _path_rule(sid: str, f: _File, item: tuple[dict, int | None]) -> PathRule:
    entry, line = item
    host = _host(f, entry.get("host"), line, "[[paths]] host")
    prefix = entry.get("prefix")
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        f.add(line, f"[[paths]] prefix {prefix!r} must start with /")
        prefix = "/"
    what = f"path {host}{prefix}"
    return PathRule(
        sid,
        host,
        prefix,
        _enum(f, line, f"{what} signal", entry.get("signal"), SIGNALS),
        _enum(f, line, f"{what} plan", entry.get("plan", "unknown"), PLANS),
        line,
    )


def _exclusion(sid: str, f: _File, item: tuple[dict, int | None]) -> Exclusion:
    entry, line = item
    pattern = _host(f, entry.get("pattern"), line, "[[exclude]] pattern")
    kind = _enum(f, line, f"exclude {pattern!r} match", entry.get("match", "exact"), MATCH_KINDS)
    reason = entry.get("reason")
    if not reason:
        f.add(line, f"exclude {pattern!r}: say why in `reason`", "lint")
    return Exclusion(sid, pattern, kind, str(reason or ""), line)


def _facts(f: _File, raw: object) -> dict[str, Fact]:
    if not isinstance(raw, dict):
        f.add(f.key_line("facts"), "[facts] must be a table")
        return {}
    facts = {}
    for key, entry in raw.items():
        line = f.key_line(key)
        if key not in FACTS:
            f.add(line, f"[facts]: unknown fact {key!r} (known: {', '.join(FACTS)})", "lint")
            continue
        if not isinstance(entry, dict) or "value" not in entry:
            f.add(line, f'fact {key!r} must be {{ value = …, source = "https://…" }}')
            continue
        value, source = entry["value"], entry.get("source")
        for unknown in sorted(set(entry) - {"value", "source"}):
            f.add(line, f"fact {key!r}: unknown field {unknown!r}", "lint")
        if value != "unknown":
            _check_fact(f, line, key, value)
            if not (isinstance(source, str) and source.startswith("https://")):
                f.add(line, f"fact {key!r} has no source (an https:// URL)", "lint")
        facts[key] = Fact(value, source)
    return facts


def _check_fact(f: _File, line: int | None, key: str, value: object) -> None:
    valid = {
        "headquarters": isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value),
        "consumer_training": value in TRAINING,
        "enterprise_plan": isinstance(value, bool),
        "tenant_header": isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9-]+", value),
    }[key]
    if not valid:
        f.add(line, f'fact {key!r}: {value!r} is not {FACTS[key]} (or "unknown")')


def _cases(sid: str, f: _File, tests: object) -> tuple[tuple[Case, ...], tuple[str, ...]]:
    if not isinstance(tests, dict):
        f.add(f.key_line("tests"), "needs a [tests] table with match and no_match cases")
        return (), ()
    for unknown in sorted(set(tests) - {"match", "no_match"}):
        f.add(f.key_line(unknown), f"[tests]: unknown field {unknown!r}", "lint")
    raw_match, raw_no = tests.get("match", []), tests.get("no_match", [])
    cases = []
    if not isinstance(raw_match, list) or not raw_match:
        f.add(f.key_line("match"), "[tests] match must list at least one case")
        raw_match = []
    for case in raw_match:
        if not isinstance(case, dict) or "input" not in case or "signal" not in case:
            f.add(
                f.line_of(str(case.get("input", "")) if isinstance(case, dict) else "match"),
                "every [tests] match case needs an input and a signal",
            )
            continue
        line = f.line_of(f'"{case["input"]}"')
        for unknown in sorted(set(case) - CASE_KEYS):
            f.add(line, f"match case {case['input']!r}: unknown field {unknown!r}", "lint")
        cases.append(
            Case(case["input"], case.get("service", sid), case["signal"], case.get("plan"))
        )
    if not isinstance(raw_no, list) or not raw_no or not all(isinstance(x, str) for x in raw_no):
        f.add(f.key_line("no_match"), "[tests] no_match must be a non-empty list of strings")
        raw_no = []
    return tuple(cases), tuple(raw_no)
