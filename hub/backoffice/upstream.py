"""Upstream reporting (seeds/000 §8): every application event (created, each
status change, 办结 with its result) and every rating goes to the provincial
platform within 12 hours, exactly once.

- **Captured in the same transaction** as the event or rating
  (:func:`install_capture`: an ``after_flush`` listener on the hub's
  sessionmaker writes a ``bo_upstream_records`` row beside each new
  ``svc_application_events`` / ``svc_ratings`` row). Nothing is reported that
  was rolled back; nothing committed is missed.
- **Batched, exactly once**: unsent records join a batch whose id is fixed
  before the first attempt; a retry resends the same batch with the same id,
  so the platform (which keeps the ids it has) drops a copy.
- **Signed**: ``X-Huimin-Signature`` = HMAC over ``timestamp\\n`` + body
  (SHA-256, or SM3-HMAC under 国密; :func:`hub.backoffice.sms.sign`).
- **In order**: a batch waiting for its retry holds back the later ones.
- **Retried** with backoff (:data:`BACKOFF_S`); never given up: a record waits
  until the platform takes it, and an alert fires when the oldest unsent one
  is older than ``upstream_max_age_hours``.

The payload is :class:`UpstreamBatch`; its JSON schema is
``docs/upstream-batch.schema.json`` (a test keeps them equal).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Row, event, func, insert, select, update
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from hub.backoffice.models import UpstreamRecordRow
from hub.backoffice.sms import sign
from hub.backoffice.workflow import AppStatus
from hub.services import ratings
from hub.services.clock import Clock, db_time, from_db
from hub.services.models import ApplicationEventRow, ApplicationRow, RatingRow

log = logging.getLogger(__name__)

BATCH_SIZE = 100
BACKOFF_S = (10, 30, 60, 120, 300, 600, 900)  # then every 15 minutes, for ever


class ApplicationEventRecord(BaseModel):
    """An application was created (status ``accepted``) or changed status."""

    kind: Literal["application_event"] = "application_event"
    record_id: str = Field(description="unique per record: application-event:<n>")
    at: str = Field(description="when it happened, ISO 8601 UTC")
    acceptance_no: str = Field(description="受理编号")
    item_id: str
    item_name: str
    person_ref: str = Field(description="the hub's opaque person reference (no ID number)")
    status: str = Field(description="the new status: " + " | ".join(s.value for s in AppStatus))
    action: str = Field(description="the back-office action; empty for the submission")
    note: str = Field(description="what the applicant was told")
    promised_days: int = Field(description="承诺时限, working days")
    delivery_method: str = Field(description="counter | post")
    waybill_no: str | None = Field(None, description="邮政专递 waybill, once posted")


class RatingRecord(BaseModel):
    """A 好差评 evaluation (carries no personal data)."""

    kind: Literal["rating"] = "rating"
    record_id: str = Field(description="unique per record: rating:<n>")
    at: str
    service_id: str
    level: int = Field(ge=1, le=5)
    reasons: list[str]


Record = Annotated[ApplicationEventRecord | RatingRecord, Field(discriminator="kind")]


class UpstreamBatch(BaseModel):
    """The body of one push to the provincial platform."""

    batch_id: str = Field(description="fixed before the first attempt; the same on every retry")
    sender: str = Field(description="the hub (settings.upstream_sender_id)")
    records: list[Record]


def _iso(value: datetime) -> str:
    return from_db(value).isoformat().replace("+00:00", "Z")


def _application_record(conn: Connection, row: ApplicationEventRow) -> dict[str, Any]:
    app = conn.execute(
        select(
            ApplicationRow.acceptance_no,
            ApplicationRow.item_id,
            ApplicationRow.item_name,
            ApplicationRow.person_ref,
            ApplicationRow.promised_days,
            ApplicationRow.delivery_method,
            ApplicationRow.waybill_no,
        ).where(ApplicationRow.id == row.application_id)
    ).one()
    return ApplicationEventRecord(
        record_id=f"application-event:{row.id}",
        at=_iso(row.at),
        acceptance_no=app.acceptance_no,
        item_id=app.item_id,
        item_name=app.item_name,
        person_ref=app.person_ref,
        status=row.status,
        action=row.action or "",
        note=row.note,
        promised_days=app.promised_days,
        delivery_method=app.delivery_method,
        waybill_no=app.waybill_no,
    ).model_dump(mode="json")


def _rating_record(row: RatingRow | Row[Any]) -> dict[str, Any]:
    """From the ORM object or the table's row (ratings stored with Core)."""
    return RatingRecord(
        record_id=f"rating:{row.id}",
        at=_iso(row.at),
        service_id=row.service_id,
        level=row.level,
        reasons=list(row.reasons),
    ).model_dump(mode="json")


def install_capture(factory: sessionmaker[Session], clock: Clock) -> None:
    """Capture new events and ratings of ``factory``'s database into the outbox,
    in the transaction that writes them."""

    def keep(conn: Connection, payload: dict[str, Any]) -> None:
        now = db_time(clock.now())
        conn.execute(
            insert(UpstreamRecordRow).values(
                record_id=payload["record_id"],
                payload=payload,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
                last_error="",
            )
        )

    def after_flush(session: Session, _flush: UOWTransaction) -> None:
        new = [o for o in session.new if isinstance(o, ApplicationEventRow | RatingRow)]
        conn = session.connection() if new else None
        for obj in new:
            assert conn is not None
            if isinstance(obj, ApplicationEventRow):
                keep(conn, _application_record(conn, obj))
            else:
                keep(conn, _rating_record(obj))

    def rating_stored(conn: Connection, rating_id: int, _now: datetime) -> None:
        table = RatingRow.__table__
        keep(conn, _rating_record(conn.execute(select(table).where(table.c.id == rating_id)).one()))

    event.listen(factory, "after_flush", after_flush)
    engine = factory.kw["bind"]
    ratings.on_stored(engine, rating_stored)


