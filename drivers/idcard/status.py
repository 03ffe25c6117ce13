"""SAM status words (SW3) and the errors they become.

Every SW3 code of specs/idcard-reader.md "SW3 status codes" maps to one
:class:`drivers.errors.DeviceError` subclass and a plain Chinese msgid for the
person at the kiosk. The raw code stays on the exception as ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import CardError, DeviceError, ProtocolError
from protocol.devices import DeviceState
from protocol.i18n import N_

SW3_OK = 0x90
SW3_FOUND = 0x9F
SW3_NO_CONTENT = 0x91
SW3_NO_CARD = 0x80
SW3_SELECT_FAILED = 0x81
SW3_READ_FAILED = 0x41


class NoCard(CardError):
    """Find card answered 0x80: nothing on the reader. ``read_card`` turns it into None."""

    default_message = N_("请将身份证放在读卡区")


class CardReadFailed(CardError):
    """The card is there but could not be read; lift it and place it again (spec "Usage")."""

    default_message = N_("请重新放置身份证")


class CardNotGenuine(CardError):
    """Mutual authentication or data verification failed: not a readable genuine card."""

    default_message = N_("无法验证此证件，请换一张身份证或联系工作人员")


class WrongCardType(CardError):
    """The card on the reader is not a resident ID card or permit."""

    default_message = N_("这不是身份证，请放置身份证")


class NoContent(CardError):
    """SW3 0x91: the card holds no data for this item (e.g. no fingerprint)."""

    default_message = N_("证件中没有该项信息")


class SamFault(DeviceError):
    """The reader's security module failed its self-test or is not authorised.

    The person cannot fix it; the health state becomes HWERROR.
    """

    default_message = N_("读卡器故障，请联系工作人员")


class ReaderProtocolError(ProtocolError):
    """The SAM rejected our frame (checksum, length, command): a line or driver fault."""

    default_message = N_("读卡出错，请重新放置身份证")


@dataclass(frozen=True)
class Sw3Code:
    """What one SW3 value means and which error it raises."""

    code: int
    meaning: str  # for logs and the operators' console
    error: type[DeviceError]
    user_message: str
    health: DeviceState = DeviceState.ONLINE  # reader state this code implies


_CODES = (
    Sw3Code(0x91, "no content for this item", NoContent, N_("证件中没有该项信息")),
    Sw3Code(0x10, "checksum error", ReaderProtocolError, N_("读卡出错，请重新放置身份证")),
    Sw3Code(0x11, "length error", ReaderProtocolError, N_("读卡出错，请重新放置身份证")),
    Sw3Code(0x21, "command error", ReaderProtocolError, N_("读卡出错，请重新放置身份证")),
    Sw3Code(
        0x23,
        "unauthorised operation",
        SamFault,
        N_("读卡器故障，请联系工作人员"),
        DeviceState.HWERROR,
    ),
    Sw3Code(0x24, "unknown error", SamFault, N_("读卡器故障，请联系工作人员"), DeviceState.HWERROR),
    Sw3Code(0x31, "card failed to authenticate the SAM", CardReadFailed, N_("请重新放置身份证")),
    Sw3Code(
        0x32,
        "SAM failed to authenticate the card",
        CardNotGenuine,
        N_("无法验证此证件，请换一张身份证或联系工作人员"),
    ),
    Sw3Code(0x33, "data verification failed", CardReadFailed, N_("请重新放置身份证")),
    Sw3Code(0x40, "wrong card type", WrongCardType, N_("这不是身份证，请放置身份证")),
    Sw3Code(SW3_READ_FAILED, "read failed", CardReadFailed, N_("请重新放置身份证")),
    Sw3Code(0x47, "random-number fetch failed", CardReadFailed, N_("请重新放置身份证")),
    Sw3Code(
        0x60,
        "SAM self-test failed",
        SamFault,
        N_("读卡器故障，请联系工作人员"),
        DeviceState.HWERROR,
    ),
    Sw3Code(
        0x66,
        "SAM not authorised",
        SamFault,
        N_("读卡器未授权，请联系工作人员"),
        DeviceState.HWERROR,
    ),
    Sw3Code(SW3_NO_CARD, "find failed (no card)", NoCard, N_("请将身份证放在读卡区")),
    Sw3Code(SW3_SELECT_FAILED, "select failed", CardReadFailed, N_("请重新放置身份证")),
)

SW3_CODES: dict[int, Sw3Code] = {c.code: c for c in _CODES}


def error_for_sw3(sw3: int, command: str) -> DeviceError:
    """The exception for a non-success SW3 answered to ``command``.

    Unknown codes become :class:`SamFault` with the raw code kept, so a new
    firmware's code is never mistaken for success.
    """
    entry = SW3_CODES.get(sw3)
    if entry is None:
        return SamFault(f"{command}: unknown SW3 0x{sw3:02X}", code=sw3)
    return entry.error(
        f"{command}: SW3 0x{sw3:02X} {entry.meaning}",
        user_message=entry.user_message,
        code=sw3,
    )


def health_for_sw3(sw3: int) -> DeviceState:
    """The reader state a status code implies (HWERROR for SAM faults)."""
    entry = SW3_CODES.get(sw3)
    return entry.health if entry is not None else DeviceState.HWERROR
