"""One person's visit to the kiosk, from first touch to wipe (DESIGN.md §3).

The session holds who the person is (from their ID or social-security
card), the modes they chose and the flow's scratch data. Ending it wipes
all of that: raw card bytes are zeroed, references dropped, modes and
volume reset. Only the app loop's thread touches a session.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from kiosk.privacy import mask_id_number, mask_name


class SessionState(enum.Enum):
    ATTRACT = "attract"
    ACTIVE = "active"
    WARNING = "warning"  # inactivity warning with countdown on screen
    ENDING = "ending"
    OUT_OF_SERVICE = "out_of_service"


TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.ATTRACT: frozenset({SessionState.ACTIVE, SessionState.OUT_OF_SERVICE}),
    SessionState.ACTIVE: frozenset(
        {SessionState.WARNING, SessionState.ENDING, SessionState.OUT_OF_SERVICE}
    ),
    SessionState.WARNING: frozenset(
        {SessionState.ACTIVE, SessionState.ENDING, SessionState.OUT_OF_SERVICE}
    ),
    SessionState.ENDING: frozenset({SessionState.ATTRACT, SessionState.OUT_OF_SERVICE}),
    SessionState.OUT_OF_SERVICE: frozenset({SessionState.ATTRACT}),
}

# A person is being served (their data may be on screen) in these states.
SERVING_STATES = frozenset({SessionState.ACTIVE, SessionState.WARNING})


class IllegalTransition(Exception):
    pass


class _Wipeable(Protocol):
    def wipe(self) -> None: ...


@dataclass
class Identity:
    """Who the person is, as read from a card; held for this session only.

    ``source`` is ``"idcard"`` or ``"sscard"``; ``card`` keeps the driver's
    card object so its raw bytes can be zeroed at the end. ``evidence`` is what
    only the card holds (kiosk.card_identity), sent signed to open the person
    session (DESIGN §7); None when the card gave none (no person session).
    """

    source: str
    name: str
    id_number: str
    birth_date: date | None
    sex: str = ""
    nation: str = ""
    address: str = ""
    card: _Wipeable | None = None
    evidence: dict[str, Any] | None = None

    def age(self, today: date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    def __repr__(self) -> str:
        # Masked: the dataclass default would put the full name, ID number and
        # address into any log line, assertion or traceback that shows it.
        return (
            f"Identity(source={self.source!r}, name={mask_name(self.name)!r}, "
            f"id_number={mask_id_number(self.id_number)!r})"
        )

    def wipe(self) -> None:
        if self.card is not None:
            self.card.wipe()
        self.name = self.id_number = self.address = self.sex = self.nation = ""
        self.birth_date = None
        self.card = None
        self.evidence = None


@dataclass(frozen=True)
class Modes:
    elder: bool = False  # 长辈 mode: large text, simpler screens, longer timeouts
    voice: bool = False  # voice guidance: everything is spoken
    high_contrast: bool = False
    language: str = "zh_CN"
    headphones: bool = False  # private listening: masked digits may be spoken


_session_numbers = itertools.count(1)


@dataclass
class Session:
    """The current visit. ``state`` changes only through :meth:`transition`."""

    default_modes: Modes = field(default_factory=Modes)
    default_volume: int = 2
    default_rate_cpm: int = 190
    state: SessionState = SessionState.ATTRACT
    id: str = ""
    number: int = 0
    started_at: float = 0.0
    last_activity: float = 0.0
    warning_started: float = 0.0
    extensions: int = 0
    identity: Identity | None = None
    modes: Modes = field(default_factory=Modes)
    volume_step: int = 2
    rate_cpm: int = 190
    service_id: str | None = None  # the service being used, for statistics and rating
    completed: bool = False
    pages_printed: int = 0
    data: dict[str, Any] = field(default_factory=dict)  # the current flow's scratch

    def transition(self, new: SessionState) -> None:
        if new not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"{self.state.name} → {new.name}")
        self.state = new

    @property
    def serving(self) -> bool:
        return self.state in SERVING_STATES

    def begin(self, now: float) -> None:
        """Start a visit (on a touch, a key or a card)."""
        self.transition(SessionState.ACTIVE)
        self.id = uuid.uuid4().hex
        self.number = next(_session_numbers)
        self.started_at = self.last_activity = now
        self.extensions = 0
        self.modes = self.default_modes
        self.volume_step = self.default_volume
        self.rate_cpm = self.default_rate_cpm

    def touch(self, now: float) -> None:
        """Any input from the person: they are still here."""
        self.last_activity = now
        if self.state is SessionState.WARNING:
            self.transition(SessionState.ACTIVE)
            self.extensions += 1

    def wipe(self) -> None:
        """Forget everything about the person (DESIGN.md §3)."""
        if self.identity is not None:
            self.identity.wipe()
        self.identity = None
        for value in self.data.values():
            if isinstance(value, bytearray):
                value[:] = b"\x00" * len(value)
            elif hasattr(value, "wipe"):
                value.wipe()
        self.data.clear()
        self.id = ""
        self.modes = self.default_modes
        self.volume_step = self.default_volume
        self.rate_cpm = self.default_rate_cpm
        self.service_id = None
        self.completed = False
        self.pages_printed = 0
        self.extensions = 0
