"""One QEMU virtual machine running the terminal image, driven through QMP.

What a county's mini-PC has, emulated: UEFI firmware (OVMF), the disk on
virtio, a virtio-vga screen, a USB touch screen (``usb-tablet``), an FTDI
USB-serial adapter (``usb-serial``) whose far end is a pty the host's ID-card
simulator answers on, an HD-audio speaker recorded to a WAV file, and a
network card on QEMU's user-mode network with ``restrict=on``: the guest
reaches nothing but the ``guestfwd`` rules, each of which connects to a port
on the host's 127.0.0.1 (``socat`` per connection). KVM when ``/dev/kvm``
works, TCG (slower; callers scale their timeouts by :attr:`Machine.slowness`)
otherwise.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from qemu.qmp.legacy import QEMUMonitorProtocol

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
QEMU = "qemu-system-x86_64"
# QMP's absolute pointer axis runs 0..0x7fff across the screen.
ABS_MAX = 0x7FFF
# TCG on a shared 2-core machine: a boot took 5 min idle and over 6 min under load.
TCG_SLOWNESS = 15.0


def kvm_usable() -> tuple[bool, str]:
    """Whether KVM can run the image here, and why not when it cannot.

    Opening /dev/kvm is not enough: on a machine that is itself a PVM guest
    (``kvm_pvm``: paravirtual KVM without hardware virtualisation), /dev/kvm
    works but runs only kernels built as PVM guests; Debian's kernel hangs at
    its first instruction in protected mode and OVMF stops with "KVM internal
    error". Hardware KVM is ``kvm_intel`` or ``kvm_amd``.
    """
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as exc:
        return False, f"/dev/kvm cannot be opened ({exc.strerror})"
    os.close(fd)
    modules = Path("/sys/module")
    if (modules / "kvm_intel").exists() or (modules / "kvm_amd").exists():
        return True, "hardware KVM"
    if (modules / "kvm_pvm").exists():
        return False, "/dev/kvm is PVM (kvm_pvm), which runs only PVM guest kernels"
    return False, "/dev/kvm has no hardware virtualisation behind it (no kvm_intel or kvm_amd)"


@dataclass(frozen=True)
class Forward:
    """Guest connections to ``guest_ip:guest_port`` go to the host's 127.0.0.1:``host_port``."""

    guest_ip: str
    guest_port: int
    host_port: int

    def option(self) -> str:
        socat = shutil.which("socat") or "socat"
        return (
            f"guestfwd=tcp:{self.guest_ip}:{self.guest_port}-"
            f"cmd:{socat} STDIO TCP:127.0.0.1:{self.host_port}"
        )


@dataclass
class MachineSpec:
    """The machine: its disk and where its sockets, recordings and logs go."""

    disk: Path
    workdir: Path
    forwards: list[Forward] = field(default_factory=list)
    memory_mb: int = 2048
    cpus: int = 2
    screen: tuple[int, int] = (1280, 800)
    sticks: list[Path] = field(default_factory=list)
    """USB sticks (raw images) plugged in at power-on."""


