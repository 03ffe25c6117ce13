"""The fleet agent: keeps the terminal enrolled with, reporting to and
controllable from the county hub (DESIGN §5). Never imports pygame.

Wiring in the app::

    journal = Journal(cfg.journal.path, cfg.journal.quota_mb, cfg.journal.retention_days)
    agent = FleetAgent(cfg.hub.url, cfg.hub.ca_file, cfg.hub.credential_path,
                       cfg.hub.enrolment_code, name, place, host=app,
                       heartbeat_interval_s=cfg.hub.heartbeat_interval_s, journal=journal)
    agent.start()   # ...   agent.stop()
"""

from kiosk.agent.commands import HOST_KINDS, CommandRunner
from kiosk.agent.credential import Credential, CredentialError, CredentialStore, enrol
from kiosk.agent.fleet import AgentState, FleetAgent
from kiosk.agent.host import AgentHost
from kiosk.hub_client import (
    EnrolmentRefused,
    HubCertificateError,
    HubClient,
    HubConfigError,
    HubRefused,
    HubUnavailable,
    NotEnrolled,
    validate_hub,
)

# The name the agent's callers know for a hub address or CA file that cannot be used.
AgentConfigError = HubConfigError

__all__ = [
    "HOST_KINDS",
    "AgentConfigError",
    "AgentHost",
    "AgentState",
    "CommandRunner",
    "Credential",
    "CredentialError",
    "CredentialStore",
    "EnrolmentRefused",
    "FleetAgent",
    "HubCertificateError",
    "HubClient",
    "HubConfigError",
    "HubRefused",
    "HubUnavailable",
    "NotEnrolled",
    "enrol",
    "validate_hub",
]
