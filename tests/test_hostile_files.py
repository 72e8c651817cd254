"""Broken and hostile files through the real ingest, and outputs that stay inert.

Each case ends with the run going on: bad lines counted and sampled, the
readable part of a file kept, other files ingested, one clear line for what
could not be read, and every output (JSON, CSV, HTML) still well-formed.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.cli.main import cli
from tests.test_incremental import assert_exactly_once, run, squid_lines


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _exe() -> str:
    return str(Path(sys.executable).with_name("shadowscan"))


def test_a_10_mb_line_is_one_rejected_line(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 5) + "x" * (10 << 20) + "\n" + squid_lines(5, 5))
    summary = run(tmp_path / "s", log)
    result = summary.files[0]
    assert (result.lines, result.events, result.rejected) == (11, 10, 1)
    assert len(result.samples[0]) < 300  # the sample is cut short
    assert result.samples[0].startswith("line 6: [over --max-line-bytes] xxx")


def test_empty_header_only_and_binary_files(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "empty.log").write_bytes(b"")
    (logs / "header.log").write_text("#separator \\x09\n#path\tdns\n#fields\tts\tquery\n")
    (logs / "binary.log").write_bytes(bytes(range(256)) * 64)
    (logs / "access.log").write_text(squid_lines(0, 20))
    result = invoke("ingest", "--store", tmp_path / "s", logs)
    assert result.exit_code == 0
    assert "binary.log: unknown format" in result.output
    assert_exactly_once(tmp_path / "s", 20)


@pytest.mark.parametrize(
    "compress",
    [gzip.compress, bz2.compress, lzma.compress, lambda b: pa.compress(b, "zstd", asbytes=True)],
    ids=["gzip", "bz2", "xz", "zstd"],
)
def test_a_truncated_compressed_log_keeps_its_readable_part(tmp_path, compress):
    data = compress(squid_lines(0, 20_000).encode())  # several bzip2 blocks of 900 kB
    (tmp_path / "old.log.z").write_bytes(data[: len(data) * 2 // 3])
    summary = run(tmp_path / "s", tmp_path / "old.log.z")
    result = summary.files[0]
    assert 0 < result.events < 20_000
    assert any("ends early or is corrupt" in w for w in result.warnings)


def test_a_file_shorter_than_what_was_read_is_reported_not_misread(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 200))
    run(tmp_path / "s", log)
    log.write_text(squid_lines(0, 100))  # same first lines, rewritten shorter
    result = run(tmp_path / "s", log).files[0]
    assert result.lines == 0 and "shorter" in result.warnings[0]
    assert run(tmp_path / "s", log, reingest=True).total("events") == 100
    assert_exactly_once(tmp_path / "s", 100)


def test_a_file_growing_during_the_reads_ends_exact(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 1000))
    written = [1000]

    def writer() -> None:
        for batch in range(40):
            with open(log, "a") as f:
                f.write(squid_lines(written[0], 500))
            written[0] += 500
            time.sleep(0.02 if batch % 2 else 0)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        run(tmp_path / "s", log)
    thread.join()
    run(tmp_path / "s", log)
    assert_exactly_once(tmp_path / "s", written[0])


def _can_run_as_nobody() -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", _exe(), "--version"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_run_as_nobody(), reason="needs root to run a command as nobody")
def test_an_unreadable_file_is_skipped_and_the_exit_status_says_so():
    root = Path(tempfile.mkdtemp(prefix="shadowscan-perm-"))  # outside root-only folders
    try:
        root.chmod(0o777)
        (root / "logs").mkdir(mode=0o777)
        (root / "logs" / "open.log").write_text(squid_lines(0, 10))
        (root / "logs" / "secret.log").write_text(squid_lines(0, 10, tag="s"))
        (root / "logs" / "secret.log").chmod(0)
        proc = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                _exe(),
                "ingest",
                "--store",
                root / "store",
                root / "logs",
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 4, proc.stderr
        assert "secret.log: permission denied" in proc.stderr
        assert "1 path(s) could not be read" in proc.stderr
    finally:
        shutil.rmtree(root)


# --- outputs ---------------------------------------------------------------------------

_LINE = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=80)


@settings(  # each example is a whole ingest and three reports: 6 keep the suite under 6 minutes
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(user=_LINE, path=_LINE)
def test_json_and_csv_outputs_stay_well_formed_whatever_the_log_holds(tmp_path_factory, user, path):
    folder = tmp_path_factory.mktemp("json")
    user = user.replace(" ", "_") or "-"
    log = folder / "access.log"
    url = "https://chatgpt.com/" + path.replace(" ", "")
    line = f"1795000000.000 100 10.0.0.1 TCP_MISS/200 10 GET {url} {user} HIER_DIRECT/x -\n"
    log.write_text(line, encoding="utf-8")
    assert invoke("ingest", "-q", "--store", folder / "s", log).exit_code == 0
    doc = json.loads(invoke("report", "--store", folder / "s", "--format", "json").output)
    assert doc["schema"] == "shadowscan.report/1"
    lines = invoke("export", "--store", folder / "s", "--format", "jsonl").output.splitlines()
    assert all(json.loads(line)["host"] == "chatgpt.com" for line in lines)
    csv_text = invoke("export", "--store", folder / "s", "--format", "csv").output
    assert not any(cell.startswith(("=", "+", "@")) for cell in csv_text.split(","))


def test_output_refuses_to_overwrite_the_policy_or_its_files(tmp_path):
    org = Path(__file__).resolve().parents[1] / "fixtures" / "org"
    shutil.copytree(org, tmp_path / "org")
    config = tmp_path / "org" / "shadowscan.toml"
    store = tmp_path / "store"
    invoke("ingest", "-q", "--store", store, tmp_path / "org" / "logs")
    for target in (
        config,
        tmp_path / "org" / "directory.csv",
        tmp_path / "org" / "seats" / "chatgpt.csv",
    ):
        before = target.read_bytes()
        proc = subprocess.run(
            [
                _exe(),
                "report",
                "--store",
                store,
                "--config",
                config,
                "--format",
                "json",
                "-o",
                target,
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 1 and "is an input of this report" in proc.stderr
        assert target.read_bytes() == before
