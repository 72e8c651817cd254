"""`shadowscan rules …`: list, explain, check, test, export, import, diff the catalogue."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shadowscan.cli.options import (
    config_option,
    lead_options,
    output_option,
    rules_option,
    since_option,
    store_option,
    until_option,
    view_format_option,
)
from shadowscan.errors import ShadowscanError, UsageError
from shadowscan.match.catalogue import default_rules_dir, load_catalogue, rule_dirs
from shadowscan.match.explain import Explanation, explain
from shadowscan.match.lists import READERS
from shadowscan.match.matcher import HostMatcher
from shadowscan.match.service import SIGNALS
from shadowscan.report.safe import cell, visible
from shadowscan.ruleexport import EXPORT_FORMATS, exporters, select

if TYPE_CHECKING:
    from shadowscan.match.importer import ImportResult

# Each command imports the rest of what it uses when it runs: `rules explain` starts
# without the store, the reports and the list importers.


class RulesFailed(ShadowscanError):
    """`rules check` or `rules test` found problems (already printed)."""


@click.group()
def rules() -> None:
    """The AI service catalogue: what it knows and why a host matches."""


@rules.command("list")
@click.option("--category", help="Only this category.")
@view_format_option
@rules_option
def list_services(category, fmt, rules_dirs) -> None:
    """Every service: id, name, category, vendor, hosts and the reviewer's facts."""
    catalogue = load_catalogue(extra=rules_dirs)
    if category and category not in catalogue.categories:
        raise UsageError(
            f"unknown category {category!r}.", hint=f"Known: {', '.join(catalogue.categories)}."
        )
    services = [s for s in catalogue.services.values() if not category or s.category == category]
    if fmt == "json":
        sys.stdout.write(json.dumps([_service_doc(s) for s in services], indent=2) + "\n")
        return
    table = Table(title=f"{len(services)} AI services", title_justify="left")
    for column in ("Id", "Name", "Category", "Vendor", "HQ", "Consumer training", "Hosts"):
        table.add_column(column)
    for s in services:
        fact = {k: str(f.value) for k, f in s.facts.items()}
        table.add_row(
            *map(cell, (s.id, s.name, s.category, s.vendor)),
            cell(fact.get("headquarters", "-")),
            cell(fact.get("consumer_training", "-")),
            cell(len(s.hosts) + len(s.paths)),
        )
    Console().print(table)


def _service_doc(s) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "vendor": s.vendor,
        "category": s.category,
        "homepage": s.homepage,
        "aliases": list(s.aliases),
        "facts": {k: {"value": f.value, "source": f.source} for k, f in s.facts.items()},
        "hosts": [
            {"pattern": r.pattern, "match": r.kind, "signal": r.signal, "plan": r.plan}
            for r in s.hosts
        ],
        "paths": [
            {"host": r.host, "prefix": r.prefix, "signal": r.signal, "plan": r.plan}
            for r in s.paths
        ],
        "file": str(s.source),
    }


@rules.command("explain")
@click.argument("host_or_url", nargs=-1, required=True)
@view_format_option
@rules_option
def explain_command(host_or_url, fmt, rules_dirs) -> None:
    """Which rule matches HOST_OR_URL, its signal and plan, and why other rules lost."""
    matcher = HostMatcher(load_catalogue(extra=rules_dirs))
    answers = [explain(matcher, text) for text in host_or_url]
    if fmt == "json":
        sys.stdout.write(json.dumps([_explanation_doc(a) for a in answers], indent=2) + "\n")
        return
    console = Console(soft_wrap=True)  # file:line stays on one line, for editors to follow
    for answer in answers:
        _print_explanation(console, answer)


