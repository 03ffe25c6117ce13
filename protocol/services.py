"""The names the kiosk and the hub's service API share: what can be looked
up about a person, and the ids services are rated and counted under.
"""

from __future__ import annotations

import enum
import re

SERVICES_API = "/api/v1/services"
QUERY_PREFIX = "/query"
IDENTIFY = "identify"
"""``POST /query/identify``: who is in the person session whose handle the body carries
(never from a typed number: :mod:`protocol.person_session`)."""


class QueryKind(enum.StrEnum):
    """What a catalogue item lets the terminal look up (its ``query_kind``).

    The record queries are answered at ``POST /query/<kind>``; the 参保证明
    is issued (and printed), not queried, at ``POST /certificates/insurance``.
    """

    CONTRIBUTIONS = "contributions"  # 社保缴费记录
    PENSION = "pension"  # 养老金发放记录
    MEDICAL = "medical"  # 医保参保与缴费
    SUBSIDIES = "subsidies"  # 惠农补贴发放
    APPLICATIONS = "applications"  # 办件进度
    INSURANCE_CERTIFICATE = "insurance_certificate"  # 社保参保证明


RECORD_QUERIES = (
    QueryKind.CONTRIBUTIONS,
    QueryKind.PENSION,
    QueryKind.MEDICAL,
    QueryKind.SUBSIDIES,
    QueryKind.APPLICATIONS,
)
"""The kinds answered at ``/query/<kind>``, in the kiosk's menu order."""


def query_path(kind: QueryKind | str) -> str:
    """``/query/<kind>`` (under :data:`SERVICES_API`); ``kind`` is a record
    query or :data:`IDENTIFY`. Raises ``ValueError`` for anything else."""
    if kind != IDENTIFY and kind not in RECORD_QUERIES:
        raise ValueError(f"no query {kind!r}")
    return f"{QUERY_PREFIX}/{kind}"


# --- service ids: what a session served, for ratings and statistics ---------------------

GENERAL_SERVICE = "general"
"""The terminal as a whole, not one service."""
INSURANCE_CERTIFICATE_ITEM = "rsi_insurance_certificate"
"""The catalogue item of the 社保参保证明, which the kiosk starts by its id."""


class TerminalService(enum.StrEnum):
    """The terminal's own functions, rated and counted under these ids
    (catalogue items are rated under their catalogue id)."""

    QUERY_CONTRIBUTIONS = "query.contributions"
    QUERY_PENSION = "query.pension"
    QUERY_MEDICAL = "query.medical"
    QUERY_SUBSIDIES = "query.subsidies"
    QUERY_APPLICATIONS = "query.applications"
    PAY_RESIDENT_MEDICAL = "pay.resident_medical"
    PRINT_INSURANCE_CERTIFICATE = "print.insurance_certificate"
    PRINT_REPRINT = "print.reprint"
    TICKET = "ticket"


def query_service(kind: QueryKind) -> TerminalService:
    """The service id of a record query (``query.<kind>``)."""
    return TerminalService(f"query.{kind}")


TERMINAL_FUNCTION = re.compile(r"(query|pay|print)\.[a-z0-9_]{1,40}|ticket")
"""Ids the hub accepts as the terminal's own functions without a catalogue
entry: every :class:`TerminalService`, and those of newer terminals."""
