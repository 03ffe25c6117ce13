"""Sample replies that let each service screen open on its own (``Screen.preview``)
for the every-screen render test and the accessibility audit.

Each is the hub's reply as the terminal reads it (:mod:`kiosk.hub_client.models`),
so a preview can never drift from what a flow returns; every personal value
is fictitious and already masked, as the hub sends it.
"""

from __future__ import annotations

from kiosk.flows.payments import PaymentPlan
from kiosk.hub_client.models import (
    ApplicationAccepted,
    ApplicationList,
    Certificate,
    DocumentList,
    Guide,
    Order,
    Pensions,
    PersonHeader,
    PhoneLink,
    PlaceCatalogue,
    Printable,
    Quote,
    Ticket,
    TicketTypes,
    Topic,
)

PERSON = PersonHeader(person_ref="p_preview", name_masked="赵*", id_masked="4102**********5018")

PRINTABLE = Printable.model_validate(
    {
        "title": "受理回执",
        "lines": [
            {"label": "事项", "value": "城乡居民基本养老保险参保登记"},
            {"label": "申请人", "value": "赵*"},
            {"label": "身份证号", "value": "4102**********5018"},
        ],
        "notes": ["凭受理编号可在自助终端查询办理进度"],
        "issued_at": "2026-11-22 10:00",
    }
)


def _printable(title: str) -> Printable:
    return PRINTABLE.model_copy(update={"title": title})


GUIDE = Guide.model_validate(
    {
        "id": "rsi_resident_pension_enrol",
        "name": "城乡居民基本养老保险参保登记",
        "topic": "ZR16",
        "topic_name": "社会保障",
        "department": "兰考县社会保险中心",
        "legal_basis": ["《中华人民共和国社会保险法》"],
        "conditions": ["年满16周岁（不含在校学生）", "在兰考县有户籍"],
        "materials": [
            {"name": "居民身份证或社会保障卡", "form": "原件", "copies": 1, "note": "读卡即可"}
        ],
        "process": ["读取身份证或社保卡", "填写联系电话并选择缴费档次", "确认信息并提交"],
        "fees": [],
        "fees_text": "不收费",
        "time_limits": {
            "statutory_days": None,
            "promised_days": 1,
            "note": "提交后1个工作日内办结",
        },
        "where": [{"name": "村便民服务站自助终端", "address": "各村党群服务中心", "hours": "全天"}],
        "phone": "0371-26961234",
        "visits": "零跑动",
        "capabilities": ["guide", "apply"],
        "query_kind": None,
        "form": "resident_pension_enrol",
        "options": {"grades_yuan": [200, 300, 500, 700, 900, 1000, 1500, 2000, 3000, 4000, 5000]},
    }
)

ALLOWANCE_GUIDE = GUIDE.model_copy(update={"form": "elderly_allowance"})

_ITEM = {"department": "兰考县社会保险中心", "visits": "零跑动", "query_kind": None, "form": None}
TOPIC = Topic.model_validate(
    {
        "code": "ZR16",
        "name": "社会保障",
        "note": "",
        "items": [
            {
                **_ITEM,
                "id": GUIDE.id,
                "name": GUIDE.name,
                "capabilities": ["apply"],
                "form": "resident_pension_enrol",
            },
            {
                **_ITEM,
                "id": "rsi_insurance_certificate",
                "name": "社会保险参保证明打印",
                "capabilities": ["print"],
                "query_kind": "insurance_certificate",
            },
            {
                **_ITEM,
                "id": "rsi_pension_claim",
                "name": "城乡居民养老保险待遇申领",
                "capabilities": ["guide"],
                "visits": "最多跑一次",
            },
        ],
    }
)

CATALOGUE = PlaceCatalogue(county="兰考县", place=None, topics=[TOPIC])

SLIP = ApplicationAccepted(
    acceptance_no="20261122000001",
    item_id=GUIDE.id,
    item_name=GUIDE.name,
    status="accepted",
    status_text="已受理",
    promised_days=1,
    due_date="2026-11-23",
    person=PERSON,
    form={"phone": "138****1234", "grade_yuan": 300},
    printable=PRINTABLE,
)

CERTIFICATE = Certificate.model_validate(
    {
        "code": "ABCDEFGHJKLMNPQR",
        "qr_url": "http://127.0.0.1:8700/verify/ABCDEFGHJKLMNPQR",
        "title": "社会保险参保证明",
        "person": {**PERSON.model_dump(), "name_masked": "张*兰"},
        "facts": [
            {"label": "姓名", "value": "张*兰"},
            {"label": "身份证号", "value": "4102**********2422"},
            {"label": "城乡居民基本养老保险", "value": "正常领取待遇，累计缴费15年"},
        ],
        "valid_until": "2027-02-20",
        "printable": _printable("社会保险参保证明"),
        "document": {"code": "ABCDEFGHJKLMNPQR", "sha256": "0" * 64, "size": 90000},
    }
)
PHONE_LINK = PhoneLink(
    url="http://127.0.0.1:8700/d/preview-token-not-a-real-link-000000",
    expires_at="2026-11-22 10:05",
    downloads=1,
)

