"""Where the hub's service API lives, and every route the flows call, each
spelled once: here, or in :mod:`protocol.services` where the hub and the
terminal share its name (the query routes)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from protocol.person_session import CLOSE_PERSON_SESSION, PERSON_SESSIONS
from protocol.services import IDENTIFY, RECORD_QUERIES, SERVICES_API, query_path

API = SERVICES_API

CATALOGUE = "/catalogue"
TOPICS = "/catalogue/topics"
GUIDES = "/guides"
IDENTIFY_ROUTE = query_path(IDENTIFY)
APPLICATIONS = "/applications"
INSURANCE_CERTIFICATE = "/certificates/insurance"
DOCUMENTS = "/documents"
TICKETS = "/tickets"
TICKET_TYPES = "/tickets/types"
RATINGS = "/ratings"
RATING_REASONS = "/ratings/reasons"
PAYMENT_QUOTE = "/payments/quote"
PAYMENT_ORDERS = "/payments/orders"
PAYMENT_LOOKUP = "/payments/orders/lookup"
SANDBOX_PAY = "/payments/sandbox/pay"
TERMINAL_SETTINGS = "/terminal-settings"
SIGNED_CERTIFICATES = "/documents/certificates"  # /<code>/pdf, /<code>/phone-link
PERSON_SESSIONS_ROUTE = PERSON_SESSIONS
CLOSE_PERSON_SESSION_ROUTE = CLOSE_PERSON_SESSION

ROUTES: tuple[str, ...] = (
    CATALOGUE,
    TOPICS,
    GUIDES,
    IDENTIFY_ROUTE,
    *(query_path(kind) for kind in RECORD_QUERIES),
    APPLICATIONS,
    INSURANCE_CERTIFICATE,
    DOCUMENTS,
    TICKETS,
    TICKET_TYPES,
    RATINGS,
    RATING_REASONS,
    PAYMENT_QUOTE,
    PAYMENT_ORDERS,
    PAYMENT_LOOKUP,
    SANDBOX_PAY,
    TERMINAL_SETTINGS,
    SIGNED_CERTIFICATES,
    PERSON_SESSIONS_ROUTE,
    CLOSE_PERSON_SESSION_ROUTE,
)
"""Every route under :data:`API` the terminal calls (the layering test keeps
them out of the screens)."""


def service_path(route: str, *segments: str, **query: str | int) -> str:
    """``API + route``, each segment percent-encoded, then the query string.

    Query values travel in the path (not as request parameters) so the
    client's JSON boundary stays ``request(method, path, body)``; no personal
    data ever goes in a path: session handles and ID numbers travel in bodies.
    """
    path = API + route + "".join("/" + quote(s, safe="") for s in segments)
    return f"{path}?{urlencode(query)}" if query else path
