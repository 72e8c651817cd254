"""An S3-compatible server on loopback for the object-storage tests: moto's standalone
server, in a process of its own.

deltalake calls can hang against a moto server running inside the test process
(delta-rs #3942), so the server is always a separate process, started once per
test process and stopped at its end. Each test takes fresh buckets, so tests never
see each other's objects.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

#: Under SHADOWSCAN_REQUIRE_TOOLS=1 (CI) a server that cannot start fails the tests.
REQUIRE_TOOLS = os.environ.get("SHADOWSCAN_REQUIRE_TOOLS") == "1"
KEY_ID, SECRET = "AKIATESTSHADOWSCAN01", "test-secret-shadowscan-not-real-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class S3Server:
    """A running moto server: its endpoint and the environment that points clients at it."""

    process: subprocess.Popen
    endpoint: str

    @classmethod
    def start(cls, extra_env: dict[str, str] | None = None, timeout: float = 30) -> S3Server:
        """Start `python -m moto.server` on a free loopback port and wait until it answers."""
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(extra_env or {})},
        )
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"moto.server exited with status {process.returncode}")
            try:
                urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1).close()
                return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        server.stop()
        raise RuntimeError(f"moto.server did not answer within {timeout:.0f} s")

    def env(self, key_id: str = KEY_ID, secret: str = SECRET) -> dict[str, str]:
        """What a client (this process or a child) needs to reach the server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": key_id,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }

    def bucket(self) -> str:
        """A new, empty bucket (created with a plain unsigned request, as moto allows)."""
        name = f"test-{uuid.uuid4().hex[:16]}"
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()
        return name

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
