"""What terminals send: enrolment, heartbeats, events, journal records and
screenshots, written to the fleet tables.

Each function runs one transaction and returns the alert webhook payloads
to send after commit. The heartbeat has a one-statement fast path: an
UPDATE guarded by the unchanged condition fingerprint (see
:func:`hub.fleet.health.condition_signature`); only a changed condition
reads the previous row, appends health history and syncs alerts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.fleet import alerts, health
from hub.fleet.auth import hash_token, new_token, public_key_bytes
from hub.fleet.clock import parse_terminal_time, utcnow
from hub.fleet.models import (
    Command,
    EnrolmentCode,
    HealthRecord,
    JournalRecord,
    Screenshot,
    Terminal,
    TerminalEvent,
)
from hub.services import ratings
from protocol.events import RATING_RECORD, EventKind

# The bodies terminals send, as the shared vocabulary defines them; named
# here as the hub names what it receives.
from protocol.events import Event as EventIn
from protocol.events import EventBatch as EventsIn
from protocol.events import JournalBatch as JournalBatchIn

Payloads = list[dict[str, Any]]


class Place(BaseModel):
    model_config = ConfigDict(extra="ignore")

    county: str = Field(min_length=1, max_length=60)
    town: str = Field("", max_length=60)
    village: str = Field("", max_length=60)
    branch: str | None = Field(None, max_length=100)
    # The catalogue code of the service point the terminal stands at: queue
    # tickets are drawn only there (hub/services/tickets.py). Fixed at enrolment,
    # like the rest of the place; a terminal moved elsewhere is enrolled again.
    service_point: str | None = Field(None, pattern=r"^[a-z][a-z0-9-]{1,63}$")


# What a terminal may say about its hardware at enrolment: a flat table of short
# facts (model, serial, screen size…), shown on its console page. Bounded in
# shape and size so that it is stored whole; it used to be cut at 8,000
# characters, and the cut JSON made the terminal's page answer 500.
HARDWARE_MAX_ENTRIES = 32
HARDWARE_MAX_JSON = 4000
HardwareKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
HardwareValue = Annotated[str, StringConstraints(max_length=200)] | int | float | bool | None


def _ed25519_public_key(value: str) -> str:
    public_key_bytes(value)  # ValueError: not one
    return value.rstrip("=")


SigningKey = Annotated[
    str,
    StringConstraints(min_length=43, max_length=44, pattern=r"^[A-Za-z0-9_-]{43}=?$"),
    AfterValidator(_ed25519_public_key),
]


class SigningKeyIn(BaseModel):
    """Body of ``POST /api/v1/terminal/key``: the terminal's new signing key."""

    model_config = ConfigDict(extra="forbid")

    public_key: SigningKey


