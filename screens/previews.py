"""Sample data that lets each service screen open on its own (``Screen.preview``)
for the every-screen render test and the accessibility audit.

Shapes follow the hub's responses (hub/services/*_api.py, payments/views.py);
every personal value is fictitious and already masked, as the hub sends it.
"""

from __future__ import annotations

from typing import Any

PRINTABLE: dict[str, Any] = {
    "title": "受理回执",
    "lines": [
        {"label": "事项", "value": "城乡居民基本养老保险参保登记"},
        {"label": "申请人", "value": "赵*"},
        {"label": "身份证号", "value": "4102**********5018"},
    ],
    "notes": ["凭受理编号可在自助终端查询办理进度"],
    "issued_at": "2026-11-22 10:00",
}

GUIDE: dict[str, Any] = {
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
    "time_limits": {"statutory_days": None, "promised_days": 1, "note": "提交后1个工作日内办结"},
    "where": [{"name": "村便民服务站自助终端", "address": "各村党群服务中心", "hours": "全天"}],
    "phone": "0371-26961234",
    "visits": "零跑动",
    "capabilities": ["guide", "apply"],
    "query_kind": None,
    "form": "resident_pension_enrol",
    "options": {"grades_yuan": [200, 300, 500, 700, 900, 1000, 1500, 2000, 3000, 4000, 5000]},
}

TOPIC: dict[str, Any] = {
    "code": "ZR16",
    "name": "社会保障",
    "note": "",
    "items": [
        {"id": "rsi_resident_pension_enrol", "name": GUIDE["name"], "capabilities": ["apply"]},
        {
            "id": "rsi_insurance_certificate",
            "name": "社会保险参保证明打印",
            "capabilities": ["print"],
        },
        {"id": "rsi_pension_claim", "name": "城乡居民养老保险待遇申领", "capabilities": ["guide"]},
    ],
}

SLIP: dict[str, Any] = {
    "acceptance_no": "20261122000001",
    "item_name": GUIDE["name"],
    "status_text": "已受理",
    "promised_days": 1,
    "due_date": "2026-11-23",
    "printable": PRINTABLE,
}

CERTIFICATE: dict[str, Any] = {
    "code": "ABCDEFGHJKLMNPQR",
    "facts": [
        {"label": "姓名", "value": "张*兰"},
        {"label": "身份证号", "value": "4102**********2422"},
        {"label": "城乡居民基本养老保险", "value": "正常领取待遇，累计缴费15年"},
    ],
    "valid_until": "2027-02-20",
    "printable": {**PRINTABLE, "title": "社会保险参保证明"},
}

PROGRESS: dict[str, Any] = {
    "person": {"name_masked": "王*", "id_masked": "4102**********3020"},
    "records": [
        {
            "acceptance_no": "20261116000003",
            "item_name": "门诊慢特病待遇认定",
            "status_text": "审核中",
            "due_date": "2026-12-07",
            "history": [{"at": "2026-11-16 09:30", "status_text": "已受理", "note": "窗口受理"}],
        }
    ],
    "printable": {**PRINTABLE, "title": "办件进度"},
}

QUOTE: dict[str, Any] = {
    "item": "resident_medical_2027",
    "item_name": "2027年度城乡居民基本医疗保险个人缴费",
    "year": 2027,
    "persons": [
        {
            "name_masked": "赵*",
            "id_masked": "4102**********5018",
            "amount_fen": 40000,
            "payable": True,
            "status_text": "待缴费",
        }
    ],
    "total_fen": 40000,
}

PAY: dict[str, Any] = {
    "item": QUOTE["item"],
    "item_name": QUOTE["item_name"],
    "year": 2027,
    "payers": QUOTE["persons"],
    "payer_ids": [],  # a preview never pays: no order can be created without payers
    "total_fen": 40000,
}

ORDER: dict[str, Any] = {
    "order_no": "HM20261122100000ab12cd34",
    "amount_fen": 40000,
    "payers": QUOTE["persons"],
    "printable": {**PRINTABLE, "title": "缴费凭证"},
}

TICKET_TYPES: dict[str, Any] = {"types": [{"code": "A", "name": "综合业务", "waiting": 3}]}

TICKET: dict[str, Any] = {
    "number": "A004",
    "waiting_ahead": 3,
    "business_type_name": "综合业务",
    "printable": {**PRINTABLE, "title": "东坝头镇张庄村便民服务站"},
}