def _print_explanation(console: Console, e: Explanation) -> None:
    head = Text(visible(e.input), style="bold")
    if e.host and e.host != e.input:
        head.append(
            f"  (host {visible(e.host)}" + (f", path {visible(e.url_path)})" if e.url_path else ")")
        )
    console.print(head)
    if e.winner:
        w = e.winner
        console.print(
            Text(f"  match: {w.service_id}  signal {w.signal}  plan {w.plan}", style="green")
        )
        console.print(Text(f"  rule:  {w.kind} {visible(w.pattern)}  ({visible(w.where)})"))
    else:
        console.print(Text("  no match", style="yellow"))
    for rule, why in e.rivals:
        console.print(
            Text(
                f"  lost:  {rule.service_id} {rule.kind} {visible(rule.pattern)}: {why}"
                f"  ({visible(rule.where)})"
            )
        )
    for note in e.notes:
        console.print(Text(f"  note:  {visible(note)}"))


def _explanation_doc(e: Explanation) -> dict:
    def rule(r):
        return None if r is None else {k: getattr(r, k) for k in r.__dataclass_fields__}

    return {
        "input": e.input,
        "host": e.host,
        "url_path": e.url_path,
        "match": rule(e.winner),
        "rivals": [{"rule": rule(r), "why": why} for r, why in e.rivals],
        "notes": e.notes,
    }


@rules.command("check")
@rules_option
def check_command(rules_dirs) -> None:
    """Lint the rules: bad or unknown fields, facts without sources, hosts claimed twice."""
    from shadowscan.match.lint import check

    catalogue, problems = check(rule_dirs(rules_dirs))
    console = Console(soft_wrap=True)  # one problem per line, for editors and grep
    for problem in problems:
        console.print(Text(f"{problem.severity}: {visible(problem)}"))
    for service in catalogue.awaiting_review.values():
        rules_count = len(service.hosts) + len(service.paths)
        console.print(
            Text(
                f"review: {visible(service.source)}: {rules_count} rule(s) awaiting review, "
                "not matched until `review = true` is removed"
            )
        )
    if problems:
        raise RulesFailed(f"{len(problems)} problem(s) in {len(catalogue.services)} services.")
    pending = len(catalogue.awaiting_review)
    console.print(
        f"{len(catalogue.services)} services, no problems"
        + (f"; {pending} candidate(s) awaiting review." if pending else ".")
    )


@rules.command("test")
@rules_option
def test_command(rules_dirs) -> None:
    """Run every rule file's embedded match / no_match cases against the whole catalogue."""
    from shadowscan.match.cases import run_cases

    catalogue = load_catalogue(extra=rules_dirs)
    results = run_cases(catalogue)
    failed = [r for r in results if not r.passed]
    console = Console(soft_wrap=True)  # one problem per line, for editors and grep
    for r in failed:
        console.print(
            Text(
                f"FAIL {r.service_id}: {visible(r.input)}: expected {r.expected}, "
                f"got {r.got}  ({catalogue.services[r.service_id].source})"
            )
        )
    summary = f"{len(results)} cases in {len(catalogue.services)} services"
    if failed:
        raise RulesFailed(f"{len(failed)} of {summary} failed.")
    console.print(f"{summary}: all pass.")


@rules.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    required=True,
    help="The tool the list is for (see the README's table).",
)
@click.option("--category", multiple=True, help="Only these categories (repeatable).")
@click.option(
    "--signal",
    multiple=True,
    type=click.Choice(SIGNALS),
    help="Only rules with these signals [default: ui, api, auth].",
)
@click.option("--service", multiple=True, help="Only these service ids (repeatable).")
@output_option
@rules_option
def export_command(
    fmt, category, signal, service, output: Path | None, private: bool, rules_dirs
) -> None:
    """Block or watch lists: Squid ACL, hosts, RPZ, Zeek Intel, Suricata, Sigma or CSV."""
    from shadowscan.cli.common import emit

    catalogue = load_catalogue(extra=rules_dirs)
    emit(exporters()[fmt](select(catalogue, category, signal, service)), output, private=private)


#: lines of each kind printed before the rest are only counted: a list can have millions
MAX_NOTES_SHOWN = 200


