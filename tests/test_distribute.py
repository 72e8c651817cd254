"""Ingest fanned out over a real Dask LocalCluster: the local run's events, to the event.

Every test compares a Dask run with a local run of the same files: the same
events (every column of every event), the same manifest rows, the same
summary; a rerun adds nothing, and a worker killed mid-task (its task
retried by Dask) leaves uncommitted files behind but never a line twice.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from deltalake import DeltaTable
from polars.testing import assert_frame_equal

from shadowscan import distribute
from shadowscan.cli.main import cli
from shadowscan.pipeline import ingest
from shadowscan.store.delta import EventStore
from shadowscan.store.maintenance import compact
from tests.test_incremental import squid_lines

distributed = pytest.importorskip("distributed")

ORG_LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "org" / "logs"


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each, shared by the module's tests."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    """Squid, Zeek and a BIND-style DNS log, plus a gzip Squid log of several chunks."""
    folder = tmp_path_factory.mktemp("logs")
    shutil.copytree(ORG_LOGS, folder, dirs_exist_ok=True)
    archive = folder / "proxy" / "access.log.2.gz"
    archive.write_bytes(gzip.compress(squid_lines(0, 60_000, tag="gz").encode()))
    return folder


def events(store: Path) -> pl.DataFrame:
    return EventStore(store).events().collect().sort("source_id", "source_line")


def manifest(store: Path) -> pl.DataFrame:
    """The ingest table without its clock."""
    return EventStore(store).runs().drop("ingested_at").collect().sort("source_id", "offset_end")


def counts(summary) -> list[tuple]:
    return [(f.path, f.fmt, f.lines, f.events, f.rejected, f.ai_events) for f in summary.files]


def test_a_dask_run_stores_the_local_runs_events_and_a_rerun_adds_nothing(tmp_path, cluster, logs):
    local = ingest([logs], EventStore(tmp_path / "local"), settle=0, commit_bytes=1)
    fanned = distribute.ingest(
        [logs], EventStore(tmp_path / "dask"), cluster.scheduler_address, settle=0, commit_bytes=1
    )
    assert counts(fanned) == counts(local)
    assert {f.fmt for f in fanned.files} >= {"squid", "zeek-tsv"}
    assert sum(f.commits for f in fanned.files) > len(fanned.files)  # the archive: several
    assert_frame_equal(events(tmp_path / "dask"), events(tmp_path / "local"))
    assert_frame_equal(manifest(tmp_path / "dask"), manifest(tmp_path / "local"))

    version = DeltaTable(str(tmp_path / "dask" / "events")).version()
    again = distribute.ingest([logs], EventStore(tmp_path / "dask"), cluster.scheduler_address)
    local_again = ingest([logs], EventStore(tmp_path / "local"))
    assert again.total("lines") == 0
    assert (counts(again), again.unchanged) == (counts(local_again), local_again.unchanged)
    assert DeltaTable(str(tmp_path / "dask" / "events")).version() == version


def test_progress_reaches_the_client_chunk_by_chunk(tmp_path, cluster):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 60_000))  # about 8 MB: several reader chunks
    seen: list[tuple[Path, int]] = []
    distribute.ingest(
        [log],
        EventStore(tmp_path / "s"),
        cluster.scheduler_address,
        settle=0,
        progress=lambda path, done: seen.append((path, done)),
    )
    done = [offset for path, offset in seen if path == log]
    assert len(done) >= 2 and done == sorted(done)  # on its way, then at its end
    assert done[-1] == log.stat().st_size


def test_lines_appended_since_are_read_from_where_the_last_run_stopped(
    tmp_path, cluster, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # a relative store: workers are handed its absolute path
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 300))
    store = EventStore(Path("store"))
    distribute.ingest([log], store, cluster.scheduler_address, settle=0)
    with open(log, "a") as f:
        f.write(squid_lines(300, 200))
    again = distribute.ingest([log], store, cluster.scheduler_address, settle=0)
    assert again.total("lines") == 200
    assert events(tmp_path / "store")["source_line"].to_list() == list(range(1, 501))


def test_two_copies_of_one_log_are_read_as_a_local_run_reads_them(tmp_path, cluster):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "access.log").write_text(squid_lines(0, 400))
    (logs / "access.log.copy").write_text(squid_lines(0, 500))  # the same log, further on
    local = ingest([logs], EventStore(tmp_path / "local"), settle=0)
    fanned = distribute.ingest([logs], EventStore(tmp_path / "dask"), cluster.scheduler_address)
    assert counts(fanned) == counts(local)
    assert (fanned.skipped, fanned.busy) == (local.skipped, 0)
    assert_frame_equal(events(tmp_path / "dask"), events(tmp_path / "local"))
    assert events(tmp_path / "dask").height == 500


def _kill_busy_workers(client) -> bool:
    """SIGKILL every worker process running a task, so the one writing the Parquet file
    just seen dies mid-task (their nannies start new ones); False if none was busy."""
    busy = [worker for worker, keys in client.processing().items() if keys]
    for pid in client.run(os.getpid, workers=busy).values():
        os.kill(pid, signal.SIGKILL)
    return bool(busy)


@pytest.mark.slow  # like the kill -9 tests: worker restarts take seconds on a loaded machine
def test_a_worker_killed_mid_task_is_retried_and_nothing_counts_twice(tmp_path, cluster):
    logs = tmp_path / "logs"
    logs.mkdir()
    for i, count in enumerate((60_000, 40_000)):
        (logs / f"access{i}.log").write_text(squid_lines(0, count, tag=f"k{i}"))
    local = ingest([logs], EventStore(tmp_path / "local"), settle=0, commit_bytes=1)

    store = tmp_path / "dask"
    outcome: list = []

    def fan_out() -> None:
        run = distribute.ingest(
            [logs], EventStore(store), cluster.scheduler_address, settle=0, commit_bytes=1
        )
        outcome.append(run)

    runner = threading.Thread(target=fan_out)
    runner.start()
    with distributed.Client(cluster.scheduler_address) as client:
        deadline = time.monotonic() + 60
        while not list(store.glob("events/day=*/*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.02)  # a worker has started writing a file's Parquet
        assert _kill_busy_workers(client)
    runner.join(timeout=120)
    assert counts(outcome[0]) == counts(local)
    assert_frame_equal(events(store), events(tmp_path / "local"))

    committed = {Path(u).name for u in DeltaTable(str(store / "events")).file_uris()}
    on_disk = {p.name for p in store.glob("events/day=*/*.parquet")}
    assert committed < on_disk  # the killed attempt's files: written, never committed
    compact(EventStore(store), vacuum_hours=0)
    on_disk = {p.name for p in store.glob("events/day=*/*.parquet")}
    assert on_disk == {Path(u).name for u in DeltaTable(str(store / "events")).file_uris()}
    assert_frame_equal(events(store), events(tmp_path / "local"))


def test_the_cli_on_a_local_cluster_prints_the_local_runs_summary(tmp_path, logs):
    runner = CliRunner()
    local = runner.invoke(cli, ["ingest", "--store", str(tmp_path / "a"), str(logs)])
    fanned = runner.invoke(
        cli, ["ingest", "--scheduler", "local:2", "--store", str(tmp_path / "b"), str(logs)]
    )
    assert (local.exit_code, fanned.exit_code) == (0, 0), fanned.output
    without_time = [line for line in fanned.output.splitlines() if "lines/s" not in line]
    assert without_time == [line for line in local.output.splitlines() if "lines/s" not in line]
    assert_frame_equal(events(tmp_path / "b"), events(tmp_path / "a"))


def test_without_dask_the_scheduler_option_says_so_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 10))
    result = CliRunner().invoke(
        cli, ["ingest", "--scheduler", "local:2", "--store", str(tmp_path / "s"), str(log)]
    )
    assert result.exit_code == 1
    assert "pip install 'shadowscan[dask]'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["local:0", "local:x", "8786", "localhost"])
def test_a_scheduler_that_is_no_address_is_refused(tmp_path, value):
    result = CliRunner().invoke(cli, ["ingest", "--scheduler", value, str(tmp_path)])
    assert result.exit_code == 2
    assert "local:N" in result.output


@pytest.mark.parametrize(
    "where",
    [["--store", "s3://bucket/store/", "logs/"], ["--store", "STORE", "s3://bucket/logs/"]],
)
def test_object_storage_with_a_scheduler_is_refused_in_one_sentence(tmp_path, where):
    """Workers read local or shared disks and write into a local table: an object-storage
    address is for a run without --scheduler, and no worker is started to find that out."""
    args = [a.replace("STORE", str(tmp_path / "s")) for a in where]
    result = CliRunner().invoke(cli, ["ingest", "--scheduler", "local:2", *args])
    assert result.exit_code == 1
    assert "object-storage addresses are read by a run without it" in result.output
    assert "Traceback" not in result.output
