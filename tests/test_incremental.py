"""Incremental, idempotent, crash-safe ingest: nothing lost, nothing counted twice.

Every test ends by comparing the store with the lines written: each line of
each logical log is one event, exactly once (no duplicate `(source_id,
source_line)`, no gap), whatever rotation, rerun, crash or concurrency came
in between.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from shadowscan.ingest.reader import CHUNK_BYTES
from shadowscan.pipeline import ingest
from shadowscan.store.delta import EventStore
from shadowscan.store.locks import source_lock


def squid_lines(first: int, count: int, tag: str = "a") -> str:
    """`count` Squid lines numbered from `first`; `tag` makes logs' first bytes differ."""
    return "".join(
        f"{1795000000 + i}.000 100 10.0.{i % 200}.{i % 250} TCP_MISS/200 1000 GET "
        f"http://h{i}.{tag}.example.com/p user{i % 50} HIER_DIRECT/h{i}.{tag}.example.com "
        "text/html\n"
        for i in range(first, first + count)
    )


def run(store: Path, *paths: Path, **options) -> object:
    options.setdefault("settle", 0)  # tests write files just now; treat them as finished
    return ingest(list(paths), EventStore(store), **options)


def stored(store: Path) -> pl.DataFrame:
    return EventStore(store).events().select("source_id", "source_line", "host").collect()


def assert_exactly_once(store: Path, expected_lines: int) -> None:
    events = stored(store)
    assert events.height == expected_lines
    assert events.select("source_id", "source_line").is_duplicated().sum() == 0
    for _, lines in events.group_by("source_id"):  # no gap in any source's line numbers
        numbers = lines["source_line"].sort()
        assert numbers.to_list() == list(range(1, numbers.len() + 1))


def test_running_twice_counts_once(tmp_path):
    log = tmp_path / "logs" / "access.log"
    log.parent.mkdir()
    log.write_text(squid_lines(0, 500))
    first = run(tmp_path / "s", log.parent)
    second = run(tmp_path / "s", log.parent)
    assert (first.total("events"), second.total("lines"), second.unchanged) == (500, 0, 1)
    assert_exactly_once(tmp_path / "s", 500)


def test_appended_lines_are_picked_up(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 300))
    run(tmp_path / "s", log)
    with open(log, "a") as f:
        f.write(squid_lines(300, 200))
    again = run(tmp_path / "s", log)
    assert again.total("lines") == 200
    assert_exactly_once(tmp_path / "s", 500)


def test_rotation_by_rename_and_compression_is_not_read_again(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "access.log").write_text(squid_lines(0, 300))
    run(tmp_path / "s", logs)
    with open(logs / "access.log", "a") as f:  # written just before the rotation
        f.write(squid_lines(300, 50))
    os.rename(logs / "access.log", logs / "access.log.1")
    (logs / "access.log").write_text(squid_lines(1000, 120, tag="b"))
    second = run(tmp_path / "s", logs)
    assert second.total("lines") == 50 + 120
    assert_exactly_once(tmp_path / "s", 470)
    rotated = logs / "access.log.1"  # logrotate's delaycompress: .1 becomes .2.gz
    (logs / "access.log.2.gz").write_bytes(gzip.compress(rotated.read_bytes()))
    rotated.unlink()
    third = run(tmp_path / "s", logs)
    assert third.total("lines") == 0 and third.total("events") == 0
    assert_exactly_once(tmp_path / "s", 470)


def test_copy_truncate_rotation_is_detected(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "access.log"
    log.write_text(squid_lines(0, 200))
    run(tmp_path / "s", logs)
    with open(log, "a") as f:
        f.write(squid_lines(200, 30))
    shutil.copyfile(log, logs / "access.log.1")  # copytruncate: copy, then truncate in place
    with open(log, "r+") as f:
        f.truncate(0)
        f.write(squid_lines(5000, 40, tag="c"))
    second = run(tmp_path / "s", logs)
    notes = [r.note for r in second.files if r.note]
    assert notes and "copy-truncate" in notes[0]
    assert second.total("lines") == 30 + 40
    assert_exactly_once(tmp_path / "s", 270)


def test_a_partial_last_line_waits_while_the_file_is_fresh(tmp_path):
    log = tmp_path / "access.log"
    text = squid_lines(0, 10)
    log.write_text(text + text[:40])  # the writer is half-way through line 11
    first = run(tmp_path / "s", log, settle=3600)
    assert first.total("lines") == 10
    with open(log, "a") as f:
        f.write(squid_lines(0, 1)[40:].replace("\n", "") + "\n")
    second = run(tmp_path / "s", log, settle=3600)
    assert second.total("lines") == 1 and second.total("rejected") == 0
    assert_exactly_once(tmp_path / "s", 11)


def test_an_old_file_without_final_newline_is_read_whole(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 5).rstrip("\n"))
    assert run(tmp_path / "s", log, settle=3600 * 24 * 365 * 100).total("lines") == 4
    old = time.time() - 3600
    os.utime(log, (old, old))
    assert run(tmp_path / "s", log, settle=60).total("lines") == 1
    assert_exactly_once(tmp_path / "s", 5)


def test_reingest_replaces_instead_of_adding(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 100))
    run(tmp_path / "s", log)
    again = run(tmp_path / "s", log, reingest=True)
    assert again.total("events") == 100
    assert_exactly_once(tmp_path / "s", 100)
    runs = EventStore(tmp_path / "s").runs().collect()
    assert runs["lines"].sum() == 100  # the old manifest rows went with the old events


