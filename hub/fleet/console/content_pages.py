"""Content: announcements and per-place catalogue switches, pushed to the
terminals of a place as ``announcement`` / ``reload_catalogue`` commands."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection, select, update

from hub.fleet import audit
from hub.fleet.clock import utcnow
from hub.fleet.commands import queue_command
from hub.fleet.console.security import Db, OperatorUser, RowId, Viewer, client_of
from hub.fleet.console.views import render, see_other
from hub.fleet.content import (
    catalogue_entries,
    catalogue_places,
    normalise_scope,
    terminals_in_scope,
)
from hub.fleet.models import Announcement
from hub.services.catalogue_store import DEFAULT_PLACE, set_item_enabled
from protocol.commands import (
    COMMANDS,
    AnnouncementArgs,
    CommandArgs,
    CommandArgsError,
    CommandKind,
    NoArgs,
    parse_args,
)

router = APIRouter(tags=["console"], include_in_schema=False)

Text60 = Annotated[str, Form(max_length=60)]


@router.get("/content")
def content_page(
    request: Request, user: Viewer, db: Db, place: Annotated[str, Query(max_length=64)] = "*"
) -> HTMLResponse:
    settings = request.app.state.settings
    places = catalogue_places(request.app.state, settings)
    if place not in {p.code for p in places}:
        place = DEFAULT_PLACE
    announcements = (
        db.execute(select(Announcement).order_by(Announcement.id.desc()).limit(50)).scalars().all()
    )
    return render(
        request,
        "content.html",
        user,
        items=catalogue_entries(db, request.app.state, settings, place),
        places=places,
        place=place,
        place_name=next(p.name for p in places if p.code == place),
        announcements=announcements,
        # The announcement's argument fields (limits from protocol.commands).
        announcement_fields={f.name: f for f in COMMANDS[CommandKind.ANNOUNCEMENT].fields},
        now=utcnow(),
    )


def _push(
    conn: Connection, scope: str, kind: CommandKind, args: CommandArgs, actor: str
) -> list[int]:
    pushed = []
    for terminal_id, _path in terminals_in_scope(conn, scope):
        queue_command(conn, terminal_id, kind, args, actor)
        pushed.append(terminal_id)
    return pushed


@router.post("/content/announcements")
def create_announcement(
    request: Request,
    user: OperatorUser,
    db: Db,
    text: Annotated[str, Form()],  # checked by the command's schema below
    county: Text60 = "",
    town: Text60 = "",
    village: Text60 = "",
    until: Annotated[str, Form()] = "",
) -> Response:
    scope = normalise_scope(county, town, village)
    try:
        args = parse_args(AnnouncementArgs, {"text": text, "until": until})
    except CommandArgsError as exc:
        return see_other(db, f"/console/content?err={exc}")
    announcement = Announcement(
        text=args.text,
        scope=scope,
        until=args.until,
        created_by=user.username,
        created_at=utcnow(),
    )
    db.add(announcement)
    db.flush()
    pushed = _push(db.connection(), scope, CommandKind.ANNOUNCEMENT, args, user.username)
    audit.record(
        db.connection(),
        user.username,
        "announcement",
        f"scope:{scope or '全部'}",
        f"#{announcement.id} {args.text[:200]} → {len(pushed)} 台终端",
        "ok",
        client_of(request),
    )
    db.commit()
    for terminal_id in pushed:
        request.app.state.fleet.bus.notify(terminal_id)
    return see_other(db, f"/console/content?msg=公告已推送至 {len(pushed)} 台终端")


@router.post("/content/announcements/{announcement_id}/withdraw")
def withdraw_announcement(
    request: Request, announcement_id: RowId, user: OperatorUser, db: Db
) -> Response:
    db.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id, Announcement.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    )
    audit.record(
        db.connection(),
        user.username,
        "announcement_withdraw",
        f"announcement:{announcement_id}",
        "",
        "ok",
        client_of(request),
    )
    return see_other(db, "/console/content?msg=公告已撤回（终端于下次加载配置时生效）")


@router.post("/content/catalogue")
def switch_catalogue_item(
    request: Request,
    user: OperatorUser,
    db: Db,
    service_id: Annotated[str, Form(min_length=1, max_length=64)],
    enabled: Annotated[str, Form(max_length=5)],
    place: Annotated[str, Form(min_length=1, max_length=64)] = DEFAULT_PLACE,
) -> Response:
    on = enabled == "1"
    target = f"{place}:{service_id}"
    if place not in {
        p.code for p in catalogue_places(request.app.state, request.app.state.settings)
    }:
        audit.record(
            db.connection(),
            user.username,
            "catalogue_switch",
            target,
            "未知服务点",
            "failed",
            client_of(request),
        )
        return see_other(db, "/console/content?err=未知服务点")
    try:
        set_item_enabled(db, service_id, place, on)
    except KeyError:
        audit.record(
            db.connection(),
            user.username,
            "catalogue_switch",
            target,
            "未知事项",
            "failed",
            client_of(request),
        )
        return see_other(db, f"/console/content?place={place}&err=未知事项 {service_id}")
    db.flush()
    # Every terminal reloads: the catalogue API applies the place's switches.
    pushed = _push(db.connection(), "", CommandKind.RELOAD_CATALOGUE, NoArgs(), user.username)
    audit.record(
        db.connection(),
        user.username,
        "catalogue_switch",
        target,
        json.dumps({"enabled": on, "terminals": len(pushed)}, ensure_ascii=False),
        "ok",
        client_of(request),
    )
    db.commit()
    for terminal_id in pushed:
        request.app.state.fleet.bus.notify(terminal_id)
    state = "启用" if on else "停用"
    return see_other(
        db,
        f"/console/content?place={place}&msg=已{state} {service_id}，已通知 {len(pushed)} 台终端",
    )
