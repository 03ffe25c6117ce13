"""Rollouts: a release goes out in waves that advance themselves after a
healthy period and pause themselves when a wave fails (hawkBit's rollout
groups with error thresholds, balena's rollback-health).

A wave is one of (``parse_waves``):

- ``canary:<name or id>,<name or id>…`` named terminals;
- ``place:<county>[/<town>[/<village>]]`` every terminal of that place;
- ``percent:<n>`` until n % of the fleet has been offered the release
  (cumulative; chosen by a stable hash of the terminal id, so the same
  terminals go first whatever order they enrolled in).

Terminals that no wave names join the last wave. Each terminal's state is
what its agent reports: ``waiting`` (its wave has not come), ``pending``
(offered), ``downloading``, ``staged``, ``switching``, ``healthy``,
``rolled_back`` and ``failed`` (both with the reason).

The current wave *settles* when each of its terminals is healthy, rolled
back or failed; ``healthy_period_s`` after it settled the next wave opens.
When rolled back + failed pass ``failure_threshold_pct`` of the wave, the
rollout pauses itself (audited as ``system``) and no new terminal is
offered the release; terminals that already took it keep it, their own
health gate protects them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hub.fleet import audit
from hub.fleet.auth import place_path
from hub.fleet.clock import utcnow
from hub.fleet.models import Release, Rollout, RolloutTarget, Terminal

AGENT_STATES = ("pending", "downloading", "staged", "switching", "healthy", "rolled_back", "failed")
FINAL_STATES = frozenset({"healthy", "rolled_back", "failed"})
FAILED_STATES = frozenset({"rolled_back", "failed"})
STATE_LABELS = {
    "waiting": "等待批次",
    "pending": "待更新",
    "downloading": "下载中",
    "staged": "已就绪",
    "switching": "切换中",
    "healthy": "正常",
    "rolled_back": "已回滚",
    "failed": "失败",
}
ROLLOUT_LABELS = {"running": "进行中", "paused": "已暂停", "done": "已完成", "aborted": "已中止"}
_WAVE = re.compile(r"^(canary|place|percent):(.+)$")
MAX_WAVES = 20


class RolloutError(ValueError):
    """A rollout cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True)
