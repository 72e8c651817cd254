"""The README documents every format, schema field and command a user meets."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented(command):
    assert f"shadowscan {command}" in README


@pytest.mark.parametrize("command", sorted(cli.commands["rules"].commands))
def test_every_rules_command_is_documented(command):
    assert f"shadowscan rules {command}" in README


def test_the_caps_of_long_fields_are_documented():
    paragraph = next(p for p in README.split("\n\n") if "no stored event grows" in p)
    paragraph = paragraph.replace("\n", " ")
    for name, cap in {**CAPS, "every other text field": DEFAULT_CAP}.items():
        assert name in paragraph and f" {cap}" in paragraph
