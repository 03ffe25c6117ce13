"""Releases, rollouts, windows and remote logs in the console (issue 18).

Who may do what (roles.py): approving a release and starting a rollout
change what runs on every terminal, so they need ``administer`` (系统管理员);
pausing, resuming and aborting a rollout, setting windows and asking for
logs are day-to-day ``operate``; everyone with ``view`` sees the states and
reasons. Every change is audited.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlalchemy import select

from hub.fleet import audit, remote_logs, rollouts, windows
from hub.fleet.clock import utcnow
from hub.fleet.console.security import (
    Db,
    OperatorUser,
    RowId,
    SystemAdmin,
    Viewer,
    client_of,
)
from hub.fleet.console.views import render, see_other
from hub.fleet.models import (
    FleetWindow,
    LogRequest,
    Release,
    Rollout,
    RolloutTarget,
    Terminal,
)
from hub.fleet.rollout_ticker import ticker
from hub.releases import ReleaseInfo, ReleaseRepository, RepositoryError

router = APIRouter(tags=["console"], include_in_schema=False)
Time5 = Annotated[str, Form(max_length=5)]


def _signed_releases(request: Request) -> tuple[list[ReleaseInfo], str]:
    try:
        return list(ReleaseRepository(Path(request.app.state.settings.releases_dir)).releases()), ""
    except RepositoryError as exc:
        return [], str(exc)


@router.get("/releases")
def releases_page(request: Request, user: Viewer, db: Db) -> HTMLResponse:
    ticker(request).maybe_advance(request.app.state.engine)
    signed, repo_error = _signed_releases(request)
    approved = db.execute(select(Release).order_by(Release.id.desc())).scalars().all()
    all_rollouts = db.execute(select(Rollout).order_by(Rollout.id.desc()).limit(50)).scalars().all()
    versions = {r.id: r.version for r in approved}
    return render(
        request,
        "releases.html",
        user,
        signed=signed,
        repo_error=repo_error,
        approved=approved,
        approved_versions={r.version for r in approved},
        rollouts=all_rollouts,
        versions=versions,
        labels=rollouts.ROLLOUT_LABELS,
        windows=db.execute(select(FleetWindow).order_by(FleetWindow.scope)).scalars().all(),
    )


@router.post("/releases/approve")
def approve_release(
    request: Request, user: SystemAdmin, db: Db, version: Annotated[str, Form(max_length=40)]
) -> Response:
    signed, _ = _signed_releases(request)
    match = next((r for r in signed if r.version == version), None)
    if match is None:
        return see_other(db, "/console/releases?err=仓库中没有该签名版本")
    if db.execute(select(Release.id).where(Release.version == version)).first():
        return see_other(db, "/console/releases?err=该版本已批准")
    db.add(
        Release(
            version=version,
            target=match.target,
            length=match.length,
            sha256=match.sha256,
            approved_by=user.username,
            approved_at=utcnow(),
        )
    )
    db.flush()
    audit.record(
        db.connection(),
        user.username,
        "release_approve",
        f"release:{version}",
        match.sha256,
        "ok",
        client_of(request),
    )
    return see_other(db, f"/console/releases?msg=已批准版本 {version}")


@router.post("/rollouts")
def create_rollout(
    request: Request,
    user: SystemAdmin,
    db: Db,
    release_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    waves: Annotated[str, Form(max_length=2000)],
    healthy_period_s: Annotated[int, Form(ge=0, le=7 * 24 * 3600)] = 600,
    failure_threshold_pct: Annotated[int, Form(ge=0, le=100)] = 10,
) -> Response:
    conn = db.connection()
    try:
        parsed = rollouts.parse_waves(waves)
        rollout_id = rollouts.create_rollout(
            conn, release_id, parsed, healthy_period_s, failure_threshold_pct, user.username
        )
    except rollouts.RolloutError as exc:
        audit.record(
            conn,
            user.username,
            "rollout_create",
            f"release:{release_id}",
            str(exc),
            "refused",
            client_of(request),
        )
        return see_other(db, f"/console/releases?err={exc}")
    audit.record(
        conn,
        user.username,
        "rollout_create",
        f"rollout:{rollout_id}",
        f"release #{release_id}; 批次 {'; '.join(w.label() for w in parsed)}; "
        f"观察 {healthy_period_s}s; 阈值 {failure_threshold_pct}%",
        "ok",
        client_of(request),
    )
    return see_other(db, f"/console/rollouts/{rollout_id}?msg=发布已开始")


@router.get("/rollouts/{rollout_id}")
def rollout_page(request: Request, rollout_id: RowId, user: Viewer, db: Db) -> HTMLResponse:
    ticker(request).maybe_advance(request.app.state.engine)
    rollout = db.get(Rollout, rollout_id)
    if rollout is None:
        raise HTTPException(404, detail="no such rollout")
    release = db.get(Release, rollout.release_id)
    rows = db.execute(
        select(RolloutTarget, Terminal.name)
        .join(Terminal, Terminal.id == RolloutTarget.terminal_id)
        .where(RolloutTarget.rollout_id == rollout_id)
        .order_by(RolloutTarget.wave, Terminal.name)
    ).all()
    return render(
        request,
        "rollout.html",
        user,
        rollout=rollout,
        release=release,
        waves=json.loads(rollout.waves_json),
        targets=rows,
        labels=rollouts.STATE_LABELS,
        rollout_labels=rollouts.ROLLOUT_LABELS,
    )


@router.post("/rollouts/{rollout_id}/{action}")
def change_rollout(
    request: Request,
    rollout_id: RowId,
    action: str,
    user: OperatorUser,
    db: Db,
    threshold_pct: Annotated[int | None, Form(ge=0, le=100)] = None,
) -> Response:
    if action not in ("pause", "resume", "abort"):
        raise HTTPException(404, detail="no such action")
    conn = db.connection()
    try:
        state = rollouts.change_state(conn, rollout_id, action, user.username, threshold_pct)
    except rollouts.RolloutError as exc:
        audit.record(
            conn,
            user.username,
            f"rollout_{action}",
            f"rollout:{rollout_id}",
            str(exc),
            "refused",
            client_of(request),
        )
        return see_other(db, f"/console/rollouts/{rollout_id}?err={exc}")
    detail = f"→ {state}" + (f"; 阈值 {threshold_pct}%" if threshold_pct is not None else "")
    audit.record(
        conn,
        user.username,
        f"rollout_{action}",
        f"rollout:{rollout_id}",
        detail,
        "ok",
        client_of(request),
    )
    return see_other(db, f"/console/rollouts/{rollout_id}?msg=发布{rollouts.ROLLOUT_LABELS[state]}")


@router.post("/windows")
def set_window(
    request: Request,
    user: OperatorUser,
    db: Db,
    scope: Annotated[str, Form(max_length=200)],
    maintenance_start: Time5,
    maintenance_end: Time5,
    reboot_at: Time5 = "",
    screen_on: Time5 = "",
    screen_off: Time5 = "",
) -> Response:
    conn = db.connection()
    try:
        windows.set_window(
            conn,
            scope.strip(),
            user.username,
            maintenance_start,
            maintenance_end,
            reboot_at or None,
            screen_on or None,
            screen_off or None,
        )
    except windows.WindowError as exc:
        return see_other(db, f"/console/releases?err={exc}")
    audit.record(
        conn,
        user.username,
        "window_set",
        scope.strip(),
        f"维护 {maintenance_start}-{maintenance_end} 重启 {reboot_at or '—'} "
        f"屏幕 {screen_on or '—'}-{screen_off or '—'}",
        "ok",
        client_of(request),
    )
    return see_other(db, "/console/releases?msg=时间窗已保存")


@router.post("/terminals/{terminal_id}/logs")
def ask_for_logs(
    request: Request,
    terminal_id: RowId,
    user: OperatorUser,
    db: Db,
    kind: Annotated[str, Form(max_length=10)],
    minutes: Annotated[int, Form(ge=1, le=7 * 24 * 60)],
) -> Response:
    """``window``: the last ``minutes`` of logs; ``debug``: debug logging for
    the next ``minutes``, then its lines."""
    if db.get(Terminal, terminal_id) is None:
        raise HTTPException(404, detail="no such terminal")
    now = utcnow()
    span = timedelta(minutes=minutes)
    conn = db.connection()
    try:
        if kind == "window":
            request_id = remote_logs.request_logs(
                conn, terminal_id, kind, now, user.username, since=now - span
            )
        else:
            request_id = remote_logs.request_logs(
                conn, terminal_id, kind, now + span, user.username
            )
    except remote_logs.LogRequestError as exc:
        return see_other(db, f"/console/terminals/{terminal_id}/logs?err={exc}")
    audit.record(
        conn,
        user.username,
        "log_request",
        f"terminal:{terminal_id}",
        f"#{request_id} {kind} {minutes} 分钟",
        "ok",
        client_of(request),
    )
    return see_other(db, f"/console/terminals/{terminal_id}/logs?msg=已请求日志 #{request_id}")


@router.get("/terminals/{terminal_id}/logs")
def logs_page(request: Request, terminal_id: RowId, user: OperatorUser, db: Db) -> HTMLResponse:
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        raise HTTPException(404, detail="no such terminal")
    requests_ = db.execute(
        select(
            LogRequest.id,
            LogRequest.kind,
            LogRequest.since,
            LogRequest.until,
            LogRequest.state,
            LogRequest.requested_by,
            LogRequest.uploaded_at,
        )
        .where(LogRequest.terminal_id == terminal_id)
        .order_by(LogRequest.id.desc())
        .limit(50)
    ).all()
    return render(request, "terminal_logs.html", user, terminal=terminal, requests=requests_)


@router.get("/logs/{request_id}")
def download_logs(request: Request, request_id: RowId, user: OperatorUser, db: Db) -> Response:
    row = db.get(LogRequest, request_id)
    if row is None or row.state != "uploaded":
        raise HTTPException(404, detail="no uploaded logs for that request")
    audit.record(
        db.connection(),
        user.username,
        "log_download",
        f"terminal:{row.terminal_id}",
        f"#{request_id}",
        "ok",
        client_of(request),
    )
    db.commit()
    return PlainTextResponse(row.text, headers={"Cache-Control": "no-store"})