class EnrolIn(BaseModel):
    """Body of ``POST /api/v1/terminal/enrol``."""

    model_config = ConfigDict(extra="ignore")

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    place: Place
    hardware: dict[HardwareKey, HardwareValue] = Field(
        default_factory=dict, max_length=HARDWARE_MAX_ENTRIES
    )
    public_key: SigningKey | None = Field(
        None, description="the terminal's Ed25519 public key (32 bytes, base64url)"
    )

    @field_validator("hardware")
    @classmethod
    def _small_enough(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(hardware_json(value)) > HARDWARE_MAX_JSON:
            raise ValueError(f"hardware facts over {HARDWARE_MAX_JSON} characters of JSON")
        return value


def hardware_json(hardware: dict[str, Any]) -> str:
    """How the hardware facts are stored (``Terminal.hardware_json``)."""
    return json.dumps(hardware, ensure_ascii=False)


@dataclass(frozen=True)
class Enrolled:
    terminal_id: int
    token: str


class EnrolmentRefused(Exception):
    """The code is unknown, used or expired."""


def set_signing_key(engine: Engine, terminal_id: int, public_key: str) -> None:
    """Replace the terminal's signing key: requests signed with the old one fail from now."""
    with engine.begin() as conn:
        conn.execute(
            update(Terminal)
            .where(Terminal.id == terminal_id)
            .values(signing_key=public_key, signing_key_at=utcnow())
        )


def enrol(engine: Engine, body: EnrolIn) -> Enrolled:
    """Create a terminal for a valid one-time code; raises :class:`EnrolmentRefused`."""
    now = utcnow()
    token = new_token()
    with engine.begin() as conn:
        code = conn.execute(
            select(EnrolmentCode).where(EnrolmentCode.code == body.code.strip())
        ).first()
        if code is None:
            raise EnrolmentRefused("unknown code")
        if code.expires_at is not None and code.expires_at < now:
            raise EnrolmentRefused("expired code")
        if not code.reusable:
            claimed = conn.execute(
                update(EnrolmentCode)
                .where(EnrolmentCode.code == code.code, EnrolmentCode.used_at.is_(None))
                .values(used_at=now)
            )
            if claimed.rowcount != 1:
                raise EnrolmentRefused("code already used")
        hardware = hardware_json(body.hardware)  # bounded by EnrolIn: stored whole
        terminal_id = conn.execute(
            insert(Terminal)
            .values(
                name=body.name,
                county=body.place.county,
                town=body.place.town,
                village=body.place.village,
                branch=body.place.branch,
                service_point=body.place.service_point,
                token_hash=hash_token(token),
                hardware_json=hardware,
                enrolled_at=now,
                signing_key=body.public_key,
                signing_key_at=now if body.public_key else None,
            )
            .returning(Terminal.id)
        ).scalar_one()
        if not code.reusable:
            conn.execute(
                update(EnrolmentCode)
                .where(EnrolmentCode.code == code.code)
                .values(terminal_id=terminal_id)
            )
    return Enrolled(int(terminal_id), token)


_PENDING = (
    select(func.count())
    .select_from(Command)
    .where(Command.state == "queued", Command.terminal_id == bindparam("tid"))
    .scalar_subquery()
)
# The fast path: one statement updates the status row when the condition
# fingerprint is unchanged and returns the number of queued commands.
_FAST_UPDATE = (
    update(Terminal)
    .where(Terminal.id == bindparam("tid"), Terminal.health_sig == bindparam("sig"))
    .values(
        last_seen_at=bindparam("now"),
        version=bindparam("version"),
        uptime_s=bindparam("uptime_s"),
        disk_free_mb=bindparam("disk_free_mb"),
        memory_rss_mb=bindparam("memory_rss_mb"),
        journal_backlog=bindparam("journal_backlog"),
        screen=bindparam("screen"),
        session_state=bindparam("session_state"),
        devices_json=bindparam("devices_json"),
    )
    .returning(_PENDING)
)
_PENDING_ONLY = select(_PENDING)


def record_heartbeat(
    engine: Engine, terminal_id: int, hb: health.HeartbeatIn
) -> tuple[int, Payloads]:
    """Store the latest status; (commands pending, webhook payloads)."""
    now = utcnow()
    params = {
        "tid": terminal_id,
        "sig": health.condition_signature(hb),
        "now": now,
        "version": hb.version,
        "uptime_s": hb.uptime_s,
        "disk_free_mb": hb.disk_free_mb,
        "memory_rss_mb": hb.memory_rss_mb,
        "journal_backlog": hb.journal_backlog,
        "screen": hb.screen,
        "session_state": hb.session_state,
        "devices_json": health.devices_json(hb),
    }
    payloads: Payloads = []
    with engine.begin() as conn:
        pending = conn.execute(_FAST_UPDATE, params).scalar()
        if pending is None:
            payloads = _heartbeat_changed(conn, terminal_id, hb, params, now)
            pending = conn.execute(_PENDING_ONLY, {"tid": terminal_id}).scalar_one()
    return int(pending), payloads


def _heartbeat_changed(
    conn: Any, terminal_id: int, hb: health.HeartbeatIn, params: dict[str, Any], now: datetime
) -> Payloads:
    row = conn.execute(select(Terminal.devices_json).where(Terminal.id == terminal_id)).first()
    previous = json.loads(row.devices_json) if row is not None else []
    for change in health.changed_devices(previous, hb):
        conn.execute(insert(HealthRecord).values(terminal_id=terminal_id, at=now, **change))
    current = json.loads(params["devices_json"])
    conn.execute(
        update(Terminal)
        .where(Terminal.id == terminal_id)
        .values(
            health_sig=params["sig"],
            maintenance=hb.maintenance,
            paper=health.worst_paper(current),
            last_seen_at=now,
            version=hb.version,
            uptime_s=hb.uptime_s,
            disk_free_mb=hb.disk_free_mb,
            memory_rss_mb=hb.memory_rss_mb,
            journal_backlog=hb.journal_backlog,
            screen=hb.screen,
            session_state=hb.session_state,
            devices_json=params["devices_json"],
        )
    )
    return alerts.sync_heartbeat_alerts(conn, terminal_id, health.wanted_alerts(hb), now)


def store_events(engine: Engine, terminal_id: int, batch: EventsIn) -> tuple[list[str], Payloads]:
    """Store new events (a replayed key is accepted, not stored twice) and
    react to them (call_staff, journal_integrity, disk_full raise alerts)."""
    now = utcnow()
    payloads: Payloads = []
    with engine.begin() as conn:
        for event in _insert_new(conn, TerminalEvent, terminal_id, batch.events, now):
            payload = _react_to_event(conn, terminal_id, event, now)
            if payload:
                payloads.append(payload)
    return [e.key for e in batch.events], payloads


def _react_to_event(
    conn: Any, terminal_id: int, event: EventIn, now: datetime
) -> dict[str, Any] | None:
    if event.kind == EventKind.CALL_STAFF:
        screen = str(event.data.get("screen", ""))[:60]
        return alerts.raise_alert(conn, terminal_id, "call_staff", "", f"页面：{screen}", now)
    if event.kind == EventKind.JOURNAL_INTEGRITY:
        if event.data.get("ok", True):
            return alerts.resolve_open(
                conn, terminal_id, "journal_integrity", "", now, alerts.SYSTEM_ACTOR
            )
        detail = str(event.data.get("detail", ""))[:300]
        return alerts.raise_alert(conn, terminal_id, "journal_integrity", "", detail, now)
    if event.kind == EventKind.DISK_FULL:
        detail = str(event.data.get("detail", "") or "终端磁盘已满")[:300]
        return alerts.raise_alert(conn, terminal_id, "disk_full", "", detail, now)
    return None


def store_journal(engine: Engine, terminal_id: int, batch: JournalBatchIn) -> tuple[list[str], int]:
    """Store new journal records for audit; (accepted keys, highest seq stored).
    Records are accepted even across a gap in ``seq``: the terminal's outbox
    retries, and the highest seq tells it what the hub holds."""
    now = utcnow()
    with engine.begin() as conn:
        highest = int(
            conn.execute(
                select(Terminal.highest_journal_seq).where(Terminal.id == terminal_id)
            ).scalar_one()
        )
        top = highest
        new = _insert_new(conn, JournalRecord, terminal_id, batch.records, now, seq=lambda r: r.seq)
        for record in new:
            top = max(top, record.seq)
            if record.kind == RATING_RECORD:
                # Once per key (only new records reach here) and once per kiosk
                # session (the ratings' unique index), in the same transaction.
                ratings.store_journaled(
                    conn, terminal_id, record.key, record.at, record.data, datetime.now(UTC)
                )
        if top > highest:
            conn.execute(
                update(Terminal)
                .where(Terminal.id == terminal_id, Terminal.highest_journal_seq < top)
                .values(highest_journal_seq=top)
            )
    return [r.key for r in batch.records], top


_SentT = TypeVar("_SentT", bound=EventIn)


def _insert_new(
    conn: Any,
    table: type[TerminalEvent] | type[JournalRecord],
    terminal_id: int,
    items: Sequence[_SentT],
    now: datetime,
    **extra: Callable[[_SentT], Any],
) -> Iterator[_SentT]:
    """Insert each of ``items`` whose key ``table`` does not yet hold for this
    terminal, yielding each one right after its row is written (so what reacts
    to it runs in the same transaction, in order). ``extra`` gives further
    columns, each computed from the item.

    Exactly once: a key stored by an earlier batch, repeated within this batch,
    or written at the same moment by another hub process (the unique key
    constraint, caught in a savepoint) is skipped and not yielded; the caller
    still acknowledges it, since the hub holds it.
    """
    keys = [item.key for item in items]
    known = set(
        conn.execute(
            select(table.key).where(table.terminal_id == terminal_id, table.key.in_(keys))
        ).scalars()
    )
    for item in items:
        if item.key in known:
            continue
        known.add(item.key)
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(table).values(
                        terminal_id=terminal_id,
                        key=item.key,
                        kind=item.kind,
                        at=parse_terminal_time(item.at, now),
                        received_at=now,
                        data_json=json.dumps(item.data, ensure_ascii=False),
                        **{column: value(item) for column, value in extra.items()},
                    )
                )
        except IntegrityError:
            continue  # the same key arrived through another hub process
        yield item


