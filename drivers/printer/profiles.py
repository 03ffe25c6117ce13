"""Printer profiles: the capabilities of a printer model, read from
``profiles.toml`` beside this module (python-escpos's capabilities idea).

Code asks the profile (``profile.columns``, ``profile.qr``) instead of
branching on a paper width. The file is validated when first loaded; a
broken profile is a ``ValueError`` naming the profile and key.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROFILES_FILE = Path(__file__).with_name("profiles.toml")
FONT_A_DOTS = 12  # width of a half-width character in font A

Encoding = Literal["gb18030", "gbk", "utf-8"]
QrMode = Literal["native", "image"]
Cut = Literal["full", "partial", "none"]


class PrinterProfile(BaseModel):
    """What one printer model can do; the keys are documented in profiles.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    paper_width_mm: int = Field(gt=0)
    dots: int = Field(gt=0)
    """Printable dots per line."""
    columns: int = Field(ge=4)
    """Half-width characters per line in font A."""
    encoding: Encoding
    qr: QrMode
    qr_module_dots: int = Field(ge=1, le=16)
    cut: Cut

    @model_validator(mode="after")
    def _columns_fit_the_dots(self) -> PrinterProfile:
        if self.columns * FONT_A_DOTS > self.dots:
            raise ValueError(
                f"{self.columns} columns of {FONT_A_DOTS} dots do not fit {self.dots} dots"
            )
        return self


@functools.cache
def load_profiles(path: Path = PROFILES_FILE) -> dict[str, PrinterProfile]:
    """All profiles by name. Raises ValueError naming every bad profile and key."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    profiles: dict[str, PrinterProfile] = {}
    problems: list[str] = []
    for name, table in raw.items():
        try:
            profiles[name] = PrinterProfile.model_validate(table)
        except ValidationError as exc:
            problems += [
                f"{path.name} [{name}]{''.join('.' + str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors()
            ]
    if problems:
        raise ValueError("invalid printer profiles:\n  " + "\n  ".join(problems))
    return profiles
