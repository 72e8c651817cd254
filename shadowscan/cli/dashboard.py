"""`dashboard`: the live terminal view of the gap, or one static frame with `--once`."""

from __future__ import annotations

import os
import sys

import click

from shadowscan.cli.common import catalogue_and_policy, open_store
from shadowscan.cli.options import (
    config_option,
    pseudonym_options,
    rules_option,
    since_option,
    store_option,
    until_option,
)
from shadowscan.dashboard import launch
from shadowscan.dashboard.source import DEFAULT_RANGE, DashboardSource, TimeRange
from shadowscan.report.pseudonym import load_key


def display_options(command):
    """How the dashboard looks: a theme for the terminal's background, or no colour at all."""
    command = click.option(
        "--theme",
        type=click.Choice(["dark", "light"]),
        default="dark",
        show_default=True,
        help="Colours for a dark or a light terminal background.",
    )(command)
    return click.option(
        "--no-color", is_flag=True, help="No colour (NO_COLOR in the environment does the same)."
    )(command)


def colour_off(flag: bool) -> bool:
    """Whether colour is off; Textual and Rich both read NO_COLOR, so set it for them."""
    if flag:
        os.environ["NO_COLOR"] = "1"
    return "NO_COLOR" in os.environ


@click.command()
@store_option
@since_option
@until_option
@click.option(
    "--refresh",
    type=click.FloatRange(0.5),
    default=5,
    show_default=True,
    metavar="SECONDS",
    help="Time between two refreshes (only a changed store is read again).",
)
@click.option("--once", is_flag=True, help="Print the panels once as a static frame and exit.")
@click.option("--width", type=click.IntRange(40), help="--once: columns [default: terminal's].")
@click.option("--height", type=click.IntRange(10), help="--once: lines [default: terminal's].")
@display_options
@rules_option
@config_option
@pseudonym_options
def dashboard(
    store, since, until, refresh, once, width, height, theme, no_color, rules_dirs, config,
    pseudonymize, key_file,
) -> None:  # fmt: skip
    """The shadow-AI gap on screen, refreshed as logs arrive; drill down to the evidence.

    Keys: ? help, / filter, t time range, Enter drill in, Esc back, s sort,
    p pause, e export, q quit.
    """
    events = open_store(store)
    catalogue, policy = catalogue_and_policy(config, rules_dirs)
    key = load_key(key_file) if pseudonymize else None
    source = DashboardSource(events, catalogue, policy, key)
    span = TimeRange("--since/--until", since, until) if since or until else DEFAULT_RANGE
    plain = colour_off(no_color)
    if once:
        columns, lines = launch.terminal_size(width, height)
        launch.print_frame(source, span, columns, lines, color=not plain and sys.stdout.isatty())
    else:
        launch.run_app(source, refresh, span, light=theme == "light")
