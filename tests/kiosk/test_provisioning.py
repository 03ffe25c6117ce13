"""Zero-touch provisioning (kiosk/provisioning): a file on a stick becomes the
kiosk's configuration, checked like main.py checks it, written so that a power
cut leaves either nothing or everything; a bad file is refused with its key path
and changes nothing; the enrolment code is forgotten once the terminal enrolled.

The medium is a directory here (the mount is the transport edge); the boot test
(tests/image) plugs a real FAT stick into the image under QEMU.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pygame
import pytest

from kiosk.config import load_config
from kiosk.i18n import Translator
from kiosk.provisioning.apply import Layout, Outcome, apply_directory, provision
from kiosk.provisioning.forget import forget_code
from kiosk.provisioning.model import ProvisioningError, build_config
from tests.kiosk.fake_hub import make_ca

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "image" / "provisioning" / "huimin-provision.example.toml"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBHs3J0yBz2fz9Qx9bqUQ5kqg5cQvQ2Yb0hP3v9n9Wn0 county-it"

GOOD = """
[hub]
url = "https://hub.county.example:8700"
ca_file = "hub-ca.pem"
enrolment_code = "ABCD-EFGH-JKLM"

[terminal]
name = "胡寨村便民服务站-01"
service_point = "cg-huzhai"
place = { county = "兰考县", town = "城关镇", village = "胡寨村" }

[display]
ppi = 141

[devices.printer]
type = "network"
host = "192.168.1.50"
port = 9100

[maintenance]
ssh_authorized_keys = ["KEY"]
""".replace("KEY", KEY)


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(
        config_dir=tmp_path / "var" / "huimin-config",
        ssh_dir=tmp_path / "var" / "huimin-ssh",
        status_file=tmp_path / "run" / "status.json",
        credential=tmp_path / "var" / "huimin" / "credential.json",
        group=None,
    )


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    """A stick's files: the provisioning file and the hub's CA."""
    medium = tmp_path / "stick"
    medium.mkdir()
    ca = make_ca(tmp_path, "County CA")
    (medium / "hub-ca.pem").write_bytes(ca.cert_path.read_bytes())
    (medium / "huimin-provision.toml").write_text(GOOD, encoding="utf-8")
    return medium


class Units:
    """systemctl as the provisioning calls it (recorded, not run)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str) -> None:
        self.calls.append(args)


def as_mount(directory: Path):  # type: ignore[no-untyped-def]
    @contextmanager
    def mount(device: str) -> Iterator[Path]:
        assert device == "/dev/sdb1"
        yield directory

    return mount


def written(layout: Layout) -> list[str]:
    return sorted(
        str(p.relative_to(layout.config_dir.parent))
        for p in layout.config_dir.parent.rglob("*")
        if p.is_file()
    )


def test_a_good_file_becomes_the_kiosk_configuration(layout: Layout, stick: Path) -> None:
    units = Units()
    outcome = provision("/dev/sdb1", layout, mount=as_mount(stick), control=units)
    assert outcome == Outcome("done", "/dev/sdb1")
    config = load_config(layout.config)  # exactly as main.py will load it
    assert config.hub.url == "https://hub.county.example:8700"
    assert config.hub.ca_file == layout.ca
    assert config.hub.enrolment_code == "ABCD-EFGH-JKLM"
    assert config.terminal.name == "胡寨村便民服务站-01"
    assert config.terminal.place.village == "胡寨村"
    assert config.display.ppi == 141
    assert (
        config.devices.printer.type == "network" and config.devices.printer.host == "192.168.1.50"
    )
    # What the file did not name is the image's: stable device names and data paths.
    assert (
        config.devices.idcard.type == "serial"
        and config.devices.idcard.port == "/dev/huimin-idcard"
    )
    assert config.journal.path == Path("/var/lib/huimin/journal.sqlite")
    assert config.hub.credential_path == Path("/var/lib/huimin/credential.json")
    assert layout.ca.read_bytes() == (stick / "hub-ca.pem").read_bytes()
    assert layout.authorized_keys.read_text() == KEY + "\n"
    # Readable by the kiosk's group, never by others; the keys by root only.
    assert layout.config.stat().st_mode & 0o777 == 0o640
    assert layout.ca.stat().st_mode & 0o777 == 0o640
    assert layout.authorized_keys.stat().st_mode & 0o777 == 0o600
    # The kiosk on tty1, SSH because a key was given, and then no stick allowed any
    # more: queued, usbguard last (blocking the stick stops the provisioning unit).
    assert units.calls == [
        ("start", "--no-block", "huimin-kiosk.service"),
        ("start", "--no-block", "ssh.service"),
        ("try-restart", "--no-block", "usbguard.service"),
    ]
    assert '"state": "done"' in layout.status_file.read_text()


