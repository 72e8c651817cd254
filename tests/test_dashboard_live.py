"""The dashboard live: `watch`'s loop behind it, and the app in a real pseudo-terminal (tmux)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from shadowscan.dashboard.launch import IngestLoop
from shadowscan.pipeline import ingest
from shadowscan.store.delta import EventStore
from tests.conftest import ORG

HOSTS = ("chatgpt.com", "claude.ai", "intranet.example.com")


def lines(first: int, count: int) -> str:
    return "".join(
        f"{1795000000 + i}.000 100 10.0.0.{i % 200} TCP_MISS/200 1000 GET "
        f"https://{HOSTS[i % 3]}/p{i} user{i % 7} HIER_DIRECT/{HOSTS[i % 3]} text/html\n"
        for i in range(first, first + count)
    )


def wait_passes(loop: IngestLoop, passes: int = 2) -> None:
    """Until `passes` more passes of the loop finish: the last began after the change."""
    target = loop.passes + passes
    deadline = time.monotonic() + 60
    while loop.passes < target:
        assert time.monotonic() < deadline, "the watch loop stalled"
        time.sleep(0.02)


def test_watch_loop_stores_appends_rotations_and_copytruncate_once(tmp_path):
    logs, store = tmp_path / "logs", EventStore(tmp_path / "s")
    logs.mkdir()
    log = logs / "access.log"
    loop = IngestLoop(lambda: ingest([logs], store, settle=0), interval=0.05)
    log.write_text(lines(0, 300))
    loop.start()
    try:
        wait_passes(loop)
        with log.open("a") as f:  # appended lines
            f.write(lines(300, 200))
        wait_passes(loop)
        log.rename(logs / "access.log.1")  # rotation by rename, then compression
        log.write_text(lines(500, 150))
        wait_passes(loop)
        (logs / "access.log.1.gz").write_bytes(
            subprocess.run(["gzip", "-c", logs / "access.log.1"], capture_output=True).stdout
        )
        (logs / "access.log.1").unlink()
        wait_passes(loop)
        shutil.copyfile(log, logs / "access.log.2")  # copy-truncate
        with log.open("r+") as f:
            f.truncate(0)
        with log.open("a") as f:
            f.write(lines(650, 100))
        wait_passes(loop)
    finally:
        loop.stop()
    assert loop.status.error is None and loop.status.rate
    once = tmp_path / "once"
    once.mkdir()
    (once / "all.log").write_text(lines(0, 750))
    single = EventStore(tmp_path / "single")
    ingest([once], single, settle=0)
    columns = ["ts", "identity", "host", "url_path"]
    watched = store.events().select(columns).sort(columns).collect()
    assert watched.equals(single.events().select(columns).sort(columns).collect())
    runs = store.runs().select(pl.col("ai_events").sum()).collect().item()
    assert runs == single.runs().select(pl.col("ai_events").sum()).collect().item() == 500


REQUIRE_TOOLS = os.environ.get("SHADOWSCAN_REQUIRE_TOOLS") == "1"


def _tmux() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        if REQUIRE_TOOLS:
            pytest.fail("tmux is required (SHADOWSCAN_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("tmux is not installed")
    return tmux


def test_app_in_a_real_terminal_draws_and_quits(org_store, tmp_path):
    tmux = _tmux()
    exe = Path(sys.executable).with_name("shadowscan")
    socket = ["-S", str(tmp_path / "tmux.sock")]
    command = (
        f"{exe} dashboard --store {org_store} --config {ORG / 'shadowscan.toml'}; "
        "echo EXITED $?; sleep 30"
    )
    env = {**os.environ, "TERM": "xterm-256color"}

    def tmux_run(*args: str) -> str:
        return subprocess.run([tmux, *socket, *args], capture_output=True, text=True, env=env,
                              check=True).stdout  # fmt: skip

    tmux_run("new-session", "-d", "-x", "100", "-y", "30", command)
    try:
        screen = _wait_for(lambda: tmux_run("capture-pane", "-p"), "shadow-AI gap")
        assert "ChatGPT" in screen and tmux_run("display", "-p", "#{alternate_on}").strip() == "1"
        tmux_run("send-keys", "q")
        quit_at = time.monotonic()
        screen = _wait_for(lambda: tmux_run("capture-pane", "-p"), "EXITED 0")
        assert time.monotonic() - quit_at < 1.5
        assert tmux_run("display", "-p", "#{alternate_on}").strip() == "0"  # screen restored
        assert tmux_run("display", "-p", "#{cursor_flag}").strip() == "1"  # cursor shown again
    finally:
        subprocess.run([tmux, *socket, "kill-server"], capture_output=True)


def _wait_for(capture, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        screen = capture()
        if text in screen:
            return screen
        assert time.monotonic() < deadline, f"{text!r} never appeared:\n{screen}"
        time.sleep(0.05)
