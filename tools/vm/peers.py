"""What the VM's terminal talks to, on the host: the county hub and the printer.

The hub is ``python -m hub`` (demo data, sandbox payments) on 127.0.0.1 behind a
TLS front (``socat``, as a county puts a TLS proxy before its hub) with a
certificate of a throw-away CA for the address the guest uses; the guest is
given that CA in its provisioning file. The printer is the ESC/POS simulator
(:class:`drivers.sim.printer.VirtualPrinter`) on a loopback port; the ID-card
reader's simulator serves on the pty of the VM's USB-serial adapter.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
HUB_SECRET = "boot-test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls(directory: Path, address: str) -> tuple[Path, Path]:
    """A CA and a server certificate for ``address`` (an IP); returns (ca.pem, server.pem),
    the latter holding the server's key too (socat's ``cert=``)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Huimin boot test county CA"))
        .issuer_name(_name("Huimin boot test county CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("hub"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = directory / "hub-ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_pem = directory / "hub-server.pem"
    server_pem.write_bytes(
        server.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_pem.chmod(0o600)
    return ca_pem, server_pem


class HubPeer:
    """The county hub for one boot test, in ``workdir``; ``tls_port`` is what the
    guest's forward reaches, ``url`` the plain loopback address the test uses."""

    def __init__(self, workdir: Path, guest_address: str) -> None:
        self.workdir = workdir
        self.guest_address = guest_address
        self.db_path = workdir / "hub.db"
        self.log_path = workdir / "hub.log"
        self.url = ""
        self.tls_port = 0
        self.ca_pem = Path()
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float = 60.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ca_pem, server_pem = make_tls(self.workdir, self.guest_address)
        config = self.workdir / "hub.toml"
        config.write_text(
            "[hub]\n"
            f'secret_key = "{HUB_SECRET}"\n'
            f'catalogue_path = "{REPO / "config" / "catalogue.json"}"\n'
            "demo_data = true\n"
            'payment_provider = "sandbox"\n'
            "heartbeat_interval_s = 5\n",
            encoding="utf-8",
        )
        port_file = self.workdir / "hub.port"
        port_file.unlink(missing_ok=True)  # a previous run's port is not this hub's
        with self.log_path.open("ab") as log:
            hub = subprocess.Popen(
                [
                    sys.executable, "-m", "hub", "--config", str(config), "--host", "127.0.0.1",
                    "--port", "0", "--database-url", f"sqlite:///{self.db_path}",
                    "--port-file", str(port_file),
                ],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._procs.append(hub)
        deadline = time.monotonic() + timeout
        while not port_file.exists():
            if hub.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        hub_port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{hub_port}"
        self.tls_port = free_port()
        with (self.workdir / "tls-front.log").open("ab") as log:
            front = subprocess.Popen(
                [
                    "socat",
                    f"OPENSSL-LISTEN:{self.tls_port},bind=127.0.0.1,reuseaddr,fork,"
                    f"cert={server_pem},verify=0",
                    f"TCP:127.0.0.1:{hub_port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._procs.append(front)
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not answer /healthz")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        self._procs.clear()

    # --- as an operator in the console -----------------------------------------------------

    def console(self) -> tuple[requests.Session, str]:
        """A session logged in as the demo admin, and its CSRF token."""
        session = requests.Session()
        page = session.get(self.url + "/console/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the console's login page")
        done = session.post(
            self.url + "/console/login",
            data={"username": "admin", "password": "huimin-demo", "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=10,
        )
        if done.status_code != 303:
            raise RuntimeError(f"console login refused: {done.status_code}")
        who = session.get(self.url + "/console/whoami", timeout=10).json()
        return session, str(who["csrf_token"])

    def new_enrolment_code(self) -> str:
        """A one-time code, made in the console as an operator does."""
        session, csrf = self.console()
        done = session.post(
            self.url + "/console/enrolment",
            data={"hours": "24", "note": "boot test", "csrf_token": csrf},
            allow_redirects=False,
            timeout=10,
        )
        found = re.search(
            r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", unquote(done.headers.get("location", ""))
        )
        if found is None:
            raise RuntimeError(f"no enrolment code in the console's answer ({done.status_code})")
        return found.group(0)

    def online(self, terminal_name: str) -> bool:
        """True when the console's fleet overview shows ``terminal_name`` heartbeating:
        "online", or "degraded" (online with a device problem: in the boot test the
        ID-card reader's simulator is attached only later, so the reader is missing)."""
        return self.status(terminal_name) in {"online", "degraded"}

    def status(self, terminal_name: str) -> str | None:
        """The terminal's status in the console's fleet overview, None when not listed."""
        session, _ = self.console()
        page = session.get(self.url + "/console/fragments/overview", timeout=10)
        row = re.search(
            r'data-status="([a-z]+)">\s*<td><a [^>]*>' + re.escape(terminal_name) + "</a>",
            page.text,
        )
        return row.group(1) if page.ok and row else None

    def command(self, terminal_id: int, kind: str, **fields: str) -> None:
        """A remote command from the console (e.g. ``screenshot``)."""
        session, csrf = self.console()
        done = session.post(
            f"{self.url}/console/terminals/{terminal_id}/commands",
            data={"kind": kind, "csrf_token": csrf, **fields},
            allow_redirects=False,
            timeout=10,
        )
        if done.status_code >= 400:
            raise RuntimeError(f"command {kind} refused: {done.status_code} {done.text[:200]}")

    def screenshot(self, terminal_id: int) -> bytes | None:
        """The terminal's last uploaded screenshot (PNG), as the console shows it."""
        session, _ = self.console()
        page = session.get(f"{self.url}/console/terminals/{terminal_id}/screenshot.png", timeout=10)
        return page.content if page.ok else None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the hub's SQLite database (read-only; WAL lets the hub keep writing)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()
