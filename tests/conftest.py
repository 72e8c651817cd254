"""Fixtures shared across test modules."""

from __future__ import annotations

import os
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
#: Real logs from other projects' test suites, beside the checkout (see ../shared).
PEER = Path(__file__).resolve().parents[2] / "shared" / "peer-logs"


def pytest_sessionstart(session) -> None:
    """Under SHADOWSCAN_REQUIRE_PEER_LOGS=1 (CI), missing peer logs fail the run: their
    tests would otherwise skip and pass without testing anything."""
    if os.environ.get("SHADOWSCAN_REQUIRE_PEER_LOGS") == "1" and not PEER.is_dir():
        raise pytest.UsageError(
            f"SHADOWSCAN_REQUIRE_PEER_LOGS=1 but {PEER} is absent: the real-log tests would skip."
        )


@pytest.fixture(scope="session")
def org_store(tmp_path_factory) -> Path:
    """The fixture organisation's logs, ingested once (fixtures/make_org.py)."""
    path = tmp_path_factory.mktemp("org") / "store"
    result = CliRunner().invoke(cli, ["ingest", "-q", "--store", str(path), str(ORG / "logs")])
    assert result.exit_code == 0, result.output
    return path
