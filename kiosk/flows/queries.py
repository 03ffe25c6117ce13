"""Queries about the person at the terminal: who they are, and their records
(社保缴费, 养老金, 医保, 惠农补贴, and the 办件进度 of all their applications).
Progress by a 受理编号 is :mod:`kiosk.flows.progress`."""

from __future__ import annotations

from typing import TypeVar

from kiosk.flows.api import IDENTIFY_ROUTE, service_path
from kiosk.hub_client import HubClient
from kiosk.hub_client.models import (
    ApplicationList,
    Contributions,
    Identified,
    MedicalInsurance,
    Pensions,
    Subsidies,
)
from protocol.services import QueryKind, query_path

RECORD_KINDS: tuple[QueryKind, ...] = (
    QueryKind.CONTRIBUTIONS,
    QueryKind.PENSION,
    QueryKind.MEDICAL,
    QueryKind.SUBSIDIES,
)
"""The person's records (the applications' progress is also answered by
:meth:`Queries.records`, as :class:`~kiosk.hub_client.models.ApplicationList`)."""
Records = Contributions | Pensions | MedicalInsurance | Subsidies | ApplicationList
_REPLIES: dict[QueryKind, type[Records]] = {
    QueryKind.CONTRIBUTIONS: Contributions,
    QueryKind.PENSION: Pensions,
    QueryKind.MEDICAL: MedicalInsurance,
    QueryKind.SUBSIDIES: Subsidies,
    QueryKind.APPLICATIONS: ApplicationList,
}
R = TypeVar("R", bound=Records)
PENSION_MONTHS = 12  # what the query screen shows: the last year's payments


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
        return self.client.call(Identified, "POST", service_path(IDENTIFY_ROUTE), body)

    def contributions(self, id_number: str) -> Contributions:
        return self._ask(Contributions, QueryKind.CONTRIBUTIONS, {"id_number": id_number})

    def pension(self, id_number: str, months: int = PENSION_MONTHS) -> Pensions:
        """The last ``months`` (1–24) payments; ``bank_masked`` is the card's account."""
        return self._ask(Pensions, QueryKind.PENSION, {"id_number": id_number, "months": months})

    def medical(self, id_number: str) -> MedicalInsurance:
        return self._ask(MedicalInsurance, QueryKind.MEDICAL, {"id_number": id_number})

    def subsidies(self, id_number: str) -> Subsidies:
        return self._ask(Subsidies, QueryKind.SUBSIDIES, {"id_number": id_number})

    def records(self, kind: QueryKind | str, id_number: str) -> Records:
        """The records of ``kind`` (the query menu's choice, or a catalogue item's
        ``query_kind``); every answer carries its ``printable``. Raises
        ``ValueError`` for a kind that is not a record query."""
        try:
            reply = _REPLIES[QueryKind(kind)]
        except (ValueError, KeyError):
            raise ValueError(f"unknown query kind {kind!r}") from None
        if reply is Pensions:
            return self.pension(id_number)
        return self._ask(reply, QueryKind(kind), {"id_number": id_number})

    def _ask(self, reply: type[R], kind: QueryKind, body: dict[str, str | int]) -> R:
        return self.client.call(reply, "POST", service_path(query_path(kind)), body)
