"""A real hub process to attack: ``python -m hub`` on a free loopback port with
a test config (short connection timeouts, a data key under the test's tmp
dir), started on a fresh database and stopped afterwards with its log kept."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.hub.conftest import (
    ADMIN_PASSWORD,
    REPO,
    prepare_schema,
    start_hub_process,
    stop_process,
)
from tests.hub.fleet.helpers import enrol, login

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

    def operator(self, client: httpx.Client) -> str:
        """Log the client in as the bootstrap admin; the CSRF token."""
        return login(client, "admin", ADMIN_PASSWORD)


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
