"""The image's recipe, checked without building it (fast; make test runs these).

What must agree between files that no compiler checks: the packages install.sh
expects are in the image; the labels the build gives the partitions are the
ones the boot loader, fstab, the initrd and the udev rule look for; the boot
entry offers no way to a shell; the image's own units pass systemd-analyze;
the cache key follows the inputs (and only them). The boot test
(tests/image/test_boot.py) proves the rest by booting it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.tools import require_tool

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "image"
ROOTFS = IMAGE / "rootfs"
UNITS = ROOTFS / "etc" / "systemd" / "system"


def image_packages() -> set[str]:
    lines = (IMAGE / "packages.txt").read_text(encoding="utf-8").splitlines()
    return {
        line.split("|")[0].strip() for line in lines if line.strip() and not line.startswith("#")
    }


def test_the_image_has_every_package_install_sh_needs() -> None:
    script = (REPO / "systemd" / "install.sh").read_text(encoding="utf-8")
    block = re.search(r"^KIOSK_PACKAGES=\(([^)]*)\)", script, flags=re.MULTILINE)
    assert block is not None
    wanted = set(block.group(1).split())
    # libpcsclite1 comes with pcscd; everything else is named in the recipe.
    assert wanted - {"libpcsclite1"} <= image_packages(), wanted - image_packages()


def test_every_image_package_says_why() -> None:
    for line in (IMAGE / "packages.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition("|")
            assert name.strip() and len(why.strip()) > 10, line


def test_the_partition_labels_agree() -> None:
    repart = {
        p.name: re.search(r"^Label=(.+)$", p.read_text(), flags=re.MULTILINE).group(1)  # type: ignore[union-attr]
        for p in sorted((IMAGE / "repart.d").glob("*.conf"))
    }
    assert list(repart.values()) == ["ESP", "HUIMIN-PROV", "huimin-root", "huimin-data"]
    entry = (IMAGE / "esp" / "loader" / "entries" / "huimin.conf").read_text()
    fstab = (ROOTFS / "etc" / "fstab").read_text()
    initrd = (
        IMAGE / "initramfs" / "etc" / "initramfs-tools" / "scripts" / "local-bottom" / "huimin-data"
    ).read_text()
    udev = (ROOTFS / "etc" / "udev" / "rules.d" / "90-huimin-provision.rules").read_text()
    build = (IMAGE / "build.sh").read_text()
    assert "root=PARTLABEL=huimin-root rootfstype=erofs ro" in entry
    assert re.search(r"^PARTLABEL=huimin-root\s+/\s+erofs\s+ro\s", fstab, flags=re.MULTILINE)
    assert re.search(r"^PARTLABEL=huimin-data\s+/var\s+ext4\s", fstab, flags=re.MULTILINE)
    assert "LABEL=huimin-data" in initrd
    assert 'ENV{ID_FS_LABEL}=="HUIMIN-PROV"' in udev
    assert "mkfs.fat -n HUIMIN-PROV" in build
    # The set-up screen and the README on the partition name the same label.
    assert "HUIMIN-PROV" in (REPO / "kiosk" / "provisioning" / "screen.py").read_text()
    assert "HUIMIN-PROV" in (IMAGE / "provisioning" / "README.txt").read_text()


def test_the_boot_entry_offers_no_way_to_a_shell() -> None:
    loader = (IMAGE / "esp" / "loader" / "loader.conf").read_text()
    assert re.search(r"^editor no$", loader, flags=re.MULTILINE)
    assert re.search(r"^timeout 0$", loader, flags=re.MULTILINE)
    assert re.search(r"^auto-entries no$", loader, flags=re.MULTILINE)
    options = re.search(
        r"^options (.+)$",
        (IMAGE / "esp" / "loader" / "entries" / "huimin.conf").read_text(),
        flags=re.MULTILINE,
    )
    assert options is not None
    for forbidden in (
        "init=",
        "single",
        "emergency",
        "rescue",
        "debug-shell",
        "sysrq_always_enabled",
    ):
        assert forbidden not in options.group(1)


def test_no_console_login_and_no_sysrq() -> None:
    configure = (IMAGE / "configure.sh").read_text()
    masked = configure.split("systemctl mask", 1)[1].split("\n\n")[0]
    for unit in (
        "getty@.service",
        "serial-getty@.service",
        "autovt@.service",
        "ctrl-alt-del.target",
        "emergency.service",
        "rescue.service",
        "debug-shell.service",
    ):
        assert unit in masked, unit
    assert "kernel.sysrq = 0" in (ROOTFS / "etc" / "sysctl.d" / "90-huimin.conf").read_text()
    assert (
        "CtrlAltDelBurstAction=none"
        in (ROOTFS / "etc" / "systemd" / "system.conf.d" / "huimin.conf").read_text()
    )
    journald = (ROOTFS / "etc" / "systemd" / "journald.conf.d" / "huimin.conf").read_text()
    assert re.search(r"^SystemMaxUse=\d+M$", journald, flags=re.MULTILINE)


def test_usb_storage_is_not_among_the_allowed_classes() -> None:
    rules = (ROOTFS / "etc" / "usbguard" / "rules.d" / "50-huimin-devices.conf").read_text()
    allowed = " ".join(line for line in rules.splitlines() if line.startswith("allow"))
    assert "08:" not in allowed
    assert "match-all" in allowed and "one-of" not in allowed
    daemon = (ROOTFS / "etc" / "usbguard" / "usbguard-daemon.conf").read_text()
    assert re.search(r"^ImplicitPolicyTarget=block$", daemon, flags=re.MULTILINE)


def test_the_usb_policy_allows_a_stick_only_before_provisioning(tmp_path: Path) -> None:
    """/usr/lib/huimin/usb-policy, run against a temporary root."""
    script = (ROOTFS / "usr" / "lib" / "huimin" / "usb-policy").read_text()
    patched = script.replace("/run/", f"{tmp_path}/run/").replace("/var/", f"{tmp_path}/var/")
    runner = tmp_path / "usb-policy"
    runner.write_text(patched)
    out = tmp_path / "run" / "huimin-usbguard" / "rules.conf"
    subprocess.run(["sh", str(runner)], check=True)
    assert "allow with-interface match-all { 08:06:50 08:06:62 }" in out.read_text()
    assert out.stat().st_mode & 0o777 == 0o600
    (tmp_path / "var" / "lib" / "huimin-config").mkdir(parents=True)
    (tmp_path / "var" / "lib" / "huimin-config" / "kiosk.toml").write_text("")
    subprocess.run(["sh", str(runner)], check=True)
    rules = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    assert rules == [], rules


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with the distribution's units, the kiosk unit, the image's units and
    stand-ins for the executables they name (as tests/test_systemd.py does)."""
    require_tool("systemd-analyze")
    root = tmp_path_factory.mktemp("root")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for standin in ("usr/bin/cage", "opt/huimin/.venv/bin/python"):
        exe = root / standin
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    units = root / "etc/systemd/system"
    shutil.copytree(UNITS, units)
    shutil.copy(REPO / "systemd" / "huimin-kiosk.service", units)
    return root


