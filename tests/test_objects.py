"""Logs read where they lie on object storage, and the store kept there, against moto's S3
server on loopback (tests/s3server.py): every result is compared with a local run."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import obstore
import polars as pl
import pytest
from click.testing import CliRunner
from obstore.store import S3Store

from bench.generate import block
from shadowscan.cli.main import cli
from shadowscan.store.delta import EventStore
from tests.s3server import S3Server

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "org" / "logs"
EXE = str(Path(sys.executable).with_name("shadowscan"))


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def squid(first: int, count: int) -> bytes:
    """`count` generated Squid lines from line number `first`: each log its own content."""
    return ("\n".join(block(first, count)["line"]) + "\n").encode()


def put(bucket: str, key: str, data: bytes) -> None:
    obstore.put(S3Store(bucket), key, data)


def upload(folder: Path, bucket: str, prefix: str) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        put(bucket, f"{prefix}/{path.relative_to(folder)}", path.read_bytes())


def events(store) -> pl.DataFrame:
    """A store's events, comparable across stores: `source_file` names where a log lay."""
    frame = EventStore(store).events().collect().drop("source_file")
    return frame.sort("source_id", "source_line")


def lines_stored(store) -> int:
    return EventStore(store).runs().collect()["lines"].sum()


def headline(store) -> dict:
    result = invoke("report", "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["headline"]


def test_the_loopback_server_keeps_each_tests_buckets_apart(s3):
    first, second = s3.bucket(), s3.bucket()
    put(first, "dnslogs/a.csv", b"x\n")
    assert [m["path"] for batch in obstore.list(S3Store(first)) for m in batch] == ["dnslogs/a.csv"]
    assert not [m for batch in obstore.list(S3Store(second)) for m in batch]


def test_logs_on_s3_into_a_local_store_equal_the_local_run_and_are_read_once(s3, tmp_path):
    bucket = s3.bucket()
    upload(ORG, bucket, "logs")
    assert invoke("ingest", "-q", "--store", tmp_path / "local", ORG).exit_code == 0
    first = invoke("ingest", "--store", tmp_path / "s3in", f"s3://{bucket}/logs/")
    assert first.exit_code == 0, first.output
    assert "3 read" in first.stdout
    assert events(tmp_path / "s3in").equals(events(tmp_path / "local"))
    assert headline(tmp_path / "s3in") == headline(tmp_path / "local")
    again = invoke("ingest", "--store", tmp_path / "s3in", f"s3://{bucket}/logs/")
    assert again.exit_code == 0 and "0 read, 3 unchanged" in again.stdout
    assert events(tmp_path / "s3in").height == events(tmp_path / "local").height


def test_compressed_objects_are_read_streaming_and_a_new_one_is_picked_up(s3, tmp_path):
    bucket, store = s3.bucket(), tmp_path / "store"
    put(bucket, "proxy/a.log.gz", gzip.compress(squid(0, 3000)))
    put(bucket, "proxy/b.log", squid(3000, 2000))
    assert invoke("ingest", "-q", "--store", store, f"s3://{bucket}/proxy").exit_code == 0
    assert lines_stored(store) == 5000
    put(bucket, "proxy/c.log.zst", _zstd(squid(5000, 1000)))
    result = invoke("ingest", "--store", store, f"s3://{bucket}/proxy")
    assert result.exit_code == 0 and "1 read, 2 unchanged" in result.stdout
    assert lines_stored(store) == 6000 == events(store).height


def _zstd(data: bytes) -> bytes:
    import pyarrow as pa

    return pa.compress(data, "zstd", asbytes=True)


def test_a_changed_etag_is_reported_and_only_new_content_is_stored(s3, tmp_path):
    bucket, store = s3.bucket(), tmp_path / "store"
    put(bucket, "proxy/access.log", squid(0, 1000))
    assert invoke("ingest", "-q", "--store", store, f"s3://{bucket}/proxy/").exit_code == 0
    put(bucket, "proxy/access.log", squid(0, 1500))  # re-uploaded, grown: same beginning
    grown = invoke("ingest", "--store", store, f"s3://{bucket}/proxy/")
    assert grown.exit_code == 0
    assert "changed since it was read" in grown.stderr and "ETag" in grown.stderr
    assert events(store).height == 1500  # the first 1,000 lines are not stored twice
    put(bucket, "proxy/access.log", squid(10_000, 200))  # overwritten with other lines
    rewritten = invoke("ingest", "--store", store, f"s3://{bucket}/proxy/")
    assert "changed since it was read" in rewritten.stderr
    assert events(store).height == 1700


def test_a_date_laid_out_prefix_is_listed_from_the_last_day_read(s3, tmp_path):
    bucket, store = s3.bucket(), tmp_path / "store"
    uri = f"s3://{bucket}/dnslogs/"
    put(bucket, "dnslogs/2026-11-02/2026-11-02-10-00.log", squid(0, 100))
    put(bucket, "dnslogs/2026-11-03/2026-11-03-10-00.log", squid(100, 100))
    assert invoke("ingest", "-q", "--store", store, uri).exit_code == 0
    put(bucket, "dnslogs/2026-11-01/2026-11-01-10-00.log", squid(200, 100))  # behind: unlisted
    put(bucket, "dnslogs/2026-11-03/2026-11-03-09-50.log", squid(300, 100))  # late, last day
    put(bucket, "dnslogs/2026-11-04/2026-11-04-10-00.log", squid(400, 100))
    result = invoke("ingest", "--store", store, uri)
    assert "2 read, 1 unchanged" in result.stdout  # day 2 is not even listed
    assert lines_stored(store) == 400
    relisted = invoke("ingest", "--store", store, "--relist", uri)
    assert "1 read, 4 unchanged" in relisted.stdout
    assert lines_stored(store) == 500


def test_local_logs_into_an_s3_store_and_s3_to_s3_give_the_local_reports(s3, tmp_path):
    bucket = s3.bucket()
    upload(ORG, bucket, "logs")
    assert invoke("ingest", "-q", "--store", tmp_path / "local", ORG).exit_code == 0
    local_to_s3 = invoke("ingest", "-q", "--store", f"s3://{bucket}/a/", ORG)
    assert local_to_s3.exit_code == 0, local_to_s3.output
    s3_to_s3 = invoke("ingest", "-q", "--store", f"s3://{bucket}/b", f"s3://{bucket}/logs")
    assert s3_to_s3.exit_code == 0, s3_to_s3.output
    expected, local = events(tmp_path / "local"), headline(tmp_path / "local")
    for store in (f"s3://{bucket}/a/", f"s3://{bucket}/b"):
        assert events(store).equals(expected)
        assert headline(store) == local
    again = invoke("ingest", "--store", f"s3://{bucket}/b", f"s3://{bucket}/logs")
    assert "0 read, 3 unchanged" in again.stdout
    assert events(f"s3://{bucket}/b").height == expected.height


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_writers_on_separate_hosts_store_every_line_once(s3, tmp_path, writers):
    """Each `ingest` has its own HOME (and so its own cache), as separate hosts would;
    all read the same objects into one S3 store at once."""
    bucket = s3.bucket()
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(6):
        (logs / f"access-{i}.log").write_bytes(squid(i * 3000, 3000))
    upload(logs, bucket, "proxy")
    assert invoke("ingest", "-q", "--store", tmp_path / "local", logs).exit_code == 0
    store = f"s3://{bucket}/shared"
    procs = []
    for n in range(writers):
        home = tmp_path / f"host{n}"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "SHADOWSCAN_CACHE": str(home / "cache")}
        command = [EXE, "ingest", "--store", store, f"s3://{bucket}/proxy"]
        procs.append(subprocess.Popen(command, env=env, stdout=PIPE, stderr=PIPE, text=True))
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert events(store).equals(events(tmp_path / "local"))
    assert lines_stored(store) == 6 * 3000
    assert headline(store) == headline(tmp_path / "local")


