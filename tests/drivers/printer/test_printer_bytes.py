"""Printed bytes checked by an independent decoder, and QR codes read back with zbarimg."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from drivers.printer import Receipt, layout_receipt, render_receipt_bytes
from drivers.sim.escpos_decode import decode, render_png
from tests.tools import require_tool


def zbar(path: Path) -> list[str]:
    """QR payloads zbarimg reads from an image file."""
    result = subprocess.run(
        [require_tool("zbarimg"), "--quiet", "--raw", str(path)],
        check=False,  # exit 4 = no code found: the caller asserts on the output
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout.splitlines()


# Profile, its columns and dots, written out here (escpos.md: 576 dots / 48 columns
# on 80 mm) rather than read from profiles.toml, so a wrong profile fails.
PROFILES = [("generic-80mm", 48, 576), ("generic-58mm", 32, 384)]


@pytest.mark.parametrize(("profile", "columns", "dots"), PROFILES)
@pytest.mark.parametrize("qr", ["image", "native"])
def test_typical_receipt_decodes_to_its_layout(
    typical_receipt: Receipt, qr: str, profile: str, columns: int, dots: int, tmp_path: Path
) -> None:
    data = render_receipt_bytes(typical_receipt, {"qr": qr, "profile": profile})
    decoded = decode(data)
    assert decoded.text_lines == layout_receipt(typical_receipt, columns)
    assert "，。" in [line.strip() for line in decoded.text_lines]  # not "??"
    assert "?" not in "".join(decoded.text_lines)
    assert "\ufffd" not in "".join(decoded.text_lines)
    assert decoded.cuts == 1
    assert decoded.unknown == []
    # Chinese text travels inside FS & … FS . as GB18030.
    chinese_blocks = [part.split(b"\x1c.")[0] for part in data.split(b"\x1c&")[1:]]
    assert any("城乡居民".encode("gb18030") in block for block in chinese_blocks)
    assert any("，。".encode("gb18030") in block for block in chinese_blocks)

    png = tmp_path / "receipt.png"
    render_png(data, png, width_dots=dots)
    assert zbar(png) == [typical_receipt.qr]

    if qr == "image":
        assert decoded.qr_payloads == []
        assert len(decoded.images) == 1
        image = decoded.images[0]
        assert image.width == dots
        qr_png = tmp_path / "qr.png"
        image.save(qr_png)
        assert zbar(qr_png) == [typical_receipt.qr]  # read from the raster bytes themselves
    else:
        assert decoded.images == []
        assert decoded.qr_payloads == [typical_receipt.qr]
        payload = str(typical_receipt.qr).encode()
        store = b"\x1d(k" + (len(payload) + 3).to_bytes(2, "little") + b"1P0" + payload
        assert store in data
        assert b"\x1d(k\x03\x001Q0" in data  # print the stored symbol


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "gb18030"])
def test_encodings_round_trip(typical_receipt: Receipt, encoding: str) -> None:
    data = render_receipt_bytes(typical_receipt, {"encoding": encoding})
    decoded = decode(data, encoding="gbk" if encoding == "gbk" else "gb18030")
    assert decoded.text_lines == layout_receipt(typical_receipt, 48)
    assert (b"\x1c(C\x02\x000\x02" in data) == (encoding == "utf-8")


def test_gbk_printer_gets_a_box_for_characters_outside_gbk() -> None:
    receipt = Receipt("姓名", [("姓名", "王㛃")])  # 㛃 (U+36C3) is in GB18030 but not GBK
    decoded = decode(render_receipt_bytes(receipt, {"encoding": "gbk"}), encoding="gbk")
    assert any(line.endswith("王□") for line in decoded.text_lines)
    decoded = decode(render_receipt_bytes(receipt, {"encoding": "gb18030"}))
    assert any(line.endswith("王㛃") for line in decoded.text_lines)


def test_receipt_without_qr_has_no_image_and_cuts_partially_when_asked() -> None:
    data = render_receipt_bytes(Receipt("排队凭条", [("号码", "A012")]), {"cut": "partial"})
    decoded = decode(data)
    assert decoded.images == [] and decoded.qr_payloads == []
    assert data.endswith(b"\x1dV\x01")


def test_decoder_is_not_fooled_by_status_bytes_in_image_data() -> None:
    # A raster row that happens to contain DLE EOT 1 is image data, not a command.
    row = b"\x10\x04\x01" + bytes(5)
    data = (
        b"\x1b@" + b"\x1dv0\x00\x08\x00\x01\x00" + row + b"\x1c&" + "好".encode("gb18030") + b"\n"
    )
    decoded = decode(data)
    assert len(decoded.images) == 1 and decoded.text_lines == ["好"]


def test_decoder_survives_corrupted_jobs(typical_receipt: Receipt) -> None:
    rng = random.Random(7)
    jobs = [render_receipt_bytes(typical_receipt, {"qr": qr}) for qr in ("image", "native")]
    for _ in range(300):
        data = bytearray(rng.choice(jobs))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(data))
            if rng.random() < 0.6:
                data[pos] = rng.choice([0x1B, 0x1D, 0x1C, 0x10, 0x0A, rng.randrange(256)])
            else:
                del data[pos : pos + rng.randint(1, 16)]
        decoded = decode(bytes(data))  # never raises: a printer prints something or nothing
        assert isinstance(decoded.text_lines, list)
