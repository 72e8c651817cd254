"""Public domain lists read into host entries, every line we cannot use reported.

Three formats: v2fly domain-list-community's data files (`include:`, `full:`,
`domain:`, `keyword:`, `regexp:` lines, plain domains, `@attribute` marks and
`#` comments, per https://github.com/v2fly/domain-list-community#structure-of-data),
a plain list of one domain per line (also `0.0.0.0 host` hosts-file lines), and
a CSV with a `host` or `domain` column. A list is someone else's text: a line
with a path, a wildcard, a port, an over-long label or plain garbage becomes a
`Note` with its line number, never an exception. `keyword:` and `regexp:` lines
are reported, never guessed into host rules: a keyword is not a host.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shadowscan.enrich.hosts import registered_domain, to_punycode
from shadowscan.errors import UsageError
from shadowscan.match.rulefile import HOST

#: v2fly rule types that become host rules, and the match kind of each
V2FLY_HOSTS = {"full": "exact", "domain": "suffix"}
V2FLY_NEVER = {"keyword", "regexp", "regex"}
#: how deep `include:` may nest before we call it a loop we missed
MAX_INCLUDE_DEPTH = 16
SINK_ADDRESSES = {"0.0.0.0", "127.0.0.1", "::", "::1"}
CSV_HOST_COLUMNS = ("host", "domain", "hostname", "fqdn", "pattern")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


@dataclass(frozen=True)
class ListEntry:
    """One host a list names: `exact` (v2fly `full:`) or `suffix` (it and its subdomains)."""

    host: str
    kind: str
    where: str
    domain: str
    attributes: tuple[str, ...] = ()
    name: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Note:
    """A line not imported (or imported changed), with why."""

    where: str
    text: str
    message: str


@dataclass
class ListRead:
    entries: list[ListEntry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    lines: int = 0


def check_host(raw: str) -> tuple[str | None, str | None]:
    """(host, None) for a usable host name, else (None, why not); IDNs become punycode."""
    text = raw.strip().lower().rstrip(".")
    problem = _shape_problem(text)
    if problem:
        return None, problem
    if not text.isascii():
        text = to_punycode(text)
        if not text.isascii():
            return None, "not a valid internationalised domain name"
    if any(len(label) > 63 for label in text.split(".")):
        return None, "has a label longer than 63 characters"
    if len(text) > 253:
        return None, "longer than the 253 characters a host name may have"
    if _IPV4.match(text):
        return None, "an IP address, not a host name"
    if not HOST.match(text):
        return None, "not a host name (letters, digits, - and _ in dot-separated labels)"
    return text, None


def _shape_problem(text: str) -> str | None:
    if not text:
        return "empty host"
    if "/" in text:
        return "a URL or path, not a host: path rules on shared hosts are written by hand"
    if "*" in text:
        return "a wildcard: use `domain:NAME` for a name and its subdomains"
    if ":" in text:
        return "has a port or a scheme, not a bare host"
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        return "contains spaces or control characters"
    return None


def read_list(path: Path, fmt: str) -> ListRead:
    """Every entry and note of the list at `path` in format `fmt` (see READERS)."""
    if fmt not in READERS:
        raise UsageError(f"unknown list format {fmt!r}.", hint=f"Known: {', '.join(READERS)}.")
    return READERS[fmt](path)


def read_v2fly(path: Path) -> ListRead:
    out = ListRead()
    _v2fly_file(path, out, (), depth=0, seen=())
    return out


def _v2fly_file(
    path: Path, out: ListRead, filters: tuple[str, ...], depth: int, seen: tuple[Path, ...]
) -> None:
    for number, line in enumerate(_lines(path), 1):
        out.lines += 1
        body = line.split("#", 1)[0].strip()
        if body:
            _v2fly_line(path, f"{path.name}:{number}", body, out, filters, depth, seen)


def _v2fly_line(path, where, body, out, filters, depth, seen) -> None:
    rule, *marks = body.split()
    attributes = tuple(m[1:] for m in marks if m.startswith("@") and len(m) > 1)
    stray = [m for m in marks if not (m.startswith("@") or m.startswith("&"))]
    kind, sep, value = rule.partition(":")
    if not sep or kind not in {"include", *V2FLY_HOSTS, *V2FLY_NEVER}:
        kind, value = "domain", rule  # a plain domain; a URL fails the host check
    if stray:
        out.notes.append(Note(where, body, "unexpected text after the rule: not imported"))
    elif kind == "include":
        _include(path, where, value, attributes, out, depth, (*seen, path.resolve()))
    elif kind in V2FLY_NEVER:
        out.notes.append(Note(where, body, f"{kind}: lines are never turned into host rules"))
    elif _passes(attributes, filters):
        _add(out, where, body, value, V2FLY_HOSTS[kind], attributes)


def _passes(attributes: tuple[str, ...], filters: tuple[str, ...]) -> bool:
    """v2fly's `include:list @attr` keeps entries with it, `@-attr` those without."""
    return all(
        (f[1:] not in attributes) if f.startswith("-") else (f in attributes) for f in filters
    )


