"""The application state machine: the path through 补正 to 办结 and 邮寄,
refusals that say what the status allows, the applicant's notes and SMS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.backoffice.models import SmsOutboxRow
from hub.backoffice.sms import RECORDED, RecordingGateway, SmsDispatcher
from hub.backoffice.workflow import (
    TRANSITIONS,
    Action,
    AppStatus,
    Refused,
    actions_from,
    find,
    parse_action,
    perform,
)
from hub.services.clock import ManualClock
from hub.services.context import ServiceContext
from hub.services.errors import BadRequest, NotFound
from hub.services.models import SmsRow
from protocol.services import QueryKind, query_path
from tests.hub.backoffice.conftest import apply
from tests.hub.services.conftest import S

ADDRESS = "河南省兰考县东坝头镇张庄村幸福路8号"


def act(ctx: ServiceContext, clock: ManualClock, no: str, action: Action, **kw: str) -> AppStatus:
    with ctx.factory() as s, s.begin():
        return perform(s, find(s, no), action, actor="clerk1", now=clock.now(), **kw).target


def progress(svc_client: TestClient, no: str) -> dict[str, object]:
    reply = svc_client.post(f"{S}{query_path(QueryKind.APPLICATIONS)}", json={"acceptance_no": no})
    assert reply.status_code == 200, reply.text
    record: dict[str, object] = reply.json()["records"][0]
    return record


def test_correction_then_grant_and_post_each_step_shown_and_texted(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = apply(svc_client, method="post", address=ADDRESS)
    steps = [
        (Action.ACCEPT, {}, AppStatus.REVIEWING),
        (Action.CORRECT, {"reason": "户口簿原件"}, AppStatus.CORRECTION),
        (Action.RESUME, {}, AppStatus.REVIEWING),
        (Action.APPROVE, {}, AppStatus.APPROVED),
        (Action.GRANT, {}, AppStatus.DONE),
        (Action.SHIP, {"waybill": "ems1234567890"}, AppStatus.MAILED),
    ]
    for action, kw, target in steps:
        clock.advance(600)
        assert act(ctx, clock, no, action, **kw) is target
    record = progress(svc_client, no)
    assert record["status"] == "mailed" and record["status_text"] == "已寄出"
    history = record["history"]
    assert isinstance(history, list)
    assert [h["status"] for h in history] == [
        "accepted", "reviewing", "correction", "reviewing", "approved", "done", "mailed",
    ]  # fmt: skip
    assert "请携带相关材料到兰考县政务服务中心社保窗口补正" in history[2]["note"]
    assert "户口簿原件" in history[2]["note"]
    assert "运单号EMS1234567890" in history[-1]["note"]
    with ctx.factory() as s:
        row = find(s, no)
        assert row.waybill_no == "EMS1234567890"
        assert [e.actor for e in row.events] == ["", *["clerk1"] * 6]
        outbox = s.scalars(select(SmsOutboxRow).order_by(SmsOutboxRow.id)).all()
    # One SMS per change, queued in the change's own transaction; the phone
    # is sealed and masked, the text names the waybill.
    assert len(outbox) == 6 and len({m.key for m in outbox}) == 6
    assert all(m.phone_masked == "186****2345" for m in outbox)
    assert all("18637812345" not in m.phone_sealed for m in outbox)
    assert "EMS1234567890" in outbox[-1].text and no in outbox[-1].text


def test_the_recording_gateway_records_and_says_so(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = apply(svc_client)
    act(ctx, clock, no, Action.ACCEPT)
    dispatcher = SmsDispatcher(ctx.factory, RecordingGateway(), clock)
    assert dispatcher.drain() == 1
    assert dispatcher.drain() == 0  # never twice
    with ctx.factory() as s:
        statuses = s.scalars(select(SmsOutboxRow.status)).all()
        recorded = s.scalars(select(SmsRow.text)).all()
    assert statuses == [RECORDED]
    assert any(no in t and "受理，正在审核" in t for t in recorded)


@pytest.mark.parametrize(
    ("before", "action", "message"),
    [
        ([], Action.GRANT, "办件当前状态为“已受理”，不能办结（准予）；可执行：受理、补正、退回"),
        ([], Action.APPROVE, "不能审核通过"),
        ([Action.ACCEPT], Action.ACCEPT, "办件当前状态为“审核中”，不能受理"),
        ([Action.ACCEPT], Action.RESUME, "不能补正材料已收到"),
        ([Action.ACCEPT, Action.APPROVE, Action.GRANT], Action.REFUSE, "不能办结（不予）"),
        ([Action.ACCEPT, Action.APPROVE, Action.GRANT], Action.SHIP, "窗口领取，不能邮寄送达"),
    ],
)
def test_out_of_order_actions_are_refused_and_change_nothing(
    svc_client: TestClient,
    ctx: ServiceContext,
    clock: ManualClock,
    before: list[Action],
    action: Action,
    message: str,
) -> None:
    no = apply(svc_client)
    for step in before:
        act(ctx, clock, no, step)
    status_before = progress(svc_client, no)["status"]
    with pytest.raises(Refused, match=message):
        act(ctx, clock, no, action, reason="原因", waybill="EMS1234567890")
    assert progress(svc_client, no)["status"] == status_before


def test_a_closed_application_allows_nothing(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = apply(svc_client)
    act(ctx, clock, no, Action.RETURN, reason="非本县户籍")
    for action in Action:
        with pytest.raises(Refused, match="该办件已办理完毕"):
            act(ctx, clock, no, action, reason="x", waybill="EMS1234567890")
    # 退回 ends it: the person may apply again.
    assert apply(svc_client, attempt=2) != no


def test_reasons_and_waybills_are_required_where_the_table_says(
    svc_client: TestClient, ctx: ServiceContext, clock: ManualClock
) -> None:
    no = apply(svc_client, method="post", address=ADDRESS)
    with pytest.raises(BadRequest, match="补正需要填写原因"):
        act(ctx, clock, no, Action.CORRECT, reason="   ")
    with pytest.raises(BadRequest, match="退回需要填写原因"):
        act(ctx, clock, no, Action.RETURN)
    for step in (Action.ACCEPT, Action.APPROVE, Action.GRANT):
        act(ctx, clock, no, step)
    with pytest.raises(BadRequest, match="运单号"):
        act(ctx, clock, no, Action.SHIP, waybill="12-34")
    assert progress(svc_client, no)["status"] == "done"


def test_unknown_actions_and_numbers_get_a_clear_refusal(ctx: ServiceContext) -> None:
    with pytest.raises(Refused, match="未知的办理操作：approve_all"):
        parse_action("approve_all")
    with ctx.factory() as s, pytest.raises(NotFound, match="未找到该受理编号"):
        find(s, "20260101000001")


def test_the_table_offers_only_what_it_allows() -> None:
    assert actions_from("accepted", "counter") == [Action.ACCEPT, Action.CORRECT, Action.RETURN]
    assert actions_from("done", "post") == [Action.SHIP]
    assert actions_from("done", "counter") == []
    assert all(TRANSITIONS[a].sources for a in Action)
