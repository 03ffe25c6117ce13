"""Console login throttling: growing delays, never a lock anyone can trigger.

Each failed attempt (unknown account, wrong password, disabled account, wrong
second-factor code) counts against three keys:

- ``pair:<name>|<address>``: one source guessing one account; delays start
  after 3 failures and double up to 15 minutes;
- ``src:<address>``: one source trying many accounts (password spraying);
  after 10 failures, doubling up to 15 minutes;
- ``acct:<name>``: many sources guessing one account; after 10 failures,
  doubling up to 1 minute only, and skipped for a browser that carries this
  account's *device cookie* (given at its last successful login): so an
  attacker on other addresses can slow the owner's known browser by nothing,
  and anyone else by a minute at most.

While a key is delayed, attempts on it are refused without checking the
password (and without counting: hammering does not lengthen the delay), with
the same reply as any other failure. Failures older than an hour are
forgotten; a full login clears its pair and account keys. Keys are the same
for names that exist and names that do not. State lives in the database, so
several hub processes share it.

Behind a reverse proxy the source address is the proxy's unless it forwards
the client's (uvicorn trusts X-Forwarded-For from 127.0.0.1 by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.fleet.clock import utcnow
from hub.fleet.models import LoginThrottle

FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    free: int  # failures allowed before delays start
    cap: timedelta  # the longest delay


PAIR = Rule(free=3, cap=timedelta(minutes=15))
SOURCE = Rule(free=10, cap=timedelta(minutes=15))
ACCOUNT = Rule(free=10, cap=timedelta(minutes=1))


def _keys(username: str, client: str, known_device: bool) -> list[tuple[str, Rule]]:
    name = username.casefold()[:80]
    address = client[:60] or "?"
    keys = [(f"pair:{name}|{address}", PAIR), (f"src:{address}", SOURCE)]
    if not known_device:
        keys.append((f"acct:{name}", ACCOUNT))
    return keys


def delay_after(failures: int, rule: Rule) -> timedelta | None:
    """The wait imposed after ``failures`` failures: None while free, then
    1 s, 2 s, 4 s … up to the rule's cap."""
    over = failures - rule.free
    if over <= 0:
        return None
    return min(timedelta(seconds=2 ** min(over - 1, 20)), rule.cap)


def throttled(db: Session, username: str, client: str, known_device: bool = False) -> bool:
    """Whether an attempt for ``username`` from ``client`` must wait now."""
    now = utcnow()
    keys = [key for key, _ in _keys(username, client, known_device)]
    blocked = db.execute(
        select(LoginThrottle.key).where(
            LoginThrottle.key.in_(keys),
            LoginThrottle.blocked_until.is_not(None),
            LoginThrottle.blocked_until > now,
        )
    ).first()
    return blocked is not None


def record_failure(db: Session, username: str, client: str, known_device: bool = False) -> None:
    """Count a failed attempt against its keys (in the caller's transaction)."""
    now = utcnow()
    for key, rule in _keys(username, client, known_device):
        _bump(db, key, rule, now)
    # Opportunistic clean-up: rows nobody has failed on for a day.
    db.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - timedelta(days=1)))


def _bump(db: Session, key: str, rule: Rule, now: datetime) -> None:
    row = db.execute(
        select(LoginThrottle.failures, LoginThrottle.last_failure_at).where(
            LoginThrottle.key == key
        )
    ).first()
    if row is None:
        try:
            with db.begin_nested():
                db.execute(
                    insert(LoginThrottle).values(
                        key=key, failures=1, last_failure_at=now, blocked_until=None
                    )
                )
            return
        except IntegrityError:  # another process inserted it first: count on it
            row = db.execute(
                select(LoginThrottle.failures, LoginThrottle.last_failure_at).where(
                    LoginThrottle.key == key
                )
            ).one()
    failures = 1 if now - row.last_failure_at > FORGET_AFTER else row.failures + 1
    wait = delay_after(failures, rule)
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=failures,
            last_failure_at=now,
            blocked_until=now + wait if wait is not None else None,
        )
    )


def clear_account(db: Session, username: str, client: str | None = None) -> int:
    """Forget the failures of an account (all its sources, or only ``client``);
    the number of keys cleared. Used by a full login, the console's 解锁 and
    ``python -m hub operators unlock``."""
    name = username.casefold()[:80]
    condition: ColumnElement[bool]
    if client is not None:
        condition = LoginThrottle.key.in_([f"pair:{name}|{client[:60] or '?'}", f"acct:{name}"])
    else:
        condition = or_(
            LoginThrottle.key == f"acct:{name}",
            LoginThrottle.key.like(f"pair:{_escape_like(name)}|%", escape="\\"),
        )
    done = db.execute(delete(LoginThrottle).where(condition))
    return int(getattr(done, "rowcount", 0) or 0)


def delayed_until(db: Session, username: str) -> datetime | None:
    """The latest delay on any key of the account (for the accounts page)."""
    name = username.casefold()[:80]
    until = db.execute(
        select(func.max(LoginThrottle.blocked_until)).where(
            or_(
                LoginThrottle.key == f"acct:{name}",
                LoginThrottle.key.like(f"pair:{_escape_like(name)}|%", escape="\\"),
            ),
            LoginThrottle.blocked_until > utcnow(),
        )
    ).scalar_one_or_none()
    return until


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