class Machine:
    """Start, look at, touch, type into, plug into, and pull the plug of one VM."""

    def __init__(self, spec: MachineSpec, *, accel: str | None = None) -> None:
        self.spec = spec
        usable, self.accel_reason = kvm_usable()
        self.accel = accel or ("kvm" if usable else "tcg")
        if accel:
            self.accel_reason = f"{accel} asked for"
        self.slowness = 1.0 if self.accel == "kvm" else TCG_SLOWNESS
        work = spec.workdir
        work.mkdir(parents=True, exist_ok=True)
        self.qmp_path = work / "qmp.sock"
        self.qga_path = work / "qga.sock"
        self.serial_log = work / "serial.log"
        self.qemu_log = work / "qemu.log"
        self.wav = work / "speech.wav"
        self.vars = work / "OVMF_VARS.fd"
        self._proc: subprocess.Popen[bytes] | None = None
        self._qmp: QEMUMonitorProtocol | None = None
        self.started_at = 0.0
        self._stick_count = 0
        self.boots = 0

    # --- power --------------------------------------------------------------------------

    def command(self) -> list[str]:
        spec = self.spec
        width, height = spec.screen
        netdev = ",".join(["user", "id=net0", "restrict=on", *(f.option() for f in spec.forwards)])
        # The host's CPU, less the ARCH_CAPABILITIES MSR: under nested KVM (a CI
        # machine that is itself a VM) QEMU 7.2 aborts setting it ("failed to set MSR 0x10a").
        # TCG: QEMU's "max" less AVX. QEMU 7.2 is the first to emulate AVX/AVX2; with
        # them the guest's Python (set-up screen and kiosk alike) segfaulted within
        # a minute of drawing, always at the same instruction (a NULL thread state read
        # in PyImport_Import), and without them it does not. glibc, Mesa's llvmpipe
        # and pygame-ce all pick AVX2 code when the CPU offers it.
        tcg_cpu = "max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off"
        cpu = "host,-arch-capabilities" if self.accel == "kvm" else tcg_cpu
        argv = [
            QEMU,
            "-name", "huimin-terminal",
            "-machine", "q35",
            # TCG: one host thread per virtual CPU (multi-threaded TCG).
            "-accel", "kvm" if self.accel == "kvm" else "tcg,thread=multi,tb-size=512",
            "-cpu", cpu,
            "-smp", str(spec.cpus),
            "-m", str(spec.memory_mb),
            "-nodefaults",
            "-display", "none",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,unit=1,file={self.vars}",
            # The disk: every write the guest completed is in the file when QEMU dies.
            "-drive", f"if=none,id=disk0,format=raw,cache=writeback,file={spec.disk}",
            "-device", "virtio-blk-pci,drive=disk0,bootindex=0",
            "-device", f"virtio-vga,xres={width},yres={height}",
            "-device", "qemu-xhci,id=xhci",
            "-device", "usb-tablet,bus=xhci.0",
            "-chardev", "pty,id=idcard",
            "-device", "usb-serial,bus=xhci.0,chardev=idcard",
            "-audiodev", f"wav,id=snd0,path={self.wav}",
            "-device", "ich9-intel-hda",
            "-device", "hda-output,audiodev=snd0",
            "-netdev", netdev,
            "-device", "virtio-net-pci,netdev=net0",
            "-chardev", f"socket,id=qga0,path={self.qga_path},server=on,wait=off",
            "-device", "virtio-serial-pci",
            "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-device", "i6300esb",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-serial", f"file:{self.serial_log}",
        ]  # fmt: skip
        for number, stick in enumerate(spec.sticks):
            argv += [
                "-drive", f"if=none,id=stick{number},format=raw,file={stick}",
                "-device", f"usb-storage,bus=xhci.0,drive=stick{number}",
            ]  # fmt: skip
        return argv

    def start(self, timeout: float = 30.0) -> None:
        """Power on (``started_at`` is that moment) and connect QMP."""
        if not self.vars.exists():
            shutil.copyfile(OVMF_VARS, self.vars)
        for sock in (self.qmp_path, self.qga_path):
            sock.unlink(missing_ok=True)
        log = self.qemu_log.open("ab")
        self.started_at = time.monotonic()
        self._proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.boots += 1
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"QEMU exited at start: {self.qemu_log.read_text()[-2000:]}")
            if self.qmp_path.exists():
                qmp = QEMUMonitorProtocol(str(self.qmp_path))
                try:
                    qmp.connect()
                except OSError:
                    qmp.close()
                else:
                    qmp.settimeout(30.0)
                    self._qmp = qmp
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("QEMU's QMP socket did not come up")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def power_cut(self) -> None:
        """Pull the plug: QEMU is killed, the guest gets no chance to flush anything."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=30)
        self._disconnect()

    def shutdown(self, timeout: float = 60.0) -> None:
        """An orderly power-off (ACPI power button), then QEMU is gone."""
        if self.running:
            try:
                self.qmp("system_powerdown")
                assert self._proc is not None
                self._proc.wait(timeout=timeout)
            except (subprocess.TimeoutExpired, OSError, RuntimeError):
                pass
        self.power_cut()

    def _disconnect(self) -> None:
        if self._qmp is not None:
            self._qmp.close()
            self._qmp = None

    def qmp(self, command: str, **arguments: Any) -> Any:
        if self._qmp is None:
            raise RuntimeError("the machine is not running")
        return self._qmp.cmd(command, **arguments)

    # --- what a person sees, touches and types --------------------------------------------

    def screendump(self) -> Image.Image:
        """The screen as the display shows it (what cage put on the virtual GPU)."""
        path = self.spec.workdir / "screen.ppm"
        self.qmp("screendump", filename=str(path))
        with Image.open(path) as image:
            return image.convert("RGB")

    def tap(self, x: int, y: int, hold_s: float = 0.1) -> None:
        """A finger on the touch screen at pixel (x, y), held ``hold_s``, lifted."""
        width, height = self.spec.screen
        position = [
            {"type": "abs", "data": {"axis": "x", "value": round(x * ABS_MAX / (width - 1))}},
            {"type": "abs", "data": {"axis": "y", "value": round(y * ABS_MAX / (height - 1))}},
        ]
        self.qmp("input-send-event", events=position)
        self.qmp(
            "input-send-event", events=[{"type": "btn", "data": {"down": True, "button": "left"}}]
        )
        time.sleep(hold_s)
        self.qmp(
            "input-send-event", events=[{"type": "btn", "data": {"down": False, "button": "left"}}]
        )

    def key(self, qcode: str, hold_s: float = 0.05) -> None:
        """A key of the keypad/keyboard (QEMU's qcode names: "1", "ret", "f3", ...)."""
        key = {"type": "qcode", "data": qcode}
        self.qmp("input-send-event", events=[{"type": "key", "data": {"down": True, "key": key}}])
        time.sleep(hold_s)
        self.qmp("input-send-event", events=[{"type": "key", "data": {"down": False, "key": key}}])

    # --- devices ----------------------------------------------------------------------------

    def serial_pty(self) -> str:
        """The host end of the emulated FTDI adapter (a pty QEMU made)."""
        for chardev in self.qmp("query-chardev"):
            if chardev["label"] == "idcard":
                filename = str(chardev["filename"])
                return filename.removeprefix("pty:")
        raise RuntimeError("no idcard chardev")

    def plug_stick(self, image: Path) -> str:
        """Plug a USB stick (a raw image) in; returns its device id for :meth:`unplug`."""
        self._stick_count += 1
        node, device = f"hot{self._stick_count}", f"hotstick{self._stick_count}"
        self.qmp(
            "blockdev-add",
            **{
                "node-name": node,
                "driver": "raw",
                "file": {"driver": "file", "filename": str(image)},
            },
        )
        self.qmp("device_add", driver="usb-storage", id=device, bus="xhci.0", drive=node)
        return device

    def unplug(self, device: str) -> None:
        self.qmp("device_del", id=device)

    def speech_samples(self) -> bytes:
        """The audio the guest has played so far (16-bit PCM; QEMU's WAV header skipped)."""
        data = self.wav.read_bytes() if self.wav.exists() else b""
        return data[44:]
