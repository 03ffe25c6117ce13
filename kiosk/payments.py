"""The screens' face of the payment flows until they ask the flows themselves.

The payment logic lives in :mod:`kiosk.flows.payments` (the hub's routes),
:mod:`kiosk.flows.payment_order` (one order, journaled step by step) and
:mod:`kiosk.flows.payment_recovery` (start-up recovery). Here the screens
(pay.py, pay_run.py) still find them with the hub's answers as JSON-shaped
dicts: :class:`PaymentsApi` and :class:`PaymentFlow` are thin adapters over
the typed flow. This module goes when the screens switch to the flows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kiosk.flows import payment_recovery
from kiosk.flows.payment_order import (
    JOURNAL_KIND,
    MICROPAY_LIMIT_S,
    NATIVE_LIMIT_S,
    POLL_INTERVAL_S,
    PaymentOrder,
    Record,
)
from kiosk.flows.payment_recovery import NOT_CREATED, Recovered, unfinished_orders
from kiosk.flows.payments import (
    FINAL_STATUSES,
    PaymentNotStarted,
    Payments,
    new_idempotency_key,
)
from kiosk.hub_client.models import Order
from kiosk.services import ServiceGateway, as_dict

__all__ = [
    "FINAL_STATUSES",
    "JOURNAL_KIND",
    "MICROPAY_LIMIT_S",
    "NATIVE_LIMIT_S",
    "NOT_CREATED",
    "POLL_INTERVAL_S",
    "PaymentFlow",
    "PaymentNotStarted",
    "PaymentsApi",
    "Recovered",
    "new_idempotency_key",
    "recover_unfinished",
    "start_recovery",
    "unfinished_orders",
]

View = dict[str, Any]


class PaymentsApi:
    """The hub's payment routes with dict answers. Every call blocks."""

    def __init__(self, gateway: ServiceGateway) -> None:
        self.gateway = gateway

    @property
    def payments(self) -> Payments:
        return self.gateway.flows.payments

    def check_reachable(self) -> None:
        self.payments.check_reachable()

    def quote(self, id_numbers: list[str], item: str | None = None) -> View:
        return as_dict(self.payments.quote(id_numbers, item))

    def create(
        self,
        *,
        key: str,
        item: str,
        payer_id_numbers: list[str],
        method: str,
        auth_code: str | None,
    ) -> View:
        order = self.payments.create(
            key=key,
            item=item,
            payer_id_numbers=payer_id_numbers,
            method=method,
            auth_code=auth_code,
        )
        return as_dict(order)

    def lookup(self, key: str) -> View:
        return as_dict(self.payments.lookup(key))

    def order(self, order_no: str) -> View:
        return as_dict(self.payments.order(order_no))

    def cancel(self, order_no: str) -> View:
        return as_dict(self.payments.cancel(order_no))

    def sandbox_pay(self, order_no: str) -> View:
        return as_dict(self.payments.sandbox_pay(order_no))


def _dicts(work: Callable[[], Any]) -> Callable[[], View]:
    return lambda: as_dict(work())


class PaymentFlow:
    """A :class:`~kiosk.flows.payment_order.PaymentOrder` whose works return, and
    whose :meth:`apply` and :attr:`view` take, the hub's answers as dicts."""

    def __init__(
        self, api: PaymentsApi, record: Record, item: str, payer_count: int, method: str
    ) -> None:
        self.order = PaymentOrder(api.payments, record, item, payer_count, method)

    @property
    def key(self) -> str:
        return self.order.key

    @property
    def order_no(self) -> str | None:
        return self.order.order_no

    @property
    def status(self) -> str:
        return self.order.status

    @property
    def final(self) -> bool:
        return self.order.final

    @property
    def cancel_sent(self) -> bool:
        return self.order.cancel_sent

    @property
    def last_query_at(self) -> float:
        return self.order.last_query_at

    @last_query_at.setter
    def last_query_at(self, value: float) -> None:
        self.order.last_query_at = value  # the demo's phone paid: ask at the next tick

    @property
    def view(self) -> View:
        return as_dict(self.order.view) if self.order.view is not None else {}

    def begin_create(
        self, payer_id_numbers: list[str], now: float, auth_code: str | None = None
    ) -> Callable[[], View]:
        return _dicts(self.order.begin_create(payer_id_numbers, now, auth_code))

    def poll_due(self, now: float) -> bool:
        return self.order.poll_due(now)

    def over_limit(self, now: float) -> bool:
        return self.order.over_limit(now)

    def begin_query(self, now: float) -> Callable[[], View]:
        return _dicts(self.order.begin_query(now))

    def begin_cancel(self, now: float) -> Callable[[], View]:
        return _dicts(self.order.begin_cancel(now))

    def begin_sandbox_pay(self) -> Callable[[], View]:
        return _dicts(self.order.begin_sandbox_pay())

    def apply(self, view: Mapping[str, Any]) -> None:
        self.order.apply(Order.model_validate(view))


def recover_unfinished(
    gateway: ServiceGateway, journal_records: Iterable[Any], **options: Any
) -> list[Recovered]:
    """:func:`kiosk.flows.payment_recovery.recover_unfinished` over the gateway's flows."""
    return payment_recovery.recover_unfinished(gateway.flows.payments, journal_records, **options)


def start_recovery(
    gateway: ServiceGateway,
    journal_records: Callable[[], Iterable[Any]],
    record: Record,
    **options: Any,
) -> Callable[[], None]:
    """:func:`kiosk.flows.payment_recovery.start_recovery` over the gateway's flows."""
    return payment_recovery.start_recovery(
        gateway.flows.payments, journal_records, record, **options
    )
