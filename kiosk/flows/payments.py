"""The hub's payment routes, by purpose (specs/payments-and-privacy.md §Payments).

The hub does the provider protocol (hub/services/payments/service.py); the
terminal asks for a quote, creates an order with an idempotency key, and
follows it: ``GET /payments/orders/{no}`` steps an order one step towards a
final state. The order's life at the terminal is :mod:`kiosk.flows.payment_order`;
start-up recovery is :mod:`kiosk.flows.payment_recovery`.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from kiosk.flows.api import (
    PAYMENT_LOOKUP,
    PAYMENT_ORDERS,
    PAYMENT_QUOTE,
    SANDBOX_PAY,
    TOPICS,
    service_path,
)
from kiosk.flows.person import PersonSession
from kiosk.hub_client import HubClient, HubUnavailable
from kiosk.hub_client.models import Order, Quote, QuotePerson, SandboxPayment, TopicList
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.session import Identity

FINAL_STATUSES = frozenset({"PAID", "CLOSED", "REVOKED", "REFUNDED", "FAILED"})
PayMethod = Literal["native", "micropay"]


class PaymentNotStarted(HubUnavailable):
    """The hub did not answer before the order was sent: nothing was created or charged."""

    user_message = N_(
        "暂时无法连接服务中心，为保证资金安全，现在不能缴费。您没有被扣款，请稍后再试或到窗口缴费"
    )


def new_idempotency_key() -> str:
    """24 base32 characters (120 random bits). Letters and 2–7 only, so the
    journal's personal-data guard (16+ digit runs) can never mistake it."""
    return "pay-" + base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


@dataclass
class PaymentPlan:
    """What the person chose to pay after a quote: one item, for those who owe.

    Kept in the session between the confirm and pay screens (wiped with it);
    ``payer_ids`` are the payers' ID numbers, in the order of ``payers``, and
    stay out of ``repr``.
    """

    item: str
    item_name: str
    year: int
    payers: list[QuotePerson]
    payer_ids: list[str] = field(repr=False)
    without_receipt: bool = False
    """The printer could not print: the person chose to pay without a receipt."""

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.payers)

    @classmethod
    def from_quote(cls, quote: Quote, id_numbers: list[str]) -> PaymentPlan:
        """The payers of ``quote`` who owe; ``id_numbers`` in the order the quote was asked."""
        owing = [(n, p) for n, p in zip(id_numbers, quote.persons, strict=False) if p.payable]
        return cls(
            item=quote.item,
            item_name=quote.item_name,
            year=quote.year,
            payers=[p for _, p in owing],
            payer_ids=[n for n, _ in owing],
        )


class Payments:
    """Every call blocks (run it on a task) and raises
    :class:`~kiosk.hub_client.HubUnavailable` (no answer: the outcome of a
    create is then unknown) or :class:`~kiosk.hub_client.HubError` (refused,
    with the hub's words)."""

    def __init__(self, client: HubClient, person: PersonSession | None = None) -> None:
        self.client = client
        # Without one (start-up recovery follows orders by number only), no quote
        # or order can be made: there is no card, so no person session.
        self.person = person or PersonSession(client, lambda: None)

    def check_reachable(self) -> None:
        """Raise :class:`~kiosk.hub_client.HubUnavailable` unless the hub answers now
        (no payment starts while it is unreachable)."""
        self.client.call(TopicList, "GET", service_path(TOPICS))

    def quote(self, identity: Identity, family: list[str], item: str | None = None) -> Quote:
        """The amount for the card holder (first) and the family members whose ID
        numbers were typed (masked name and amount only); ``item`` defaults to the
        hub's current payable (城乡居民医保 of the coming year)."""
        body: dict[str, Any] = {
            "person_session": self.person.handle(identity),
            "family_id_numbers": family,
        }
        if item:
            body["item"] = item
        return self.client.call(Quote, "POST", service_path(PAYMENT_QUOTE), body)

    def create(
        self,
        *,
        key: str,
        item: str,
        identity: Identity,
        payer_id_numbers: list[str],
        method: PayMethod | str,
        auth_code: str | None,
    ) -> Order:
        """Create an order in the card holder's person session (once per ``key``: the
        same key replays the first answer). ``auth_code`` is the scanned payment
        code for ``micropay``; never logged."""
        body = {
            "idempotency_key": key,
            "item": item,
            "person_session": self.person.handle(identity),
            "payer_id_numbers": payer_id_numbers,
            "method": method,
            "auth_code": auth_code,
        }
        return self.client.call(Order, "POST", service_path(PAYMENT_ORDERS), body)

    def lookup(self, key: str) -> Order:
        """The order the hub created with idempotency key ``key``; HubError 404 if
        the create never reached it. A read: the order is not stepped."""
        body = {"idempotency_key": key}
        return self.client.call(Order, "POST", service_path(PAYMENT_LOOKUP), body)

    def order(self, order_no: str) -> Order:
        """The order now (the hub queries the provider and moves it on)."""
        return self.client.call(Order, "GET", service_path(PAYMENT_ORDERS, order_no))

    def cancel(self, order_no: str) -> Order:
        """Cancel (close, or reverse a micropay); HubError 409 if it got paid meanwhile."""
        path = service_path(PAYMENT_ORDERS, order_no, "cancel")
        return self.client.call(Order, "POST", path, {})

    def sandbox_pay(self, order_no: str) -> SandboxPayment:
        """Demo only: the hub's sandbox provider plays the customer's phone."""
        path = service_path(SANDBOX_PAY, order_no)
        return self.client.call(SandboxPayment, "POST", path, {})
