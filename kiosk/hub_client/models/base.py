"""What every reply shares: the model base, the kept-copy marker, the printable
and the masked person header (hub/services/printable.py, schemas.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HubReply(BaseModel):
    """Every reply: fields the terminal does not know are ignored; replies are frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Kept(HubReply):
    """A reply the kiosk may serve from its offline copy (catalogue, guides)."""

    offline: bool = False
    """True when the hub did not answer and this is the copy kept on disk."""
    fetched_at: float | None = None
    """For a kept copy: when it was fetched (Unix time)."""


# --- what every printed or shown answer shares (hub/services/printable.py, schemas.py) -----


class PrintLine(HubReply):
    label: str
    value: str


class PrintTable(HubReply):
    columns: list[str]
    rows: list[list[str]]


class Printable(HubReply):
    """A receipt's content, masked by the hub; labels are msgids the terminal translates."""

    title: str
    lines: list[PrintLine] = Field(default_factory=list)
    table: PrintTable | None = None
    notes: list[str] = Field(default_factory=list)
    verification_code: str | None = None
    qr_url: str | None = None
    issued_at: str
    """YYYY-MM-DD HH:MM, China Standard Time."""


class PersonHeader(HubReply):
    """Who an answer is about, masked for screen and paper."""

    person_ref: str
    name_masked: str
    id_masked: str
