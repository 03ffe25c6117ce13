"""A/B slots and the boot supervisor, with real processes: install and
switch, power cuts (kill -9) during install and switch, the health gate, the
crash loop, and a supervisor killed on probation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from hub.releases import build_bundle
from kiosk.agent.update_boot import BootSupervisor, health_path, state_path
from kiosk.agent.update_slots import BootState, SlotError, Slots, Trial

REPO = Path(__file__).resolve().parents[2]
CANARY_ID = "41010219900307123X"

GOOD_APP = """
import json, os, pathlib, sys, time
print("starting good app", flush=True)
marks = {c: time.time() for c in ("attract", "devices", "hub")}
pathlib.Path(os.environ["HUIMIN_HEALTH_FILE"]).write_text(json.dumps(marks))
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 3600)
"""
CRASH_APP = f"""
import sys
print("reading card of {CANARY_ID} failed", flush=True)
print("Traceback: ConfigError: broken on purpose", flush=True)
sys.exit(3)
"""
NO_HUB_APP = """
import json, os, pathlib, time
marks = {c: time.time() for c in ("attract", "devices")}
pathlib.Path(os.environ["HUIMIN_HEALTH_FILE"]).write_text(json.dumps(marks))
time.sleep(3600)
"""


def bundle(tmp: Path, version: str, app: str, *args: str) -> Path:
    src = tmp / f"src-{version}"
    src.mkdir(parents=True, exist_ok=True)
    (src / "app.py").write_text(app)
    return build_bundle(
        tmp / f"b-{version}.tar.gz", version, src, ["app.py"], (), ["app.py", *args]
    )


def provisioned(tmp: Path) -> Slots:
    slots = Slots(tmp / "opt" / "huimin")
    slots.install(bundle(tmp, "1.0.0", GOOD_APP), "a")
    slots.switch_to("a")
    return slots


def test_install_switch_and_command(tmp_path: Path) -> None:
    slots = provisioned(tmp_path)
    assert (slots.active(), slots.inactive(), slots.version("a")) == ("a", "b", "1.0.0")
    assert slots.install(bundle(tmp_path, "1.1.0", GOOD_APP)) == "b"
    with pytest.raises(SlotError, match="active"):
        slots.install(bundle(tmp_path, "1.1.0", GOOD_APP), "a")
    slots.switch_to("b")
    assert slots.active() == "b" and os.readlink(slots.current) == "slots/b"
    argv = slots.command()
    assert argv[0].endswith("slots/b/venv/bin/python") and argv[1].endswith("slots/b/code/app.py")
    assert (
        subprocess.run(
            [*argv[:2], "0"],
            env={**os.environ, "HUIMIN_HEALTH_FILE": str(tmp_path / "h.json")},
            check=False,
        ).returncode
        == 0
    )


def test_wheels_are_installed_offline_into_the_slot_venv(tmp_path: Path) -> None:
    # A real wheel (PEP 427 layout, written here: no build backend needed),
    # installed with pip --no-index into the slot's venv.
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    info = "huimin_probe-1.0.dist-info"
    files = {
        "huimin_probe/__init__.py": "VALUE = 42\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: huimin-probe\nVersion: 1.0\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    with zipfile.ZipFile(wheels / "huimin_probe-1.0-py3-none-any.whl", "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)
        whl.writestr(f"{info}/RECORD", "".join(f"{n},,\n" for n in [*files, f"{info}/RECORD"]))
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import huimin_probe\nprint(huimin_probe.VALUE)\n")
    b = build_bundle(
        tmp_path / "b.tar.gz", "2.0.0", src, ["app.py"], sorted(wheels.glob("*.whl")), ["app.py"]
    )
    slots = Slots(tmp_path / "root")
    slots.install(b, "a")
    slots.switch_to("a")
    out = subprocess.run(slots.command(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "42"


def test_unfinished_slot_is_never_switched_to(tmp_path: Path) -> None:
    slots = provisioned(tmp_path)
    slots.install(bundle(tmp_path, "1.1.0", GOOD_APP))
    (slots.slot_dir("b") / "INSTALLED").unlink()  # as after a cut install
    with pytest.raises(SlotError, match="not completely installed"):
        slots.switch_to("b")


_INSTALL_LOOP = """
import sys
sys.path.insert(0, {repo!r})
from kiosk.agent.update_slots import Slots
slots = Slots({root!r})
print("ready", flush=True)
while True:
    slots.install({bundle!r})
"""
_SWITCH_LOOP = """
import sys
sys.path.insert(0, {repo!r})
from kiosk.agent.update_slots import Slots
slots = Slots({root!r})
print("ready", flush=True)
while True:
    slots.switch_to(slots.inactive())