def test_without_maintenance_keys_there_is_no_ssh(layout: Layout, stick: Path) -> None:
    text = (stick / "huimin-provision.toml").read_text().split("[maintenance]")[0]
    (stick / "huimin-provision.toml").write_text(text)
    units = Units()
    provision("/dev/sdb1", layout, mount=as_mount(stick), control=units)
    assert not layout.authorized_keys.exists()
    assert not [call for call in units.calls if "ssh.service" in call], units.calls


def test_a_medium_without_the_file_keeps_the_terminal_waiting(
    layout: Layout, tmp_path: Path
) -> None:
    empty = tmp_path / "prov-partition"
    empty.mkdir()
    (empty / "README.txt").write_text("how to provision")
    units = Units()
    outcome = provision("/dev/sdb1", layout, mount=as_mount(empty), control=units)
    assert outcome.state == "waiting"
    assert not layout.config.exists() and units.calls == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda t: t.replace("ppi = 141", "ppi = 1410"),
            "display.ppi: Input should be less than or equal to 600",
        ),
        (
            lambda t: t.replace("ppi = 141", "ppy = 141"),
            "display.ppy: unknown key (did you mean 'ppi'?)",
        ),
        (
            lambda t: t.replace("https://hub", "http://hub"),
            "plain http is allowed only for a loopback hub",
        ),
        (
            lambda t: t.replace('enrolment_code = "ABCD-EFGH-JKLM"', ""),
            "hub.enrolment_code: Field required",
        ),
        (lambda t: t.replace('name = "胡寨村便民服务站-01"', ""), "terminal.name: required"),
        (
            lambda t: t.replace('ca_file = "hub-ca.pem"', 'ca_file = "../etc/shadow"'),
            "hub.ca_file: Value error, must be a file name",
        ),
        (
            lambda t: t.replace('ca_file = "hub-ca.pem"', 'ca_file = "other.pem"'),
            "hub.ca_file other.pem: cannot be read",
        ),
        (lambda t: t.replace("[hub]", "[hub]\nurll = 1"), "hub.urll: unknown key"),
        (lambda t: t + "\n[journal]\npath = '/tmp/x'\n", "journal: unknown key"),
        (lambda t: t.replace('type = "network"', 'type = "networkk"'), "devices.printer.type"),
        (lambda t: t.replace('"ssh-ed25519 ', '"ssh-dss '), "not an OpenSSH public key line"),
        (lambda t: t.replace("[display]", "[display"), "is not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_with_its_key_and_nothing_is_written(
    layout: Layout,
    stick: Path,
    change,
    problem: str,  # type: ignore[no-untyped-def]
) -> None:
    source = stick / "huimin-provision.toml"
    source.write_text(change(source.read_text()))
    units = Units()
    outcome = provision("/dev/sdb1", layout, mount=as_mount(stick), control=units)
    assert outcome.state == "invalid"
    assert any(problem in p for p in outcome.problems), outcome.problems
    assert not layout.config.exists() and not layout.ca.exists()
    assert units.calls == []
    assert (
        problem.split(":", maxsplit=1)[0] in layout.status_file.read_text()
    )  # the screen shows it


