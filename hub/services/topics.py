"""The national service-topic classification for natural persons.

From the State Council's 《"互联网+政务服务"技术体系建设指南》 as quoted in
seeds/000 附件1 and seeds/002 附件4: 31 topics in the order of a human life
(生育收养 first, 其他 last). Codes ``ZR01``…``ZR31`` (自然人) number them in
that order; the catalogue file refers to topics by code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    code: str
    name: str
    note: str = ""


_NAMES = (
    "生育收养",
    "户籍办理",
    "民族宗教",
    "教育科研",
    "入伍服役",
    "就业创业",
    "设立变更",
    "准营准办",
    "抵押质押",
    "职业资格",
    "行政缴费",
    "婚姻登记",
    "优待抚恤",
    "规划建设",
    "住房保障",
    "社会保障",
    "证件办理",
    "交通出行",
    "旅游观光",
    "出境入境",
    "消费维权",
    "公共安全",
    "司法公证",
    "知识产权",
    "环保绿化",
    "文化体育",
    "公用事业",
    "医疗卫生",
    "离职退休",
    "死亡殡葬",
    "其他",
)
_NOTES = {"社会保障": "社会保险、社会救助", "其他": "含个体工商户"}

TOPICS: tuple[Topic, ...] = tuple(
    Topic(f"ZR{i:02d}", name, _NOTES.get(name, "")) for i, name in enumerate(_NAMES, start=1)
)
TOPICS_BY_CODE: dict[str, Topic] = {t.code: t for t in TOPICS}
