"""One simulated person's visit, driven by keypad through the real app.

Shared by the memory benchmark (the live terminal against the hub) and the
soak (fast-forwarded clock): Return on the attract screen, sometimes 长辈
mode, 查询 → 社保缴费记录, a demo citizen's ID card read, the records,
then either Esc back to the attract screen or walking away until the
inactivity timeout ends the session (only when the clock can be advanced).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.app import App
    from kiosk.session import Identity


def demo_identities() -> list[Identity]:
    """The demo citizens (the hub's demo provider knows them), as card reads give them."""
    from drivers.sim.demo_cards import load_demo_cards
    from kiosk.card_identity import card_evidence
    from kiosk.session import Identity

    return [
        Identity(
            source="idcard",
            name=c.card.name,
            id_number=c.card.id_number,
            birth_date=c.card.birth_date,
            sex=c.card.sex,
            nation=c.card.nation,
            address=c.card.address,
            evidence=card_evidence(c.card),  # opens the person session, as a card read does
        )
        for c in load_demo_cards()
        if c.card.valid_to is None or c.card.valid_to >= date.today()  # one is expired on purpose
    ]


class Visitor:
    """Plays sessions into ``app``; ``settle()`` steps the app until its work is done."""

    def __init__(
        self,
        app: App,
        identities: list[Identity],
        settle: Callable[[], None],
        advance: Callable[[float], None] | None = None,
    ) -> None:
        import pygame

        self.pg = pygame
        self.app = app
        self.identities = identities
        self.settle = settle
        self.advance = advance
        self.sessions = 0
        self.timeouts = 0

    def key(self, key: int) -> None:
        self.pg.event.post(
            self.pg.event.Event(self.pg.KEYDOWN, key=key, mod=0, unicode="", scancode=0)
        )
        self.settle()

    def option(self, name: str) -> bool:
        for key, opt in self.app.screen.numbered_options():
            if opt.name == name and opt.enabled:
                self.key(int(getattr(self.pg, f"K_{key}")))
                return True
        return False

    def visit(self) -> None:
        """One whole session, from the attract screen back to it."""
        app, n = self.app, self.sessions
        if app.session.serving:
            raise RuntimeError(f"session {n} began on {app.screen.name}, not the attract screen")
        self.key(self.pg.K_F2 if n % 4 == 1 else self.pg.K_RETURN)
        if self.option("query") and self.option("contributions"):
            source = self.identities[n % len(self.identities)]
            identity = _copy(source)
            app.ui.post(app.events.on_identity, identity)
            self.settle()
        if n % 10 == 3:
            self.key(self.pg.K_F4)  # high contrast: every screen re-laid out
        if self.advance is not None and n % 5 == 4:
            self._walk_away()
        else:
            for _ in range(12):
                if not app.session.serving:
                    break
                self.key(self.pg.K_ESCAPE)
        if app.session.serving:
            raise RuntimeError(f"session {n} did not end (on {app.screen.name})")
        self.sessions += 1

    def _walk_away(self) -> None:
        """Nobody answers the inactivity warning: the timeout ends the session."""
        assert self.advance is not None
        for _ in range(40):
            if not self.app.session.serving:
                self.timeouts += 1
                return
            self.advance(10.0)
            self.settle()


def _copy(identity: Identity) -> Identity:
    from dataclasses import replace

    return replace(identity)


def read_fds() -> int:
    """Open file descriptors of this process."""
    import os

    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def pss_kib() -> int:
    with open("/proc/self/smaps_rollup", encoding="ascii") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError("no Pss")
