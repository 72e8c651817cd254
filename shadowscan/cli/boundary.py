"""The one error boundary: expected failures become a message and an exit code."""

from __future__ import annotations

import sys
from enum import IntEnum

import click
from rich.console import Console
from rich.text import Text

from shadowscan.cloud import redact
from shadowscan.errors import ShadowscanError


class Exit(IntEnum):
    """Every exit status shadowscan uses (the README's table says the same)."""

    OK = 0
    ERROR = 1  # an error the user can fix, or a bug (said as such)
    USAGE = 2  # a command line click cannot read; `shadowscan` alone
    CONDITION = 3  # a report's --fail-on condition held
    UNREADABLE = 4  # ingest read what it could, but some paths could not be read
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


BUG = (
    "this is a bug in shadowscan, not in your logs or settings: please report it on the "
    "project's issue tracker with the command you ran; --traceback shows the full trace."
)


def report_error(exc: ShadowscanError, console: Console) -> int:
    """Print `error: … / --> where / help: …` on stderr and return the exit code."""
    text = Text("error: ", style="bold red")
    text.append(redact(exc.message))
    if exc.location:
        text.append(f"\n  --> {exc.location}")
    if exc.hint:
        text.append("\n  help: ", style="bold")
        text.append(exc.hint)
    console.print(text, soft_wrap=True)  # one line per message: logs and grep keep it whole
    return exc.exit_code


class ErrorBoundaryGroup(click.Group):
    """A click group that renders expected errors once, for every command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ShadowscanError as exc:
            ctx.exit(report_error(exc, Console(stderr=True)))


def run(cli: click.Group, console: Console) -> int:
    """Run the CLI; `--traceback` (anywhere) lets unexpected errors through for debugging.

    A command line click cannot read (an unknown command or option, a bad value)
    exits 2, as the shell convention has it; every other error a user can cause, 1.
    """
    debug = "--traceback" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--traceback"]
    try:
        code = cli.main(args=args, prog_name="shadowscan", standalone_mode=False)
    except click.exceptions.Abort:
        console.print("aborted")
        return Exit.INTERRUPTED
    except click.UsageError as exc:  # `shadowscan` alone prints its help: 2 too
        exc.show()
        return Exit.USAGE
    except click.ClickException as exc:
        exc.show()
        return Exit.ERROR
    except OSError as exc:
        if debug:
            raise
        said = f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        console.print(Text(redact(said)))  # a library's message may hold an endpoint or key
        return Exit.ERROR
    except Exception as exc:  # the last resort: one line, never a raw traceback
        if debug:
            raise
        said = redact(f"error: unexpected {type(exc).__name__}: {exc}")
        console.print(Text(said), soft_wrap=True)
        console.print(Text(f"  help: {BUG}"), soft_wrap=True)
        return Exit.ERROR
    return code if isinstance(code, int) else Exit.OK