@rules.command("import")
@click.argument("list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "fmt",
    type=click.Choice(list(READERS)),
    required=True,
    help="v2fly domain-list-community, one domain per line, or CSV.",
)
@click.option(
    "--category",
    default="chat",
    show_default=True,
    help="Category of the candidates (a CSV's category column wins); checked at review.",
)
@click.option(
    "--source",
    help="Where the list was published, recorded in each candidate [default: LIST_FILE].",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("rules-review"),
    show_default=True,
    help="Review folder for the candidate files.",
)
@rules_option
def import_command(list_file: Path, fmt, category, source, out_dir: Path, rules_dirs) -> None:
    """Turn a public domain list into candidate rule files (review = true) in a review folder."""
    from shadowscan.match.importer import import_list

    catalogue = load_catalogue(extra=rules_dirs)
    if category not in catalogue.categories:
        raise UsageError(
            f"unknown category {category!r}.", hint=f"Known: {', '.join(catalogue.categories)}."
        )
    result = import_list(list_file, fmt, catalogue, out_dir, category=category, source=source)
    _print_import(Console(soft_wrap=True), result, out_dir)


def _print_import(console: Console, result: ImportResult, out_dir: Path) -> None:
    hosts = sum(len(c.entries) for c in result.candidates)
    console.print(
        Text(
            f"{result.lines} lines: {hosts} new host(s) in {len(result.candidates)} "
            f"candidate(s), {len(result.covered)} already covered, {len(result.notes)} note(s)"
        )
    )
    _capped(
        console, "candidate", result.candidates, lambda c: f"{c.path}: {len(c.entries)} host(s)"
    )
    _capped(console, "covered", result.covered, lambda x: f"{x[0].where}: {x[0].host} is {x[1]}")
    _capped(console, "note", result.notes, lambda n: f"{n.where}: {n.message}: {_quote(n.text)}")
    if result.candidates:
        console.print(
            Text(
                f"Review them, delete `review = true` from those you keep, then use "
                f"--rules {visible(out_dir)}; `shadowscan rules check --rules "
                f"{visible(out_dir)}` lists what awaits review."
            )
        )


def _capped(console: Console, label: str, items: list, line) -> None:
    """One line per item, the first MAX_NOTES_SHOWN of them, then a count of the rest."""
    for item in items[:MAX_NOTES_SHOWN]:
        console.print(Text(f"{label}: {visible(line(item))}"))
    if len(items) > MAX_NOTES_SHOWN:
        console.print(f"… and {len(items) - MAX_NOTES_SHOWN} more ({label}).")


def _quote(text: str, limit: int = 80) -> str:
    """A list line as shown in a note: escaped and cut, a 300-character label included."""
    shown = visible(text[:limit]) + ("…" if len(text) > limit else "")
    return f"'{shown}'"


@rules.command("diff")
@click.argument("old_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@view_format_option
@output_option
def diff_command(
    old_dir: Path, new_dir: Path | None, fmt, output: Path | None, private: bool
) -> None:
    """Services and hosts added, removed or changed from OLD_DIR to NEW_DIR [default: bundled]."""
    from shadowscan.cli.common import emit, show
    from shadowscan.match.diff import diff_folders
    from shadowscan.report import rulesdiff

    result = diff_folders(old_dir, new_dir or default_rules_dir())
    if fmt == "json":
        emit(rulesdiff.to_json(result), output, private=private)
    else:
        show(lambda c: rulesdiff.render(result, c), output, private=private, soft_wrap=True)


@rules.command("coverage")
@store_option
@since_option
@until_option
@lead_options(min_identities=1)
@view_format_option
@output_option
@rules_option
@config_option
def coverage_command(
    store, since, until, min_identities, limit, fmt, output, private, rules_dirs, config
) -> None:
    """How much AI-looking traffic the catalogue covers, and ranked leads for what it misses."""
    from shadowscan.analyse.coverage import coverage
    from shadowscan.analyse.period import choose_period
    from shadowscan.cli.common import catalogue_and_policy, emit, open_store, show
    from shadowscan.report import coverage as coverage_view

    events = open_store(store)
    period = choose_period(events.days(), since, until)
    catalogue, _ = catalogue_and_policy(config, rules_dirs)
    result = coverage(events, catalogue, period, min_identities=min_identities, limit=limit)
    if fmt == "json":
        emit(coverage_view.to_json(result), output, events, private=private)
    else:
        show(lambda c: coverage_view.render(result, c), output, events, private)
