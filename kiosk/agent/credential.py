"""The terminal's hub credential and the one-time enrolment that obtains it.

The credential file holds ``{terminal_id, token, hub_url, key_id}`` as JSON,
mode 0600, written atomically (kiosk.sealed.write_private_file). The enrolment
code is used once: after a successful enrolment the credential is what
authenticates. ``key_id`` is the fingerprint of the signing key the hub has
(kiosk.signing): when the key file no longer matches it (a rotation, or a
terminal enrolled before there were keys), the agent sends the new public key.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.hub_client import EnrolmentRefused, HubClient, HubUnavailable, hub_detail
from kiosk.sealed import write_private_file
from kiosk.signing import TerminalKey
from protocol.person_session import TERMINAL_KEY_PATH

log = logging.getLogger(__name__)

ENROL_PATH = "/api/v1/terminal/enrol"


class CredentialError(Exception):
    """The credential file exists but cannot be read."""


@dataclass(frozen=True)
class Credential:
    terminal_id: str | int
    token: str
    hub_url: str
    key_id: str = ""

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"Credential(terminal_id={self.terminal_id!r}, hub_url={self.hub_url!r})"


class CredentialStore:
    """Loads and saves the credential at ``path`` (owner-only permissions)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> Credential | None:
        """The stored credential, or None when there is none yet.

        A file readable by others is tightened to 0600 (and logged); an
        unreadable or malformed file raises :class:`CredentialError`.
        """
        if not self.path.exists():
            return None
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("credential %s had mode %o; tightened to 600", self.path, mode)
            os.chmod(self.path, 0o600)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return Credential(
                terminal_id=raw["terminal_id"],
                token=str(raw["token"]),
                hub_url=raw["hub_url"],
                key_id=str(raw.get("key_id", "")),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CredentialError(f"credential file {self.path} is unreadable: {exc}") from exc

    def load_for(self, hub_url: str) -> Credential | None:
        """The stored credential when it is for ``hub_url``; None (logged) when
        there is none, it cannot be read, or it is another hub's: enrol again."""
        try:
            credential = self.load()
        except CredentialError as exc:
            log.error("%s; enrolling again", exc)
            return None
        if credential is not None and credential.hub_url.rstrip("/") != hub_url:
            log.warning("credential is for %s, not this hub; enrolling again", credential.hub_url)
            return None
        return credential

    def save(self, credential: Credential) -> None:
        """Write atomically with mode 0600 (never visible with wider permissions)."""
        body = json.dumps(asdict(credential), ensure_ascii=False).encode()
        write_private_file(self.path, body, replace=True)


def enrol(
    transport: HubClient,
    code: str,
    name: str,
    place: dict[str, str],
    key: TerminalKey | None = None,
) -> Credential:
    """Exchange the one-time ``code`` for a credential (POST /api/v1/terminal/enrol),
    registering ``key``'s public half as the terminal's signing key.

    Raises :class:`EnrolmentRefused` when the hub rejects the code (4xx) and
    :class:`HubUnavailable` when it cannot be reached or answers 5xx.
    """
    body: dict[str, Any] = {
        "code": code,
        "name": name,
        "place": {k: place.get(k, "") for k in ("county", "town", "village", "branch")},
    }
    if place.get("service_point"):
        # The catalogue code of the service point: the hub issues this terminal's
        # queue tickets only there (hub/services/tickets.py).
        body["place"]["service_point"] = place["service_point"]
    if key is not None:
        body["public_key"] = key.public_key
    response = transport.post_unauthenticated(ENROL_PATH, body)
    if 400 <= response.status_code < 500:
        raise EnrolmentRefused(
            f"hub refused the enrolment code ({response.status_code} {hub_detail(response)});"
            " check hub.enrolment_code and the place, or ask the county operator for a new"
            " one-time code"
        )
    if response.status_code != 200:
        raise HubUnavailable(f"enrolment: hub answered {response.status_code}")
    try:
        reply = response.json()
        return Credential(
            terminal_id=reply["terminal_id"],
            token=str(reply["token"]),
            hub_url=transport.hub_url,
            key_id=key.key_id if key is not None else "",
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise HubUnavailable("enrolment: hub reply lacks terminal_id/token") from exc


def register_key(
    transport: HubClient, store: CredentialStore, credential: Credential, key: TerminalKey
) -> bool:
    """Make sure the hub has ``key`` as the terminal's signing key: sent (``POST
    /api/v1/terminal/key``, authenticated by the credential) when the credential
    says the hub has another one, then saved in the credential. True when the
    hub has it; False when it could not be sent now (try again later).

    Raises ``HubRefused`` when the hub refuses the credential (revoked).
    """
    if credential.key_id == key.key_id:
        return True
    try:
        transport.post_json(TERMINAL_KEY_PATH, {"public_key": key.public_key})
    except HubUnavailable as exc:
        log.info("signing key not sent yet: %s", exc)
        return False
    store.save(replace(credential, key_id=key.key_id))
    log.info("signing key %s registered with the hub", key.key_id)
    return True
