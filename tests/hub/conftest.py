"""Shared hub fixtures.

- ``db_url``: parametrised over SQLite (a file in tmp_path) and PostgreSQL
  (a throw-away cluster initdb'ed once per session in a temp dir, run as the
  ``postgres`` system user because PostgreSQL refuses root; one fresh
  database per test). PostgreSQL cases carry the ``postgres`` marker.
- ``make_settings``: HubSettings for a test, with a short heartbeat interval.
- ``hub_app`` / ``client``: the hub application in-process (TestClient runs
  its lifespan, so the fleet sweeps and seeding happen).
- ``live_hub``: the application served by uvicorn on a free loopback port in
  a thread (for the browser and long-poll tests).
- ``hub_process``: ``python -m hub --port 0 --port-file ...`` as a child process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from hub.settings import HubSettings
from tests.tools import require_tool

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ADMIN_PASSWORD = "huimin-test-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("runuser"), "-u", "postgres", "--", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL 15 cluster in a temp dir; yields its base URL (no database)."""
    initdb, pg_ctl = require_tool(str(PG_BIN / "initdb")), require_tool(str(PG_BIN / "pg_ctl"))
    root = Path(tempfile.mkdtemp(prefix="huimin-pg-"))
    data = root / "data"
    shutil.chown(root, "postgres", "postgres")
    port = free_port()
    _as_postgres(
        [
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    # A throw-away test cluster: durability settings off for speed.
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _as_postgres(
        [
            pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        _stop_postmaster(data)
        shutil.rmtree(root, ignore_errors=True)


def _stop_postmaster(data: Path) -> None:
    """Immediate shutdown (SIGQUIT to the postmaster), waiting at most 10 s;
    quicker than ``pg_ctl stop -w`` on a loaded machine."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def create_pg_database(base_url: str) -> str:
    import psycopg

    name = "hub_" + uuid.uuid4().hex[:12]
    port = base_url.rsplit(":", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return create_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


def prepare_schema(database_url: str) -> None:
    """Apply the Alembic migrations, then create any table they do not (yet) cover.

    Until the lead generates the fleet migration, ``create_all`` makes the
    tables; once it exists, the upgrade creates them and create_all is a no-op.
    """
    import hub.fleet.models
    import hub.services.models  # noqa: F401 - registers the service tables
    from hub import schema
    from hub.db import Base, make_engine

    engine = make_engine(database_url)
    try:
        schema.upgrade(engine)
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def build_app(settings: HubSettings) -> FastAPI:
    """The hub app exactly as ``python -m hub`` builds it, on a prepared schema."""
    from hub.app import create_app

    prepare_schema(settings.database_url)
    return create_app(settings)


@pytest.fixture
def make_settings(db_url: str, tmp_path: Path) -> Callable[..., HubSettings]:
    def make(**overrides: Any) -> HubSettings:
        base = HubSettings(
            database_url=db_url,
            data_key_file=str(tmp_path / "hub-data.key"),
            secret_key="test-secret-key-0123456789",
            demo_data=True,
            catalogue_path=str(REPO / "config" / "catalogue.json"),
            bootstrap_admin="admin",
            bootstrap_password=ADMIN_PASSWORD,
            heartbeat_interval_s=5,
        )
        # model_copy skips validation on purpose: tests may use a heartbeat
        # interval below the production minimum of 5 s to see offline quickly.
        return base.model_copy(update=overrides)

    return make


@pytest.fixture
def hub_app(make_settings: Callable[..., HubSettings]) -> FastAPI:
    return build_app(make_settings())


@pytest.fixture
def client(hub_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(hub_app) as c:
        yield c
    hub_app.state.engine.dispose()


class LiveHub:
    """The app served by uvicorn in a thread on a free loopback port."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveHub:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()
        self.app.state.engine.dispose()


@pytest.fixture
def live_hub_factory() -> Iterator[Callable[[HubSettings], LiveHub]]:
    started: list[LiveHub] = []

    def start(settings: HubSettings) -> LiveHub:
        hub = LiveHub(build_app(settings)).__enter__()
        started.append(hub)
        return hub

    yield start
    for hub in reversed(started):
        hub.__exit__(None, None, None)


def start_hub_process(
    database_url: str, workdir: Path, config_text: str = ""
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m hub`` on a free port; (process, base URL). The caller stops it."""
    config = workdir / f"hub-{uuid.uuid4().hex[:6]}.toml"
    config.write_text(
        config_text
        or (
            "[hub]\n"
            'secret_key = "process-test-secret-0123456789"\n'
            f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
            f'bootstrap_password = "{ADMIN_PASSWORD}"\n'
        ),
        encoding="utf-8",
    )
    port_file = workdir / f"port-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub",
            "--config",
            str(config),
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--database-url",
            database_url,
        ],
        cwd=str(REPO),
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not port_file.exists():
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"hub exited with {proc.returncode}: {err[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("hub did not write its port file within 60 s")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port_file.read_text().strip()}"
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("hub did not answer /healthz")
        time.sleep(0.1)
    return proc, url


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture
def hub_process(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A hub child process on ``db_url``; yields its base URL."""
    prepare_schema(db_url)
    proc, url = start_hub_process(db_url, tmp_path)
    try:
        yield url
    finally:
        stop_process(proc)


def engine_for(url: str) -> Any:
    return create_engine(url)
