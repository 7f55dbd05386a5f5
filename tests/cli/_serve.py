"""Start ``labelhub serve`` as a real process on a free port and a fresh SQLite home, for the serve tests."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT_S = 180.0  # two server processes import the whole CLI; a shared 2-core machine is slow at that


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def health(port: int) -> int | None:
    """The status of GET /api/v1/health, or None while nothing answers."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/health")
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def start_serve(
    home: Path, port: int, log: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Run ``labelhub serve --port PORT ARGS`` with ``home`` as LABELHUB_HOME (dev mode, SQLite) and wait until
    it answers /health; its output goes to ``log``, shown when it exits early or does not answer in time."""
    environ = {**os.environ, "LABELHUB_HOME": str(home), "LABELHUB_DEV": "1", **(env or {})}
    environ.pop("LABELHUB_DATABASE_URL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "labelhub", "serve", "--port", str(port), *args],
                                env=environ, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while health(port) != 200:
            assert proc.poll() is None, f"serve exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"serve did not answer in time:\n{log.read_text()}"
            time.sleep(0.5)
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 60 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