@pytest.mark.parametrize(
    "unit",
    [
        "huimin-setup.service",
        "huimin-provision@sdb1.service",
        "huimin-forget-code.path",
        "huimin-forget-code.service",
        "huimin-kiosk.service",
    ],
)
def test_the_image_units_verify(unit_root: Path, unit: str) -> None:
    done = subprocess.run(
        [
            require_tool("systemd-analyze"),
            "verify",
            f"--root={unit_root}",
            f"/etc/systemd/system/{unit}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # The template's device unit does not exist offline; nothing else may be said.
    complaints = [
        line for line in (done.stdout + done.stderr).splitlines() if "dev-sdb1.device" not in line
    ]
    assert complaints == []


def key_of(clone: Path) -> str:
    done = subprocess.run(
        ["bash", str(clone / "image" / "build.sh"), "--path"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HUIMIN_IMAGE_CACHE": str(clone / "cache")},
    )
    return done.stdout.strip()


def test_the_cache_key_follows_the_inputs(tmp_path: Path) -> None:
    git = require_tool("git")
    clone = tmp_path / "clone"
    if (REPO / ".git").exists():
        subprocess.run(
            [git, "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True, timeout=120
        )
    else:  # make fresh-check copies the tree in without .git: make it a clone again
        shutil.copytree(
            REPO,
            clone,
            ignore=shutil.ignore_patterns(".venv", "var", "artifacts", "__pycache__", ".*_cache"),
        )
        for step in (["init", "-q"], ["add", "-A"]):
            subprocess.run([git, "-C", str(clone), *step], check=True, timeout=120)
    first = key_of(clone)
    assert first.startswith(str(clone / "cache" / "images")) and first.endswith("/huimin.img")
    assert key_of(clone) == first  # nothing changed, nothing to build
    # Not an input: tests and benchmarks never enter the image.
    (clone / "tests" / "test_layering.py").write_text("# changed\n")
    assert key_of(clone) == first
    # Inputs: the app's code, the requirements, the recipe, the units.
    for changed in (
        "kiosk/theme.py",
        "requirements.txt",
        "image/configure.sh",
        "systemd/99-huimin.rules",
    ):
        path = clone / changed
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert key_of(clone) != first, changed
        path.write_bytes(original)
    assert key_of(clone) == first


@pytest.mark.parametrize(("virt", "extended"), [("qemu", True), ("kvm", False), ("none", False)])
def test_start_timeouts_are_longer_only_on_an_emulated_cpu(
    tmp_path: Path, virt: str, extended: bool
) -> None:
    """The generator, run with a stand-in systemd-detect-virt saying ``virt``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    detect = bin_dir / "systemd-detect-virt"
    detect.write_text(f"#!/bin/sh\necho {virt}\n[ {virt} != none ]\n")
    detect.chmod(0o755)
    out = tmp_path / "generator"
    generator = ROOTFS / "usr" / "lib" / "systemd" / "system-generators" / "huimin-emulated"
    subprocess.run(
        ["sh", str(generator), str(out)],
        check=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        timeout=30,
    )
    dropin = out / "huimin-kiosk.service.d" / "emulated.conf"
    assert dropin.exists() == extended
    if extended:
        assert re.search(r"^TimeoutStartSec=10min$", dropin.read_text(), flags=re.MULTILINE)
        assert (out / "huimin-provision@.service.d" / "emulated.conf").exists()
