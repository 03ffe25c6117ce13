"""Fixtures for the over-the-air update tests: a signed release repository,
a real hub process serving it (SQLite), and enrolled terminal clients."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.releases import ReleaseRepository
from kiosk.hub_client import HubClient
from tests.hub.conftest import ADMIN_PASSWORD, REPO, prepare_schema, start_hub_process, stop_process
from tools.ota.fleet import SignedRepo


@dataclass
class OtaHub:
    url: str
    database_url: str
    signed: SignedRepo
    work: Path

    def terminal_client(
        self, name: str | None = None, place: tuple[str, str, str] = ("兰考县", "城关镇", "张庄村")
    ) -> tuple[int, HubClient]:
        client = HubClient(self.url, None)
        reply = client.post_unauthenticated(
            "/api/v1/terminal/enrol",
            {
                "code": "DEMO-ENROL",
                "name": name or f"T-{uuid.uuid4().hex[:6]}",
                "place": {"county": place[0], "town": place[1], "village": place[2]},
                "hardware": {},
            },
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        client.set_token(body["token"])
        return int(body["terminal_id"]), client


@dataclass
class _HubProcess:
    url: str
    database_url: str
    repo_path: Path


@pytest.fixture(scope="module")
def _ota_hub_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_HubProcess]:
    """One hub process per test module (starting one takes seconds); each test
    gets a fresh repository at the path it serves."""
    work = tmp_path_factory.mktemp("ota-hub")
    db = f"sqlite:///{work / 'hub.db'}"
    prepare_schema(db)
    repo_path = work / "releases"
    config = (
        "[hub]\n"
        'secret_key = "process-test-secret-0123456789"\n'
        f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
        f'bootstrap_password = "{ADMIN_PASSWORD}"\n'
        f'releases_dir = "{repo_path}"\n'
        f'data_key_file = "{work / "hub-data.key"}"\n'
        "update_poll_s = 1\n"
    )
    proc, url = start_hub_process(db, work, config)
    try:
        yield _HubProcess(url, db, repo_path)
    finally:
        stop_process(proc)


@pytest.fixture
def ota_hub(_ota_hub_process: _HubProcess, tmp_path: Path) -> OtaHub:
    """The module's hub process serving a repository made for this test."""
    shutil.rmtree(_ota_hub_process.repo_path, ignore_errors=True)
    keys = tmp_path / "keys"
    repo = ReleaseRepository.create(_ota_hub_process.repo_path, keys / "usb", keys / "online")
    signed = SignedRepo(repo, keys / "usb", keys / "online")
    return OtaHub(_ota_hub_process.url, _ota_hub_process.database_url, signed, tmp_path)
