"""`report`, `export`, `explain IDENTITY`, `reveal` and `discover`: the stored events read
through the current rules: the gap, the classified events, one person's evidence,
pseudonyms, hosts no rule knows."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from shadowscan.analyse.aggregate import build_report
from shadowscan.analyse.conditions import HELP as FAIL_ON_HELP
from shadowscan.analyse.conditions import check_conditions, failed
from shadowscan.analyse.decisions import REGULAR_DAYS
from shadowscan.analyse.discover import discover as find_candidates
from shadowscan.analyse.evidence import classified_events, evidence
from shadowscan.analyse.partcache import PartCache
from shadowscan.analyse.period import choose_period
from shadowscan.analyse.reveal import reveal as reveal_identities
from shadowscan.analyse.rollup import period_of
from shadowscan.cli.boundary import Exit
from shadowscan.cli.common import catalogue_and_policy, emit, open_store, show
from shadowscan.cli.options import (
    config_option,
    lead_options,
    output_option,
    pseudonym_options,
    rules_option,
    since_option,
    store_option,
    until_option,
    view_format_option,
)
from shadowscan.errors import UsageError
from shadowscan.report import candidates, explanation, jsonout, markdown, terminal
from shadowscan.report import export as exporter
from shadowscan.report.csvdir import write_csv_dir
from shadowscan.report.html import to_html
from shadowscan.report.output import check_output
from shadowscan.report.pseudonym import load_key, pseudonymize_report
from shadowscan.report.safe import visible

REPORT_FORMATS = ["terminal", "json", "csv", "markdown", "html"]


def _fail_on(ctx, param, values: tuple[str, ...]) -> list[str]:
    return [check_conditions(v) for v in values]


@click.command()
@store_option
@since_option
@until_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="terminal",
    show_default=True,
    help="csv writes one file per table into the -o folder.",
)
@output_option
@rules_option
@config_option
@pseudonym_options
@click.option(
    "--fail-on",
    multiple=True,
    callback=_fail_on,
    metavar="CONDITION",
    help=f"Exit 3 when it holds: {FAIL_ON_HELP}. Repeatable.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="The conditions that held on one line, for a mail subject."
)
@click.option(
    "--regular-days",
    type=click.IntRange(min=1),
    default=REGULAR_DAYS,
    show_default=True,
    help="Days of the period someone must use AI on to count as a regular user.",
)
@click.pass_context
def report(
    ctx,
    store,
    since,
    until,
    fmt,
    output,
    private,
    rules_dirs,
    config,
    pseudonymize,
    key_file,
    fail_on,
    quiet,
    regular_days,
) -> None:
    """The shadow-AI gap: AI use against what the organisation sanctioned, by whom, how much."""
    events = open_store(store)
    key = load_key(key_file) if pseudonymize else None
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    result = build_report(events, catalogue, since, until, policy, regular_days)
    if key is not None:
        result = pseudonymize_report(result, key)
    _render(result, fmt, output, events, policy.files, private)
    held = failed(result, fail_on)
    if held:
        lines = ["; ".join(held)] if quiet else held
        for text in lines:
            Console(stderr=True).print(Text(f"fail-on: {text}"), soft_wrap=True)
        ctx.exit(Exit.CONDITION)


def _render(result, fmt: str, output: Path | None, events, inputs, private: bool) -> None:
    if fmt == "csv":
        if output is None:
            raise UsageError("CSV writes one file per table: give a folder with -o.")
        check_output(output, events.root, inputs)
        write_csv_dir(result, output, private)
    elif fmt == "json":
        emit(jsonout.to_json(result), output, events, inputs, private)
    elif fmt == "markdown":
        emit(markdown.to_markdown(result), output, events, inputs, private)
    elif fmt == "html":
        emit(to_html(result), output, events, inputs, private)
    elif output is not None:
        buffer = io.StringIO()
        terminal.render(result, Console(file=buffer, width=120, color_system=None))
        emit(buffer.getvalue(), output, events, inputs, private)
    else:
        terminal.render(result, Console())


@click.command()
@click.argument("identity")
@store_option
@since_option
@until_option
@rules_option
@config_option
@view_format_option
def explain(identity, store, since, until, rules_dirs, config, fmt) -> None:
    """Why IDENTITY is classified as it is: per service, the reason and the evidence lines."""
    events = open_store(store)
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    parts = PartCache(events, catalogue)
    found = evidence(events, catalogue, policy, identity, period_of(parts, since, until), parts)
    if fmt == "json":
        emit(explanation.to_json(found), None)
    else:
        explanation.render(found, Console(soft_wrap=True))


@click.command()
@click.argument("pseudonyms", nargs=-1, required=True)
@store_option
@config_option
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Pseudonym key [default: $SHADOWSCAN_PSEUDONYM_KEY].",
)
def reveal(pseudonyms, store, config, key_file) -> None:
    """Map pseudonyms back to identities, for an investigator who holds the key."""
    key = load_key(key_file)
    events = open_store(store)
    _, policy = catalogue_and_policy(config, ())
    found = reveal_identities(list(pseudonyms), key, events, policy)
    for p in pseudonyms:
        if p in found:
            sys.stdout.write(f"{p}\t{visible(found[p])}\n")
    missing = [p for p in pseudonyms if p not in found]
    if missing:
        raise UsageError(
            f"{len(missing)} pseudonym(s) match no identity in the store or the policy: "
            f"{', '.join(missing)}.",
            hint="Is this the key the report was made with?",
        )


@click.command()
@store_option
@since_option
@until_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(exporter.EXPORT_FORMATS),
    required=True,
    help="JSON lines or CSV (stdout or -o), or Parquet (needs -o).",
)
@output_option
@rules_option
@config_option
@pseudonym_options
def export(
    store, since, until, fmt, output, private, rules_dirs, config, pseudonymize, key_file
) -> None:
    """One record per AI-matched event, classified against the policy: JSONL, CSV or Parquet.

    The period is the report's: without --since/--until, the 30 days ending at
    the newest busy day of the store; --since alone runs up to now.
    """
    events = open_store(store)
    key = load_key(key_file) if pseudonymize else None
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    parts = PartCache(events, catalogue)
    period = period_of(parts, since, until)
    frame = exporter.export_frame(classified_events(events, catalogue, policy, period, parts), key)
    if fmt == "parquet" and output is None:
        raise UsageError("Parquet is binary: give a file with -o.")
    if output is not None:
        check_output(output, events.root, policy.files)
    exporter.write_export(frame, fmt, output or sys.stdout.buffer, private)


@click.command()
@store_option
@since_option
@until_option
@lead_options(min_identities=2)
@view_format_option
@output_option
@rules_option
@config_option
def discover(
    store, since, until, min_identities, limit, fmt, output, private, rules_dirs, config
) -> None:
    """Hosts no rule knows that look like AI use: API path shapes, AI-like names, co-visits."""
    events = open_store(store)
    period = choose_period(events.days(), since, until)
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    found = find_candidates(events, catalogue, period, min_identities=min_identities, limit=limit)
    if fmt == "json":
        emit(candidates.to_json(found, period), output, events, policy.files, private)
    else:
        show(lambda c: candidates.render(found, period, c), output, events, policy.files, private)
