"""`status`, `compact`, `prune` and the store's schema version (an older one upgraded or
refused), through the real commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from shadowscan.cli.main import cli
from shadowscan.schema import TABLE_SCHEMA
from shadowscan.store.delta import EventStore
from tests.test_incremental import assert_exactly_once, run, squid_lines


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _status(store: Path) -> dict:
    return json.loads(invoke("status", "--store", store, "--format", "json").output)


def _many_small_ingests(tmp_path: Path) -> tuple[Path, Path, int]:
    log, store = tmp_path / "access.log", tmp_path / "store"
    for i in range(6):  # cron every few minutes: one small commit each
        with open(log, "a") as f:
            f.write(squid_lines(i * 100, 100))
        run(store, log)
    return log, store, 600


def test_status_describes_the_store(tmp_path):
    _, store, lines = _many_small_ingests(tmp_path)
    state = _status(store)
    assert (state["events"], state["sources"], state["schema_version"]) == (lines, 1, 3)
    assert state["days"] == 1 and state["data_files"] == 6 and state["size_bytes"] > 0
    assert "schema version" in invoke("status", "--store", store).output


def test_compact_merges_files_and_changes_no_count(tmp_path):
    log, store, lines = _many_small_ingests(tmp_path)
    before = invoke("report", "--store", store, "--format", "json").output
    result = invoke("compact", "--store", store, "--vacuum-hours", "0")
    assert "events: 6 files → 1" in result.output
    assert _status(store)["data_files"] == 1
    after = invoke("report", "--store", store, "--format", "json").output
    assert json.loads(after)["totals"] == json.loads(before)["totals"]
    assert run(store, log).total("lines") == 0  # the manifest survived the rewrite
    with open(log, "a") as f:
        f.write(squid_lines(600, 50))
    assert run(store, log).total("lines") == 50
    assert_exactly_once(store, lines + 50)


def test_compact_deletes_the_files_no_commit_named_once_old_enough(tmp_path):
    """A crashed ingest or an abandoned Dask task leaves Parquet files no commit names."""
    _, store, lines = _many_small_ingests(tmp_path)
    events = EventStore(store)
    written = events.write([events.events().head(10).collect()], "crashed")
    orphans = {Path(a.path).name for a in written}

    def on_disk() -> set[str]:
        return {p.name for p in (store / "events").rglob("*.parquet")}

    assert orphans <= on_disk()
    invoke("compact", "--store", store)  # younger than the default 168 hours: kept
    assert orphans <= on_disk()
    invoke("compact", "--store", store, "--vacuum-hours", "0")
    assert not orphans & on_disk()
    assert _status(store)["events"] == lines


def test_prune_drops_old_days_but_not_the_manifest(tmp_path):
    log, store = tmp_path / "access.log", tmp_path / "store"
    day = 86_400
    text = squid_lines(0, 10) + "".join(  # ten more lines three days later
        line.replace("1795000", str(1795000 + 3 * day // 1000), 1)
        for line in squid_lines(10, 10).splitlines(keepends=True)
    )
    log.write_text(text)
    run(store, log)
    assert _status(store)["days"] == 2
    result = invoke("prune", "--store", store, "--older-than", "2026-11-20")
    assert "deleted 10 events" in result.output
    assert _status(store)["events"] == 10
    assert run(store, log).total("lines") == 0  # pruned lines are not read again


def test_a_store_of_another_schema_version_is_refused(tmp_path):
    _, store, _ = _many_small_ingests(tmp_path)
    exe = str(Path(sys.executable).with_name("shadowscan"))
    (store / "shadowscan-store.json").write_text('{"schema_version": 99}')
    proc = subprocess.run([exe, "report", "--store", store], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "has schema version 99; this shadowscan reads version 3" in proc.stderr
    (store / "shadowscan-store.json").unlink()  # as left by shadowscan 0.1
    proc = subprocess.run(
        [exe, "ingest", "--store", store, tmp_path / "access.log"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "before the ingest manifest" in proc.stderr


def test_a_version_2_store_gains_cut_and_keeps_its_events(tmp_path):
    """Version 2 had no `cut`: the store is upgraded in place, its events kept (`cut` null)."""
    store = tmp_path / "store"
    given = pl.DataFrame({"host": ["old.example"], "source_id": ["x"]})
    old = given.select(
        pl.col(n).cast(t) if n in given.columns else pl.lit(None, t).alias(n)
        for n, t in TABLE_SCHEMA.items()
        if n != "cut"
    )
    old.write_delta(store / "events", delta_write_options={"partition_by": ["day"]})
    (store / "shadowscan-store.json").write_text('{"schema_version": 2}')
    log = tmp_path / "access.log"
    log.write_text(squid_lines(0, 10))
    assert run(store, log).total("events") == 10
    events = pl.scan_delta(str(store / "events")).select("host", "cut").collect()
    assert events.filter(pl.col("host") == "old.example")["cut"].to_list() == [None]
    assert events["cut"].drop_nulls().to_list() == [False] * 10
    assert _status(store)["schema_version"] == 3