def _include(path, where, name, filters, out, depth, seen) -> None:
    target = path.parent / name
    if not name or "/" in name or name in (".", ".."):
        out.notes.append(Note(where, f"include:{name}", "include: needs a list file's name"))
    elif not target.is_file():
        out.notes.append(
            Note(where, f"include:{name}", f"no {name} beside {path.name}: import it separately")
        )
    elif target.resolve() in seen or depth >= MAX_INCLUDE_DEPTH:
        out.notes.append(Note(where, f"include:{name}", "include loop: already being read"))
    else:
        _v2fly_file(target, out, filters, depth + 1, seen)


def read_domain_list(path: Path) -> ListRead:
    out = ListRead()
    for number, line in enumerate(_lines(path), 1):
        out.lines += 1
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        words = body.split()
        if len(words) == 2 and words[0] in SINK_ADDRESSES:
            words = words[1:]  # a hosts-file line: 0.0.0.0 host
        if len(words) != 1:
            out.notes.append(Note(f"{path.name}:{number}", body, "not one domain per line"))
            continue
        _add(out, f"{path.name}:{number}", body, words[0].removeprefix("."), "suffix", ())
    return out


def read_csv(path: Path) -> ListRead:
    out = ListRead()
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.DictReader(f)
        columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
        host_column = next((columns[c] for c in CSV_HOST_COLUMNS if c in columns), None)
        if host_column is None:
            raise UsageError(
                f"{path} has no host column (one of {', '.join(CSV_HOST_COLUMNS)}).",
                hint=f"Its header: {', '.join(map(repr, columns)) or 'none'}.",
            )
        try:
            for row in reader:
                out.lines = reader.line_num
                _csv_row(out, f"{path.name}:{reader.line_num}", row, host_column, columns)
        except csv.Error as exc:  # a NUL byte, a field over the size limit: stop here
            out.notes.append(Note(f"{path.name}:{reader.line_num}", "", f"unreadable CSV: {exc}"))
    return out


def _csv_row(out: ListRead, where: str, row: dict, host_column: str, columns: dict) -> None:
    def column(name: str) -> str:
        return str(row.get(columns.get(name, ""), "") or "").strip()

    value = str(row.get(host_column) or "").strip()
    kind = column("match").lower() or "suffix"
    if kind not in ("exact", "suffix"):
        out.notes.append(Note(where, kind, "match must be exact or suffix"))
        return
    _add(out, where, value, value, kind, (), column("name") or None, column("category") or None)


def _add(out, where, text, value, kind, attributes, name=None, category=None) -> None:
    host, problem = check_host(value)
    # Each app on a shared platform (myapp.vercel.app) is its own candidate, and the
    # platform itself (vercel.app) is never a rule: it would match every other app.
    domain = registered_domain(host, private=True) if host else None
    if host and not domain:
        problem = (
            "a shared platform's suffix: list the app's own host, not every app's"
            if registered_domain(host)
            else "no registered domain: a public suffix, or not under a known one"
        )
    if problem:
        out.notes.append(Note(where, text, problem))
        return
    if host != value.strip().lower().rstrip("."):
        out.notes.append(Note(where, text, f"imported as {host} (IDNA)"))
    out.entries.append(ListEntry(host, kind, where, domain, attributes, name, category))


def _lines(path: Path) -> list[str]:
    """The file's lines; undecodable bytes become U+FFFD and then fail the host check."""
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


READERS: dict[str, Callable[[Path], ListRead]] = {
    "v2fly": read_v2fly,
    "domain-list": read_domain_list,
    "csv": read_csv,
}
