"""The console's login steps, without HTTP (the pages are in ``auth_pages``).

1. Name and password (:func:`check_password`): throttled, and every failure
   (unknown name, wrong password, disabled account, throttled) looks the same
   to the client: :data:`FAILURE` with status 401. The audit log keeps the
   real reason for the auditor.
2. :func:`next_step` then asks, in order, for a new password (a bootstrap,
   one-time or administrator-set password must be replaced before anything
   else), for TOTP enrolment (administrator roles that have none yet) and for
   the TOTP code. Between steps the browser carries a signed, five-minute
   *step cookie* (:class:`StepToken`) bound to the account's current password
   hash; no console session exists until the last step is done.
3. :func:`finish` opens the session, clears the account's throttle keys and
   audits the login.

Demo mode: the accounts demo mode seeds (``Operator.demo_account``) skip the
forced change and the second factor, and only while ``demo_data`` is on; the
login page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.console import throttle
from hub.fleet.console.passwords import burn_hash_time, verify_password
from hub.fleet.console.roles import SECOND_FACTOR_ROLES
from hub.fleet.models import Operator
from hub.settings import HubSettings

# The one reply of every failed login, whatever the reason.
FAILURE = "登录失败：用户名、密码或动态口令不正确，或尝试过于频繁。请稍候再试。"
STEP_COOKIE = "huimin_login_step"
DEVICE_COOKIE = "huimin_device"
STEP_MAX_AGE_S = 300
DEVICE_MAX_AGE_S = 180 * 24 * 3600

CHANGE, ENROL, TOTP = "change", "enrol", "totp"


@dataclass(frozen=True)
class StepToken:
    """What the step cookie says: this browser passed the password of
    ``operator_id`` (whose hash ends in ``pw``) and must now do ``step``."""

    operator_id: int
    step: str
    pw: str
    enrol_secret: str = ""  # the candidate TOTP secret shown on the enrolment page
    totp_done: bool = False  # the second factor was already given in this login


def _step_serializer(settings: HubSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="huimin-login-step")


def _device_serializer(settings: HubSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="huimin-device")


def _pw_tag(operator: Operator) -> str:
    # The tail of the argon2 hash: changes with every new password, so a step
    # cookie dies when the password is reset meanwhile.
    return operator.password_hash[-16:]


def step_cookie(
    settings: HubSettings,
    operator: Operator,
    step: str,
    enrol_secret: str = "",
    totp_done: bool = False,
) -> str:
    payload = {
        "op": operator.id,
        "step": step,
        "pw": _pw_tag(operator),
        "enrol": enrol_secret,
        "t": totp_done,
    }
    return _step_serializer(settings).dumps(payload)


def read_step(settings: HubSettings, cookie: str | None) -> StepToken | None:
    """The step cookie's content, or None (missing, forged or older than 5 minutes)."""
    if not cookie:
        return None
    try:
        data: Any = _step_serializer(settings).loads(cookie, max_age=STEP_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return StepToken(
            int(data["op"]),
            str(data["step"]),
            str(data["pw"]),
            str(data["enrol"]),
            data["t"] is True,
        )
    except (KeyError, TypeError, ValueError):
        return None


def operator_for_step(db: Session, token: StepToken | None, step: str) -> Operator | None:
    """The account a valid step cookie for ``step`` speaks for, or None."""
    if token is None or token.step != step:
        return None
    operator = db.get(Operator, token.operator_id)
    if operator is None or operator.disabled or _pw_tag(operator) != token.pw:
        return None
    return operator


def device_cookie(settings: HubSettings, username: str) -> str:
    return _device_serializer(settings).dumps({"u": username.casefold()})


def known_device(settings: HubSettings, cookie: str | None, username: str) -> bool:
    """Whether the browser carries the device cookie of ``username``'s last login."""
    if not cookie:
        return False
    try:
        data: Any = _device_serializer(settings).loads(cookie)
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == username.casefold()


def fail(db: Session, username: str, client: str, reason: str, device: bool) -> None:
    """Count and audit a failed step (the client only ever sees FAILURE)."""
    throttle.record_failure(db, username, client, device)
    audit.record(db.connection(), username or "?", "login_failed", "", reason, "failed", client)


def check_password(
    db: Session, username: str, password: str, client: str, device: bool
) -> Operator | None:
    """Step 1: the account if the name and password are right and it may log in.

    Every failure is counted in the throttle and audited with its real reason.
    The hash is checked before the disabled flag, and a dummy hash is checked
    for unknown names, so the time taken does not tell them apart either.
    """
    if throttle.throttled(db, username, client, device):
        # Not counted: hammering a delayed key does not lengthen the delay.
        audit.record(
            db.connection(), username or "?", "login_failed", "", "尝试过于频繁", "failed", client
        )
        return None
    operator = db.execute(
        select(Operator).where(Operator.username == username)
    ).scalar_one_or_none()
    if operator is None:
        burn_hash_time(password)
        fail(db, username, client, "无此账号", device)
        return None
    if not verify_password(operator.password_hash, password):
        fail(db, username, client, "密码错误", device)
        return None
    if operator.disabled:
        fail(db, username, client, "账号已停用", device)
        return None
    return operator


def demo_exempt(operator: Operator, settings: HubSettings) -> bool:
    return operator.demo_account and settings.demo_data


def next_step(operator: Operator, settings: HubSettings, totp_done: bool = False) -> str | None:
    """What the account must still do before its session opens (None: nothing).

    The code comes before the new password: someone holding only a one-time
    password cannot change the password of an account with a second factor.
    ``totp_done``: the code was given (or the factor enrolled) in this login.
    """
    exempt = demo_exempt(operator, settings)
    if operator.totp_secret is not None and not totp_done:
        return TOTP
    if operator.must_change_password and not exempt:
        return CHANGE
    if (
        not totp_done
        and operator.totp_secret is None
        and operator.role in SECOND_FACTOR_ROLES
        and not exempt
    ):
        return ENROL
    return None


def finish(db: Session, operator: Operator, client: str) -> None:
    """The last step succeeded: clear the account's throttle keys and audit
    the login (the caller opens the session in the same transaction)."""
    throttle.clear_account(db, operator.username, client)
    operator.last_login_at = utcnow()
    audit.record(db.connection(), operator.username, "login", "", "", "ok", client)
