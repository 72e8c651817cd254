"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from shadowscan.cli.main import cli

# Property tests check behaviour, never time: on a loaded 2-core machine one example
# can take a second, and Hypothesis's default 200 ms deadline would fail it.
settings.register_profile("shadowscan", deadline=None)
settings.load_profile("shadowscan")

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "org"


@pytest.fixture(scope="session")
def org_store(tmp_path_factory) -> Path:
    """The fixture organisation's logs, ingested once (fixtures/make_org.py)."""
    path = tmp_path_factory.mktemp("org") / "store"
    result = CliRunner().invoke(cli, ["ingest", "-q", "--store", str(path), str(ORG / "logs")])
    assert result.exit_code == 0, result.output
    return path
