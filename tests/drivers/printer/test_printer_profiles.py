"""Printer profiles as data: capabilities come from profiles.toml, chosen by name,
and the settings may override single capabilities."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.printer import PrinterSettings, Receipt, load_profiles, render_receipt_bytes
from drivers.sim.escpos_decode import decode

QR_MODULE_SIZE = b"\x1d(k\x03\x001C"  # GS ( k fn 167: the next byte is the module size


@pytest.mark.parametrize(
    ("name", "paper_mm", "dots", "columns", "qr", "module"),
    [
        # 203 dpi heads: 72 mm / 48 mm printable; 12-dot font A columns (escpos.md).
        ("generic-80mm", 80, 576, 48, "native", 6),
        ("generic-58mm", 58, 384, 32, "image", 4),
    ],
)
def test_generic_profiles_say_what_the_code_used_to_hard_wire(
    name: str, paper_mm: int, dots: int, columns: int, qr: str, module: int
) -> None:
    profile = load_profiles()[name]
    assert (profile.paper_width_mm, profile.dots, profile.columns) == (paper_mm, dots, columns)
    assert (profile.qr, profile.qr_module_dots) == (qr, module)
    assert (profile.encoding, profile.cut) == ("gb18030", "full")


def test_one_set_of_defaults() -> None:
    settings = PrinterSettings()
    assert (settings.type, settings.profile) == ("sim", "generic-80mm")
    assert (settings.timeout, settings.status_timeout) == (5.0, 1.0)
    assert settings.capabilities == load_profiles()["generic-80mm"]


def test_settings_override_single_capabilities() -> None:
    settings = PrinterSettings(profile="generic-58mm", qr="native", encoding="gbk")
    printer = settings.capabilities
    assert (printer.qr, printer.encoding) == ("native", "gbk")
    assert (printer.dots, printer.columns, printer.cut) == (384, 32, "full")  # from the profile
    data = render_receipt_bytes(Receipt("T", qr="https://hub.example/verify/1"), settings)
    at = data.index(QR_MODULE_SIZE) + len(QR_MODULE_SIZE)
    assert data[at] == 4  # the 58 mm profile's module size, asked from the profile
    assert decode(data, encoding="gbk").qr_payloads == ["https://hub.example/verify/1"]


def test_printer_without_cutter_is_fed_not_cut() -> None:
    data = render_receipt_bytes(Receipt("排队凭条", [("号码", "A012")]), {"cut": "none"})
    assert b"\x1dV" not in data
    assert data.endswith(b"\x1bd\x06")  # ESC d 6: past the tear bar
    assert decode(data).cuts == 0


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"devices\.printer\.profile") as info:
        PrinterSettings.from_dict({"profile": "tm-t88"})
    assert "generic-58mm, generic-80mm" in str(info.value)


def test_a_broken_profile_file_names_the_profile_and_key(tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text(
        """
[wide]
description = "too many columns"
paper_width_mm = 80
dots = 576
columns = 64
encoding = "gb18030"
qr = "native"
qr_module_dots = 6
cut = "full"

[odd]
description = "bad values"
paper_width_mm = 80
dots = 576
columns = 48
encoding = "big5"
qr = "native"
qr_module_dots = 6
cut = "sideways"
""",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as info:
        load_profiles(path)
    message = str(info.value)
    assert "profiles.toml [wide]: Value error, 64 columns of 12 dots do not fit 576" in message
    assert "profiles.toml [odd].encoding" in message
    assert "profiles.toml [odd].cut" in message


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"type": "network"}, "type 'network' needs host"),
        ({"type": "serial"}, "type 'serial' needs devfile"),
        ({"type": "usb", "id_vendor": "0416"}, "type 'usb' needs id_product"),
        ({"type": "network", "host": "10.0.0.9", "devfile": "/dev/x"}, "devfile does not apply"),
        ({"type": "serial", "devfile": "/dev/x", "port": 9100}, "port does not apply"),
        ({"type": "usb", "id_vendor": "zz", "id_product": 1}, "not a hex USB id"),
        ({"width_mm": 58}, "width_mm: unknown setting (replaced by profile"),
    ],
)
def test_connection_keys_must_fit_the_type(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=r"devices\.printer") as info:
        PrinterSettings.from_dict(table)
    assert problem in str(info.value)
