"""Idempotent POSTs (specs/payments-and-privacy.md §Payments, the Stripe model):
the first response to a key is stored and replayed; the same key with other
parameters is refused with 409.

The request fingerprint is an HMAC keyed with the hub secret, so a stored
fingerprint of a body holding an ID number cannot be brute-forced back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.services.clock import db_time
from hub.services.errors import Conflict
from hub.services.models import IdempotencyRow
from protocol.i18n import N_


def fingerprint(payload: dict[str, Any], secret: str) -> str:
    """A stable digest of a request body (keys sorted, the key itself excluded)."""
    body = {k: v for k, v in payload.items() if k != "idempotency_key"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def replay(session: Session, scope: str, key: str, digest: str) -> tuple[int, Any] | None:
    """The stored (status, response) for ``key``, ``None`` if new; :class:`Conflict`
    if the key was used with other parameters."""
    row = session.get(IdempotencyRow, (scope, key))
    if row is None:
        return None
    if row.request_hash != digest:
        raise Conflict(N_("该请求编号已用于其他内容的请求，请重新发起"))
    return row.status_code, row.response


def remember(
    session: Session,
    scope: str,
    key: str,
    digest: str,
    status: int,
    response: Any,
    now: datetime,
) -> None:
    """Store the first response to ``key`` (committed with the caller's transaction)."""
    session.add(
        IdempotencyRow(
            scope=scope,
            key=key,
            request_hash=digest,
            status_code=status,
            response=response,
            created_at=db_time(now),
        )
    )
