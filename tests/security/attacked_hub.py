"""A real hub process to attack: ``python -m hub`` on a free loopback port with
a test config (short connection timeouts, a data key under the test's tmp
dir), started on a fresh database and stopped afterwards with its log kept."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.person_session import (
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signed_message,
)
from tests.hub.conftest import (
    ADMIN_PASSWORD,
    REPO,
    prepare_schema,
    start_hub_process,
    stop_process,
)
from tests.hub.fleet.helpers import enrol, login
from tests.hub.services.conftest import public_key_of

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0


@dataclass
class AttackedHub:
    url: str
    database_url: str
    workdir: Path
    proc: subprocess.Popen[bytes]
    log: str = field(default="")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def terminal(self, client: httpx.Client, name: str = "张庄村1号机") -> dict[str, str]:
        """Enrol a terminal (demo code); its auth headers."""
        return enrol(client, name=name)[1]

    def signing_terminal(self, client: httpx.Client, name: str) -> SigningTerminal:
        """Enrol a terminal with its own signing key, as the kiosk's agent does."""
        key = Ed25519PrivateKey.generate()
        reply = client.post(
            "/api/v1/terminal/enrol",
            json={
                "code": "DEMO-ENROL",
                "name": name,
                "place": {"county": "兰考县", "town": "东坝头镇", "village": "张庄村"},
                "public_key": public_key_of(key),
            },
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        auth = {"Authorization": f"Bearer {body['token']}"}
        return SigningTerminal(int(body["terminal_id"]), auth, key)

    def operator(self, client: httpx.Client) -> str:
        """Log the client in as the bootstrap admin; the CSRF token."""
        return login(client, "admin", ADMIN_PASSWORD)


@dataclass
class SigningTerminal:
    """An enrolled terminal and its private signing key."""

    id: int
    auth: dict[str, str]
    key: Ed25519PrivateKey

    def signed(
        self,
        client: httpx.Client,
        path: str,
        body: dict[str, Any],
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        key: Ed25519PrivateKey | None = None,
    ) -> tuple[httpx.Response, dict[str, str], bytes]:
        """POST ``body`` signed as the kiosk signs it; the reply, headers and bytes
        sent (to send them again: a replay)."""
        raw = json.dumps(body, ensure_ascii=False).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_urlsafe(18)
        signature = (key or self.key).sign(signed_message("POST", path, stamp, nonce, raw))
        headers = {
            **self.auth,
            "Content-Type": "application/json",
            HEADER_TIMESTAMP: stamp,
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: base64.urlsafe_b64encode(signature).decode().rstrip("="),
        }
        return client.post(path, content=raw, headers=headers), headers, raw

    def open(self, client: httpx.Client, evidence: dict[str, Any]) -> httpx.Response:
        """``POST /person-sessions`` with ``evidence``, signed."""
        return self.signed(client, PERSON_SESSIONS_URL, {"evidence": evidence})[0]

    def session(self, client: httpx.Client, evidence: dict[str, Any]) -> str:
        reply = self.open(client, evidence)
        assert reply.status_code == 201, reply.text
        handle: str = reply.json()["person_session"]
        return handle


PERSON_SESSIONS_URL = "/api/v1/services/person-sessions"


def hub_config(workdir: Path, extra: str = "") -> str:
    return (
        "[hub]\n"
        'secret_key = "attack-suite-secret-0123456789"\n'
        f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
        f'bootstrap_password = "{ADMIN_PASSWORD}"\n'
        f"header_timeout_s = {HEADER_TIMEOUT_S}\n"
        f"body_timeout_s = {BODY_TIMEOUT_S}\n"
        f'data_key_file = "{workdir / "hub-data.key"}"\n' + extra
    )


@contextmanager
def attacked_hub(
    workdir: Path, database_url: str | None = None, extra: str = ""
) -> Iterator[AttackedHub]:
    """Start ``python -m hub``; on exit stop it and keep its stderr in ``.log``."""
    database_url = database_url or f"sqlite:///{workdir / 'hub.db'}"
    prepare_schema(database_url)
    proc, url = start_hub_process(database_url, workdir, hub_config(workdir, extra))
    hub = AttackedHub(url, database_url, workdir, proc)
    try:
        yield hub
    finally:
        stop_process(proc)
        if proc.stderr is not None:
            hub.log = proc.stderr.read().decode("utf-8", "replace")
