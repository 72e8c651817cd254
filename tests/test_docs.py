"""The README documents every format, schema field and command a user meets."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from shadowscan.cli.boundary import Exit
from shadowscan.cli.main import cli
from shadowscan.formats import FORMATS
from shadowscan.schema import CAPS, DEFAULT_CAP, FIELDS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    commands = [line.split()[1] for line in README.splitlines() if line.startswith("make ")]
    assert commands[:2] == ["run", "test"]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_is_in_the_formats_table(name):
    assert f"| `{name}` |" in README


@pytest.mark.parametrize("field", list(FIELDS))
def test_every_schema_field_is_documented_with_its_description(field):
    row = next(line for line in README.splitlines() if line.startswith(f"| `{field}` |"))
    assert FIELDS[field][1] in row


_CTX = click.Context(cli)  # commands load on demand: listed through click's own API


@pytest.mark.parametrize("command", cli.list_commands(_CTX))
def test_every_command_is_documented(command):
    assert f"shadowscan {command}" in README


@pytest.mark.parametrize("command", sorted(cli.get_command(_CTX, "rules").commands))
def test_every_rules_command_is_documented(command):
    assert f"shadowscan rules {command}" in README


ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shadowscan"


def _architecture_paragraphs() -> list[str]:
    return (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").split("\n\n")


def test_every_module_architecture_names_exists():
    """A paragraph's bare `name.py` lives in a package the same paragraph names."""
    missing = []
    for paragraph in _architecture_paragraphs():
        names = re.findall(r"`([\w/]+(?:\.py|/))`", paragraph)
        names += re.findall(r"(?<![/\w])(\w+/\w+\.py)\b", paragraph)  # the diagram's columns
        packages = {n.split("/")[0] for n in names if "/" in n} | {""}
        for name in names:
            if "/" in name:
                found = (PACKAGE / name).exists() or (ROOT / name).exists()
            else:
                found = any((PACKAGE / p / name).exists() for p in packages)
                found = found or (ROOT / name).exists()
            if not found:
                missing.append(name)
    assert not missing, f"ARCHITECTURE.md names modules that do not exist: {missing}"


def test_no_two_modules_share_a_name():
    """One name, one module: `grep`, tracebacks and imports stay unambiguous."""
    names = [p.name for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_exit_status_table_lists_every_status():
    rows = {
        line.split("|")[1].strip(" `") for line in README.splitlines() if line.startswith("| `")
    }
    assert {str(int(status)) for status in Exit} <= rows


#: Options every command of a kind takes, documented once beside the commands table.
COMMON_OPTIONS = {"--rules", "--private", "--help"}


def _commands(group: click.Group, prefix: str = ""):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        full = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            yield from _commands(command, full)
        else:
            yield full, command


@pytest.mark.parametrize(("name", "command"), list(_commands(cli)), ids=lambda v: str(v))
def test_the_readme_row_of_a_command_names_each_of_its_options(name, command):
    row = next(
        line
        for line in README.splitlines()
        if line.startswith((f"| `shadowscan {name} ", f"| `shadowscan {name}`"))
    )
    usage = row.split("`")[1]
    missing = [
        param.opts
        for param in command.params
        if isinstance(param, click.Option)
        and not set(param.opts) & COMMON_OPTIONS
        and not any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", usage) for o in param.opts)
    ]
    assert missing == []


def test_the_caps_of_long_fields_are_documented():
    paragraph = next(p for p in README.split("\n\n") if "no stored event grows" in p)
    paragraph = paragraph.replace("\n", " ")
    for name, cap in {**CAPS, "every other text field": DEFAULT_CAP}.items():
        assert name in paragraph and f" {cap}" in paragraph