def test_large_files_commit_in_bounded_groups(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 100_000))  # about 14 MB: several reader chunks
    run(tmp_path / "s", log, commit_bytes=1)  # a commit per chunk
    runs = EventStore(tmp_path / "s").runs().collect()
    chunks = -(-log.stat().st_size // CHUNK_BYTES)
    assert chunks > 1 and runs.height == chunks
    assert runs["offset_end"].max() == log.stat().st_size
    events = DeltaTable(str(tmp_path / "s" / "events"))
    source = runs["source_id"][0]
    assert events.transaction_version(f"shadowscan:{source}") == log.stat().st_size
    assert_exactly_once(tmp_path / "s", 100_000)


def test_a_crash_between_the_events_and_their_row_is_recovered(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 100_000))
    run(tmp_path / "s", log, commit_bytes=1)
    runs = DeltaTable(str(tmp_path / "s" / "ingest"))
    last = runs.to_pyarrow_table().column("offset_end").to_pylist()
    runs.delete(f"offset_end = {max(last)}")  # as if killed after the second events commit
    with open(log, "a") as f:
        f.write(squid_lines(100_000, 10))
    again = run(tmp_path / "s", log)
    assert again.total("lines") == 10  # the committed lines were not read again
    assert_exactly_once(tmp_path / "s", 100_010)


# --- real processes --------------------------------------------------------------------


def _exe() -> str:
    return str(Path(sys.executable).with_name("shadowscan"))


def _cli_ingest(store: Path, *paths: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [_exe(), "ingest", "-q", "--commit-every", "1", "--store", str(store), *map(str, paths)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def big_logs(tmp_path_factory) -> tuple[Path, int]:
    logs = tmp_path_factory.mktemp("big")
    total = 0
    for i, count in enumerate((150_000, 60_000)):
        (logs / f"access{i}.log").write_text(squid_lines(0, count, tag=f"t{i}"))
        total += count
    (logs / "old.log.gz").write_bytes(gzip.compress(squid_lines(0, 40_000, tag="gz").encode()))
    old = time.time() - 3600
    for path in logs.iterdir():
        os.utime(path, (old, old))
    return logs, total + 40_000


@pytest.mark.parametrize("delay", [0.5, 1.2, 2.0, 3.0])
def test_kill_9_at_any_moment_then_rerun_gives_exact_counts(tmp_path, big_logs, delay):
    logs, total = big_logs
    store = tmp_path / "store"
    proc = _cli_ingest(store, logs)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if EventStore(store).exists():  # whatever was committed reads consistently
        assert stored(store).select("source_id", "source_line").is_duplicated().sum() == 0
    rerun = _cli_ingest(store, logs)
    assert rerun.wait() == 0, rerun.stderr.read()
    assert_exactly_once(store, total)


def test_concurrent_runs_on_overlapping_folders_never_double_count(tmp_path, big_logs):
    logs, total = big_logs
    store = tmp_path / "store"
    a = _cli_ingest(store, logs)
    b = _cli_ingest(store, logs / "access0.log", logs / "old.log.gz", logs)
    assert (a.wait(), b.wait()) == (0, 0), (a.stderr.read(), b.stderr.read())
    # a file one process found busy is finished by the next run
    assert _cli_ingest(store, logs).wait() == 0
    assert_exactly_once(store, total)


def test_a_log_another_process_is_ingesting_is_no_failure(tmp_path):
    log, store = tmp_path / "access.log", tmp_path / "store"
    log.write_text(squid_lines(0, 100))
    assert _cli_ingest(store, log).wait() == 0
    with open(log, "a") as f:
        f.write(squid_lines(100, 50))
    (source,) = EventStore(store).runs().select("source_id").unique().collect().to_series()
    with source_lock(store, source) as held:
        assert held
        cron = _cli_ingest(store, log)
        assert cron.wait() == 0, cron.stderr.read()  # the holder reads it: no failure
    os.utime(log, (time.time() - 3600,) * 2)
    assert _cli_ingest(store, log).wait() == 0
    assert_exactly_once(store, 150)


def test_watch_beside_cron_runs_stores_every_line_once(tmp_path):
    logs, store = tmp_path / "logs", tmp_path / "store"
    logs.mkdir()
    log = logs / "access.log"
    log.write_text(squid_lines(0, 100))
    with subprocess.Popen(
        [_exe(), "watch", "--interval", "1", "--store", str(store), str(logs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as watcher:
        try:
            written = 100
            for _ in range(6):
                time.sleep(0.5)
                with open(log, "a") as f:
                    f.write(squid_lines(written, 200))
                written += 200
                if written == 700:  # a cron run at the same moment
                    cron = _cli_ingest(store, logs)
                    assert cron.wait() == 0, cron.stderr.read()
            time.sleep(2.5)
            watcher.send_signal(signal.SIGTERM)
            assert watcher.wait(timeout=30) == 0
            assert "new lines" in watcher.stderr.read()
        finally:
            watcher.kill()  # a failed assertion must not leave it watching
    old = time.time() - 3600  # settled: a last run may take a held-back last line
    os.utime(log, (old, old))
    assert _cli_ingest(store, logs).wait() == 0
    assert_exactly_once(store, written)
