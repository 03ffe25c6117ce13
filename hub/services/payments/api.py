"""Routes: quotes, orders (create / query / cancel / lookup by key) and the sandbox's
simulated phone.

``sandbox_router`` is mounted only when the hub runs the sandbox provider
(``HubSettings.payment_provider = "sandbox"``): a hub with a real channel has
no route that pays an order without money (see :func:`hub.services.api.on_startup`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, Field

from hub.services.context import CallingTerminal, Ctx
from hub.services.errors import NotFound, ServiceRoute
from hub.services.payments.sandbox import SandboxPaymentProvider
from hub.services.payments.service import MAX_PAYERS, OrderRequest
from hub.services.payments.views import OrderOut, QuoteOut
from hub.services.person_sessions import Handle
from hub.services.schemas import IdNumber
from hub.services.terminal_settings import require_payments
from protocol.i18n import N_

router = APIRouter(route_class=ServiceRoute, prefix="/payments", tags=["payments"])
sandbox_router = APIRouter(route_class=ServiceRoute, prefix="/payments", tags=["payments"])
OrderNo = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,32}$")]
DEFAULT_PAYABLE = "resident_medical_2027"


class QuoteIn(BaseModel):
    person_session: Handle = Field(description="the person at the terminal")
    family_id_numbers: list[IdNumber] = Field(
        default_factory=list,
        max_length=MAX_PAYERS - 1,
        description="typed for family members; answered with a masked name and the amount only",
    )
    item: str = Field(DEFAULT_PAYABLE, max_length=64)


class OrderIn(BaseModel):
    idempotency_key: str = Field(min_length=8, max_length=128)
    item: str = Field(max_length=64, description="payable code, e.g. resident_medical_2027")
    person_session: Handle = Field(description="the person at the terminal (a payer or not)")
    payer_id_numbers: list[IdNumber] = Field(
        min_length=1,
        max_length=MAX_PAYERS,
        description="the session's person and family members typed in the same session",
    )
    method: Literal["native", "micropay"]
    auth_code: str | None = Field(
        None, pattern=r"^\d{16,24}$", description="付款码 (micropay only); never logged"
    )


class OrderLookupIn(BaseModel):
    idempotency_key: str = Field(min_length=8, max_length=128)


class SandboxPayOut(BaseModel):
    order_no: str
    trade_state: str


# While payment_provider = "none", starting a payment is refused (409, with the
# sentence saying where to pay); orders that exist can still be followed.
_PAYMENTS_ON = [Depends(require_payments)]


@router.post(
    "/quote", response_model=QuoteOut, summary="Amount per person", dependencies=_PAYMENTS_ON
)
def quote(body: QuoteIn, ctx: Ctx, terminal: CallingTerminal) -> QuoteOut:
    # Family numbers are looked up only inside a live person session of this
    # terminal, and answered with a masked name and the amount due (issue 13).
    person = ctx.person(terminal, body.person_session).person
    quoted = ctx.payments.quote(body.item, [person.id_number, *body.family_id_numbers])
    for family in quoted.persons[1:]:
        family.person_ref = family.id_masked = ""
    return quoted


@router.post(
    "/orders",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create an order; the same idempotency_key replays the first response",
    dependencies=_PAYMENTS_ON,
)
def create_order(body: OrderIn, ctx: Ctx, terminal: CallingTerminal) -> Any:
    session = ctx.person(terminal, body.person_session)
    return ctx.payments.create_order(
        OrderRequest(
            idempotency_key=body.idempotency_key,
            item=body.item,
            payer_id_numbers=body.payer_id_numbers,
            method=body.method,
            auth_code=body.auth_code,
            terminal_id=terminal.id,
            person_session_id=session.session_id,
        )
    )


@router.post(
    "/orders/lookup",
    response_model=OrderOut,
    summary="The order created with an idempotency_key (404 if none); does not step it",
)
def lookup_order(body: OrderLookupIn, ctx: Ctx, terminal: CallingTerminal) -> OrderOut:
    """For a terminal whose create never got an answer: did the hub make the order?

    A pure read: the terminal then follows the order by number (query, cancel).
    Only the terminal's own orders: another's is "not found", like none.
    """
    return ctx.payments.find_by_key(body.idempotency_key, terminal_id=terminal.id)


# Reading and cancelling are scoped to the terminal, not to the person session:
# a terminal that restarts after a crash must still bring its open orders to a
# final state (kiosk/flows/payment_recovery.py) when no session is alive.
@router.get("/orders/{order_no}", response_model=OrderOut, summary="Order status (queries)")
def get_order(order_no: OrderNo, ctx: Ctx, terminal: CallingTerminal) -> OrderOut:
    ctx.payments.check_owner(order_no, terminal.id)
    return ctx.payments.get_order(order_no)


@router.post("/orders/{order_no}/cancel", response_model=OrderOut, summary="Cancel / reverse")
def cancel_order(order_no: OrderNo, ctx: Ctx, terminal: CallingTerminal) -> OrderOut:
    ctx.payments.check_owner(order_no, terminal.id)
    return ctx.payments.cancel(order_no)


@sandbox_router.post(
    "/sandbox/pay/{order_no}",
    response_model=SandboxPayOut,
    summary="Demo only: the simulated phone pays a native QR",
)
def sandbox_pay(order_no: OrderNo, ctx: Ctx, terminal: CallingTerminal) -> SandboxPayOut:
    ctx.payments.check_owner(order_no, terminal.id)
    provider = ctx.payments.provider
    if not isinstance(provider, SandboxPaymentProvider) or not provider.has_trade(order_no):
        raise NotFound(N_("未找到该订单"))
    return SandboxPayOut(order_no=order_no, trade_state=str(provider.pay(order_no)))
