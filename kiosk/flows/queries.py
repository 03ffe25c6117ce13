"""Queries about the person at the terminal: who they are, and their records
(社保缴费, 养老金, 医保, 惠农补贴). Applications' progress is :mod:`kiosk.flows.progress`."""

from __future__ import annotations

from typing import Literal

from kiosk.flows.api import service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import (
    Contributions,
    Identified,
    MedicalInsurance,
    Pensions,
    Subsidies,
)

RecordKind = Literal["contributions", "pension", "medical", "subsidies"]
RECORD_KINDS: tuple[RecordKind, ...] = ("contributions", "pension", "medical", "subsidies")
Records = Contributions | Pensions | MedicalInsurance | Subsidies


class Queries:
    """Each method blocks (run it on the task runner) and raises
    :class:`~kiosk.hub_client.HubUnavailable` or :class:`~kiosk.hub_client.HubError`
    (404: the hub's words, e.g. 未查询到相关信息)."""

    def __init__(self, client: HubClient) -> None:
        self.client = client

    def identify(
        self, *, id_number: str | None = None, ss_card_number: str | None = None
    ) -> Identified:
        """Who holds this ID card or social-security card (exactly one of the two)."""
        numbers = (("id_number", id_number), ("ss_card_number", ss_card_number))
        body = {name: number for name, number in numbers if number}
        return self.client.call(Identified, "POST", service_path("/query/identify"), body)

    def contributions(self, id_number: str) -> Contributions:
        return self.client.call(
            Contributions, "POST", service_path("/query/contributions"), {"id_number": id_number}
        )

    def pension(self, id_number: str, months: int = 12) -> Pensions:
        """The last ``months`` (1–24) payments; ``bank_masked`` is the card's account."""
        body = {"id_number": id_number, "months": months}
        return self.client.call(Pensions, "POST", service_path("/query/pension"), body)

    def medical(self, id_number: str) -> MedicalInsurance:
        return self.client.call(
            MedicalInsurance, "POST", service_path("/query/medical"), {"id_number": id_number}
        )

    def subsidies(self, id_number: str) -> Subsidies:
        return self.client.call(
            Subsidies, "POST", service_path("/query/subsidies"), {"id_number": id_number}
        )

    def records(self, kind: RecordKind, id_number: str) -> Records:
        """The records of ``kind`` (the query menu's choice)."""
        if kind == "contributions":
            return self.contributions(id_number)
        if kind == "pension":
            return self.pension(id_number)
        if kind == "medical":
            return self.medical(id_number)
        if kind == "subsidies":
            return self.subsidies(id_number)
        raise ValueError(f"unknown query kind {kind!r}")
