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


#: Modules whose every test is slow by design: each split point of every header-driven
#: fixture, kill -9 at many moments, building and installing the wheel.
SLOW_MODULES = {"test_resume_headers.py", "test_incremental.py", "test_install.py"}


@pytest.fixture(autouse=True, scope="session")
def _own_catalogue_cache(tmp_path_factory) -> None:
    """Tests keep their compiled catalogues apart from the user's cache (and its pruning)."""
    os.environ["SHADOWSCAN_CACHE"] = str(tmp_path_factory.mktemp("catalogue-cache"))


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow: left out by `make test-fast`")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark the slow tests: Hypothesis properties and the modules in SLOW_MODULES."""
    for item in items:
        prop = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        if prop or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on loopback, one per test process, stopped at the end.

    A server that cannot start skips its tests, or fails them under
    SHADOWSCAN_REQUIRE_TOOLS=1 (CI), where they must run."""
    from tests.s3server import REQUIRE_TOOLS, S3Server

    try:
        server = S3Server.start()
    except (OSError, RuntimeError) as exc:
        message = f"moto's S3 server could not start ({exc}); pip install 'moto[server]'"
        if REQUIRE_TOOLS:
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch):
    """The loopback S3 server with its AWS_* variables set for this test and its children."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server
