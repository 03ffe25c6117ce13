"""The one error tree every driver raises from.

Errors are translated at the boundary (pyserial, pyscard, sockets) into a
:class:`DeviceError` subclass that keeps the raw code and carries a plain
Chinese message for the person at the kiosk. The message is a gettext msgid
(marked with ``N_``) so the screen translates it at display time.
"""

from __future__ import annotations

from protocol.i18n import N_


class DeviceError(Exception):
    """A device could not do what was asked.

    ``user_message`` is a msgid the screens show and speak after translating
    it; ``code`` keeps the device's own status code (e.g. SW3 ``0x41``) for
    logs and the fleet console.
    """

    default_message = N_("设备暂时无法使用，请联系工作人员")

    def __init__(
        self,
        detail: str = "",
        *,
        user_message: str | None = None,
        code: int | str | None = None,
    ) -> None:
        super().__init__(detail or self.default_message)
        self.detail = detail
        self.user_message = user_message or self.default_message
        self.code = code


class DeviceOffline(DeviceError):
    """The device does not answer (unplugged, powered off, cable pulled)."""

    default_message = N_("设备未连接，请联系工作人员")


class DeviceTimeout(DeviceOffline):
    """The device did not answer within the command's timeout."""

    default_message = N_("设备没有响应，请稍后再试")


class ProtocolError(DeviceError):
    """A reply was malformed: bad checksum, bad length, unexpected bytes."""

    default_message = N_("读取出错，请重试")


class CardError(DeviceError):
    """The card was read but cannot be used (removed, unreadable, expired)."""

    default_message = N_("无法读取卡片，请重新放置")


class PaperOut(DeviceError):
    """The printer has no paper: printing is refused before anything starts."""

    default_message = N_("打印机缺纸，暂时无法打印")


class InvalidCode(DeviceError):
    """A scanned code is not a valid payment code."""

    default_message = N_("无法识别付款码，请出示微信、支付宝或云闪付付款码")
