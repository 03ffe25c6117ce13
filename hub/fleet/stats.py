"""Service statistics (DESIGN §5).

Sessions come from ``session_summary`` events: ``{service_id?, completed,
duration_s, mode_elder, mode_voice, pages_printed}``. 好差评 come from the
service API's ratings (``svc_ratings``: level 1 非常满意 … 5 非常不满意;
4–5 are 差评 and carry reason codes). Zero-visit / one-visit shares use the
catalogue's 跑动次数 of each completed session's item.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, select

from hub.fleet.models import Terminal, TerminalEvent
from hub.services.models import RatingRow
from hub.services.ratings import LEVELS, REASONS

RATING_LABELS: dict[int, str] = dict(LEVELS)
BAD_LEVELS = (4, 5)
_REASON_TEXT = {r.code: r.text for r in REASONS}


@dataclass
class Tally:
    sessions: int = 0
    completed: int = 0
    duration_s: float = 0.0
    pages: int = 0

    def add(self, completed: bool, duration_s: float, pages: int) -> None:
        self.sessions += 1
        self.completed += int(completed)
        self.duration_s += duration_s
        self.pages += pages

    @property
    def abandoned(self) -> int:
        return self.sessions - self.completed

    @property
    def completion_rate(self) -> float:
        return self.completed / self.sessions if self.sessions else 0.0

    @property
    def avg_duration_s(self) -> float:
        return self.duration_s / self.sessions if self.sessions else 0.0


@dataclass
class Statistics:
    start: date
    end: date
    total: Tally = field(default_factory=Tally)
    per_day: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_service: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_terminal: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    ratings: Counter[int] = field(default_factory=Counter)
    bad_reasons: Counter[str] = field(default_factory=Counter)
    elder_sessions: int = 0
    voice_sessions: int = 0
    visits: Counter[str] = field(default_factory=Counter)  # 跑动次数 of completed sessions


def _number(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 0.0
    return value if value >= 0 else 0.0


def compute(
    conn: Connection, start: date, end: date, visits_of: dict[str, str] | None = None
) -> Statistics:
    """Aggregate sessions and ratings with ``start <= day <= end`` (UTC days);
    ``visits_of`` maps item id → 跑动次数 label."""
    first = datetime.combine(start, time.min)
    after = datetime.combine(end + timedelta(days=1), time.min)
    stats = Statistics(start, end)
    names = {row.id: row.name for row in conn.execute(select(Terminal.id, Terminal.name)).all()}
    rows = conn.execute(
        select(TerminalEvent.terminal_id, TerminalEvent.at, TerminalEvent.data_json).where(
            TerminalEvent.kind == "session_summary",
            TerminalEvent.at >= first,
            TerminalEvent.at < after,
        )
    )
    for row in rows:
        try:
            data = json.loads(row.data_json)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        completed = bool(data.get("completed"))
        duration = _number(data.get("duration_s"))
        pages = int(_number(data.get("pages_printed")))
        for tally in (
            stats.total,
            stats.per_day[row.at.date().isoformat()],
            stats.per_service[str(data.get("service_id") or "（未选事项）")],
            stats.per_terminal[names.get(row.terminal_id, f"#{row.terminal_id}")],
        ):
            tally.add(completed, duration, pages)
        stats.elder_sessions += int(bool(data.get("mode_elder")))
        stats.voice_sessions += int(bool(data.get("mode_voice")))
        service = data.get("service_id")
        if completed and visits_of and isinstance(service, str) and service in visits_of:
            stats.visits[visits_of[service]] += 1
    ratings = conn.execute(
        select(RatingRow.level, RatingRow.reasons).where(
            RatingRow.at >= first, RatingRow.at < after
        )
    )
    for level, reasons in ratings:
        stats.ratings[int(level)] += 1
        if level in BAD_LEVELS:
            stats.bad_reasons.update(_REASON_TEXT.get(str(r), str(r)) for r in reasons or [])
    return stats


def csv_rows(stats: Statistics) -> list[list[str]]:
    """Rows for the CSV export: one line per (dimension, key)."""
    header = ["维度", "项目", "会话数", "完成", "放弃", "完成率", "平均时长(秒)", "打印页数"]
    rows = [header]
    for dimension, table in (
        ("合计", {"全部": stats.total}),
        ("日期", dict(sorted(stats.per_day.items()))),
        ("事项", dict(sorted(stats.per_service.items()))),
        ("终端", dict(sorted(stats.per_terminal.items()))),
    ):
        for key, tally in table.items():
            rows.append(
                [
                    dimension,
                    key,
                    str(tally.sessions),
                    str(tally.completed),
                    str(tally.abandoned),
                    f"{tally.completion_rate:.1%}",
                    f"{tally.avg_duration_s:.1f}",
                    str(tally.pages),
                ]
            )
    for level in sorted(RATING_LABELS):
        rows.append(
            ["好差评", RATING_LABELS[level], str(stats.ratings.get(level, 0)), "", "", "", "", ""]
        )
    for reason, count in stats.bad_reasons.most_common():
        rows.append(["差评原因", reason, str(count), "", "", "", "", ""])
    for visits, count in sorted(stats.visits.items()):
        rows.append(["跑动次数（已完成）", visits, str(count), "", "", "", "", ""])
    rows.append(["长辈模式", "会话数", str(stats.elder_sessions), "", "", "", "", ""])
    rows.append(["语音模式", "会话数", str(stats.voice_sessions), "", "", "", "", ""])
    return rows
