"""Rollouts, windows and remote logs on the hub, through its HTTP routes
(in-process app, SQLite): waves, automatic advance and self-pause, manual
pause/resume/abort, roles, audit, reasons per terminal, windows per place or
terminal, log requests delivered late and checked for personal data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from hub.fleet import rollouts
from hub.fleet.clock import utcnow
from hub.fleet.console.security import hash_password
from hub.fleet.models import AuditEntry, Operator
from hub.settings import HubSettings
from tests.hub.conftest import REPO, build_app
from tests.hub.fleet.helpers import enrol, login
from tools.ota.fleet import SignedRepo

PASSWORD = "rollout-test-password-1"


@dataclass
class World:
    app: FastAPI
    client: TestClient
    terminals: dict[str, tuple[int, dict[str, str]]]

    def as_role(self, role: str) -> str:
        self.client.cookies.clear()
        return login(self.client, f"u_{role}", PASSWORD)

    def offer(self, name: str) -> dict[str, object]:
        reply = self.client.get("/api/v1/terminal/update", headers=self.terminals[name][1])
        assert reply.status_code == 200, reply.text
        body: dict[str, object] = reply.json()
        return body

    def report(
        self, name: str, rollout_id: int, state: str, reason: str = "", tail: str = ""
    ) -> int:
        body = {
            "rollout_id": rollout_id,
            "version": "1.1.0",
            "state": state,
            "reason": reason,
            "log_tail": tail,
        }
        return self.client.post(
            "/api/v1/terminal/update/status", json=body, headers=self.terminals[name][1]
        ).status_code

    def advance(self, later_s: float = 0) -> list[str]:
        with self.app.state.engine.begin() as conn:
            return rollouts.advance(conn, utcnow() + timedelta(seconds=later_s))

    def audit(self, action: str) -> list[AuditEntry]:
        with self.app.state.engine.connect() as conn:
            return list(conn.execute(select(AuditEntry).where(AuditEntry.action == action)).all())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    signed = SignedRepo.create(tmp_path)
    signed.release("1.1.0", tmp_path)
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        secret_key="rollout-secret-0123456789abcdef",
        catalogue_path=str(REPO / "config" / "catalogue.json"),
        bootstrap_password="rollout-admin-password",
        data_key_file=str(tmp_path / "hub-data.key"),
        releases_dir=str(signed.repo.path),
    )
    app = build_app(settings)
    with TestClient(app) as client:
        terminals = {}
        for i in range(10):
            town = "城关镇" if i < 6 else "东坝头镇"
            terminals[f"T{i}"] = enrol(client, name=f"T{i}", town=town, village=f"村{i}")
        with app.state.engine.begin() as conn:
            for role in ("viewer", "operator", "system_admin", "auditor"):
                conn.execute(
                    insert(Operator).values(
                        username=f"u_{role}",
                        role=role,
                        password_hash=hash_password(PASSWORD),
                        created_at=utcnow(),
                        demo_account=True,
                    )
                )
        yield World(app, client, terminals)
    app.state.engine.dispose()


def start(world: World, waves: str, threshold: int = 20, period: int = 0) -> int:
    csrf = world.as_role("system_admin")
    reply = world.client.post(
        "/console/releases/approve",
        data={"version": "1.1.0", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and "err" not in reply.headers["location"], reply.headers
    with world.app.state.engine.connect() as conn:
        release_id = conn.execute(select(rollouts.Release.id)).scalar_one()
    reply = world.client.post(
        "/console/rollouts",
        data={
            "release_id": str(release_id),
            "waves": waves,
            "healthy_period_s": str(period),
            "failure_threshold_pct": str(threshold),
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    match = re.match(r"/console/rollouts/(\d+)", reply.headers["location"])
    assert match, reply.headers["location"]
    return int(match.group(1))


def test_waves_canary_place_percent(world: World) -> None:
    with world.app.state.engine.begin() as conn:
        waves = rollouts.parse_waves("canary:T3,T7; place:兰考县/东坝头镇; percent:60; percent:100")
        assigned = rollouts.assign_waves(conn, waves)
    ids = {name: tid for name, (tid, _) in world.terminals.items()}
    assert assigned[ids["T3"]] == 0 and assigned[ids["T7"]] == 0
    # T6..T9 are in 东坝头镇; T7 was already a canary.
    assert {n for n in ("T6", "T8", "T9") if assigned[ids[n]] == 1} == {"T6", "T8", "T9"}
    assert sum(1 for w in assigned.values() if w <= 2) == 6  # 60 % of 10, cumulative
    assert sorted(set(assigned.values())) == [0, 1, 2, 3]
    for bad in ("", "everyone", "percent:0", "percent:101", "canary"):
        with pytest.raises(rollouts.RolloutError):
            rollouts.parse_waves(bad)


def test_rollout_advances_after_the_healthy_period_and_finishes(world: World) -> None:
    rid = start(world, "canary:T0; percent:100", period=600)
    assert world.offer("T0")["release"]["version"] == "1.1.0"  # type: ignore[index]
    assert world.offer("T1")["release"] is None
    assert world.report("T0", rid, "downloading") == 204
    assert world.report("T0", rid, "healthy") == 204
    world.advance()  # settles the wave
    assert world.offer("T1")["release"] is None  # healthy period not over
    world.advance(later_s=601)
    assert world.offer("T1")["release"]["rollout_id"] == rid  # type: ignore[index]
    for name in world.terminals:
        if name != "T0":
            world.report(name, rid, "healthy")
    world.advance()
    assert world.advance(later_s=601) == [f"rollout {rid} done"]
    assert world.offer("T5")["release"] is None
    assert [e.action for e in world.audit("rollout_advance")] == ["rollout_advance"]
    assert world.audit("rollout_done")


def test_wave_over_threshold_pauses_itself_and_shows_the_reason(world: World) -> None:
    rid = start(world, "canary:T0,T1,T2,T3; percent:100", threshold=25)
    tail = "2026-12-03 10:00:00 ERROR boot: ConfigError\nid 4101*************X"
    assert (
        world.report("T0", rid, "rolled_back", "crash loop: version 1.1.0 stopped 3 times", tail)
        == 204
    )
    assert world.offer("T4")["release"] is None
    assert (
        world.report("T1", rid, "rolled_back", "health gate: hub not reached within 120 s") == 204
    )
    # 2 of 4 = 50 % > 25 %: paused by the report itself, audited as the system.
    with world.app.state.engine.connect() as conn:
        state, reason = conn.execute(
            select(rollouts.Rollout.state, rollouts.Rollout.pause_reason)
        ).one()
    assert state == "paused" and "2/4" in reason
    pauses = world.audit("rollout_pause")
    assert pauses and pauses[-1].actor == "system"
    assert world.offer("T2")["release"] is None, "a paused rollout offers nothing"
    world.as_role("viewer")
    page = world.client.get(f"/console/rollouts/{rid}")
    assert page.status_code == 200
    assert "crash loop: version 1.1.0 stopped 3 times" in page.text
    assert "health gate: hub not reached" in page.text and "ConfigError" in page.text
    assert "已回滚" in page.text and "超过阈值" in page.text


def test_unmasked_reason_is_refused(world: World) -> None:
    rid = start(world, "canary:T0; percent:100")
    assert world.report("T0", rid, "failed", "card 6222021234567890123 unreadable") == 422
    assert world.report("T0", rid, "failed", "", "phone 13812345678") == 422
    assert world.report("T1", rid, "healthy") == 204  # in the rollout, later wave
    assert world.report("T0", rid + 1, "healthy") == 404


def test_pause_resume_abort_by_hand_with_roles(world: World) -> None:
    rid = start(world, "canary:T0; percent:100")
    csrf = world.as_role("viewer")
    for action in ("pause", "resume", "abort"):
        reply = world.client.post(
            f"/console/rollouts/{rid}/{action}", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert reply.status_code == 403
    reply = world.client.post(
        "/console/rollouts", data={"release_id": "1", "waves": "percent:100", "csrf_token": csrf}
    )
    assert reply.status_code == 403
    csrf = world.as_role("operator")
    reply = world.client.post(
        "/console/releases/approve", data={"version": "1.1.0", "csrf_token": csrf}
    )
    assert reply.status_code == 403, "an operator cannot approve a release"
    reply = world.client.post(
        "/console/rollouts", data={"release_id": "1", "waves": "percent:100", "csrf_token": csrf}
    )
    assert reply.status_code == 403, "an operator cannot start a rollout"
    world.as_role("auditor")
    assert world.client.get(f"/console/rollouts/{rid}").status_code == 403
    csrf = world.as_role("operator")

    def act(action: str, **extra: str) -> str:
        reply = world.client.post(
            f"/console/rollouts/{rid}/{action}",
            data={"csrf_token": csrf, **extra},
            follow_redirects=False,
        )
        assert reply.status_code == 303
        return reply.headers["location"]

    assert "msg=" in act("pause")
    assert world.offer("T0")["release"] is None
    assert "err=" in act("pause"), "pausing a paused rollout is refused"
    assert "msg=" in act("resume", threshold_pct="50")
    assert world.offer("T0")["release"] is not None
    assert "msg=" in act("abort")
    assert world.offer("T0")["release"] is None
    assert "err=" in act("resume")
    actions = [
        e.action
        for e in world.audit("rollout_pause")
        + world.audit("rollout_resume")
        + world.audit("rollout_abort")
    ]
    assert actions.count("rollout_pause") == 2 and actions.count("rollout_resume") == 2
    denied = world.audit("denied")
    assert len(denied) >= 5, "every refusal is audited"


def test_windows_per_place_and_terminal(world: World) -> None:
    csrf = world.as_role("operator")

    def put(scope: str, **times: str) -> str:
        data = {
            "scope": scope,
            "maintenance_start": "01:00",
            "maintenance_end": "03:00",
            "csrf_token": csrf,
            **times,
        }
        return world.client.post("/console/windows", data=data, follow_redirects=False).headers[
            "location"
        ]

    assert "msg=" in put(
        "place:兰考县/城关镇", screen_on="08:00", screen_off="18:00", reboot_at="02:30"
    )
    tid = world.terminals["T1"][0]
    assert "msg=" in put(f"terminal:{tid}", maintenance_start="22:00", maintenance_end="02:00")
    assert "err=" in put("place:x", screen_on="08:00")  # on without off
    assert "err=" in put("somewhere")
    assert "err=" in put("place:x", reboot_at="25:00")
    w0 = world.offer("T0")["windows"]
    assert w0 == {
        "maintenance_start": "01:00",
        "maintenance_end": "03:00",
        "reboot_at": "02:30",
        "screen_on": "08:00",
        "screen_off": "18:00",
    }
    assert world.offer("T1")["windows"]["maintenance_start"] == "22:00"  # type: ignore[index]
    assert world.offer("T8")["windows"]["maintenance_start"] == "02:00"  # type: ignore[index]  # default
    assert world.audit("window_set")
    csrf = world.as_role("viewer")
    reply = world.client.post(
        "/console/windows",
        data={
            "scope": "place:",
            "maintenance_start": "01:00",
            "maintenance_end": "02:00",
            "csrf_token": csrf,
        },
    )
    assert reply.status_code == 403


def test_log_requests_wait_for_the_terminal_and_must_be_masked(world: World) -> None:
    tid, auth = world.terminals["T2"]
    csrf = world.as_role("operator")
    reply = world.client.post(
        f"/console/terminals/{tid}/logs",
        data={"kind": "window", "minutes": "30", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert "msg=" in reply.headers["location"]
    # The terminal was offline; it finds the request when it polls again.
    requests_ = world.offer("T2")["log_requests"]
    assert len(requests_) == 1 and requests_[0]["kind"] == "window"  # type: ignore[index,arg-type]
    request_id = requests_[0]["id"]  # type: ignore[index]
    upload = f"/api/v1/terminal/logs/{request_id}"
    text_headers = {**auth, "Content-Type": "text/plain"}
    assert (
        world.client.post(
            upload, content=b"id 41010219900307123X", headers=text_headers
        ).status_code
        == 422
    )
    other = world.terminals["T3"][1]
    assert (
        world.client.post(
            upload, content=b"x", headers={**other, "Content-Type": "text/plain"}
        ).status_code
        == 404
    )
    assert (
        world.client.post(
            upload,
            content=b"2026-12-03 10:00:00 INFO ok 4101*************X",
            headers=text_headers,
        ).status_code
        == 204
    )
    assert world.offer("T2")["log_requests"] == []
    page = world.client.get(f"/console/terminals/{tid}/logs")
    assert "已上传" in page.text
    text = world.client.get(f"/console/logs/{request_id}")
    assert text.status_code == 200 and "INFO ok" in text.text
    assert world.audit("log_request") and world.audit("log_upload") and world.audit("log_download")
    world.as_role("viewer")
    assert world.client.get(f"/console/logs/{request_id}").status_code == 403
