"""The terminal's one hub client: transport, TLS policy, errors and reply models.

:class:`HubClient` serves the flows (``kiosk.flows``) and the fleet agent
alike; :mod:`kiosk.hub_client.models` holds the typed replies.
"""

from kiosk.hub_client.client import AUTH_SCHEME, CONNECT_TIMEOUT_S, HubClient, hub_detail
from kiosk.hub_client.errors import (
    EnrolmentRefused,
    HubBadReply,
    HubCertificateError,
    HubConfigError,
    HubError,
    HubRefused,
    HubStatusError,
    HubUnavailable,
    NotEnrolled,
)
from kiosk.hub_client.policy import is_loopback, validate_hub

__all__ = [
    "AUTH_SCHEME",
    "CONNECT_TIMEOUT_S",
    "EnrolmentRefused",
    "HubBadReply",
    "HubCertificateError",
    "HubClient",
    "HubConfigError",
    "HubError",
    "HubRefused",
    "HubStatusError",
    "HubUnavailable",
    "NotEnrolled",
    "hub_detail",
    "is_loopback",
    "validate_hub",
]
