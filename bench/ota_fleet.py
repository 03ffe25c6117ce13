"""A fleet of simulated terminals taking releases (issue 18): the real hub
process, and ``--terminals`` terminals each running the real fleet agent and
updater (tools/ota/terminal.py) from its own A/B slots under the real boot
supervisor (kiosk/agent/update_boot.py; run in threads of this process to
spare 200 interpreters, each starting its terminal as a child process).

1. A good release goes out (canaries, then 5, 25, 50, 75, 100 %, a healthy
   period between waves, auto-advance): it must reach every terminal, and no
   terminal may be down more than 30 s during its switch (from the trial
   being written to the health gate passing).
2. A release that crashes at start goes out with the same waves and a 0 %
   threshold: it must be halted after at most 5 % of the fleet took it.

    PYTHONPATH=. .venv/bin/python -m bench.ota_fleet --terminals 200

Terminals are provisioned as an image would be: slot a is built once and
copied (the image carries it prebuilt); every later install is done by each
terminal's own updater.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.hub_heartbeats import hub_processes, prepare_schema
from kiosk.agent.update_boot import BootSupervisor
from tools.ota.fleet import SignedRepo, SimTerminal, shared_site_packages

ADMIN_PASSWORD = "huimin-demo"
# On one shared machine every terminal of a wave restarts on the same 2 cores:
# waves of at most a quarter of the fleet keep that contention from being the
# figure (on real terminals each has its own CPU).
WAVES = "canary:F000,F001; percent:5; percent:25; percent:50; percent:75; percent:100"
MAX_DOWN_S = 30.0
MAX_BAD_SHARE = 0.05


def provision_fleet(
    base: Path, count: int, hub_url: str, signed: SignedRepo, first: Path
) -> list[SimTerminal]:
    from kiosk.agent.update_slots import Slots

    template = base / "template"
    Slots(template).install(first, "a", extra_site=shared_site_packages())
    terminals = []
    root_json = signed.repo.root_bytes()
    for i in range(count):
        name = f"F{i:03d}"
        root = base / name / "opt" / "huimin"
        data = base / name / "var" / "lib" / "huimin"
        (root / "slots").mkdir(parents=True)
        shutil.copytree(template / "slots" / "a", root / "slots" / "a", symlinks=True)
        Slots(root).switch_to("a")
        (root / "trust").mkdir()
        (root / "trust" / "root.json").write_bytes(root_json)
        data.mkdir(parents=True)
        cfg = {
            "hub": hub_url,
            "name": name,
            "place": f"兰考县/镇{i % 8}/村{i}",
            "trusted_root": str(root / "trust" / "root.json"),
            "extra_site": shared_site_packages(),
            "heartbeat_s": 15.0,
            "switch_when_idle": False,  # only in the maintenance window
        }
        (data / "terminal.json").write_text(json.dumps(cfg, ensure_ascii=False), "utf-8")
        terminals.append(SimTerminal(name, root, data))
    return terminals


def enrol_directly(database_url: str, terminals: list[SimTerminal], hub_url: str) -> None:
    """Write each terminal's row and credential as enrolment would. Enrolling
    200 terminals at once over HTTP on a loaded SQLite hub timed out at the
    client after the hub had enrolled them (the retries made 950 terminals):
    enrolment is not what this bench measures."""
    from sqlalchemy import insert

    from hub.db import make_engine
    from hub.fleet.auth import hash_token, new_token
    from hub.fleet.clock import utcnow
    from hub.fleet.models import Terminal

    engine = make_engine(database_url)
    with engine.begin() as conn:
        for t in terminals:
            token = new_token()
            cfg = json.loads((t.data / "terminal.json").read_text("utf-8"))
            county, town, village = cfg["place"].split("/")
            terminal_id = conn.execute(
                insert(Terminal)
                .values(
                    name=t.name,
                    county=county,
                    town=town,
                    village=village,
                    token_hash=hash_token(token),
                    enrolled_at=utcnow(),
                )
                .returning(Terminal.id)
            ).scalar_one()
            credential = {"terminal_id": terminal_id, "token": token, "hub_url": hub_url}
            path = t.data / "credential.json"
            path.write_text(json.dumps(credential), "utf-8")
            path.chmod(0o600)
    engine.dispose()


def console_login(client: httpx.Client) -> str:
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    client.post(
        "/console/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": csrf.group(1)},
    )
    who = client.get("/console/whoami")
    who.raise_for_status()
    return str(who.json()["csrf_token"])


def start_rollout(
    client: httpx.Client, csrf: str, version: str, period_s: int, threshold: int
) -> int:
    page = client.post("/console/releases/approve", data={"version": version, "csrf_token": csrf})
    found = re.search(rf'<option value="(\d+)">{re.escape(version)}</option>', page.text)
    assert found, f"release {version} not approved: {page.text[-300:]}"
    reply = client.post(
        "/console/rollouts",
        data={
            "release_id": found.group(1),
            "waves": WAVES,
            "healthy_period_s": str(period_s),
            "failure_threshold_pct": str(threshold),
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    match = re.match(r"/console/rollouts/(\d+)", reply.headers.get("location", ""))
    assert match, reply.headers
    return int(match.group(1))


def target_states(client: httpx.Client, rollout_id: int) -> tuple[str, dict[str, int]]:
    for attempt in range(5):
        try:
            page = client.get(f"/console/rollouts/{rollout_id}").text
            break
        except httpx.TimeoutException:
            # A loaded SQLite hub may answer the console late; the terminals matter here.
            if attempt == 4:
                raise
            time.sleep(5)
    state = re.search(r'<span id="rollout-state">([^<]+)</span>', page)
    counts: dict[str, int] = {}
    for label in re.findall(r'<tr class="state-([a-z_]+)">', page):
        counts[label] = counts.get(label, 0) + 1
    return (state.group(1) if state else "?"), counts


def wait_rollout(client: httpx.Client, rid: int, timeout_s: float) -> tuple[str, dict[str, int]]:
    started = time.monotonic()
    while True:
        state, counts = target_states(client, rid)
        if state in ("已完成", "已暂停", "已中止") or time.monotonic() - started > timeout_s:
            return state, counts
        time.sleep(2)


def good_phase(
    client: httpx.Client,
    csrf: str,
    signed: SignedRepo,
    work: Path,
    terminals: list[SimTerminal],
    args: argparse.Namespace,
) -> dict[str, float]:
    signed.release("1.1.0", work)
    started = time.monotonic()
    rid = start_rollout(client, csrf, "1.1.0", args.period_s, threshold=5)
    state, counts = wait_rollout(client, rid, args.timeout)
    took = time.monotonic() - started
    print(f"good release: rollout {state} after {took:.0f} s; {counts}", flush=True)
    downs = []
    for t in terminals:
        last = t.state().get("last")
        if isinstance(last, dict) and last.get("version") == "1.1.0" and last["state"] == "healthy":
            downs.append(float(last["at"]) - float(last["switch_started_at"]))
    downs.sort()
    nan = float("nan")
    figures = {
        "good_healthy": float(len(downs)),
        "good_minutes": took / 60,
        "good_max_down_s": downs[-1] if downs else nan,
        "good_median_down_s": downs[len(downs) // 2] if downs else nan,
    }
    print(
        f"good release healthy on {len(downs)}/{args.terminals}; down during the switch: "
        f"max {figures['good_max_down_s']:.1f} s, median {figures['good_median_down_s']:.1f} s",
        flush=True,
    )
    return figures


def bad_phase(
    client: httpx.Client,
    csrf: str,
    signed: SignedRepo,
    work: Path,
    terminals: list[SimTerminal],
    args: argparse.Namespace,
) -> dict[str, float]:
    signed.release("1.2.0", work, crash=True)
    started = time.monotonic()
    rid = start_rollout(client, csrf, "1.2.0", args.period_s, threshold=0)
    wait_rollout(client, rid, args.timeout)
    time.sleep(args.poll_s * 3)  # any terminal that would still take it has had its chance
    state, counts = target_states(client, rid)
    took_bad = [t.name for t in terminals if "1.2.0" in (t.state().get("refused") or {})]  # type: ignore[operator]
    on_bad = [t.name for t in terminals if t.slots.version(t.slots.active()) == "1.2.0"]
    share = len(took_bad) / len(terminals)
    print(
        f"bad release: rollout {state} after {time.monotonic() - started:.0f} s; {counts}; "
        f"taken by {len(took_bad)} ({share:.1%}): {took_bad}; still on it: {on_bad}",
        flush=True,
    )
    return {
        "bad_taken": float(len(took_bad)),
        "bad_share": share,
        "bad_still_on": float(len(on_bad)),
    }


def run(args: argparse.Namespace) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="huimin-ota-fleet-"))
    database_url = f"sqlite:///{work / 'hub.db'}"
    prepare_schema(database_url)
    signed = SignedRepo.create(work)
    first = signed.release("1.0.0", work)
    extra = f'releases_dir = "{signed.repo.path}"\nupdate_poll_s = {args.poll_s}\n'
    figures: dict[str, float] = {}
    supervisors: list[BootSupervisor] = []
    threads: list[threading.Thread] = []
    with hub_processes(database_url, 1, work, interval_s=15, extra_config=extra) as urls:
        url = urls[0]
        terminals = provision_fleet(work / "fleet", args.terminals, url, signed, first)
        enrol_directly(database_url, terminals, url)
        client = httpx.Client(base_url=url, timeout=120, follow_redirects=True)
        csrf = console_login(client)
        # Updates and restarts happen in the maintenance window: the whole day here.
        client.post(
            "/console/windows",
            data={
                "scope": "place:",
                "maintenance_start": "00:00",
                "maintenance_end": "00:00",
                "csrf_token": csrf,
            },
        )
        t0 = time.monotonic()
        for t in terminals:
            sup = BootSupervisor(
                t.root,
                t.data,
                health_timeout_s=args.health_timeout,
                crash_limit=2,
                restart_pause_s=0.5,
            )
            thread = threading.Thread(target=sup.run, name=f"sup-{t.name}", daemon=True)
            supervisors.append(sup)
            threads.append(thread)
            thread.start()
            time.sleep(args.stagger_s)
        while True:
            page = client.get("/console/fragments/overview").text
            online = len(re.findall(r">1\.0\.0</td>", page))
            if online >= args.terminals or time.monotonic() - t0 > args.timeout:
                break
            time.sleep(2)
        print(f"{online} terminals online on 1.0.0 after {time.monotonic() - t0:.0f} s", flush=True)
        try:
            figures.update(good_phase(client, csrf, signed, work, terminals, args))
            figures.update(bad_phase(client, csrf, signed, work, terminals, args))
        finally:
            for sup in supervisors:
                sup.stop()
            for thread in threads:
                thread.join(15)
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terminals", type=int, default=200)
    parser.add_argument("--period-s", type=int, default=20, help="healthy period between waves")
    parser.add_argument("--poll-s", type=int, default=5, help="terminals' update poll interval")
    parser.add_argument("--health-timeout", type=float, default=60.0)
    parser.add_argument("--stagger-s", type=float, default=0.3)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    f = run(args)
    ok = (
        f.get("good_healthy") == args.terminals
        and f.get("good_max_down_s", 99) <= MAX_DOWN_S
        and f.get("bad_share", 1) <= MAX_BAD_SHARE
    )
    healthy, down = f.get("good_healthy", 0), f.get("good_max_down_s", float("nan"))
    print(
        f"good: {healthy:.0f}/{args.terminals} healthy, max down {down:.1f} s "
        f"(target ≤ {MAX_DOWN_S:.0f} s); bad: taken by {f.get('bad_share', 1):.1%} "
        f"(target ≤ {MAX_BAD_SHARE:.0%}) " + ("OK" if ok else "BELOW TARGET")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
