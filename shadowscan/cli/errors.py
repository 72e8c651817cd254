"""The one error boundary: expected failures become a message and an exit code."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.text import Text

from shadowscan.errors import ShadowscanError

EXIT_OK = 0
EXIT_ERROR = 1


def report_error(exc: ShadowscanError, console: Console) -> int:
    """Print `error: … / --> where / help: …` on stderr and return the exit code."""
    text = Text("error: ", style="bold red")
    text.append(exc.message)
    if exc.location:
        text.append(f"\n  --> {exc.location}")
    if exc.hint:
        text.append("\n  help: ", style="bold")
        text.append(exc.hint)
    console.print(text)
    return exc.exit_code


def run(cli: click.Group, console: Console) -> int:
    """Run the CLI; `--traceback` (anywhere) lets unexpected errors through for debugging."""
    debug = "--traceback" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--traceback"]
    try:
        cli.main(args=args, prog_name="shadowscan", standalone_mode=False)
    except ShadowscanError as exc:
        return report_error(exc, console)
    except click.exceptions.Abort:
        console.print("aborted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except OSError as exc:
        if debug:
            raise
        console.print(Text(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")))
        return EXIT_ERROR
    return EXIT_OK
