"""The QEMU guest agent (qemu-ga in the image), from the host: run a command, read a file.

The image's qemu-guest-agent starts only on a VM's virtio port
``org.qemu.guest_agent.0``: a real terminal has none. Its protocol is QMP's JSON
without a greeting, so ``qemu.qmp`` cannot speak it; it is small: a
``guest-sync-delimited`` handshake (the reply follows a 0xFF byte, which
discards anything stale), then one JSON request and one reply at a time.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class GuestAgentError(Exception):
    """The agent did not answer, or answered with an error."""


@dataclass(frozen=True)
class Completed:
    """A command that ran in the guest."""

    returncode: int
    stdout: str
    stderr: str


class GuestAgent:
    """The agent behind the unix socket ``path`` (a QEMU ``-chardev socket,server=on``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock: socket.socket | None = None
        self._buffer = b""

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""

    def wait_ready(self, timeout: float) -> None:
        """Until the agent answers the handshake (it starts with the guest's udev)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self._sync(min(3.0, max(0.5, deadline - time.monotonic())))
                return
            except (OSError, GuestAgentError) as exc:
                last = exc
                self.close()
                time.sleep(0.5)
        raise GuestAgentError(f"the guest agent did not answer within {timeout:.0f} s: {last}")

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(self.path))
            self._sock = sock
        return self._sock

    def _sync(self, timeout: float) -> None:
        sock = self._connect()
        token = random.randrange(1, 2**31)
        self._send({"execute": "guest-sync-delimited", "arguments": {"id": token}})
        deadline = time.monotonic() + timeout
        # Everything up to the 0xFF delimiter is a stale reply: dropped.
        while b"\xff" not in self._buffer:
            self._read(sock, deadline)
        self._buffer = self._buffer.split(b"\xff", 1)[1]
        reply = self._reply(deadline)
        if reply.get("return") != token:
            raise GuestAgentError(f"unexpected handshake reply {reply}")

    def _send(self, message: dict[str, Any]) -> None:
        self._connect().sendall(json.dumps(message).encode() + b"\n")

    def _read(self, sock: socket.socket, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GuestAgentError("no reply from the guest agent in time")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError as exc:
            raise GuestAgentError("no reply from the guest agent in time") from exc
        if not chunk:
            raise GuestAgentError("the guest agent's socket closed")
        self._buffer += chunk

    def _reply(self, deadline: float) -> dict[str, Any]:
        sock = self._connect()
        while b"\n" not in self._buffer:
            self._read(sock, deadline)
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def call(self, command: str, timeout: float = 30.0, **arguments: Any) -> Any:
        """One command's ``return`` value; raises :class:`GuestAgentError` on its error."""
        self._sync(timeout)
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self._send(message)
        reply = self._reply(time.monotonic() + timeout)
        if "error" in reply:
            raise GuestAgentError(f"{command}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")

    def run(self, *argv: str, timeout: float = 60.0, check: bool = True) -> Completed:
        """Run ``argv`` in the guest as root and wait for it; its output as text."""
        started = self.call(
            "guest-exec", path=argv[0], arg=list(argv[1:]), **{"capture-output": True}
        )
        pid = started["pid"]
        deadline = time.monotonic() + timeout
        while True:
            status = self.call("guest-exec-status", pid=pid)
            if status.get("exited"):
                break
            if time.monotonic() > deadline:
                raise GuestAgentError(f"{' '.join(argv)}: still running after {timeout:.0f} s")
            time.sleep(0.1)
        done = Completed(
            int(status.get("exitcode", -1)),
            base64.b64decode(status.get("out-data", "")).decode("utf-8", "replace"),
            base64.b64decode(status.get("err-data", "")).decode("utf-8", "replace"),
        )
        if check and done.returncode != 0:
            raise GuestAgentError(
                f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[-500:]}"
            )
        return done

    def sh(self, script: str, timeout: float = 60.0, check: bool = True) -> Completed:
        """A shell command line in the guest."""
        return self.run("/bin/sh", "-c", script, timeout=timeout, check=check)
