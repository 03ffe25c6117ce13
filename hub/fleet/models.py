"""Fleet tables: terminals and their latest status, health history, commands,
uploads (screenshots, events, journal records), alerts, operators, console
sessions, the audit log and content settings (announcements, per-place
catalogue switches).

All tables are prefixed ``fleet_``. The schema itself is created by Alembic
(``hub/migrations``); these models are its source of truth.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base

# Dates are stored timezone-naive in UTC: SQLite has no time zones and mixing
# aware/naive values across the two back ends is a classic source of bugs.


class Terminal(Base):
    """One enrolled terminal and, in the same row, its latest heartbeat.

    The heartbeat path UPDATEs this row only (DESIGN §5; benchmarked), so the
    status columns are denormalised here rather than in a history table.
    """

    __tablename__ = "fleet_terminals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(60), default="")
    town: Mapped[str] = mapped_column(String(60), default="")
    village: Mapped[str] = mapped_column(String(60), default="")
    branch: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Catalogue code of its service point (enrolment); None: enrolled before it
    # was asked, and then it draws no queue tickets until enrolled again.
    service_point: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hardware_json: Mapped[str] = mapped_column(Text, default="{}")
    enrolled_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The terminal's Ed25519 public key (raw 32 bytes, base64url), sent at
    # enrolment or re-keying: requests that carry card evidence are signed with
    # its private half, which never leaves the terminal (DESIGN §7).
    signing_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signing_key_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Latest heartbeat. Deliberately not indexed: every heartbeat rewrites it,
    # and moving an index entry doubled the cost of the fast path (bench/);
    # the offline sweep scans a few thousand rows at most.
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[str] = mapped_column(String(40), default="")
    uptime_s: Mapped[int] = mapped_column(Integer, default=0)
    disk_free_mb: Mapped[int | None] = mapped_column(Integer, nullable=True)
    memory_rss_mb: Mapped[float | None] = mapped_column(Float, nullable=True)
    journal_backlog: Mapped[int] = mapped_column(Integer, default=0)
    screen: Mapped[str] = mapped_column(String(60), default="")
    session_state: Mapped[str] = mapped_column(String(30), default="")
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    devices_json: Mapped[str] = mapped_column(Text, default="[]")
    # Compact fingerprint of the alert-relevant condition (device states,
    # paper, maintenance, backlog over threshold); a heartbeat whose
    # fingerprint is unchanged takes the one-UPDATE fast path.
    health_sig: Mapped[str] = mapped_column(String(400), default="")
    paper: Mapped[str] = mapped_column(String(16), default="unknown")
    highest_journal_seq: Mapped[int] = mapped_column(Integer, default=0)


class EnrolmentCode(Base):
    """A one-time code an operator hands to the installer of a terminal."""

    __tablename__ = "fleet_enrolment_codes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    terminal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reusable: Mapped[bool] = mapped_column(Boolean, default=False)  # demo code only
    note: Mapped[str] = mapped_column(String(200), default="")


class HealthRecord(Base):
    """A device's condition changed (only changes are stored)."""

    __tablename__ = "fleet_health_history"
    __table_args__ = (Index("ix_fleet_health_terminal_at", "terminal_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    device: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16))
    paper: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(400), default="")


class Command(Base):
    """A remote command: queued → delivered → done | failed."""

    __tablename__ = "fleet_commands"
    # (state, terminal_id) serves both the per-terminal "queued" count and the
    # long-poll sweep for any queued command.
    __table_args__ = (Index("ix_fleet_commands_state_terminal", "state", "terminal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    args_json: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(12), default="queued")
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    result: Mapped[str] = mapped_column(String(1000), default="")


class Screenshot(Base):
    """The latest screenshot of a terminal (one row per terminal)."""

    __tablename__ = "fleet_screenshots"

    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"), primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    png: Mapped[bytes] = mapped_column(LargeBinary)


class TerminalEvent(Base):
    """An event a terminal reported; ``(terminal_id, key)`` makes uploads idempotent."""

    __tablename__ = "fleet_events"
    __table_args__ = (
        UniqueConstraint("terminal_id", "key", name="uq_fleet_events_key"),
        Index("ix_fleet_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"))
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    data_json: Mapped[str] = mapped_column(Text, default="{}")


class JournalRecord(Base):
    """A terminal journal record kept for audit; idempotent by key."""

    __tablename__ = "fleet_journal"
    __table_args__ = (
        UniqueConstraint("terminal_id", "key", name="uq_fleet_journal_key"),
        Index("ix_fleet_journal_terminal_seq", "terminal_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"))
    key: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    data_json: Mapped[str] = mapped_column(Text, default="{}")


class Alert(Base):
    """An alert about one terminal. ``open_key`` is set while the alert is
    unresolved and unique, so two hub processes cannot raise it twice."""

    __tablename__ = "fleet_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(60), default="")
    detail: Mapped[str] = mapped_column(String(400), default="")
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acked_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)


class Operator(Base):
    """A console account. ``role`` is one of ``hub.fleet.console.roles.ROLES``.

    Failed logins are not counted here but in :class:`LoginThrottle` (by
    account name, source address and both), so an account that does not exist
    is throttled exactly like one that does.
    """

    __tablename__ = "fleet_operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Set for a bootstrap, one-time or administrator-set password: the next
    # login must choose a new one before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # The TOTP secret, sealed with the hub's data key (hub/fleet/console/totp.py,
    # hub/crypto.py); None until enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Seeded by demo mode with a published password: exempt from the second
    # factor and the forced password change, but only while demo_data is on.
    demo_account: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(Base):
    """Failed console logins of one key: ``acct:<name>``, ``src:<address>`` or
    ``pair:<name>|<address>``. After a few failures every further attempt on
    the key must wait a growing delay (``blocked_until``); nothing is locked
    for good (hub/fleet/console/throttle.py)."""

    __tablename__ = "fleet_login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OperatorSession(Base):
    """A logged-in console session; the cookie carries the signed ``id``."""

    __tablename__ = "fleet_operator_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("fleet_operators.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Append-only record of an operator action (who, what, when, result).

    Tamper-evident (hub/fleet/audit_chain.py): ``seq`` numbers the rows 1, 2, 3…
    and ``row_hash`` is the ``hash_alg`` digest of the row and of the previous
    row's hash (``prev_hash``)."""

    __tablename__ = "fleet_audit_log"
    __table_args__ = (UniqueConstraint("seq", name="uq_fleet_audit_log_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[str] = mapped_column(String(1000), default="")
    result: Mapped[str] = mapped_column(String(20), default="ok")
    client: Mapped[str] = mapped_column(String(60), default="")
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    hash_alg: Mapped[str] = mapped_column(String(8))


class AuditChainHead(Base):
    """The one row (id 1) every audit writer locks first: the chain's last
    ``seq`` and hash, and the digest new rows use (the hub's ``crypto``)."""

    __tablename__ = "fleet_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    alg: Mapped[str] = mapped_column(String(8))


class Announcement(Base):
    """A notice shown on terminals of a place (``scope`` = place prefix)."""

    __tablename__ = "fleet_announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(200), default="")
    until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# -- Over-the-air updates (hub/fleet/rollouts.py, hub/releases/) -----------------------------


class Release(Base):
    """A signed release an operator approved for rollouts. The signature is
    in the TUF repository (hub/releases); this row is the approval."""

    __tablename__ = "fleet_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    target: Mapped[str] = mapped_column(String(120))
    length: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str] = mapped_column(String(60))
    approved_at: Mapped[datetime] = mapped_column(DateTime)


class Rollout(Base):
    """A release going out in waves: running → done, or paused / aborted."""

    __tablename__ = "fleet_rollouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("fleet_releases.id"))
    state: Mapped[str] = mapped_column(String(12), default="running", index=True)
    waves_json: Mapped[str] = mapped_column(Text, default="[]")
    current_wave: Mapped[int] = mapped_column(Integer, default=0)
    wave_started_at: Mapped[datetime] = mapped_column(DateTime)
    # When every terminal of the current wave had finished with few enough
    # failures; the wave advances ``healthy_period_s`` after it.
    wave_settled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    healthy_period_s: Mapped[int] = mapped_column(Integer, default=600)
    failure_threshold_pct: Mapped[int] = mapped_column(Integer, default=10)
    pause_reason: Mapped[str] = mapped_column(String(400), default="")
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RolloutTarget(Base):
    """One terminal in a rollout: its wave and its update state as reported
    (waiting, pending, downloading, staged, switching, healthy, rolled_back,
    failed) with the reason of a rollback or failure."""

    __tablename__ = "fleet_rollout_targets"
    __table_args__ = (
        UniqueConstraint("rollout_id", "terminal_id", name="uq_fleet_rollout_target"),
        Index("ix_fleet_rollout_targets_terminal", "terminal_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("fleet_rollouts.id"))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"))
    wave: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    reason: Mapped[str] = mapped_column(String(400), default="")
    log_tail: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class FleetWindow(Base):
    """Daily windows of a place (``place:<county/town/village>``) or one
    terminal (``terminal:<id>``): maintenance (updates and restarts happen
    there), an optional reboot time and the screen's opening hours. Times are
    ``HH:MM`` local to the terminal; the most specific scope wins."""

    __tablename__ = "fleet_windows"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    maintenance_start: Mapped[str] = mapped_column(String(5), default="02:00")
    maintenance_end: Mapped[str] = mapped_column(String(5), default="04:00")
    reboot_at: Mapped[str | None] = mapped_column(String(5), nullable=True)
    screen_on: Mapped[str | None] = mapped_column(String(5), nullable=True)
    screen_off: Mapped[str | None] = mapped_column(String(5), nullable=True)
    updated_by: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LogRequest(Base):
    """An operator's request for a terminal's logs (``window``: the lines of
    ``since``..``until``) or for debug logging until ``until`` (``debug``).
    queued → delivered (offered to the terminal) → uploaded; the text is
    masked by the terminal and checked again by the hub."""

    __tablename__ = "fleet_log_requests"
    __table_args__ = (Index("ix_fleet_log_requests_terminal_state", "terminal_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("fleet_terminals.id"))
    kind: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    until: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    requested_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
