"""What can go wrong between the terminal and its hub, as one tree under
:class:`~kiosk.errors.KioskError`.

Two families, because callers must tell them apart:

- :class:`HubUnavailable`: no usable answer (down, unreachable, timed out,
  5xx, a redirect, TLS not signed by the pinned CA, a reply this terminal
  cannot read, not enrolled yet). Try again later; a payment never starts.
- :class:`HubError`: the hub answered and said no (4xx). Its ``detail`` is
  the hub's own sentence, shown to the person when it is meant for them.

:class:`HubRefused` (401, credential revoked) is a :class:`HubError`, not a
:class:`HubUnavailable`: background loops must stop, not retry.
"""

from __future__ import annotations

from kiosk.errors import KioskError
from kiosk.i18n import N_

NO_RECORD = N_("没有查到您的记录")
CANNOT_HANDLE = N_("服务中心暂时无法办理，请稍后再试或联系工作人员")
# Statuses whose detail the hub writes for the person (hub/services/errors.py:
# a Chinese sentence, never personal data); other refusals get general words.
# 429: too many queue tickets at once (hub/services/tickets.py).
_PERSON_STATUSES = frozenset({400, 404, 409, 422, 429})


class HubConfigError(KioskError, ValueError):
    """The hub address or CA file cannot be used (raised where they are checked)."""


class HubUnavailable(KioskError):
    """The hub did not give a usable answer; try again later."""

    user_message = N_("暂时无法连接服务中心，请稍后再试或联系工作人员")


class NotEnrolled(HubUnavailable):
    """No credential yet: the terminal has not enrolled with the hub."""


class HubCertificateError(HubUnavailable):
    """The hub's certificate is not signed by the pinned CA (or TLS failed)."""


class HubStatusError(HubUnavailable):
    """The hub answered a status that is not an answer (5xx, a redirect; for a
    background loop any refusal but 401). The status is kept in ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HubBadReply(HubUnavailable):
    """The hub answered 2xx with something this terminal cannot read."""


class EnrolmentRefused(HubUnavailable):
    """The hub refused the enrolment code (used, expired or wrong)."""


class HubError(KioskError):
    """The hub answered with a refusal (4xx); ``detail`` is its message (Chinese).

    ``user_message`` is the hub's sentence where it is meant for the person
    (400, 404, 409, 422, 429), else general words: a msgid like any other error's.
    """

    def __init__(self, status: int, detail: str, *, message: str | None = None) -> None:
        if status == 404:
            words = detail or NO_RECORD
        elif status in _PERSON_STATUSES and detail:
            words = detail
        else:
            words = CANNOT_HANDLE
        super().__init__(message or f"hub answered {status}: {detail}", user_message=words)
        self.status = status
        self.detail = detail


class HubRefused(HubError):
    """The hub refused this terminal's credential (HTTP 401); do not retry."""

    def __init__(self, message: str = "hub refused the terminal credential (401)") -> None:
        super().__init__(401, "", message=message)
