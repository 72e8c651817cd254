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


def wait_pass(loop: IngestLoop) -> None:
    """Until a pass that began after now has finished: it saw the files as they are."""
    target = loop.started + 1
    deadline = time.monotonic() + 60
    while loop.passes < target:
        assert time.monotonic() < deadline, "the watch loop stalled"
        time.sleep(0.01)


def test_watch_loop_stores_appends_rotations_and_copytruncate_once(tmp_path):
    logs, store = tmp_path / "logs", EventStore(tmp_path / "s")
    logs.mkdir()
    log = logs / "access.log"
    loop = IngestLoop(lambda: ingest([logs], store, settle=0), interval=0.05)
    log.write_text(lines(0, 300))
    loop.start()
    try:
        wait_pass(loop)
        with log.open("a") as f:  # appended lines
            f.write(lines(300, 200))
        wait_pass(loop)
        log.rename(logs / "access.log.1")  # rotation by rename, then compression
        log.write_text(lines(500, 150))
        wait_pass(loop)
        (logs / "access.log.1.gz").write_bytes(
            subprocess.run(["gzip", "-c", logs / "access.log.1"], capture_output=True).stdout
        )
        (logs / "access.log.1").unlink()
        wait_pass(loop)
        shutil.copyfile(log, logs / "access.log.2")  # copy-truncate
        with log.open("r+") as f:
            f.truncate(0)
        with log.open("a") as f:
            f.write(lines(650, 100))
        wait_pass(loop)
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


class Tmux:
    """A tmux server of its own (its socket in tmp_path) running one command in a pane."""

    def __init__(self, tmp_path: Path, command: str, size=(100, 30)):
        self.tmux, self.socket = _tmux(), ["-S", str(tmp_path / "tmux.sock")]
        self.env = {**os.environ, "TERM": "xterm-256color"}
        full = f"{command}; echo EXITED $?; sleep 30"
        self("new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), full)

    def __call__(self, *args: str) -> str:
        run = subprocess.run([self.tmux, *self.socket, *args], capture_output=True, text=True,
                             env=self.env, check=True)  # fmt: skip
        return run.stdout

    def wait_for(self, text: str, seconds: float = 30) -> str:
        deadline = time.monotonic() + seconds
        while text not in (screen := self("capture-pane", "-p")):
            assert time.monotonic() < deadline, f"{text!r} never appeared:\n{screen}"
            time.sleep(0.05)
        return screen

    def flag(self, name: str) -> str:
        return self("display", "-p", f"#{{{name}}}").strip()

    def kill(self) -> None:
        subprocess.run([self.tmux, *self.socket, "kill-server"], capture_output=True)


SHADOWSCAN = Path(sys.executable).with_name("shadowscan")


def test_app_in_a_real_terminal_draws_and_quits(org_store, tmp_path):
    config = ORG / "shadowscan.toml"
    tmux = Tmux(tmp_path, f"{SHADOWSCAN} dashboard --store {org_store} --config {config}")
    try:
        screen = tmux.wait_for("shadow-AI gap")
        assert "ChatGPT" in screen and tmux.flag("alternate_on") == "1"
        tmux("send-keys", "q")
        quit_at = time.monotonic()
        while tmux.flag("alternate_on") == "1":  # until the screen is restored
            time.sleep(0.02)
        restored = time.monotonic() - quit_at
        tmux.wait_for("EXITED 0")
        print(f"q restored the terminal in {restored:.2f} s")
        assert restored < 1.0
        assert tmux.flag("cursor_flag") == "1"  # the cursor is shown again
    finally:
        tmux.kill()


def test_watch_on_a_terminal_shows_the_dashboard_while_it_ingests(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "access.log").write_text(lines(0, 90))
    old = time.time() - 3600  # written long ago: settled, read to its end
    os.utime(logs / "access.log", (old, old))
    store = tmp_path / "s"
    tmux = Tmux(tmp_path, f"{SHADOWSCAN} watch --interval 1 --store {store} {logs}", (120, 40))
    try:
        tmux.wait_for("shadow-AI gap")
        tmux.wait_for("90 lines")  # the ingest line: the loop's pass reached the screen
        tmux("send-keys", "q")
        tmux.wait_for("EXITED 0")
    finally:
        tmux.kill()
    assert EventStore(store).events().select(pl.len()).collect().item() == 90