@pytest.fixture(scope="module")
def strict_s3():
    """A second moto server that checks every request's credentials (none are known to it)."""
    try:
        server = S3Server.start(extra_env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    except (OSError, RuntimeError) as exc:
        pytest.fail(f"moto's S3 server could not start ({exc})")
    yield server
    server.stop()


@pytest.mark.parametrize("where", ["logs", "store"])
def test_refused_credentials_are_one_sentence_without_the_key_or_the_endpoint(
    s3, strict_s3, tmp_path, where
):
    env = {**os.environ, **strict_s3.env(key_id="AKIAWRONGKEY12345678", secret="wr0ng/s3cret+KEY")}
    if where == "logs":
        args = ["ingest", "--store", str(tmp_path / "store"), "s3://some-bucket/dnslogs/"]
    else:
        args = ["ingest", "--store", "s3://some-bucket/shadowscan/", str(ORG)]
    proc = subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=120)
    said = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 1, said
    assert said.count("\n") == 0 and said.startswith("error: "), said
    assert "refused the credentials" in said
    for secret in ("AKIAWRONGKEY12345678", "wr0ng/s3cret+KEY", strict_s3.endpoint, "127.0.0.1"):
        assert secret not in said


def test_status_and_compact_work_on_an_s3_store(s3):
    store = f"s3://{s3.bucket()}/store"
    assert invoke("ingest", "-q", "--store", store, ORG).exit_code == 0
    before = events(store)
    status = invoke("status", "--store", store, "--format", "json")
    assert status.exit_code == 0, status.output
    said = json.loads(status.stdout)
    assert said["events"] == before.height and said["size_bytes"] > 0
    assert said["path"] == store
    assert invoke("compact", "--store", store).exit_code == 0
    assert events(store).equals(before)


