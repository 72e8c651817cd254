"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowscan.cli.main import cli

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "org"


@pytest.fixture(scope="session")
def org_store(tmp_path_factory) -> Path:
    """The fixture organisation's logs, ingested once (fixtures/make_org.py)."""
    path = tmp_path_factory.mktemp("org") / "store"
    result = CliRunner().invoke(cli, ["ingest", "-q", "--store", str(path), str(ORG / "logs")])
    assert result.exit_code == 0, result.output
    return path
