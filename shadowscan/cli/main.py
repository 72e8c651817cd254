"""`shadowscan`: the command group; each command lives in the module that its `cli/`
file names, imported only when it is run or listed, so `--version`, `--help` and
`rules explain` start without the parsers, the store or the report renderers."""

from __future__ import annotations

import importlib
import sys

import click
from rich.console import Console

from shadowscan import __version__
from shadowscan.cli.boundary import ErrorBoundaryGroup, run

#: Each command and the `cli/` module that defines it.
COMMANDS = {
    "ingest": "shadowscan.cli.ingest",
    "watch": "shadowscan.cli.ingest",
    "formats": "shadowscan.cli.ingest",
    "report": "shadowscan.cli.report",
    "export": "shadowscan.cli.report",
    "explain": "shadowscan.cli.report",
    "reveal": "shadowscan.cli.report",
    "discover": "shadowscan.cli.report",
    "dashboard": "shadowscan.cli.dashboard",
    "rules": "shadowscan.cli.rules",
    "status": "shadowscan.cli.store",
    "compact": "shadowscan.cli.store",
    "prune": "shadowscan.cli.store",
}


class LazyGroup(ErrorBoundaryGroup):
    """The error-boundary group whose commands load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            self.add_command(getattr(importlib.import_module(COMMANDS[name]), name))
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shadowscan")
@click.option(
    "--traceback",
    is_flag=True,
    expose_value=False,
    help="Show the full trace of an unexpected error (also after any command).",
)
def cli() -> None:
    """Find shadow AI use in proxy, firewall and DNS logs."""


def main() -> None:
    sys.exit(run(cli, Console(stderr=True)))
