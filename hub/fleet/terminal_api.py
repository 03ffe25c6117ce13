"""The terminal API, ``/api/v1/terminal/...`` (DESIGN §5). The bodies are the
shared vocabulary's models (``protocol``), the same the kiosk's agent builds.

Bodies are read with a size cap and parsed here rather than by FastAPI so an
oversized body is refused with 413 before it is buffered whole, and
malformed JSON gives 400 / invalid fields 422 — never 500.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from hub.fleet import commands, ingest
from hub.fleet.auth import TerminalIdentity, bearer_token_hash, current_terminal
from hub.fleet.state import FleetState, get_fleet
from protocol.commands import CommandAck
from protocol.events import EventBatch, JournalBatch
from protocol.heartbeat import HEARTBEAT_PATH, INT32_MAX, Heartbeat

router = APIRouter(prefix="/api/v1/terminal", tags=["terminal"])

MAX_JSON_BYTES = 1 * 1024 * 1024
MAX_SCREENSHOT_BYTES = 5 * 1024 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

ModelT = TypeVar("ModelT", bound=BaseModel)
Terminal = Annotated[TerminalIdentity, Depends(current_terminal)]
Fleet = Annotated[FleetState, Depends(get_fleet)]


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HTTPException(413, detail=f"body larger than {limit} bytes")
        except ValueError:
            raise HTTPException(400, detail="bad Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, detail=f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_body(request: Request, model: type[ModelT]) -> ModelT:
    """Validate a JSON body against ``model``: 413 too large, 400 not JSON, 422 invalid."""
    raw = await read_capped(request, MAX_JSON_BYTES)
    try:
        # pydantic's own JSON parser: no intermediate dicts (benchmarked path).
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise HTTPException(400, detail="body is not valid JSON") from None
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise HTTPException(422, detail=errors) from None


@router.post("/enrol", summary="Enrol with a one-time code → {terminal_id, token}")
async def enrol(request: Request, fleet: Fleet) -> JSONResponse:
    body = await parse_body(request, ingest.EnrolIn)
    try:
        enrolled = await run_in_threadpool(ingest.enrol, fleet.engine, body)
    except ingest.EnrolmentRefused as exc:
        # Audited: a run of refusals is someone guessing codes (the code itself
        # is not kept: it may be a real one mistyped).
        await run_in_threadpool(
            fleet.audit_system,
            "terminal_enrol_failed",
            "",
            f"{exc}; {body.name} ({body.place.county}/{body.place.town}/{body.place.village})",
            "failed",
            request.client.host if request.client else "",
        )
        raise HTTPException(403, detail=f"enrolment refused: {exc}") from None
    await run_in_threadpool(
        fleet.audit_system,
        "terminal_enrol",
        f"terminal:{enrolled.terminal_id}",
        f"{body.name} ({body.place.county}/{body.place.town}/{body.place.village})",
    )
    return JSONResponse({"terminal_id": enrolled.terminal_id, "token": enrolled.token})


@router.post("/key", status_code=204, summary="Replace this terminal's signing key")
async def rekey(request: Request, terminal: Terminal, fleet: Fleet) -> Response:
    """The terminal made a new Ed25519 key (a first one, or a rotation): requests
    carrying card evidence must be signed with it from now on. Authenticated by
    the terminal credential; audited."""
    body = await parse_body(request, ingest.SigningKeyIn)
    await run_in_threadpool(ingest.set_signing_key, fleet.engine, terminal.id, body.public_key)
    await run_in_threadpool(
        fleet.audit_system,
        "terminal_signing_key",
        f"terminal:{terminal.id}",
        f"{terminal.name}: signing key replaced",
        "ok",
        request.client.host if request.client else "",
    )
    return Response(status_code=204)


async def heartbeat(request: Request) -> JSONResponse:
    """``POST /heartbeat`` → ``{ok, next_interval_s, commands_pending}``.

    A plain Starlette route: FastAPI's dependency solving costs about a fifth
    of a heartbeat (bench/hub_heartbeats.py), so authentication is called
    directly. It is therefore absent from the OpenAPI document.
    """
    token_hash = bearer_token_hash(request)
    fleet: FleetState = request.app.state.fleet
    body = await parse_body(request, Heartbeat)
    # Fast path inline on the event loop: one prepared UPDATE, found by the
    # token hash, on the process's own connection (fastpath.py). Anything else
    # (unknown token, changed condition) is authenticated and takes the full
    # path in a worker thread.
    fast = await fleet.fast_heartbeat.write(token_hash, body)
    if fast is not None:
        pending = fast[1]
    else:
        terminal = await current_terminal(request)
        pending, payloads = await run_in_threadpool(
            ingest.record_heartbeat, fleet.engine, terminal.id, body
        )
        fleet.send_webhooks(payloads)
    return JSONResponse(
        {
            "ok": True,
            "next_interval_s": fleet.settings.heartbeat_interval_s,
            "commands_pending": pending,
        }
    )


def heartbeat_route() -> Route:
    """The heartbeat as a plain route; :func:`hub.fleet.setup` puts it first in
    the application's route table (it is most of the hub's traffic, and
    matching it after every other route cost ~10 % of a heartbeat)."""
    return Route(HEARTBEAT_PATH, heartbeat, methods=["POST"], include_in_schema=False)


@router.get("/commands", summary="Long-poll: [{id, kind, args}] as soon as queued, or []")
async def get_commands(
    terminal: Terminal,
    fleet: Fleet,
    wait: Annotated[float, Query(ge=0, le=commands.MAX_WAIT_S)] = 25.0,
) -> JSONResponse:
    found = await commands.long_poll(fleet.engine, fleet.bus, terminal.id, wait)
    return JSONResponse(found)


@router.post("/commands/{command_id}/ack", status_code=204, summary="Outcome of a command")
async def ack_command(
    command_id: Annotated[int, Path(ge=1, le=INT32_MAX)],
    request: Request,
    terminal: Terminal,
    fleet: Fleet,
) -> Response:
    body = await parse_body(request, CommandAck)
    found = await run_in_threadpool(
        commands.ack_command, fleet.engine, terminal.id, command_id, body.ok, body.result
    )
    if not found:
        raise HTTPException(404, detail="no such command for this terminal")
    return Response(status_code=204)


@router.post("/screenshot", status_code=204, summary="Latest screenshot (PNG body)")
async def screenshot(request: Request, terminal: Terminal, fleet: Fleet) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "image/png":
        raise HTTPException(415, detail="content-type must be image/png")
    png = await read_capped(request, MAX_SCREENSHOT_BYTES)
    if not png.startswith(_PNG_MAGIC):
        raise HTTPException(400, detail="body is not a PNG image")
    await run_in_threadpool(ingest.store_screenshot, fleet.engine, terminal.id, png)
    return Response(status_code=204)


@router.post("/events", summary="Events, idempotent by key → {accepted: [keys]}")
async def events(request: Request, terminal: Terminal, fleet: Fleet) -> JSONResponse:
    body = await parse_body(request, EventBatch)
    accepted, payloads = await run_in_threadpool(
        ingest.store_events, fleet.engine, terminal.id, body
    )
    fleet.send_webhooks(payloads)
    return JSONResponse({"accepted": accepted})


@router.post("/journal", summary="Journal records → {accepted: [keys], highest_seq}")
async def journal(request: Request, terminal: Terminal, fleet: Fleet) -> JSONResponse:
    body = await parse_body(request, JournalBatch)
    accepted, highest = await run_in_threadpool(
        ingest.store_journal, fleet.engine, terminal.id, body
    )
    return JSONResponse({"accepted": accepted, "highest_seq": highest})


@router.get("/config", summary="Announcements and catalogue switches for this terminal")
async def config(terminal: Terminal, fleet: Fleet) -> dict[str, Any]:
    from hub.fleet.content import terminal_config

    return await run_in_threadpool(terminal_config, fleet, terminal)
