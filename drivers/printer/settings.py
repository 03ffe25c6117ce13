"""The ``[devices.printer]`` table, validated once with every problem reported."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any

TYPES = ("network", "serial", "usb", "sim")
ENCODINGS = ("gb18030", "gbk", "utf-8")
QR_MODES = ("native", "image")
CUTS = ("full", "partial")
KEY_PATH = "devices.printer"


@dataclass(frozen=True)
class PrinterSettings:
    """Receipt printer configuration.

    ``type``: network | serial | usb | sim (sim = the VirtualPrinter, reached
    over TCP like a network printer). ``width_mm``: 58 or 80. ``encoding``:
    what the printer expects for Chinese (gb18030, gbk or utf-8).
    ``qr``: native (``GS ( k``) or image (raster ``GS v 0``).
    ``timeout``: seconds to connect/send; ``status_timeout``: seconds to wait
    for a DLE EOT reply before calling the printer offline.
    """

    type: str = "sim"
    width_mm: int = 80
    encoding: str = "gb18030"
    qr: str = "image"
    cut: str = "full"
    host: str = "127.0.0.1"
    port: int = 9100
    timeout: float = 10.0
    status_timeout: float = 1.0
    devfile: str = "/dev/ttyUSB0"
    baudrate: int = 9600
    id_vendor: int = 0
    id_product: int = 0

    @property
    def dots(self) -> int:
        """Printable dots per line: 576 on 80 mm, 384 on 58 mm (203 dpi heads)."""
        return 576 if self.width_mm == 80 else 384

    @classmethod
    def from_dict(cls, table: dict[str, Any]) -> PrinterSettings:
        """Build from the config table; ValueError lists every problem with its key path."""
        known = {f.name: f for f in fields(cls)}
        problems: list[str] = []
        values: dict[str, Any] = {}
        for key, raw in table.items():
            value = raw
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                problems.append(f"{KEY_PATH}.{key}: unknown setting{extra}")
                continue
            default = known[key].default
            if key in ("id_vendor", "id_product") and isinstance(value, str):
                try:
                    value = int(value, 16)
                except ValueError:
                    problems.append(f"{KEY_PATH}.{key}: not a hex USB id: {value!r}")
                    continue
            expected = float if isinstance(default, float) else type(default)
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or isinstance(value, bool):
                problems.append(
                    f"{KEY_PATH}.{key}: expected {expected.__name__}, got {type(value).__name__}"
                )
                continue
            values[key] = value
        choices = {
            "type": TYPES,
            "encoding": ENCODINGS,
            "qr": QR_MODES,
            "cut": CUTS,
            "width_mm": (58, 80),
        }
        for key, allowed in choices.items():
            if key in values and values[key] not in allowed:
                problems.append(
                    f"{KEY_PATH}.{key}: must be one of {list(allowed)}, got {values[key]!r}"
                )
        for key in ("timeout", "status_timeout"):
            if key in values and values[key] <= 0:
                problems.append(f"{KEY_PATH}.{key}: must be positive seconds")
        if values.get("type") == "usb" and not (
            values.get("id_vendor") and values.get("id_product")
        ):
            problems.append(f"{KEY_PATH}: type 'usb' needs id_vendor and id_product")
        if problems:
            raise ValueError("invalid printer settings:\n  " + "\n  ".join(problems))
        return cls(**values)
