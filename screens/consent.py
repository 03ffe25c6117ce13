"""个人信息授权 (PIPL Art. 29): a separate consent before an application
uses identity and contact data, saying what is used, why, and for how long.

Declining ends the application on the spot: the draft is dropped, nothing
is sent to the hub, and the person is told their data was not used.
"""

from __future__ import annotations

from kiosk.i18n import N_
from kiosk.ui import Option
from kiosk.ui.blocks import Block, KeyValues, Paragraph
from screens.application_draft import go_next
from screens.apply_common import ApplyScreen


class ConsentScreen(ApplyScreen):
    name = "consent"
    title = N_("个人信息使用授权")
    instruction = N_("办理前，请您了解并决定是否同意以下个人信息的使用")

    def _used(self) -> str:
        tr = self.ctx.tr
        used = tr("姓名、身份证号码、出生日期、住址（读取自您的证件），您填写的手机号码")
        if self.draft.form == "elderly_allowance":
            used += tr("，您社保卡的银行账户（用于发放津贴）")
        return used

    def blocks(self) -> list[Block]:
        tr = self.ctx.tr
        return [
            KeyValues(
                [
                    (tr("使用哪些信息"), self._used()),
                    (
                        tr("用来做什么"),
                        tr.format(
                            "办理“{item}”，由{dept}审核；手机号码只用于发送办理进度短信",
                            item=self.draft.item_name,
                            dept=self.draft.department,
                        ),
                    ),
                    (
                        tr("保存多久"),
                        tr("本机不保存，办理结束即清除；办件材料由审核部门按档案规定保存"),
                    ),
                ]
            ),
            Paragraph(tr("如不同意，本次申请将结束，您的信息不会被使用"), bold=True),
        ]

    def choices(self) -> list[Option]:
        return [
            Option(N_("同意并继续"), self._agree, confirm=True, name="agree"),
            Option(N_("不同意"), self._decline, "secondary", name="decline"),
        ]

    def _agree(self) -> None:
        self.draft.consent = True
        self.ctx.record("consent", {"item_id": self.draft.item_id, "granted": True})
        go_next(self.ctx, self.name)

    def _decline(self) -> None:
        item_id = self.draft.item_id
        self.ctx.record("consent", {"item_id": item_id, "granted": False})
        draft = self.ctx.session.data.pop("draft", None)
        if draft is not None:
            draft.wipe()
        self.ctx.nav.replace(
            "message",
            heading=N_("申请已结束"),
            lines=[N_("您没有同意授权，本次申请已结束。您的个人信息没有被使用，也没有提交。")],
        )
