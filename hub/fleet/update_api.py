"""Terminal routes of the over-the-air updates (protocol/updates.py): the
update offer, progress reports, log uploads and the TUF repository.

The TUF files are served from ``settings.releases_dir`` by Starlette's
FileResponse, which answers ``Range`` requests (206 / 416), so a bundle
download cut on a poor 4G link resumes where it stopped. They are behind the
terminal credential like every terminal route: the metadata are signed, but
nobody else needs the fleet's code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from hub.fleet import remote_logs, rollouts, windows
from hub.fleet.auth import TerminalIdentity, current_terminal
from hub.fleet.rollout_ticker import ticker
from hub.fleet.state import FleetState, get_fleet
from hub.fleet.terminal_api import parse_body, read_capped
from protocol.updates import (
    LOG_UPLOAD_MAX,
    TUF_METADATA_PATH,
    TUF_TARGETS_PATH,
    ReleaseOffer,
    UpdateOffer,
    UpdateStatus,
)

router = APIRouter(tags=["terminal-updates"])
Terminal = Annotated[TerminalIdentity, Depends(current_terminal)]
Fleet = Annotated[FleetState, Depends(get_fleet)]
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


def _offer(fleet: FleetState, terminal: TerminalIdentity, poll_s: int) -> UpdateOffer:
    with fleet.engine.begin() as conn:
        release = rollouts.offer_for(conn, terminal.id)
        return UpdateOffer(
            release=ReleaseOffer(**release) if release else None,
            windows=windows.windows_for(conn, terminal),
            log_requests=remote_logs.waiting_for(conn, terminal.id),
            poll_s=poll_s,
        )


@router.get("/api/v1/terminal/update", summary="Release to install, windows, log requests")
async def update_offer(request: Request, terminal: Terminal, fleet: Fleet) -> JSONResponse:
    await run_in_threadpool(ticker(request).maybe_advance, fleet.engine)
    offer = await run_in_threadpool(_offer, fleet, terminal, fleet.settings.update_poll_s)
    return JSONResponse(offer.model_dump(mode="json"))


def _record(fleet: FleetState, terminal: TerminalIdentity, body: UpdateStatus) -> bool:
    if remote_logs.personal_data_in(body.reason + "\n" + body.log_tail):
        raise HTTPException(422, detail="reason or log lines hold unmasked personal data")
    with fleet.engine.begin() as conn:
        return rollouts.record_state(
            conn, terminal.id, body.rollout_id, body.state, body.reason, body.log_tail
        )


@router.post("/api/v1/terminal/update/status", status_code=204, summary="Update progress")
async def update_status(request: Request, terminal: Terminal, fleet: Fleet) -> Response:
    body = await parse_body(request, UpdateStatus)
    if not await run_in_threadpool(_record, fleet, terminal, body):
        raise HTTPException(404, detail="this terminal is not in that rollout")
    # A failure may pass a wave's threshold: judge at once, not at the next tick.
    await run_in_threadpool(ticker(request).maybe_advance, fleet.engine, True)
    return Response(status_code=204)


def _store_log(fleet: FleetState, terminal_id: int, request_id: int, text: str) -> None:
    with fleet.engine.begin() as conn:
        remote_logs.store_upload(conn, terminal_id, request_id, text)


@router.post("/api/v1/terminal/logs/{request_id}", status_code=204, summary="Masked log lines")
async def upload_logs(
    request_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    request: Request,
    terminal: Terminal,
    fleet: Fleet,
) -> Response:
    raw = await read_capped(request, LOG_UPLOAD_MAX)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, detail="log text is not UTF-8") from None
    try:
        await run_in_threadpool(_store_log, fleet, terminal.id, request_id, text)
    except remote_logs.LogRequestError as exc:
        status = 404 if "no such" in str(exc) else 422
        raise HTTPException(status, detail=str(exc)) from None
    await run_in_threadpool(
        fleet.audit_system,
        "log_upload",
        f"terminal:{terminal.id}",
        f"log request #{request_id}: {len(text)} chars",
    )
    return Response(status_code=204)


def _repo_file(request: Request, folder: str, name: str) -> FileResponse:
    if not _FILE_NAME.match(name):
        raise HTTPException(404, detail="no such file")
    base = Path(request.app.state.settings.releases_dir) / folder
    path = base / name
    if not path.is_file():
        raise HTTPException(404, detail="no such file")
    return FileResponse(path, media_type="application/octet-stream")


@router.get(TUF_METADATA_PATH + "/{name}", summary="TUF metadata (root, timestamp, …)")
async def tuf_metadata(name: str, request: Request, terminal: Terminal) -> FileResponse:
    del terminal  # authenticated only
    return _repo_file(request, "metadata", name)


@router.get(TUF_TARGETS_PATH + "/{name}", summary="A release bundle (Range requests)")
async def tuf_target(name: str, request: Request, terminal: Terminal) -> FileResponse:
    del terminal
    return _repo_file(request, "targets", name)
