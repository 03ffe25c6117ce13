"""The terminal's error root: every error of its own has words for the person,
and words_for speaks any exception — the terminal's, a device's, or a bug."""

from __future__ import annotations

import pytest

from drivers.errors import DeviceError, PaperOut
from kiosk.errors import KioskError, words_for
from kiosk.flows.payments import HubUnavailable as FlowsHubUnavailable
from kiosk.flows.payments import PaymentNotStarted
from kiosk.hub_client import (
    EnrolmentRefused,
    HubBadReply,
    HubCertificateError,
    HubConfigError,
    HubError,
    HubRefused,
    HubStatusError,
    HubUnavailable,
    NotEnrolled,
)
from kiosk.i18n import Translator
from kiosk.journal import JournalError, JournalFull
from kiosk.outbox import HubRefused as OutboxHubRefused
from kiosk.outbox import HubUnavailable as OutboxHubUnavailable
from kiosk.recording import JournalUnavailable

ZH = Translator("zh_CN")
EN = Translator("en")
UNREACHABLE = "暂时无法连接服务中心，请稍后再试或联系工作人员"


def test_the_terminal_has_one_hub_unavailable() -> None:
    # The outbox and the flows catch the hub client's own class (tests/test_layering.py
    # checks that no other module defines one).
    assert OutboxHubUnavailable is FlowsHubUnavailable is HubUnavailable
    assert OutboxHubRefused is HubRefused


@pytest.mark.parametrize(
    "error",
    [
        HubUnavailable("ConnectionError"),
        NotEnrolled("not yet"),
        HubCertificateError("rogue"),
        HubStatusError("hub answered 502", 502),
        HubBadReply("not JSON"),
        EnrolmentRefused("used code"),
    ],
)
def test_no_usable_answer_is_told_as_an_unreachable_hub(error: HubUnavailable) -> None:
    assert isinstance(error, KioskError)
    assert words_for(error, ZH) == UNREACHABLE
    assert words_for(error, EN).startswith("Cannot reach the service centre")


def test_each_error_of_the_terminal_has_its_own_words() -> None:
    not_started = words_for(PaymentNotStarted("down"), ZH)
    assert not_started.startswith("暂时无法连接服务中心，为保证资金安全")
    assert words_for(JournalFull("disk full"), ZH) == JournalFull.user_message
    assert words_for(JournalError("broken"), EN) == EN(JournalError.user_message)
    assert words_for(HubConfigError("bad url"), ZH) == "出现了问题，请稍后再试或联系工作人员"
    refused = HubRefused()
    assert isinstance(refused, HubError) and not isinstance(refused, HubUnavailable)
    assert words_for(refused, ZH) == "服务中心暂时无法办理，请稍后再试或联系工作人员"


def test_the_hub_s_words_are_kept_where_they_are_meant_for_the_person() -> None:
    busy = "该业务已在办理中，请勿重复提交"
    assert words_for(HubError(409, busy), ZH) == busy
    # The hub's sentences are msgids: the English catalogue translates them.
    assert words_for(HubError(404, "未找到该订单"), EN) == "Order not found"
    assert words_for(HubError(404, ""), ZH) == "没有查到您的记录"
    assert words_for(HubError(403, "terminal not allowed"), ZH) == (
        "服务中心暂时无法办理，请稍后再试或联系工作人员"
    )


def test_a_device_error_and_anything_else() -> None:
    assert words_for(PaperOut(), ZH) == "打印机缺纸，暂时无法打印"
    unavailable = JournalUnavailable("x", user_message=JournalFull.user_message)
    assert isinstance(unavailable, DeviceError)
    assert words_for(unavailable, ZH) == JournalFull.user_message
    assert words_for(ValueError("id 410225194103152422"), ZH) == (
        "出现了问题，请稍后再试或联系工作人员"
    )
    assert words_for(KeyError("x"), EN).startswith("Something went wrong.")


def test_an_error_may_carry_its_own_words_and_keeps_its_detail_for_logs() -> None:
    error = KioskError("scanner port busy", user_message="请稍后再试")
    assert error.detail == "scanner port busy" and str(error) == "scanner port busy"
    assert error.message_for(ZH) == "请稍后再试"
    assert KioskError().message_for(ZH) == "出现了问题，请稍后再试或联系工作人员"