class Wave:
    kind: str  # canary | place | percent
    value: str

    def label(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_waves(text: str) -> list[Wave]:
    """``"canary:T1,T2; percent:10; place:兰考县/城关镇; percent:100"`` → waves.

    Raises :class:`RolloutError` naming the bad part."""
    waves: list[Wave] = []
    for part in (p.strip() for p in re.split(r"[;\n]", text)):
        if not part:
            continue
        match = _WAVE.match(part)
        if match is None:
            raise RolloutError(f"批次“{part}”应为 canary:… / place:… / percent:…")
        kind, value = match.group(1), match.group(2).strip()
        if kind == "percent" and (not value.isdigit() or not 1 <= int(value) <= 100):
            raise RolloutError(f"批次“{part}”的百分比应为 1–100")
        waves.append(Wave(kind, value))
    if not waves:
        raise RolloutError("至少需要一个批次")
    if len(waves) > MAX_WAVES:
        raise RolloutError(f"批次不能多于 {MAX_WAVES} 个")
    return waves


def _stable_rank(terminal_id: int) -> str:
    return hashlib.sha256(f"rollout:{terminal_id}".encode()).hexdigest()


def assign_waves(conn: Connection, waves: list[Wave]) -> dict[int, int]:
    """terminal id → wave index for every active terminal."""
    rows = conn.execute(
        select(Terminal.id, Terminal.name, Terminal.county, Terminal.town, Terminal.village).where(
            Terminal.revoked_at.is_(None)
        )
    ).all()
    by_rank = sorted(rows, key=lambda r: _stable_rank(r.id))
    total = len(rows)
    assigned: dict[int, int] = {}
    for index, wave in enumerate(waves):
        if wave.kind == "canary":
            names = {n.strip() for n in wave.value.split(",") if n.strip()}
            for row in rows:
                if (row.name in names or str(row.id) in names) and row.id not in assigned:
                    assigned[row.id] = index
        elif wave.kind == "place":
            scope = wave.value.strip("/")
            for row in rows:
                path = place_path(row.county, row.town, row.village)
                if (path == scope or path.startswith(scope + "/")) and row.id not in assigned:
                    assigned[row.id] = index
        else:
            goal = -(-total * int(wave.value) // 100)  # ceiling: 1 % of 50 is one terminal
            for row in by_rank:
                if len(assigned) >= goal:
                    break
                if row.id not in assigned:
                    assigned[row.id] = index
    last = len(waves) - 1
    for row in rows:
        assigned.setdefault(row.id, last)
    return assigned


def create_rollout(
    conn: Connection,
    release_id: int,
    waves: list[Wave],
    healthy_period_s: int,
    failure_threshold_pct: int,
    actor: str,
) -> int:
    """Start a rollout of an approved release; its id. Refuses while another
    rollout runs or is paused (one release at a time goes out)."""
    if conn.execute(select(Release.id).where(Release.id == release_id)).first() is None:
        raise RolloutError("该版本尚未批准")
    active = conn.execute(
        select(Rollout.id).where(Rollout.state.in_(("running", "paused")))
    ).first()
    if active is not None:
        raise RolloutError(f"发布 #{active.id} 尚未结束：请先完成或中止")
    now = utcnow()
    rollout_id = int(
        conn.execute(
            insert(Rollout)
            .values(
                release_id=release_id,
                state="running",
                waves_json=json.dumps([w.label() for w in waves], ensure_ascii=False),
                current_wave=0,
                wave_started_at=now,
                healthy_period_s=healthy_period_s,
                failure_threshold_pct=failure_threshold_pct,
                created_by=actor,
                created_at=now,
            )
            .returning(Rollout.id)
        ).scalar_one()
    )
    assignment = assign_waves(conn, waves)
    if assignment:
        conn.execute(
            insert(RolloutTarget),
            [
                {
                    "rollout_id": rollout_id,
                    "terminal_id": tid,
                    "wave": wave,
                    "state": "pending" if wave == 0 else "waiting",
                    "updated_at": now,
                }
                for tid, wave in assignment.items()
            ],
        )
    return rollout_id


def offer_for(conn: Connection, terminal_id: int) -> dict[str, Any] | None:
    """The release this terminal should install now, or None: only from a
    running rollout whose current wave has reached the terminal."""
    row = conn.execute(
        select(Rollout.id, Release.version, Release.target, Release.length, Release.sha256)
        .join(RolloutTarget, RolloutTarget.rollout_id == Rollout.id)
        .join(Release, Release.id == Rollout.release_id)
        .where(
            Rollout.state == "running",
            RolloutTarget.terminal_id == terminal_id,
            RolloutTarget.wave <= Rollout.current_wave,
        )
        .order_by(Rollout.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {
        "rollout_id": row.id,
        "version": row.version,
        "target": row.target,
        "length": row.length,
        "sha256": row.sha256,
    }


def record_state(
    conn: Connection,
    terminal_id: int,
    rollout_id: int,
    state: str,
    reason: str = "",
    log_tail: str = "",
) -> bool:
    """Store a terminal's report; False when it is not in that rollout.
    A final state is kept once reached unless a newer attempt starts over."""
    if state not in AGENT_STATES:
        raise RolloutError(f"unknown update state {state!r}")
    values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
    if state in FAILED_STATES or reason:
        values["reason"] = reason[:400]
    if log_tail:
        values["log_tail"] = log_tail[:8000]
    done = conn.execute(
        update(RolloutTarget)
        .where(RolloutTarget.rollout_id == rollout_id, RolloutTarget.terminal_id == terminal_id)
        .values(**values)
    )
    return bool(done.rowcount)


def _wave_counts(conn: Connection, rollout_id: int, wave: int) -> dict[str, int]:
    rows = conn.execute(
        select(RolloutTarget.state, func.count())
        .where(RolloutTarget.rollout_id == rollout_id, RolloutTarget.wave == wave)
        .group_by(RolloutTarget.state)
    ).all()
    return {str(state): int(count) for state, count in rows}


def advance(conn: Connection, now: datetime | None = None) -> list[str]:
    """Pause, advance or finish each running rollout as its current wave
    dictates; what was done, one line each (also audited as ``system``)."""
    now = now or utcnow()
    said: list[str] = []
    running = select(Rollout.__table__).where(Rollout.state == "running")
    for r in conn.execute(running).all():
        waves = json.loads(r.waves_json)
        counts = _wave_counts(conn, r.id, r.current_wave)
        size = sum(counts.values())
        failed = sum(counts.get(s, 0) for s in FAILED_STATES)
        finished = sum(counts.get(s, 0) for s in FINAL_STATES)
        if size and failed * 100 > r.failure_threshold_pct * size:
            reason = (
                f"第 {r.current_wave + 1} 批 {failed}/{size} 台失败或回滚，"
                f"超过阈值 {r.failure_threshold_pct}%"
            )
            _set(conn, r.id, state="paused", pause_reason=reason)
            audit.record(conn, "system", "rollout_pause", f"rollout:{r.id}", reason)
            said.append(f"rollout {r.id} paused: {reason}")
            continue
        if finished < size:
            continue
        if r.wave_settled_at is None:
            _set(conn, r.id, wave_settled_at=now)
            continue
        if now - r.wave_settled_at < timedelta(seconds=r.healthy_period_s):
            continue
        if r.current_wave + 1 >= len(waves):
            _set(conn, r.id, state="done", finished_at=now)
            audit.record(conn, "system", "rollout_done", f"rollout:{r.id}", "全部批次完成")
            said.append(f"rollout {r.id} done")
            continue
        nxt = r.current_wave + 1
        _set(conn, r.id, current_wave=nxt, wave_started_at=now, wave_settled_at=None)
        conn.execute(
            update(RolloutTarget)
            .where(
                RolloutTarget.rollout_id == r.id,
                RolloutTarget.wave == nxt,
                RolloutTarget.state == "waiting",
            )
            .values(state="pending", updated_at=now)
        )
        audit.record(
            conn, "system", "rollout_advance", f"rollout:{r.id}", f"第 {nxt + 1} 批：{waves[nxt]}"
        )
        said.append(f"rollout {r.id} wave {nxt}")
    return said


def _set(conn: Connection, rollout_id: int, **values: Any) -> None:
    conn.execute(update(Rollout).where(Rollout.id == rollout_id).values(**values))


_TRANSITIONS = {
    "pause": ({"running"}, "paused"),
    "resume": ({"paused"}, "running"),
    "abort": ({"running", "paused"}, "aborted"),
}


def change_state(
    conn: Connection,
    rollout_id: int,
    action: str,
    actor: str,
    threshold_pct: int | None = None,
) -> str:
    """An operator's pause / resume / abort; the new state. Raises
    :class:`RolloutError` for a transition the rollout's state does not allow.

    A wave that paused itself is judged again on resume with the same
    failures counted, so it pauses again at once unless the operator raises
    ``threshold_pct`` (accepting those failures) or the terminals recovered."""
    if action not in _TRANSITIONS:
        raise RolloutError(f"unknown action {action!r}")
    allowed_from, to = _TRANSITIONS[action]
    row = conn.execute(select(Rollout.state).where(Rollout.id == rollout_id)).first()
    if row is None:
        raise RolloutError("no such rollout")
    if row.state not in allowed_from:
        label = ROLLOUT_LABELS.get(row.state, row.state)
        raise RolloutError(f"发布处于“{label}”，不能执行 {action}")
    values: dict[str, Any] = {"state": to}
    if action == "abort":
        values["finished_at"] = utcnow()
    elif action == "pause":
        values["pause_reason"] = f"{actor} 手动暂停"
    else:
        values["pause_reason"] = ""
        if threshold_pct is not None:
            values["failure_threshold_pct"] = max(0, min(100, threshold_pct))
    _set(conn, rollout_id, **values)
    return to