"""


def _kill_during(script: str, delay_s: float) -> None:
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)  # the power cut
    proc.wait()


def _bootable(slots: Slots) -> str:
    active = slots.active()
    assert slots.manifest(active) is not None, f"slot {active} that boots is incomplete"
    argv = slots.command(active)
    assert Path(argv[0]).exists() and Path(argv[1]).is_file()
    return active


@pytest.mark.parametrize("delay_s", [0.0, 0.02, 0.05, 0.1, 0.2, 0.4])
def test_power_cut_during_install_leaves_the_old_slot_bootable(
    tmp_path: Path, delay_s: float
) -> None:
    slots = provisioned(tmp_path)
    b = bundle(tmp_path, "1.1.0", GOOD_APP)
    _kill_during(_INSTALL_LOOP.format(repo=str(REPO), root=str(slots.root), bundle=str(b)), delay_s)
    assert _bootable(slots) == "a"
    assert slots.version("a") == "1.0.0"
    # The cut slot is either complete or refused, never half-trusted.
    if slots.manifest("b") is None:
        with pytest.raises(SlotError):
            slots.switch_to("b")


@pytest.mark.parametrize("delay_s", [0.0, 0.01, 0.03, 0.07, 0.15])
def test_power_cut_during_switch_boots_old_or_new(tmp_path: Path, delay_s: float) -> None:
    slots = provisioned(tmp_path)
    slots.install(bundle(tmp_path, "1.1.0", GOOD_APP))
    _kill_during(_SWITCH_LOOP.format(repo=str(REPO), root=str(slots.root)), delay_s)
    assert _bootable(slots) in ("a", "b")
    assert not (slots.root / "current.new").exists() or _bootable(slots)


def _trial(slots: Slots, data: Path, version: str) -> None:
    state = BootState(
        trial=Trial(slot="b", previous="a", version=version, rollout_id=7, started_at=time.time())
    )
    state.save(state_path(data))
    slots.switch_to("b")


def test_crash_loop_rolls_back_with_the_reason_and_masked_lines(tmp_path: Path) -> None:
    slots = provisioned(tmp_path)
    data = tmp_path / "data"
    slots.install(bundle(tmp_path, "1.1.0", CRASH_APP))
    _trial(slots, data, "1.1.0")
    sup = BootSupervisor(slots.root, data, health_timeout_s=30, crash_limit=3, restart_pause_s=0.05)
    for _ in range(5):
        sup.run_once()
        if BootState.load(state_path(data)).trial is None:
            break
    state = BootState.load(state_path(data))
    assert slots.active() == "a"
    assert state.trial is None and state.last is not None
    assert state.last.state == "rolled_back" and state.last.rollout_id == 7
    assert "crash loop" in state.last.reason
    assert "ConfigError: broken on purpose" in state.last.log_tail
    assert CANARY_ID not in state.last.log_tail and "4101" in state.last.log_tail
    assert state.refused == {"1.1.0": state.last.reason}


def test_health_gate_names_the_failed_check(tmp_path: Path) -> None:
    slots = provisioned(tmp_path)
    data = tmp_path / "data"
    slots.install(bundle(tmp_path, "1.1.0", NO_HUB_APP))
    _trial(slots, data, "1.1.0")
    sup = BootSupervisor(slots.root, data, health_timeout_s=1.5, crash_limit=3)
    sup.run_once()
    state = BootState.load(state_path(data))
    assert slots.active() == "a"
    assert state.last is not None and state.last.state == "rolled_back"
    assert state.last.reason.startswith("health gate: hub not reached")
    assert "attract" not in state.last.reason and "devices" not in state.last.reason


def test_good_release_passes_the_gate(tmp_path: Path) -> None:
    slots = provisioned(tmp_path)
    data = tmp_path / "data"
    slots.install(bundle(tmp_path, "1.1.0", GOOD_APP, "1"))
    _trial(slots, data, "1.1.0")
    health_path(data).unlink(missing_ok=True)
    BootSupervisor(slots.root, data, health_timeout_s=20).run_once()
    state = BootState.load(state_path(data))
    assert slots.active() == "b"
    assert state.trial is None and state.last is not None and state.last.state == "healthy"


def test_supervisor_killed_on_probation_still_ends_old_or_new(tmp_path: Path) -> None:
    """kill -9 of the supervisor (and its child) mid-trial, then a new boot:
    the trial goes on, counted, and ends rolled back to a bootable slot."""
    slots = provisioned(tmp_path)
    data = tmp_path / "data"
    slots.install(bundle(tmp_path, "1.1.0", CRASH_APP))
    _trial(slots, data, "1.1.0")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [
        sys.executable,
        "-m",
        "kiosk.agent.update_boot",
        "--root",
        str(slots.root),
        "--data",
        str(data),
        "--crash-limit",
        "3",
        "--restart-pause",
        "0.3",
    ]
    first = subprocess.Popen(argv, env=env, start_new_session=True)
    time.sleep(1.0)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert _bootable(slots) in ("a", "b")
    second = subprocess.Popen(argv, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = json.loads(state_path(data).read_text())
            if state["trial"] is None:
                break
            time.sleep(0.2)
        assert state["trial"] is None and state["last"]["state"] == "rolled_back"
        assert _bootable(slots) == "a"
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(10)


@pytest.mark.parametrize("has_pep706", [True, False])
def test_a_bundle_member_outside_the_slot_is_refused_with_or_without_pep_706(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_pep706: bool
) -> None:
    """Debian 12's Python 3.11.2 has no tarfile filters (3.11.4+): the same
    refusal must hold there."""
    import io
    import tarfile

    from kiosk.agent.update_slots import _extract_data_only

    if not has_pep706:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    good, bad = io.BytesIO(), io.BytesIO()
    for buffer, name in ((good, "code/main.py"), (bad, "../escaped.py")):
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"ok"))
        buffer.seek(0)
    slot = tmp_path / "slot"
    slot.mkdir()
    with tarfile.open(fileobj=good) as tar:
        _extract_data_only(tar, slot)
    assert (slot / "code/main.py").read_bytes() == b"ok"
    with tarfile.open(fileobj=bad) as tar, pytest.raises(tarfile.TarError):
        _extract_data_only(tar, slot)
    assert not (tmp_path / "escaped.py").exists()
