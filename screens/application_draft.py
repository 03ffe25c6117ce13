"""The draft of an application (一证通办) and the steps of each form.

The draft (:class:`ApplicationDraft`) lives in ``session.data["draft"]`` and
is wiped with the session. Steps, in order, per form:

- 城乡居民基本养老保险参保登记: 1 同意授权 → 2 核对信息、填写电话 → 3 缴费档次
  → 4 领取方式 → 5 确认提交 → 受理回执
- 高龄津贴申请: (年龄核验) → 1 同意授权 → 2 核对信息、填写电话 → 3 发放账户
  → 4 领取方式 → 5 确认提交 → 受理回执
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.flows.applications import DeliveryMethod
from kiosk.flows.payments import new_idempotency_key
from kiosk.hub_client.models import Guide
from kiosk.ui import ScreenContext

STEPS = 5
FLOWS: dict[str, tuple[str, ...]] = {
    "resident_pension_enrol": (
        "consent",
        "apply_form",
        "apply_grade",
        "apply_delivery",
        "apply_confirm",
    ),
    "elderly_allowance": (
        "consent",
        "apply_form",
        "apply_account",
        "apply_delivery",
        "apply_confirm",
    ),
}


@dataclass
class ApplicationDraft:
    """What the person has given so far; sent to the hub only after confirmation."""

    item_id: str
    item_name: str
    form: str
    department: str
    promised_days: int
    grades: list[int] = field(default_factory=list)
    phone: str = ""
    grade_yuan: int | None = None
    account_masked: str = ""
    delivery: DeliveryMethod | None = None  # None until the person chose
    consent: bool = False
    key: str = field(default_factory=new_idempotency_key)  # one per submission

    @classmethod
    def for_item(cls, guide: Guide) -> ApplicationDraft:
        """A draft for the item of ``guide``, which has a ``form`` (it offers ``apply``)."""
        if guide.form is None:
            raise ValueError(f"{guide.id} has no form to apply with")
        return cls(
            item_id=guide.id,
            item_name=guide.name,
            form=guide.form,
            department=guide.department,
            promised_days=guide.time_limits.promised_days,
            grades=list(guide.options.get("grades_yuan", [])),
        )

    def wipe(self) -> None:
        self.phone = ""
        self.account_masked = ""

    def form_body(self) -> dict[str, str | int | bool | None]:
        """The item's form fields as the hub takes them (keys depend on the form)."""
        if self.form == "resident_pension_enrol":
            return {"phone": self.phone, "grade_yuan": self.grade_yuan}
        return {"phone": self.phone, "use_ss_card_account": True}


def draft_of(ctx: ScreenContext) -> ApplicationDraft:
    draft: ApplicationDraft = ctx.session.data["draft"]
    return draft


def go_next(ctx: ScreenContext, current: str) -> None:
    """Go to the step after ``current`` in the draft's flow."""
    flow = FLOWS[draft_of(ctx).form]
    ctx.nav.go(flow[flow.index(current) + 1])


def step_of(draft: ApplicationDraft, name: str) -> tuple[int, int]:
    return FLOWS[draft.form].index(name) + 1, STEPS
