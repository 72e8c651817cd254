"""`shadowscan rules …`: list, explain, check, test, export, import, diff the catalogue."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from shadowscan.cli.common import emit, show
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
from shadowscan.match.explain import explain
from shadowscan.match.lists import READERS
from shadowscan.match.matcher import HostMatcher
from shadowscan.match.service import SIGNALS
from shadowscan.report import hostmatch, service_list
from shadowscan.ruleexport import EXPORT_FORMATS, exporters, select

# `rules explain` and `rules list` are what a user runs most, by hand: the other
# commands import their heavier parts (the store, lints, importers) when they run.


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
        emit(service_list.to_json(services), None)
    else:
        service_list.render(services, Console())


@rules.command("explain")
@click.argument("host_or_url", nargs=-1, required=True)
@view_format_option
@rules_option
def explain_command(host_or_url, fmt, rules_dirs) -> None:
    """Which rule matches HOST_OR_URL, its signal and plan, and why other rules lost."""
    matcher = HostMatcher(load_catalogue(extra=rules_dirs))
    answers = [explain(matcher, text) for text in host_or_url]
    if fmt == "json":
        emit(hostmatch.to_json(answers), None)
    else:  # soft wrap: file:line stays on one line, for editors to follow
        hostmatch.render(answers, Console(soft_wrap=True))


@rules.command("check")
@rules_option
def check_command(rules_dirs) -> None:
    """Lint the rules: bad or unknown fields, facts without sources, hosts claimed twice."""
    from shadowscan.match.lint import check
    from shadowscan.report import rulecheck

    catalogue, problems = check(rule_dirs(rules_dirs))
    console = Console(soft_wrap=True)  # one problem per line, for editors and grep
    rulecheck.render_problems(console, catalogue, problems)
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
    from shadowscan.report import rulecheck

    catalogue = load_catalogue(extra=rules_dirs)
    results = run_cases(catalogue)
    failed = [r for r in results if not r.passed]
    console = Console(soft_wrap=True)  # one problem per line, for editors and grep
    rulecheck.render_failures(console, catalogue, failed)
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
    catalogue = load_catalogue(extra=rules_dirs)
    emit(exporters()[fmt](select(catalogue, category, signal, service)), output, private=private)


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
    catalogue = load_catalogue(extra=rules_dirs)
    if category not in catalogue.categories:
        raise UsageError(
            f"unknown category {category!r}.", hint=f"Known: {', '.join(catalogue.categories)}."
        )
    from shadowscan.match.importer import import_list
    from shadowscan.report import rulecheck

    result = import_list(list_file, fmt, catalogue, out_dir, category=category, source=source)
    rulecheck.render_import(Console(soft_wrap=True), result, out_dir)


@rules.command("diff")
@click.argument("old_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@view_format_option
@output_option
def diff_command(
    old_dir: Path, new_dir: Path | None, fmt, output: Path | None, private: bool
) -> None:
    """Services and hosts added, removed or changed from OLD_DIR to NEW_DIR [default: bundled]."""
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
    from shadowscan.cli.common import catalogue_and_policy, open_store
    from shadowscan.report import rulescoverage

    events = open_store(store)
    period = choose_period(events.days(), since, until)
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    result = coverage(events, catalogue, period, min_identities=min_identities, limit=limit)
    if fmt == "json":
        emit(rulescoverage.to_json(result), output, events, policy.files, private)
    else:
        show(lambda c: rulescoverage.render(result, c), output, events, policy.files, private)
