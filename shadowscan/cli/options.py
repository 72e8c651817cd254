"""Option decorators shared by the commands, so each is spelled and documented once."""

from __future__ import annotations

from pathlib import Path

import click

from shadowscan.cloud import is_uri


def _location(ctx, param, value):
    """A local folder as a Path (checked as click checks one); an object-storage address
    (s3://, gs://, az://, abfs://) as it is: a Path would fold its `//`."""
    if value is None or is_uri(value):
        return value
    return click.Path(file_okay=False, path_type=Path).convert(value, param, ctx)


def log_paths(values) -> tuple:
    """Files and folders as Paths, object-storage addresses as they are."""
    return tuple(v if is_uri(v) else Path(v) for v in values)


store_option = click.option(
    "--store",
    callback=_location,
    default=None,
    metavar="DIR|URI",
    help="Store folder or object-storage address (s3://bucket/prefix, gs://, az://) "
    "[default: $SHADOWSCAN_STORE, else ./shadowscan-data].",
)
timezone_option = click.option(
    "--timezone", default="UTC", show_default=True, help="Zone of local log times."
)
since_option = click.option(
    "--since",
    help="Start: 7d, 24h, 2025-12-01 or an ISO time [default: 30 days before the end].",
)
until_option = click.option(
    "--until",
    help="End, same forms [default: now with --since, else the newest busy day's last event].",
)


def output_option(command):
    """`-o FILE` and `--private`: where a report goes, and who may read it."""
    command = click.option(
        "--private", is_flag=True, help="Make the -o file readable by its owner only (0600)."
    )(command)
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        callback=lambda ctx, param, value: None if value == Path("-") else value,
        help="Write to FILE, atomically, mode 0644 under the usual umask; - is stdout.",
    )(command)


rules_option = click.option(
    "--rules",
    "rules_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra rule folder laid over the bundled catalogue (repeatable; "
    "also $SHADOWSCAN_RULES, separated by ':').",
)
config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy file [default: $SHADOWSCAN_CONFIG, else ./shadowscan.toml if present].",
)


def pseudonym_options(command):
    """`--pseudonymize` and `--key-file`: keyed pseudonyms instead of identities."""
    command = click.option(
        "--key-file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Pseudonym key [default: $SHADOWSCAN_PSEUDONYM_KEY].",
    )(command)
    return click.option(
        "--pseudonymize",
        is_flag=True,
        help="Replace every identity, user and IP by a keyed pseudonym (HMAC).",
    )(command)


view_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "json"]),
    default="terminal",
    show_default=True,
    help="A table for people, or JSON for other tools.",
)


def lead_options(min_identities: int):
    """`--min-identities` and `--limit` for the commands that rank unknown hosts as leads."""

    def decorate(command):
        command = click.option(
            "--limit",
            type=click.IntRange(1),
            default=50,
            show_default=True,
            help="Leads to list at most.",
        )(command)
        return click.option(
            "--min-identities",
            type=click.IntRange(1),
            default=min_identities,
            show_default=True,
            help="Identities a name-only or co-visit lead needs.",
        )(command)

    return decorate
