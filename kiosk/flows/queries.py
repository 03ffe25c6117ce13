"""Queries about the person at the terminal: who they are, and their records
(社保缴费, 养老金, 医保, 惠农补贴, and the 办件进度 of all their applications).
Progress by a 受理编号 is :mod:`kiosk.flows.progress`."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from kiosk.flows.api import service_path
from kiosk.flows.person import PersonSession
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

if TYPE_CHECKING:
    from kiosk.session import Identity

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
    (403: the card could not be confirmed, or the session ended; 404: the hub's
    words, e.g. 未查询到相关信息). Every question is about the person whose card
    was read (``identity``), inside their person session."""

    def __init__(self, client: HubClient, person: PersonSession) -> None:
        self.client = client
        self.person = person

    def identify(self, identity: Identity) -> Identified:
        """Who holds the card that was read, and what they may do now."""
        return self.person.open(identity).person

    def contributions(self, identity: Identity) -> Contributions:
        return self._ask(Contributions, QueryKind.CONTRIBUTIONS, identity)

    def pension(self, identity: Identity, months: int = PENSION_MONTHS) -> Pensions:
        """The last ``months`` (1–24) payments; ``bank_masked`` is the card's account."""
        return self._ask(Pensions, QueryKind.PENSION, identity, months=months)

    def medical(self, identity: Identity) -> MedicalInsurance:
        return self._ask(MedicalInsurance, QueryKind.MEDICAL, identity)

    def subsidies(self, identity: Identity) -> Subsidies:
        return self._ask(Subsidies, QueryKind.SUBSIDIES, identity)

    def records(self, kind: QueryKind | str, identity: Identity) -> Records:
        """The records of ``kind`` (the query menu's choice, or a catalogue item's
        ``query_kind``); every answer carries its ``printable``. Raises
        ``ValueError`` for a kind that is not a record query."""
        try:
            reply = _REPLIES[QueryKind(kind)]
        except (ValueError, KeyError):
            raise ValueError(f"unknown query kind {kind!r}") from None
        if reply is Pensions:
            return self.pension(identity)
        return self._ask(reply, QueryKind(kind), identity)

    def _ask(self, reply: type[R], kind: QueryKind, identity: Identity, **extra: int) -> R:
        body = {"person_session": self.person.handle(identity), **extra}
        return self.client.call(reply, "POST", service_path(query_path(kind)), body)