def store_screenshot(engine: Engine, terminal_id: int, png: bytes) -> None:
    """Keep ``png`` as the terminal's latest screenshot."""
    now = utcnow()
    with engine.begin() as conn:
        updated = conn.execute(
            update(Screenshot)
            .where(Screenshot.terminal_id == terminal_id)
            .values(taken_at=now, png=png)
        )
        if updated.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(Screenshot).values(terminal_id=terminal_id, taken_at=now, png=png)
                    )
            except IntegrityError:
                conn.execute(
                    update(Screenshot)
                    .where(Screenshot.terminal_id == terminal_id)
                    .values(taken_at=now, png=png)
                )


def sweep_offline(engine: Engine, heartbeat_interval_s: int) -> Payloads:
    """Raise ``offline`` for terminals silent for 3 intervals; resolve it for
    those heard from again. Run periodically by every hub process."""
    now = utcnow()
    limit = now - timedelta(seconds=health.OFFLINE_AFTER_MISSED * heartbeat_interval_s)
    payloads: Payloads = []
    with engine.begin() as conn:
        silent = conn.execute(
            select(Terminal.id, Terminal.last_seen_at).where(
                Terminal.revoked_at.is_(None),
                Terminal.last_seen_at.is_not(None),
                Terminal.last_seen_at < limit,
            )
        ).all()
        open_rows = conn.execute(
            select(alerts.Alert.terminal_id).where(
                alerts.Alert.kind == "offline", alerts.Alert.open_key.is_not(None)
            )
        ).all()
        open_ids = {r.terminal_id for r in open_rows}
        silent_ids = {r.id for r in silent}
        for row in silent:
            if row.id not in open_ids:
                detail = f"最后心跳 {row.last_seen_at:%Y-%m-%d %H:%M:%S} UTC"
                payload = alerts.raise_alert(conn, row.id, "offline", "", detail, now)
                if payload:
                    payloads.append(payload)
        for terminal_id in open_ids - silent_ids:
            payload = alerts.resolve_open(
                conn, terminal_id, "offline", "", now, alerts.SYSTEM_ACTOR
            )
            if payload:
                payloads.append(payload)
    return payloads
