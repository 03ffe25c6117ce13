"""A typical receipt (masked values, a table, a QR, punctuation-only text),
shared by the printer tests and the receipt benchmark so both measure and
check the same thing."""

from __future__ import annotations

from datetime import datetime

from drivers.printer import Receipt, ReceiptTable


def typical_receipt() -> Receipt:
    return Receipt(
        title="城乡居民养老保险缴费凭证",
        lines=[
            ("姓名", "张*兰"),
            ("社会保障号码", "4102**********2422"),
            ("缴费档次", "每年300元"),
            ("缴费金额", "¥300.00"),
            ("办理地点", "河南省兰考县东坝头镇张庄村便民服务站（自助终端 LK-0012）"),
        ],
        tables=[
            ReceiptTable(
                ("月份", "项目", "金额"),
                [
                    ("2026-01", "个人缴费", "300.00"),
                    ("2026-02", "政府补贴（中央及地方财政）", "60.00"),
                ],
            )
        ],
        qr="https://hub.example.cn/v/7F3K9Q2M",
        footer="，。\n本凭证可扫码或凭验证码核验",
        verification_code="7F3K9Q2M",
        created_at=datetime(2026, 11, 22, 10, 30, 5),
    )
