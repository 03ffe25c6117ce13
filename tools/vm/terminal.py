"""A terminal image booted in QEMU with everything around it on the host.

:class:`VmTerminal` puts together what the boot test and the boot benchmark
need: a copy of the image on a larger disk (the data partition grows into
it), the county hub (HTTPS through a guestfwd), the network receipt printer
and the ID-card reader's simulator on the VM's FTDI adapter, a provisioning
stick made like a county's IT staff would make it, the machine itself, the
guest agent, and the reference pictures of the screens it should show.
Timeouts are given for KVM and scaled by :attr:`Machine.slowness` under TCG.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from drivers.sim.idcard_reader import IdCardSimulator
from drivers.sim.printer import VirtualPrinter
from kiosk.config import KioskConfig
from kiosk.provisioning.model import PROVISIONING_FILE, build_config
from tools.vm import expected
from tools.vm.guest import GuestAgent
from tools.vm.machine import Forward, Machine, MachineSpec
from tools.vm.peers import REPO, HubPeer
from tools.vm.pictures import mean_difference

HUB_ADDRESS = "10.0.2.100"  # the hub, as the guest sees it (guestfwd to the host)
PRINTER_ADDRESS = "10.0.2.101"
SCREEN = (1280, 800)
TERMINAL_NAME = "启动测试终端-01"
SERVICE_POINT = "dbt-zhangzhuang"
# How close a screendump must be to its reference (mean difference per channel, 0-255).
TOLERANCE = 3.0


def image_path() -> Path:
    """Where ``make image`` puts the image of this checkout (it may not be built yet)."""
    done = subprocess.run(
        ["bash", str(REPO / "image" / "build.sh"), "--path"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return Path(done.stdout.strip())


def make_stick(path: Path, files: dict[str, bytes], label: str, size_mb: int = 16) -> Path:
    """A FAT-formatted USB stick image holding ``files``, as made on any PC."""
    path.unlink(missing_ok=True)
    subprocess.run(
        ["mkfs.fat", "-n", label, "-C", str(path), str(size_mb * 1024)],
        check=True,
        capture_output=True,
    )
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for name, data in files.items():
        source = path.parent / f".{path.name}.{name}"
        source.write_bytes(data)
        subprocess.run(["mcopy", "-i", str(path), str(source), f"::/{name}"], check=True, env=env)
        source.unlink()
    return path


@dataclass
class Timing:
    """Seconds between two moments, as measured from the host."""

    figures: dict[str, float] = field(default_factory=dict)

    def note(self, name: str, seconds: float) -> float:
        self.figures[name] = round(seconds, 2)
        return seconds


class VmTerminal:
    """The terminal in a VM, its peers, and ways to wait for what it shows."""

    def __init__(self, image: Path, workdir: Path, *, disk_gb: int = 6, accel: str | None = None):
        self.image = image
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.disk = workdir / "disk.img"
        self.hub = HubPeer(workdir / "hub", HUB_ADDRESS)
        self.printer = VirtualPrinter()
        self.idcard: IdCardSimulator | None = None
        self.timing = Timing()
        self._disk_gb = disk_gb
        self._accel = accel
        self.machine: Machine | None = None
        self.agent: GuestAgent | None = None
        self.config: KioskConfig | None = None
        self._references: dict[str, expected.Reference] = {}

    # --- set-up ------------------------------------------------------------------------

    def prepare(self) -> None:
        """The disk (a sparse copy of the image on a bigger disk), the hub and the printer."""
        subprocess.run(["cp", "--sparse=always", str(self.image), str(self.disk)], check=True)
        os.truncate(self.disk, self._disk_gb * 1024**3)
        self.hub.start()
        self.printer.start()

    def provisioning_stick(self, code: str, ssh_key: str | None = None, **display: Any) -> Path:
        """The stick a county's IT staff make for this terminal; also sets :attr:`config`
        (the configuration the terminal will have, for the reference pictures)."""
        maintenance = f'\n[maintenance]\nssh_authorized_keys = ["{ssh_key}"]\n' if ssh_key else ""
        ppi = display.get("ppi", 96)
        text = (
            "[hub]\n"
            f'url = "https://{HUB_ADDRESS}"\n'
            'ca_file = "hub-ca.pem"\n'
            f'enrolment_code = "{code}"\n\n'
            "[terminal]\n"
            f'name = "{TERMINAL_NAME}"\n'
            f'service_point = "{SERVICE_POINT}"\n'
            'place = { county = "兰考县", town = "东坝头镇", village = "张庄村" }\n\n'
            "[display]\n"
            f"ppi = {ppi}\n\n"
            "[devices.printer]\n"
            'type = "network"\n'
            f'host = "{PRINTER_ADDRESS}"\n'
            "port = 9100\n" + maintenance
        )
        ca = self.hub.ca_pem.read_bytes()
        result = build_config(
            text,
            lambda name: ca,
            REPO / "config" / "kiosk.image.toml",
            Path("/var/lib/huimin-config/hub-ca.pem"),
        )
        self.config = result.config
        return make_stick(
            self.workdir / "provisioning-stick.img",
            {PROVISIONING_FILE: text.encode("utf-8"), "hub-ca.pem": ca},
            "HUIMIN-PROV",
        )

    def power_on(self, sticks: list[Path] | None = None) -> Machine:
        forwards = [
            Forward(HUB_ADDRESS, 443, self.hub.tls_port),
            Forward(PRINTER_ADDRESS, 9100, self.printer.port),
        ]
        if self.machine is None:
            spec = MachineSpec(
                disk=self.disk, workdir=self.workdir / "vm", forwards=forwards, screen=SCREEN
            )
            self.machine = Machine(spec, accel=self._accel)
        self.machine.spec.sticks = list(sticks or [])
        self.machine.start()
        self.agent = GuestAgent(self.machine.qga_path)
        return self.machine

    @property
    def vm(self) -> Machine:
        if self.machine is None:
            raise RuntimeError("not powered on")
        return self.machine

    @property
    def guest(self) -> GuestAgent:
        if self.agent is None:
            raise RuntimeError("not powered on")
        return self.agent

    def seconds(self, kvm_seconds: float) -> float:
        """A timeout given for KVM, scaled for the accelerator in use."""
        return kvm_seconds * self.vm.slowness

    def attach_idcard(self) -> IdCardSimulator:
        """The ID-card reader's simulator on the host end of the VM's FTDI adapter."""
        if self.idcard is not None:
            self.idcard.stop()
        self.idcard = IdCardSimulator(attach=self.vm.serial_pty())
        self.idcard.start()
        return self.idcard

    def close(self) -> None:
        if self.agent is not None:
            self.agent.close()
        if self.machine is not None:
            self.machine.power_cut()
        if self.idcard is not None:
            self.idcard.stop()
        self.printer.stop()
        self.hub.stop()

    # --- what is on the screen ---------------------------------------------------------

    def reference(self, name: str, make: Callable[[], expected.Reference]) -> expected.Reference:
        if name not in self._references:
            self._references[name] = make()
            self._references[name].image.save(self.workdir / f"expected-{name}.png")
        return self._references[name]

    def attract(self) -> expected.Reference:
        config = self.config
        if config is None:
            raise RuntimeError("no configuration yet: make the provisioning stick first")
        return self.reference("attract", lambda: expected.attract(config, SCREEN))

    def shows(self, reference: expected.Reference, shot: Image.Image | None = None) -> bool:
        shot = shot if shot is not None else self.vm.screendump()
        return mean_difference(shot, reference.image, reference.mask) <= TOLERANCE

    def wait_screen(
        self,
        test: Callable[[Image.Image], bool],
        timeout: float,
        what: str,
        interval: float = 0.25,
    ) -> float:
        """Poll the screen until ``test(screendump)``; returns the monotonic time it held.
        Fails with the last screendump saved beside the logs."""
        deadline = time.monotonic() + timeout
        shot = self.vm.screendump()
        while not test(shot):
            if time.monotonic() > deadline or not self.vm.running:
                path = self.workdir / f"timeout-{what.replace(' ', '-')}.png"
                shot.save(path)
                raise AssertionError(
                    f"{what}: not on the screen after {timeout:.0f} s (see {path})"
                )
            time.sleep(interval)
            shot = self.vm.screendump()
        return time.monotonic()

    def wait_for(self, reference: expected.Reference, timeout: float) -> float:
        return self.wait_screen(lambda shot: self.shows(reference, shot), timeout, reference.name)

    def wait_settled(
        self, before: Image.Image, timeout: float, still_s: float = 1.0
    ) -> Image.Image:
        """After an input: until the screen changed from ``before`` and then held still."""
        self.wait_screen(
            lambda shot: mean_difference(shot, before) > 0.5, timeout, "a change on the screen"
        )
        still = self.vm.screendump()
        held_since = time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() - held_since < still_s * self.vm.slowness:
            time.sleep(0.25)
            shot = self.vm.screendump()
            if mean_difference(shot, still) > 0.5:
                still, held_since = shot, time.monotonic()
            if time.monotonic() > deadline:
                break
        return still

    # --- in the guest -------------------------------------------------------------------

    def kiosk_pid(self) -> int:
        """The kiosk's Python process (cage's child in huimin-kiosk.service)."""
        done = self.guest.sh(
            "pgrep -u huimin -f '^/opt/huimin/.venv/bin/python /opt/huimin/main.py'"
        )
        return int(done.stdout.split()[0])
