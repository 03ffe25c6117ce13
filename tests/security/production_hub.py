"""A real production-mode hub process for the attack suite, and clients that
connect from chosen loopback source addresses (127.0.0.x: one attacker, one
owner), so the throttle sees them as different sources."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hub.crypto import create_key_file
from tests.hub.conftest import REPO, start_hub_process, stop_process

BOOTSTRAP_ADMIN = "secadmin"
BOOTSTRAP_PASSWORD = "Boot-strap-pass-1"
SECRET_KEY = "attack-suite-secret-key-0123456789abcdef"


def production_config(workdir: Path, **overrides: str) -> str:
    """A complete production hub.toml (values as TOML literals); its data key is
    made in ``workdir`` (install.sh's job on a real box)."""
    key_file = workdir / "hub-data.key"
    create_key_file(key_file)
    values = {
        "data_key_file": f'"{key_file}"',
        "secret_key": f'"{SECRET_KEY}"',
        "demo_data": "false",
        "catalogue_path": f'"{REPO / "config" / "catalogue.json"}"',
        "bootstrap_admin": f'"{BOOTSTRAP_ADMIN}"',
        "bootstrap_password": f'"{BOOTSTRAP_PASSWORD}"',
        "public_url": '"https://hub.attack-suite.example"',
        "payment_provider": '"none"',
        **overrides,
    }
    return "[hub]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())


@dataclass
class RunningHub:
    url: str
    db_path: Path

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """A client whose connections come from ``source`` (a loopback address)."""
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30)

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            rows = conn.execute(statement, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()


@contextmanager
def production_hub(workdir: Path, **overrides: str) -> Iterator[RunningHub]:
    db_path = workdir / "hub.db"
    proc, url = start_hub_process(
        f"sqlite:///{db_path}", workdir, production_config(workdir, **overrides)
    )
    try:
        yield RunningHub(url, db_path)
    finally:
        stop_process(proc)


def login_csrf(client: httpx.Client) -> str:
    page = client.get("/console/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def post_login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": login_csrf(client)},
    )


def error_text(page: str) -> str:
    found = re.search(r'<div class="error">([^<]*)</div>', page)
    return found.group(1) if found else ""
