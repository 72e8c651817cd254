"""Log content is attacker-controlled: make it inert before it reaches a screen or file."""

from __future__ import annotations

import re

import polars as pl
from rich.text import Text

#: C0 and C1 controls, line separators, and the bidi embeddings, overrides and isolates
#: that would reorder what surrounds them on screen (U+202A–U+202E, U+2066–U+2069).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(value: object) -> str:
    """Control characters (ESC, BEL, CR, tab, bidi overrides, …) shown as `\\x1b`-style escapes."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def cell(value: object) -> Text:
    """A Rich table cell that never interprets markup (`[bold]`) or control codes."""
    return Text(visible(value))


def csv_safe(col: pl.Expr) -> pl.Expr:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ tab or CR gets a `'`."""
    return col.str.replace(r"^([=+\-@\t\r])", "'$1")
