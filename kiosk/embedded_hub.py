"""The demo hub as a child process of the terminal (``make demo``: the embedded
hub with demo data); the terminal itself is :mod:`kiosk.runtime`."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


class EmbeddedHub:
    """The demo hub as a child process on a free loopback port.

    A separate process, not a thread: the hub is its own deployable, and its
    memory and CPU must not count against the terminal's.
    """

    def __init__(self, config_path: Path, database_url: str, port: int = 0) -> None:
        self.config_path = config_path
        self.database_url = database_url
        self.port = port if port and _port_free(port) else 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._port_file = Path(tempfile.mkdtemp(prefix="huimin-hub-")) / "port"
        self._url: str | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "hub",
            "--config",
            str(self.config_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database-url",
            self.database_url,
            "--port-file",
            str(self._port_file),
        ]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self._proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env)

    def url(self, timeout: float = 20.0) -> str:
        """The hub's base URL; waits (on a worker thread) until it is listening."""
        if self._url is not None:
            return self._url
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._port_file.exists():
                port = int(self._port_file.read_text())
                self._url = f"http://127.0.0.1:{port}"
                return self._url
            if self._proc is not None and self._proc.poll() is not None:
                raise TimeoutError(f"embedded hub exited with status {self._proc.returncode}")
            time.sleep(0.05)
        raise TimeoutError("embedded hub did not start")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            log.warning("port %d is busy: the embedded hub takes a free port instead", port)
            return False
    return True
