"""What the hub offers this terminal (hub/services/terminal_settings.py)."""

from __future__ import annotations

from kiosk.hub_client.models.base import HubReply, Kept


class PayElsewhere(HubReply):
    """``Notice``: where people pay while this hub takes no payments, as the
    county configured it (``pay_elsewhere_notice``), in Chinese and English."""

    zh: str
    en: str


class PaymentSettings(HubReply):
    """``PaymentsOut``."""

    enabled: bool
    channel: str | None = None
    pay_elsewhere: PayElsewhere | None = None


class TerminalSettings(Kept):
    """``TerminalSettingsOut``; kept on disk like the catalogue, so a terminal
    started while the hub is away still knows whether it may offer 缴费."""

    payments: PaymentSettings
