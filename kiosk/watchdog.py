"""systemd notifications for the kiosk: readiness, watchdog pings, status.

``systemd/huimin-kiosk.service`` runs ``cage`` as the main process with
``Type=notify``, ``NotifyAccess=all`` and ``WatchdogSec=``; systemd exports
``NOTIFY_SOCKET`` and ``WATCHDOG_USEC`` to cage, which passes them on to this
app. ``WATCHDOG_PID`` names cage, not us, so — unlike ``sd_watchdog_enabled()``
— it is deliberately not checked: NotifyAccess=all is what lets us ping.

The App loop calls :meth:`Watchdog.ping` once per iteration. That must cost
next to nothing: a ping that is not due is one clock read and a compare, no
system call; a due ping is one ``send`` on an already connected socket. Pings
go out at half of ``WATCHDOG_USEC`` (sd_watchdog_enabled(3) advice), so one
late iteration never trips the watchdog, but a frozen loop does.

The ``sdnotify`` package finds and connects the socket (including abstract
``@`` addresses). Its ``notify()`` encodes Latin-1 and swallows the error for
anything else, which would silently drop a Chinese ``STATUS=``; we send UTF-8
bytes on its socket ourselves.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

import sdnotify

log = logging.getLogger(__name__)


def _interval_from(watchdog_usec: str | None) -> float | None:
    """Half the watchdog timeout in seconds, or None when it is unset or malformed."""
    if not watchdog_usec:
        return None
    try:
        usec = int(watchdog_usec)
    except ValueError:
        log.warning("ignoring malformed WATCHDOG_USEC=%r", watchdog_usec)
        return None
    return usec / 2_000_000 if usec > 0 else None


class Watchdog:
    """Talks to systemd's notify socket; every method is a no-op without ``NOTIFY_SOCKET``.

    Never raises: a vanished socket (systemd restarting, tests) is logged once.
    ``clock`` is injectable for tests; it must be monotonic, in seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._socket: socket.socket | None = None
        self._warned = False
        address = os.environ.get("NOTIFY_SOCKET")
        if address:
            self._socket = sdnotify.SystemdNotifier().socket
            if self._socket is None:
                log.warning("cannot connect to NOTIFY_SOCKET %s", address)
        # Seconds between pings, None when systemd does not watch us.
        self.interval: float | None = (
            _interval_from(os.environ.get("WATCHDOG_USEC")) if self._socket is not None else None
        )
        self._next_ping = float("-inf")

    @property
    def enabled(self) -> bool:
        """True when connected to systemd's notify socket."""
        return self._socket is not None

    def ready(self) -> None:
        """Tell systemd start-up is complete (devices open, first screen drawn)."""
        self._send("READY=1")
        self.ping()

    def ping(self) -> None:
        """Feed the watchdog if half the interval has passed since the last ping."""
        if self.interval is None:
            return
        now = self._clock()
        if now < self._next_ping:
            return
        self._next_ping = now + self.interval
        self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        """One-line status shown by ``systemctl status`` (UTF-8; newlines become spaces)."""
        self._send("STATUS=" + " ".join(text.split()))

    def stopping(self) -> None:
        """Tell systemd a clean shutdown has begun (no watchdog kill while closing)."""
        self._send("STOPPING=1")

    def _send(self, state: str) -> None:
        if self._socket is None:
            return
        try:
            self._socket.send(state.encode("utf-8"))
        except OSError as exc:
            if not self._warned:
                log.warning("systemd notify failed: %s", exc)
                self._warned = True