def test_a_ca_file_that_is_not_a_certificate_is_refused(layout: Layout, stick: Path) -> None:
    (stick / "hub-ca.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    )
    outcome = apply_directory(stick, layout)
    assert outcome.state == "invalid" and "not a PEM certificate" in outcome.problems[0]


def test_a_provisioned_terminal_ignores_another_stick(layout: Layout, stick: Path) -> None:
    provision("/dev/sdb1", layout, mount=as_mount(stick), control=Units())
    before = layout.config.read_bytes()
    (stick / "huimin-provision.toml").write_text(GOOD.replace("ppi = 141", "ppi = 96"))
    units = Units()

    def never(device: str):  # type: ignore[no-untyped-def]
        raise AssertionError("a provisioned terminal must not even mount the medium")

    assert provision("/dev/sdb1", layout, mount=never, control=units).state == "done"
    assert layout.config.read_bytes() == before and units.calls == []


def test_a_medium_that_cannot_be_mounted_is_reported(layout: Layout) -> None:
    @contextmanager
    def broken(device: str) -> Iterator[Path]:
        raise OSError(5, "Input/output error")
        yield Path()  # pragma: no cover - never reached

    outcome = provision("/dev/sdb1", layout, mount=broken, control=Units())
    assert outcome.state == "invalid" and "cannot be mounted" in outcome.problems[0]


def test_the_code_is_forgotten_once_enrolled(layout: Layout, stick: Path) -> None:
    provision("/dev/sdb1", layout, mount=as_mount(stick), control=Units())
    assert forget_code(layout) is False  # not enrolled yet: the code is still needed
    assert load_config(layout.config).hub.enrolment_code == "ABCD-EFGH-JKLM"
    layout.credential.parent.mkdir(parents=True)
    layout.credential.write_text('{"terminal_id": 1, "token": "t", "hub_url": "u"}')
    assert forget_code(layout) is True
    config = load_config(layout.config)
    assert config.hub.enrolment_code == ""  # "none" for the fleet agent
    assert "ABCD-EFGH-JKLM" not in layout.config.read_text()
    assert layout.config.stat().st_mode & 0o777 == 0o640
    # Everything else is kept.
    assert config.terminal.name == "胡寨村便民服务站-01" and config.display.ppi == 141
    assert forget_code(layout) is False


def test_the_example_on_the_image_is_a_valid_file(tmp_path: Path) -> None:
    """image/provisioning's example stays in step with the configuration model."""
    ca = make_ca(tmp_path, "County CA")
    result = build_config(
        EXAMPLE.read_text(encoding="utf-8"),
        lambda name: ca.cert_path.read_bytes(),
        REPO / "config" / "kiosk.image.toml",
        tmp_path / "hub-ca.pem",
    )
    assert result.config.devices.printer.type == "network"
    tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_build_config_lists_every_problem_at_once(tmp_path: Path) -> None:
    ca = make_ca(tmp_path, "County CA")
    text = GOOD.replace("ppi = 141", "ppi = 1410").replace(
        'host = "192.168.1.50"\n', 'host = "192.168.1.50"\nbaud = 1\n'
    )
    with pytest.raises(ProvisioningError) as refused:
        build_config(
            text,
            lambda name: ca.cert_path.read_bytes(),
            REPO / "config" / "kiosk.image.toml",
            tmp_path / "ca.pem",
        )
    assert len(refused.value.problems) == 2


def drawn(
    status: dict[str, object], language: str = "zh_CN"
) -> dict[tuple[int, int, int, int], str]:
    """The set-up screen for ``status`` at 1280x800: which string was drawn where."""
    from kiosk.provisioning.screen import draw
    from tools.headless.harness import fonts
    from tools.headless.tracing import TextTracingSurface, TracingTextRenderer

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    pygame.display.set_mode((1280, 800))
    text = TracingTextRenderer(fonts())
    surface = TextTracingSurface((1280, 800))
    surface.renderer = text
    draw(surface, text, Translator(language), status)
    return surface.texts


def test_the_set_up_screen_says_what_to_do_in_large_chinese() -> None:
    from kiosk.provisioning.screen import STEPS, TITLE

    texts = drawn({"state": "waiting", "problems": []})
    shown = "".join(texts.values())
    assert "本终端尚未配置" in shown and "HUIMIN-PROV" in shown and "huimin-provision.toml" in shown
    # Large: the body lines are at least 长辈 size at a typical 96 ppi (7.4 mm ≈ 28 px
    # of ink; the rendered line is taller than its ink).
    body = [
        h for (_, _, _, h), t in texts.items() if t and t in "".join(Translator()(s) for s in STEPS)
    ]
    assert body and min(body) >= 32
    title = [h for (_, _, _, h), t in texts.items() if t == Translator()(TITLE)]
    assert title and title[0] > min(body)
    # Everything fits on the screen.
    assert all(x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 800 for (x, y, w, h) in texts)


def test_the_set_up_screen_shows_why_a_file_was_refused() -> None:
    problem = "display.ppi: Input should be less than or equal to 600"
    texts = drawn({"state": "invalid", "problems": [problem]})
    shown = "".join(texts.values())
    assert problem in shown and "配置文件有误" in shown
    assert problem not in "".join(drawn({"state": "waiting", "problems": [problem]}).values())


def test_the_set_up_screen_is_translated() -> None:
    from kiosk.provisioning.screen import FOOTER, INTRO, PROBLEMS, STEPS, TITLE

    english = Translator("en")
    for message in (TITLE, INTRO, *STEPS, PROBLEMS, FOOTER):
        assert english(message) != message, message
