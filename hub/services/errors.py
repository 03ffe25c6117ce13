"""The service side's one error tree, translated to HTTP at the boundary.

``detail`` is a plain Chinese sentence (a gettext msgid) the terminal shows
and speaks; it never contains an ID number, card number or payment code.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from protocol.i18n import N_


class ServiceError(Exception):
    """A request the services cannot fulfil; ``status`` is the HTTP status."""

    status = 400
    default_detail = N_("请求无法处理，请联系工作人员")

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class BadRequest(ServiceError):
    """The request is well-formed JSON but cannot be accepted as asked."""

    status = 400


class NotFound(ServiceError):
    """The person, item, order or record does not exist."""

    status = 404
    default_detail = N_("未查询到相关信息")


class Forbidden(ServiceError):
    """This terminal may not do this (another service point's queue, …)."""

    status = 403
    default_detail = N_("本终端不能办理此项业务，请联系工作人员")


class TooManyRequests(ServiceError):
    """This terminal asked too often in a short time; it may ask again later."""

    status = 429
    default_detail = N_("操作过于频繁，请稍后再试")


class Conflict(ServiceError):
    """The request clashes with the current state (already applied, key reused …)."""

    status = 409
    default_detail = N_("该业务已在办理中，请勿重复提交")


class UpstreamUnavailable(ServiceError):
    """A provider (social insurance, payment) did not answer; try again later."""

    status = 503
    default_detail = N_("业务系统暂时繁忙，请稍后再试")


class ErrorOut(BaseModel):
    """The body of every 4xx/5xx the services raise themselves."""

    detail: str = Field(description="a Chinese sentence to show and speak")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Cannot be done as asked"},
    403: {
        "model": ErrorOut,
        "description": "No live person session, card not confirmed, or not this terminal's"
        " service point",
    },
    404: {"model": ErrorOut, "description": "Person, item, order or record not found"},
    409: {"model": ErrorOut, "description": "Clashes with the current state or a reused key"},
    429: {
        "model": ErrorOut,
        "description": "This terminal asked too often (tickets) or is over its person-session"
        " quota; try again later",
    },
    503: {"model": ErrorOut, "description": "A provider is unavailable; try again later"},
}


def install_error_handler(app: FastAPI) -> None:
    """Render :class:`ServiceError` as ``{"detail": ...}`` with its status."""

    async def _handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        return JSONResponse(status_code=exc.status, content={"detail": exc.detail})

    app.add_exception_handler(ServiceError, _handle)


def _scrub(errors: Sequence[Any]) -> list[dict[str, Any]]:
    # pydantic echoes the offending value as "input": that may be an ID number
    # or a payment code, which must not travel back or reach any log in full.
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]


class ServiceRoute(APIRoute):
    """Routes of the service API: validation errors (422) without the submitted values."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse(status_code=422, content={"detail": _scrub(exc.errors())})

        return route
