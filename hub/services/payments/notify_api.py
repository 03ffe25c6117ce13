"""The channels' notification routes: ``POST /payments/notify/{channel}``.

Called by WeChat Pay (or Alipay), not by a terminal: no terminal credential,
the provider's signature is the credential and is verified before anything
else. A forged notification is refused and alerted, never acted on; a
verified one is applied idempotently (duplicates and late arrivals change
nothing) and answered as the provider expects.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from hub.services.context import ServiceContext
from hub.services.errors import Conflict, NotFound
from hub.services.payments.alerts import AlertingChannel, PaymentAlerts
from hub.services.payments.provider import ForgedMessage, ProviderError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/payments/notify", tags=["payments"])
MAX_BODY = 64 * 1024  # a notification is a few hundred bytes


_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Alipay: the body says success (accepted) or failure (retry)",
        "content": {"text/plain": {}},
    },
    204: {"description": "WeChat Pay: accepted"},
    400: {"description": 'WeChat Pay: refused ({"code": "FAIL"}), e.g. a forged signature'},
    404: {"description": "this channel is not the hub's payment channel"},
    413: {"description": "larger than any notification"},
}


@router.post(
    "/{channel}",
    summary="A payment channel's signed notification",
    status_code=200,
    responses=_ANSWERS,
)
async def notify(channel: Literal["wechat", "alipay"], request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return Response(status_code=413)
    headers = {k.lower(): v for k, v in request.headers.items()}
    ctx: ServiceContext = request.app.state.services
    status, payload, media = await run_in_threadpool(handle, ctx, channel, headers, body)
    return Response(payload, status_code=status, media_type=media)


def handle(
    ctx: ServiceContext, channel: str, headers: dict[str, str], body: bytes
) -> tuple[int, bytes, str]:
    """Verify, then apply one notification; the HTTP answer."""
    provider = ctx.payments.provider
    if not isinstance(provider, AlertingChannel) or provider.name != channel:
        return 404, b'{"code":"NOT_FOUND","message":"no such channel"}', "application/json"
    try:
        event = provider.notification(headers, body)
    except ForgedMessage:
        return provider.notification_answer(False)  # alerted by AlertingChannel
    except (ProviderError, ValueError, KeyError, TypeError):
        log.warning("%s notification unreadable; refused", channel)
        return provider.notification_answer(False)
    if event is None:
        return provider.notification_answer(True)
    alerts: PaymentAlerts = provider.alerts
    try:
        ctx.payments.apply_event(event)
    except NotFound:
        alerts.raise_(channel, "unknown_order", event.order_no)
    except Conflict:
        alerts.raise_(channel, "amount_mismatch", event.order_no, f"{event.amount_fen}")
    except ProviderError:
        return provider.notification_answer(False)  # a step failed: the provider retries
    return provider.notification_answer(True)
