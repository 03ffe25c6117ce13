"""The permit layouts of the 256-byte text block, checked against offsets
written out here from the published layouts, not from ``LAYOUTS``.

Sources (specs/idcard-reader.md "The 256-byte text block", which summarises
them; every block is UCS-2 little-endian, padded with spaces, the card-type
character at bytes 248-249):

- 'J', 港澳台居民居住证 (HK/Macao/Taiwan residence permit, 2018): the
  resident layout of GA 467 for bytes 0-219, then 通行证号码 220/18, 签发次数
  238/4, reserved 242/6, type 248/2, reserved 250/6 — the field table of
  Johann356/readinfo ``PCSCGetData.h`` (``tagIDCardInfor``).
- 'I', 外国人永久居留身份证 2017: English name 0/120, sex 120/2, permit
  number 122/30, nationality 152/6 (GB/T 2659 alpha-3), Chinese name
  158/30, valid from 188/16, valid to 204/16, birth 220/16, card version
  236/4, authority code 240/8, type 248/2, reserved 250/6 (the field sizes
  as in Centerm's SDK header ``IDCardDef.h``: 英文姓名 120, 证件版本号 4,
  受理机关代码 8, 证件类型标志 2, 预留项 6).
- 'Y', 外国人永久居留身份证 2023 (新版外国人永久居留身份证机读信息规则 of the
  National Immigration Administration, republished by reader vendors, e.g.
  eastcoms.com 2023-10-20; field table as the spec gives it): Chinese name 0/30, sex
  30/2, renewal count 32/4, birth 36/16, English name 52/70, ID number
  122/36 (18 digits starting with 9, GB 11643 check), reserved 158/30,
  valid from 188/16, valid to 204/16, English name continued 220/22,
  nationality 242/6, type 248/2, old-number link 250/6.

Each test writes the fields at those offsets by hand and fills the reserved
areas with a marker character, so a layout that is off by even one
character, or reads into a reserved area, fails here.
"""

from __future__ import annotations

from datetime import date

import pytest

from drivers.errors import ProtocolError
from drivers.idcard.text import decode_text_block

SPACE = " ".encode("utf-16-le")
RESERVED_MARK = "#"  # written into every reserved area; no field may contain it


def block_at(fields: dict[int, tuple[int, str]]) -> bytes:
    """256 bytes of UCS-2LE spaces with each ``offset: (length, text)`` written in.

    Checks that the text fits its length, so the table below cannot silently
    overlap one field with the next.
    """
    block = bytearray(SPACE * 128)
    for offset, (length, text) in sorted(fields.items()):
        raw = text.encode("utf-16-le")
        assert len(raw) <= length, f"{text!r} is longer than {length} bytes"
        assert offset + length <= 256
        block[offset : offset + len(raw)] = raw
    return bytes(block)


