"""Receipt layout in columns: full-width characters are two columns, nothing overflows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from drivers.printer import (
    PrinterSettings,
    Receipt,
    ReceiptTable,
    layout_receipt,
    load_profiles,
    text_width,
)
from drivers.printer.layout import key_value, wrap


@pytest.mark.parametrize(("profile", "columns"), [("generic-80mm", 48), ("generic-58mm", 32)])
def test_no_line_exceeds_the_paper(typical_receipt: Receipt, profile: str, columns: int) -> None:
    lines = layout_receipt(typical_receipt, load_profiles()[profile].columns)
    assert max(text_width(line) for line in lines) == columns  # separators fill the width
    assert all(text_width(line) <= columns for line in lines)
    assert "=" * columns in lines


def test_full_width_counts_two_columns() -> None:
    assert text_width("惠民") == 4
    assert text_width("AB12") == 4
    assert text_width("，。") == 4
    assert text_width("￥3") == 3
    lines = layout_receipt(Receipt("标题", [("金额", "中")]), 48)
    kv = next(line for line in lines if line.startswith("金额"))
    assert text_width(kv) == 48 and len(kv) == 48 - 4  # 金 额 ： 中 are full-width


def test_wrapping_never_splits_or_loses_characters() -> None:
    text = "河南省兰考县东坝头镇张庄村3组18号ABC便民服务站" * 3
    for width in (5, 7, 16, 31):
        parts = wrap(text, width)
        assert "".join(parts) == text
        assert all(text_width(p) <= width for p in parts)
        # an odd width cannot hold a half character: the line ends short instead
        assert all(text_width(p) >= width - 1 for p in parts[:-1])


def test_closing_punctuation_does_not_start_a_line() -> None:
    parts = wrap("一二三四，五六", 8)
    assert parts == ["一二三", "四，五六"]


def test_long_values_wrap_under_the_value_column() -> None:
    lines = key_value("地址", "河南省兰考县东坝头镇张庄村三组十八号", 32)
    assert lines[0].startswith("地址：河南")
    assert all(line.startswith("      ") for line in lines[1:])
    assert "".join(line.strip() for line in lines) == "地址：河南省兰考县东坝头镇张庄村三组十八号"


def test_58_and_80_mm_differ_only_in_width(typical_receipt: Receipt) -> None:
    wide, narrow = layout_receipt(typical_receipt, 48), layout_receipt(typical_receipt, 32)
    assert len(narrow) > len(wide)  # the long address and table cell wrap more

    def content(lines: list[str]) -> Counter[str]:
        return Counter(ch for ch in "".join(lines) if ch not in " =-")

    assert content(wide) == content(narrow)  # same characters, none lost or split


def test_table_columns_align_and_numbers_are_right_aligned() -> None:
    tbl = ReceiptTable(("项目", "金额"), [("个人缴费", "300.00"), ("补贴", "60.00")])
    lines = layout_receipt(Receipt("T", tables=[tbl], created_at=datetime(2026, 1, 1)), 48)
    rows = [line for line in lines if "缴费" in line or "补贴" in line]
    assert all(text_width(row) == 48 for row in rows)
    assert rows[0].endswith("300.00") and rows[1].endswith(" 60.00")


def test_table_too_wide_for_paper_is_an_error() -> None:
    tbl = ReceiptTable(tuple("一二三四五六七八九十甲乙"), [tuple("123456789012")])
    with pytest.raises(ValueError, match="columns"):
        layout_receipt(Receipt("T", tables=[tbl]), 32)


def test_control_characters_cannot_become_commands() -> None:
    lines = layout_receipt(Receipt("T\x1b@", [("名", "A\x1dV\x00B")]), 48)
    assert not any(ch in "".join(lines) for ch in "\x1b\x1d\x00")


def test_table_rows_must_match_the_header() -> None:
    with pytest.raises(ValueError, match="cells"):
        ReceiptTable(("a", "b"), [("1",)])


def test_settings_report_every_problem_with_its_key_path() -> None:
    with pytest.raises(ValueError) as info:
        PrinterSettings.from_dict({"type": "lpt", "width_mm": 70, "encodng": "gbk", "port": "x"})
    message = str(info.value)
    for expected in (
        "devices.printer.type",
        "devices.printer.width_mm",
        "did you mean 'encoding'",
        "devices.printer.port: Input should be a valid integer",
    ):
        assert expected in message
    settings = PrinterSettings.from_dict({"type": "usb", "id_vendor": "0416", "id_product": 0x5011})
    assert (settings.id_vendor, settings.id_product) == (0x0416, 0x5011)