PROGRESS = ApplicationList.model_validate(
    {
        "person": {
            "person_ref": "p_preview",
            "name_masked": "王*",
            "id_masked": "4102**********3020",
        },
        "records": [
            {
                "acceptance_no": "20261116000003",
                "item_id": "mi_chronic_disease",
                "item_name": "门诊慢特病待遇认定",
                "status": "reviewing",
                "status_text": "审核中",
                "created_at": "2026-11-16 09:30",
                "promised_days": 15,
                "due_date": "2026-12-07",
                "history": [
                    {
                        "at": "2026-11-16 09:30",
                        "status": "accepted",
                        "status_text": "已受理",
                        "note": "窗口受理",
                    }
                ],
            }
        ],
        "printable": _printable("办件进度"),
    }
)

PENSIONS = Pensions.model_validate(
    {
        "person": PERSON,
        "receiving": True,
        "bank_masked": "621700*********0122",
        "records": [],
        "totals": {"months": 0, "amount_fen": 0, "monthly_now_fen": 0},
        "printable": _printable("养老金发放记录"),
    }
)

QUOTE = Quote.model_validate(
    {
        "item": "resident_medical_2027",
        "item_name": "2027年度城乡居民基本医疗保险个人缴费",
        "year": 2027,
        "persons": [
            {
                "person_ref": "p_preview",
                "name_masked": "赵*",
                "id_masked": "4102**********5018",
                "amount_fen": 40000,
                "payable": True,
                "status_text": "待缴费",
            }
        ],
        "total_fen": 40000,
    }
)

# A preview never pays: no order can be created without the payers' ID numbers.
PAY = PaymentPlan(
    item=QUOTE.item,
    item_name=QUOTE.item_name,
    year=QUOTE.year,
    payers=list(QUOTE.persons),
    payer_ids=[],
)

ORDER = Order.model_validate(
    {
        "order_no": "HM20261122100000ab12cd34",
        "item": QUOTE.item,
        "item_name": QUOTE.item_name,
        "method": "native",
        "amount_fen": 40000,
        "status": "PAID",
        "status_text": "已支付",
        "final": True,
        "qr_payload": None,
        "payers": [p.model_dump() for p in QUOTE.persons],
        "refunded_fen": 0,
        "message": None,
        "created_at": "2026-11-22 10:00",
        "pay_before": "2026-11-22 10:05",
        "printable": _printable("缴费凭证"),
    }
)

TICKET_TYPES = TicketTypes.model_validate(
    {
        "service_point": "dbt-zhangzhuang",
        "service_point_name": "东坝头镇张庄村便民服务站",
        "types": [{"code": "A", "name": "综合业务", "waiting": 3}],
    }
)

TICKET = Ticket(
    number="A004",
    waiting_ahead=3,
    business_type="A",
    business_type_name="综合业务",
    service_point_name="东坝头镇张庄村便民服务站",
    issued_at="2026-11-22 10:00",
    printable=_printable("东坝头镇张庄村便民服务站"),
)

DOCUMENTS = DocumentList.model_validate(
    {
        "person": {
            "person_ref": "p_preview",
            "name_masked": "王*",
            "id_masked": "4102**********3020",
        },
        "reprint_days": 90,
        "documents": [
            {
                "id": 2,
                "kind": "acceptance_slip",
                "title": "受理回执",
                "detail": "门诊慢特病待遇认定",
                "issued_at": "2026-11-16 10:00",
                "printable": {
                    "title": "受理回执",
                    "lines": [
                        {"label": "事项", "value": "门诊慢特病待遇认定"},
                        {"label": "受理编号", "value": "20261116000001"},
                        {"label": "申请人", "value": "王*"},
                        {"label": "身份证号", "value": "4102**********3020"},
                    ],
                    "notes": ["凭受理编号可在自助终端查询办理进度"],
                    "issued_at": "2026-11-16 10:00",
                },
            },
            {
                "id": 1,
                "kind": "certificate",
                "title": "社会保险参保证明",
                "detail": "",
                "issued_at": "2026-09-14 09:30",
                "printable": {
                    "title": "社会保险参保证明",
                    "lines": [
                        {"label": "姓名", "value": "王*"},
                        {"label": "身份证号", "value": "4102**********3020"},
                    ],
                    "verification_code": "ABCDEFGHJKMNPQRS",
                    "qr_url": "http://127.0.0.1:8700/verify/ABCDEFGHJKMNPQRS",
                    "issued_at": "2026-09-14 09:30",
                },
            },
        ],
    }
)