def reserved(length: int) -> tuple[int, str]:
    return (length, RESERVED_MARK * (length // 2))


def test_hk_macao_taiwan_permit_j() -> None:
    block = block_at(
        {
            0: (30, "陈家明"),
            30: (2, "1"),
            32: (4, ""),  # no 民族 on a permit
            36: (16, "19900615"),
            52: (70, "河南省兰考县城关镇裕禄大道88号"),
            122: (36, "810000199006150037"),
            158: (30, "兰考县公安局"),
            188: (16, "20240520"),
            204: (16, "20290520"),
            220: (18, "H12345678"),
            238: (4, "03"),
            242: reserved(6),
            248: (2, "J"),
            250: reserved(6),
        }
    )
    card = decode_text_block(block)
    assert card.card_type == "J"
    assert (card.name, card.sex, card.nation) == ("陈家明", "男", "")
    assert card.birth_date == date(1990, 6, 15)
    assert card.address == "河南省兰考县城关镇裕禄大道88号"
    assert card.id_number == "810000199006150037"
    assert card.authority == "兰考县公安局"
    assert (card.valid_from, card.valid_to) == (date(2024, 5, 20), date(2029, 5, 20))
    assert card.pass_number == "H12345678"
    assert card.issue_count == 3


def test_j_permit_fields_filling_their_whole_width() -> None:
    """A nine-character pass number fills 18 bytes; the issue count sits right after."""
    block = block_at(
        {
            0: (30, "欧阳陈家明明明明明明明明明明明"),  # 15 characters: all 30 bytes
            30: (2, "2"),
            36: (16, "19881203"),
            52: (70, "台湾省" + "台北市" * 10 + "信义"),  # 35 characters: all 70 bytes
            122: (36, "830000198812030020"),
            158: (30, "厦门市公安局思明分局出入境管理大队"[:15]),
            188: (16, "20230101"),
            204: (16, "20280101"),
            220: (18, "T98765432"),
            238: (4, "12"),
            242: reserved(6),
            248: (2, "J"),
            250: reserved(6),
        }
    )
    card = decode_text_block(block)
    assert card.name == "欧阳陈家明明明明明明明明明明明"
    assert card.address == "台湾省" + "台北市" * 10 + "信义"
    assert card.authority == "厦门市公安局思明分局出入境管理大队"[:15]
    assert (card.pass_number, card.issue_count) == ("T98765432", 12)
    assert card.sex == "女"


def test_foreign_permanent_resident_card_2017_i() -> None:
    english = "SMITH, JOHN WILLIAM"
    block = block_at(
        {
            0: (120, english),
            120: (2, "1"),
            122: (30, "USA110085060101"),
            152: (6, "USA"),
            158: (30, "史密斯"),
            188: (16, "20190110"),
            204: (16, "20290110"),
            220: (16, "19850601"),
            236: (4, "17"),
            240: (8, "1100"),
            248: (2, "I"),
            250: reserved(6),
        }
    )
    card = decode_text_block(block)
    assert card.card_type == "I"
    assert (card.english_name, card.name, card.sex) == (english, "史密斯", "男")
    # The 2017 permit number is 3 letters + 12 digits: no GB 11643 check applies.
    assert card.id_number == "USA110085060101"
    assert card.nationality == "USA"
    assert card.birth_date == date(1985, 6, 1)
    assert (card.valid_from, card.valid_to) == (date(2019, 1, 10), date(2029, 1, 10))
    assert (card.card_version, card.authority_code) == ("17", "1100")
    # No address, authority or nation on this card.
    assert (card.address, card.authority, card.nation) == ("", "", "")


def test_i_card_english_name_of_sixty_characters_ends_where_sex_begins() -> None:
    english = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF, HUBERT BLAINE ALEXANDERS"[:60]
    assert len(english) == 60
    block = block_at(
        {
            0: (120, english),
            120: (2, "2"),
            122: (30, "DEU120092020301"),
            152: (6, "DEU"),
            158: (30, "沃尔夫"),
            188: (16, "20200101"),
            204: (16, "20300101"),
            220: (16, "19920203"),
            236: (4, "17"),
            240: (8, "3100"),
            248: (2, "I"),
            250: reserved(6),
        }
    )
    card = decode_text_block(block)
    assert card.english_name == english
    assert card.sex == "女"
    assert card.id_number == "DEU120092020301"
    assert card.authority_code == "3100"


def test_foreign_permanent_resident_card_2023_y() -> None:
    block = block_at(
        {
            0: (30, "玛丽亚"),
            30: (2, "2"),
            32: (4, "12"),
            36: (16, "19921103"),
            52: (70, "GARCIA LOPEZ, MARIA"),
            122: (36, "941724199211030025"),
            158: reserved(30),
            188: (16, "20231201"),
            204: (16, "20331201"),
            220: (22, ""),
            242: (6, "ESP"),
            248: (2, "Y"),
            250: (6, "1"),
        }
    )
    card = decode_text_block(block)
    assert card.card_type == "Y"
    assert (card.name, card.sex) == ("玛丽亚", "女")
    assert card.renewal_count == 12
    assert card.birth_date == date(1992, 11, 3)
    assert card.english_name == "GARCIA LOPEZ, MARIA"
    assert card.id_number == "941724199211030025"
    assert (card.valid_from, card.valid_to) == (date(2023, 12, 1), date(2033, 12, 1))
    assert card.nationality == "ESP"
    assert card.old_number_link == "1"
    assert RESERVED_MARK not in (card.authority + card.address)


def test_y_card_long_english_name_continues_at_byte_220() -> None:
    """35 characters fill 52/70; the rest (up to 11) is at 220/22, and the two
    parts join without dropping the padding-looking space at the seam."""
    first = "GARCIA LOPEZ, MARIA FERNANDA ISABE"  # 34 characters + the space below
    english = first + " " + "LLA SOFIA"
    block = block_at(
        {
            0: (30, "玛丽亚"),
            30: (2, "2"),
            32: (4, "00"),
            36: (16, "19921103"),
            52: (70, first + " "),
            122: (36, "941724199211030025"),
            158: reserved(30),
            188: (16, "20231201"),
            204: (16, "20331201"),
            220: (22, "LLA SOFIA"),
            242: (6, "ESP"),
            248: (2, "Y"),
            250: (6, ""),
        }
    )
    card = decode_text_block(block)
    assert card.english_name == english
    assert card.nationality == "ESP"
    assert card.renewal_count == 0


def test_y_card_number_must_pass_its_check_character() -> None:
    """The 2023 number follows GB 11643 (check character by MOD 11-2), the 2017 one does not."""
    fields = {
        0: (30, "玛丽亚"),
        30: (2, "2"),
        36: (16, "19921103"),
        52: (70, "GARCIA LOPEZ, MARIA"),
        122: (36, "941724199211030026"),
        188: (16, "20231201"),
        204: (16, "20331201"),
        242: (6, "ESP"),
        248: (2, "Y"),
    }
    with pytest.raises(ProtocolError, match="GB 11643"):
        decode_text_block(block_at(fields))
