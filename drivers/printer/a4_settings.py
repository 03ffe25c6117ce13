"""``[devices.document_printer]``: the A4 printer for certificates.

``type``: ``none`` (no A4 printer: certificates go to the receipt printer
and the phone), ``ipp`` (a printer at ``printer_uri``, jobs through the CUPS
server ``cups_server``, queue ``queue``) or ``sim`` (the simulated printer,
which keeps what it prints in ``keep_dir``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DocumentPrinterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["none", "ipp", "sim"] = "none"
    printer_uri: str | None = Field(None, pattern=r"^ipps?://[^\s/]+(/\S*)?$")
    cups_server: str = "127.0.0.1:631"
    queue: str = Field("huimin_a4", pattern=r"^[A-Za-z0-9_]{1,60}$")
    job_timeout_s: float = Field(60.0, gt=0, le=600)
    # The printer is asked for its state this often between jobs, so paper out
    # is on the screen before anyone chooses to print (an IPP query is cheap).
    health_interval_s: float = Field(15.0, ge=0.2, le=600)
    keep_dir: Path = Path("var/a4-printed")  # sim only

    @model_validator(mode="after")
    def _uri_for_ipp(self) -> DocumentPrinterSettings:
        if self.type == "ipp" and self.printer_uri is None:
            raise ValueError("type = 'ipp' needs printer_uri (ipp://host:631/ipp/print)")
        return self
