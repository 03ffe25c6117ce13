"""Real CUPS for the A4 printer tests (a fixture their conftests import): a
private ``cupsd`` on a free loopback port (its own config, spool and logs in a
temp dir), and the IPP printer peer
(:mod:`drivers.sim.ipp_printer`) it forwards jobs to, keeping what it prints.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.sim.ipp_printer import IppPrinterPeer
from tests.tools import require_tool

CUPSD_CONF = """Listen 127.0.0.1:{port}
LogLevel warn
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Location /admin>
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""
CUPS_FILES_CONF = """ServerRoot {root}
RequestRoot {root}/spool
TempDir {root}/tmp
CacheDir {root}/cache
StateDir {root}/state
AccessLog {root}/log/access_log
ErrorLog {root}/log/error_log
PageLog {root}/log/page_log
DataDir /usr/share/cups
ServerBin /usr/lib/cups
User lp
Group lp
SystemGroup root
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class CupsPeer:
    server: str  # host:port of cupsd
    printer: IppPrinterPeer
    root: Path

    def error_log(self) -> str:
        log = self.root / "log" / "error_log"
        return log.read_text(errors="replace") if log.exists() else ""


@contextlib.contextmanager
def running_cups(port: int | None = None, printer_port: int = 0) -> Iterator[CupsPeer]:
    """cupsd (on ``port``, default a free one) and the printer peer, stopped and
    removed on exit (also for bench/)."""
    cupsd = require_tool("cupsd")
    require_tool("/usr/lib/cups/backend/ipp")
    # Not tmp_path: CUPS runs its backends as user lp, which must reach the
    # spool, and pytest's temp root is private to root.
    root = Path(tempfile.mkdtemp(prefix="huimin-cups-"))
    os.chmod(root, 0o755)
    for sub in ("spool", "tmp", "cache", "state", "log", "keep"):
        (root / sub).mkdir()
    port = port or free_port()
    (root / "cupsd.conf").write_text(CUPSD_CONF.format(port=port))
    (root / "cups-files.conf").write_text(CUPS_FILES_CONF.format(root=root))
    peer = IppPrinterPeer(printer_port, keep_dir=root / "keep").start()
    proc = subprocess.Popen(
        [cupsd, "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"cupsd did not start: {proc.stderr.read() if proc.stderr else ''!r}"
                )
            time.sleep(0.05)
        yield CupsPeer(f"127.0.0.1:{port}", peer, root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        peer.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def cups_peer() -> Iterator[CupsPeer]:
    with running_cups() as peer:
        yield peer
