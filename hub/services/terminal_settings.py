"""``GET /api/v1/services/terminal-settings``: what this hub offers terminals.

Fetched by the kiosk at start and with each catalogue reload (like the
catalogue, it answers only enrolled terminals: the service API's credential
check guards it). Today it says whether payments are on:

- ``payments.enabled`` false (``payment_provider = "none"``): the kiosk hides
  缴费 and shows and speaks ``payments.pay_elsewhere`` (the sentence
  ``pay_elsewhere_notice`` configures, in Chinese and English) instead; the
  payment routes refuse with the same sentence (409).
- ``payments.channel``: the configured channel (``sandbox`` in the demo, later
  a real adapter's name); null while payments are off.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hub.deps import get_settings
from hub.services.errors import Conflict, ServiceRoute
from hub.settings import HubSettings

router = APIRouter(route_class=ServiceRoute, tags=["terminal settings"])
Settings = Annotated[HubSettings, Depends(get_settings)]


class Notice(BaseModel):
    zh: str = Field(description="in Chinese: shown and spoken first")
    en: str = Field(description="in English, for the English interface")


class PaymentsOut(BaseModel):
    enabled: bool = Field(description="whether the terminal may offer 缴费")
    channel: str | None = Field(description="the payment channel; null while payments are off")
    pay_elsewhere: Notice | None = Field(
        description="while payments are off: where people pay instead; null otherwise"
    )


class TerminalSettingsOut(BaseModel):
    payments: PaymentsOut


def payments_of(settings: HubSettings) -> PaymentsOut:
    if settings.payments_enabled:
        return PaymentsOut(enabled=True, channel=settings.payment_provider, pay_elsewhere=None)
    return PaymentsOut(
        enabled=False,
        channel=None,
        pay_elsewhere=Notice(zh=settings.pay_elsewhere_notice, en=settings.pay_elsewhere_notice_en),
    )


@router.get(
    "/terminal-settings",
    response_model=TerminalSettingsOut,
    summary="What this hub offers terminals (payments on or off, where to pay instead)",
)
def terminal_settings(settings: Settings) -> TerminalSettingsOut:
    return TerminalSettingsOut(payments=payments_of(settings))


class PaymentsOff(Conflict):
    """This hub takes no payments (``payment_provider = "none"``); the detail is
    the configured sentence saying where to pay instead."""


def require_payments(settings: Settings) -> None:
    """Dependency of the payment routes that start something: 409 while payments are off."""
    if not settings.payments_enabled:
        raise PaymentsOff(settings.pay_elsewhere_notice)
