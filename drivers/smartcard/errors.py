"""Smart-card errors, all under :class:`drivers.errors.CardError` or
:class:`drivers.errors.DeviceOffline`.

Messages never carry a card number, PAN or track data: only status words,
reader names and what went wrong (payments-and-privacy.md, "Personal data").
"""

from __future__ import annotations

import enum
from typing import ClassVar

from drivers.errors import CardError, DeviceOffline
from protocol.i18n import N_


class ReaderNotFound(DeviceOffline):
    """No PC/SC reader matches the configured name (or pcscd is not running)."""

    default_message = N_("读卡器未连接，请联系工作人员")


class NoCard(CardError):
    """The reader is there but holds no card."""

    default_message = N_("请插入卡片")


class CardRemoved(CardError):
    """The card was pulled out (or lost power) during the read."""

    default_message = N_("卡片已拔出，请重新插入")


class UnreadableReason(enum.StrEnum):
    PSAM_REQUIRED = "psam_required"  # security status not satisfied (SW 6982)
    UNKNOWN_CARD = "unknown_card"  # neither SSSE nor a payment application
    APPLICATION_BLOCKED = "application_blocked"  # SW 6283 / 6A81


class CardNotReadableHere(CardError):
    """The card is fine but this terminal cannot read it.

    ``reason`` says why: the card needs PSAM authentication this terminal
    lacks (some regions and third-generation social-security cards,
    smartcards.md), it carries no application we know, or the application is
    blocked.
    """

    default_message = N_("此卡无法在本机读取，请到柜台办理")

    _MESSAGES: ClassVar[dict[UnreadableReason, str]] = {
        UnreadableReason.PSAM_REQUIRED: N_("此卡需要在社保经办网点读取，请到柜台办理"),
        UnreadableReason.UNKNOWN_CARD: N_("无法识别此卡，请插入社保卡或银行卡"),
        UnreadableReason.APPLICATION_BLOCKED: N_("此卡已锁定，请到发卡机构办理"),
    }

    def __init__(self, reason: UnreadableReason, detail: str = "", *, code: int | None = None):
        super().__init__(detail or reason.value, user_message=self._MESSAGES[reason], code=code)
        self.reason = reason
