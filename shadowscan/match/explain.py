"""`shadowscan rules explain`: which rule matched a host or URL, and why rivals lost."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from shadowscan.match.matcher import HostMatcher


@dataclass(frozen=True)
class Rule:
    service_id: str
    kind: str  # exact | suffix | path | exclude
    pattern: str  # the host pattern, or host + path prefix
    signal: str | None
    plan: str | None
    where: str  # file:line
    note: str = ""  # an exclusion's reason


@dataclass
class Explanation:
    input: str
    host: str | None
    url_path: str | None
    winner: Rule | None = None
    #: (rule, why it did not decide the match)
    rivals: list[tuple[Rule, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def explain(matcher: HostMatcher, text: str) -> Explanation:
    event = matcher.match_inputs([text]).row(0, named=True)
    out = Explanation(text, event["host"], event["url_path"])
    if out.host is None:
        out.notes.append("no host in the input")
        return out
    hosts = pl.Series([out.host], dtype=pl.String)
    hits = matcher.candidates(hosts, covering=False).sort(
        ["labels", pl.col("kind") == "exact", "service_id"], descending=[True, True, False]
    )
    rows = hits.rows(named=True)
    exclusions = [_host_rule(matcher, r) for r in rows if r["exclude"]]
    covering = [r for r in rows if not r["exclude"] and (r["kind"] == "suffix" or r["whole"])]
    paths = _path_rules(matcher, out.host, out.url_path)
    if exclusions:
        first = exclusions[0]
        out.notes.append(f"{out.host} is excluded by {first.pattern} ({first.where}): {first.note}")
        out.rivals += [(_host_rule(matcher, r), "the host is excluded") for r in covering]
        out.rivals += [(p, "the host is excluded") for p in paths]
        return out
    if paths:
        out.winner = paths[0]
        out.rivals += [
            (p, f"a longer path prefix {paths[0].pattern} covers the request") for p in paths[1:]
        ]
        out.rivals += [
            (_host_rule(matcher, r), f"the path rule {paths[0].pattern} covers the request")
            for r in covering
        ]
    elif covering:
        best = covering[0]
        out.winner = _host_rule(matcher, best)
        out.rivals += [(_host_rule(matcher, r), _lost(best, r)) for r in covering[1:]]
    for row in rows:
        if not row["exclude"] and row["kind"] == "exact" and not row["whole"]:
            out.rivals.append((_host_rule(matcher, row), f"exact: covers only {row['pattern']}"))
    if out.host in matcher.path_hosts.to_list() and not paths:
        prefixes = matcher.path_prefixes(out.host)
        out.notes.append(
            f"only these paths on {out.host} are AI use: {', '.join(prefixes)}"
            + ("" if out.url_path else "; a DNS or TLS event sees no path")
        )
    return out


def _lost(best: dict, rival: dict) -> str:
    if rival["labels"] < best["labels"]:
        return f"less specific: {rival['labels']} labels against {best['labels']}"
    if rival["kind"] != best["kind"]:
        return "a suffix rule loses to an exact rule of the same length"
    return f"a tie with {best['service_id']}, broken by service id (`rules check` flags it)"


def _host_rule(matcher: HostMatcher, row: dict) -> Rule:
    service = matcher.catalogue.services[row["service_id"]]
    if row["exclude"]:
        rule = next(r for r in service.exclusions if r.pattern == row["pattern"])
        kind, note = "exclude", rule.reason
    else:
        rule = next(
            r for r in service.hosts if (r.pattern, r.kind) == (row["pattern"], row["kind"])
        )
        kind, note = rule.kind, ""
    return Rule(
        service.id,
        kind,
        rule.pattern,
        row["signal"],
        row["plan"],
        _where(service.source, rule.line),
        note,
    )


def _path_rules(matcher: HostMatcher, host: str, path: str | None) -> list[Rule]:
    if path is None:
        return []
    frame = pl.DataFrame({"_row": [0], "host": [host], "url_path": [path]})
    rules = []
    for row in matcher.paths_for(frame).iter_rows(named=True):
        service = matcher.catalogue.services[row["service_id"]]
        rule = next(r for r in service.paths if (r.host, r.prefix) == (host, row["prefix"]))
        rules.append(
            Rule(
                service.id,
                "path",
                host + rule.prefix,
                rule.signal,
                rule.plan,
                _where(service.source, rule.line),
            )
        )
    return rules


def _where(source, line: int | None) -> str:
    return f"{source}:{line}" if line else str(source)