class UpstreamError(Exception):
    """The platform did not take a batch."""


class UpstreamClient:
    """POSTs signed batches to the platform's endpoint; raises :class:`UpstreamError`."""

    def __init__(
        self,
        url: str,
        key: bytes,
        alg: str = "sha256",
        timeout_s: float = 10.0,
    ) -> None:
        self._url = url
        self._key = key
        self._alg = alg
        self._client = httpx.Client(timeout=timeout_s)

    def push(self, batch: UpstreamBatch) -> None:
        body = json.dumps(batch.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        stamp = str(int(time.time()))  # checked by the platform against real time
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Huimin-Timestamp": stamp,
            "X-Huimin-Signature": sign(self._key, stamp, body, self._alg),
        }
        try:
            reply = self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"无法连接：{type(exc).__name__}") from exc
        if not reply.is_success:
            raise UpstreamError(f"上报被拒绝：HTTP {reply.status_code}")

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class Backlog:
    """The console's view: records not yet accepted, the oldest one's time, the last success."""

    unsent: int
    oldest: datetime | None
    last_success: datetime | None
    last_error: str

    def oldest_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest is None else db_time(now) - self.oldest


def backlog(session: Session) -> Backlog:
    unsent, oldest = session.execute(
        select(func.count(UpstreamRecordRow.id), func.min(UpstreamRecordRow.created_at)).where(
            UpstreamRecordRow.sent_at.is_(None)
        )
    ).one()
    last = session.scalar(select(func.max(UpstreamRecordRow.sent_at)))
    error = session.scalar(
        select(UpstreamRecordRow.last_error)
        .where(UpstreamRecordRow.sent_at.is_(None), UpstreamRecordRow.last_error != "")
        .order_by(UpstreamRecordRow.id)
        .limit(1)
    )
    return Backlog(int(unsent), oldest, last, error or "")


class UpstreamPusher:
    """Forms batches and pushes them; :meth:`drain` once, or run in a thread."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        client: UpstreamClient,
        clock: Clock,
        sender: str,
        interval_s: float = 30.0,
    ) -> None:
        self._factory = factory
        self._client = client
        self._clock = clock
        self._sender = sender
        self._interval = interval_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        self._wake.set()

    def drain(self) -> int:
        """Push the unsent batches in order, once each; the number of records
        the platform took. Stops at the first batch that is waiting for its
        retry or fails: the platform gets an application's events in order."""
        taken = 0
        with self._lock:
            self._form_batches()
            now = db_time(self._clock.now())
            with self._factory() as session:
                batches = session.execute(
                    select(UpstreamRecordRow.batch_id, func.max(UpstreamRecordRow.next_attempt_at))
                    .where(UpstreamRecordRow.sent_at.is_(None))
                    .group_by(UpstreamRecordRow.batch_id)
                    .order_by(func.min(UpstreamRecordRow.id))
                ).all()
            for batch_id, due_at in batches:
                if batch_id is None or due_at > now:
                    break
                pushed = self._push(batch_id)
                if pushed == 0:
                    break
                taken += pushed
        return taken

    def _form_batches(self) -> None:
        with self._factory() as session, session.begin():
            while True:
                ids = session.scalars(
                    select(UpstreamRecordRow.id)
                    .where(UpstreamRecordRow.batch_id.is_(None))
                    .order_by(UpstreamRecordRow.id)
                    .limit(BATCH_SIZE)
                ).all()
                if not ids:
                    return
                session.execute(
                    update(UpstreamRecordRow)
                    .where(UpstreamRecordRow.id.in_(ids), UpstreamRecordRow.batch_id.is_(None))
                    .values(batch_id=uuid.uuid4().hex)
                )

    def _push(self, batch_id: str) -> int:
        with self._factory() as session:
            rows = session.scalars(
                select(UpstreamRecordRow)
                .where(UpstreamRecordRow.batch_id == batch_id)
                .order_by(UpstreamRecordRow.id)
            ).all()
            batch = UpstreamBatch.model_validate(
                {"batch_id": batch_id, "sender": self._sender, "records": [r.payload for r in rows]}
            )
            attempts = max(r.attempts for r in rows) + 1
        now = self._clock.now()
        try:
            self._client.push(batch)
        except UpstreamError as exc:
            wait = BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)]
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_error": str(exc)[:200],
                "next_attempt_at": db_time(now + timedelta(seconds=wait)),
            }
            log.info("upstream batch %s not taken (attempt %d): %s", batch_id, attempts, exc)
            taken = 0
        else:
            values = {"attempts": attempts, "last_error": "", "sent_at": db_time(now)}
            taken = len(batch.records)
        with self._factory() as session, session.begin():
            session.execute(
                update(UpstreamRecordRow)
                .where(UpstreamRecordRow.batch_id == batch_id, UpstreamRecordRow.sent_at.is_(None))
                .values(**values)
            )
        return taken

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="upstream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # supervision point: the pusher must outlive a bad round
                log.exception("upstream round failed")
            self._wake.wait(self._interval)
            self._wake.clear()


def schema() -> dict[str, Any]:
    """The JSON schema of :class:`UpstreamBatch` (docs/upstream-batch.schema.json)."""
    return UpstreamBatch.model_json_schema()
