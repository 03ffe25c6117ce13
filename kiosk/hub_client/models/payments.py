"""Payment quotes and orders (hub/services/payments/views.py, api.py)."""

from __future__ import annotations

from kiosk.hub_client.models.base import HubReply, Printable

# --- payments (hub/services/payments/views.py, api.py) --------------------------------------


class QuotePerson(HubReply):
    person_ref: str
    name_masked: str
    id_masked: str
    amount_fen: int
    payable: bool
    status_text: str


class Quote(HubReply):
    """QuoteOut: the amount per person for one payable item."""

    item: str
    item_name: str
    year: int
    persons: list[QuotePerson]
    total_fen: int


class Payer(HubReply):
    person_ref: str
    name_masked: str
    id_masked: str
    amount_fen: int


class Order(HubReply):
    """OrderOut: one payment order as the hub sees it now."""

    order_no: str
    item: str
    item_name: str
    method: str
    amount_fen: int
    status: str
    status_text: str
    final: bool
    qr_payload: str | None
    """For a native (QR) order while waiting: what the QR encodes."""
    payers: list[Payer]
    refunded_fen: int
    message: str | None
    """Why it failed, in Chinese, when it did."""
    created_at: str
    pay_before: str
    printable: Printable | None
    """The 缴费凭证, once PAID."""


class SandboxPayment(HubReply):
    """Demo only: what the sandbox's simulated phone did."""

    order_no: str
    trade_state: str