def test_reads_and_seeks_across_read_ahead_blocks_give_the_objects_bytes(s3, monkeypatch):
    import random

    from shadowscan.ingest import objects

    monkeypatch.setattr(objects, "READ_BUFFER", 1000)
    bucket, data = s3.bucket(), bytes(random.Random(3).randbytes(5500))
    put(bucket, "blob", data)
    file = objects.ObjectFile(S3Store(bucket), "blob", len(data), f"s3://{bucket}/blob")
    rng, pos = random.Random(5), 0
    for _ in range(60):
        if rng.random() < 0.3:
            pos = file.seek(rng.randrange(len(data) + 10))
        size = rng.choice([1, 6, 999, 1000, 1001, 2500, 7000])
        assert file.read(size) == data[pos : pos + size]
        pos = min(pos + size, len(data))
        assert file.tell() == pos
    file.seek(0)
    assert file.read() == data
    file.close()


def test_small_read_ahead_blocks_store_what_a_local_run_stores(s3, tmp_path, monkeypatch):
    from shadowscan.ingest import objects

    monkeypatch.setattr(objects, "READ_BUFFER", 64 << 10)  # lines and gzip members cut
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log.gz").write_bytes(gzip.compress(squid(0, 4000)))
    (logs / "b.log").write_bytes(squid(4000, 3000))
    bucket = s3.bucket()
    upload(logs, bucket, "proxy")
    assert invoke("ingest", "-q", "--store", tmp_path / "local", logs).exit_code == 0
    assert invoke("ingest", "-q", "--store", tmp_path / "s3", f"s3://{bucket}/proxy").exit_code == 0
    assert events(tmp_path / "s3").equals(events(tmp_path / "local"))


def test_a_named_aws_profile_reaches_both_the_logs_and_the_store(s3, tmp_path):
    """object_store reads no profile; shadowscan resolves AWS_PROFILE for both sides."""
    bucket = s3.bucket()
    put(bucket, "proxy/access.log", squid(0, 500))
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[audit]\naws_access_key_id = {s3.env()['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {s3.env()['AWS_SECRET_ACCESS_KEY']}\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    env.update(HOME=str(home), AWS_PROFILE="audit", AWS_EC2_METADATA_DISABLED="true")
    store = f"s3://{bucket}/store"
    args = [EXE, "ingest", "-q", "--store", store, f"s3://{bucket}/proxy/"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert lines_stored(store) == 500


def test_a_rival_commit_after_the_snapshot_is_refused_by_delta_and_skips_the_log(s3, tmp_path):
    """The race the position check cannot see: a rival commits the same log between this
    writer's snapshot and its commit. Delta's conflict check refuses the commit."""
    from shadowscan.pipeline import parse_file
    from shadowscan.store.delta import SourceTaken

    (tmp_path / "a.log").write_bytes(squid(0, 300))
    frame = parse_file(tmp_path / "a.log")[1]
    address = f"s3://{s3.bucket()}/store"
    mine, rival = EventStore(address), EventStore(address)
    for store in (mine, rival):
        store.check_version(create=True)
        assert store.committed_offset("src") == -1
    check = mine._check_unclaimed

    def rival_commits_meanwhile(table, source):
        check(table, source)  # passes: nothing committed yet in this snapshot
        rival.append([frame], source_file="a.log", source_id="src", offset=lambda: 100)

    mine._check_unclaimed = rival_commits_meanwhile
    with pytest.raises(SourceTaken):
        mine.append([frame], source_file="a.log", source_id="src", offset=lambda: 100)
    assert EventStore(address).events().collect().height == frame.height
    assert EventStore(address).committed_offset("src") == 100
