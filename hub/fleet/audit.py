"""The append-only audit log of operator actions (who, what, when, result).

Only :func:`record` writes it; nothing in the hub updates or deletes an
entry, and the ORM refuses to (see the listeners below). Every entry is
chained to the one before (:mod:`hub.fleet.audit_chain`), so an entry changed
or removed in the database is found by ``python -m hub audit verify``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Mapper

from hub.fleet import audit_chain
from hub.fleet.clock import utcnow
from hub.fleet.models import AuditEntry

ACTION_LABELS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "session_expired": "会话超时",
    "command": "下发指令",
    "alert_ack": "确认告警",
    "alert_resolve": "解除告警",
    "announcement": "发布公告",
    "announcement_withdraw": "撤回公告",
    "catalogue_switch": "事项开关",
    "operator_create": "新建账号",
    "operator_update": "修改账号",
    "enrolment_code": "生成注册码",
    "terminal_revoke": "注销终端",
    "terminal_enrol": "终端注册",
    "terminal_enrol_failed": "终端注册失败",
    "denied": "越权访问",
    "payment_alert_resolve": "解除支付告警",
    "application_action": "办件办理",
    "staff_scopes": "设置办理范围",
    "sms_retry": "重发短信",
    "release_approve": "批准版本",
    "rollout_create": "创建发布",
    "rollout_pause": "暂停发布",
    "rollout_resume": "恢复发布",
    "rollout_abort": "中止发布",
    "rollout_advance": "发布下一批",
    "rollout_done": "发布完成",
    "window_set": "设置时间窗",
    "log_request": "请求日志",
    "log_upload": "日志上传",
    "log_download": "下载日志",
}


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str = "",
    detail: str = "",
    result: str = "ok",
    client: str = "",
) -> None:
    """Append one entry in the caller's transaction (chained: it waits for any
    other transaction writing the audit log to end, see audit_chain)."""
    audit_chain.append(
        conn,
        {
            "at": utcnow(),
            "actor": actor[:60],
            "action": action[:40],
            "target": target[:120],
            "detail": detail[:1000],
            "result": result[:20],
            "client": client[:60],
        },
    )


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Mapper[Any], _conn: Connection, _target: AuditEntry) -> None:
    raise PermissionError("the audit log is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _conn: Connection, _target: AuditEntry) -> None:
    raise PermissionError("the audit log is append-only")
