"""The provisioning file (``huimin-provision.toml``) and the configuration made from it.

A county's IT staff write one file per terminal (image/provisioning/ has an
example): the hub's address and CA, the one-time enrolment code, the
terminal's name, service point and place, the display's ppi and the device
ports, and optionally maintenance SSH keys. :func:`build_config` checks it
and merges it into the image's base configuration (``config/kiosk.image.toml``)
exactly as ``main.py`` would load the result, so a mistake is reported at the
stick, with its key path, and never as a kiosk that will not start.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kiosk.config import ConfigError, KioskConfig, parse_config

PROVISIONING_FILE = "huimin-provision.toml"
# The sections of the kiosk's configuration a provisioning file may set; the rest
# (journal, credential and cache paths) is the image's.
KIOSK_SECTIONS = ("terminal", "display", "devices", "speech", "ui")
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


class ProvisioningError(Exception):
    """The provisioning file cannot be used; ``problems`` lists why, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubPart(_Strict):
    url: str
    """The hub's address, https://host[:port] (checked by the kiosk's hub policy)."""
    ca_file: str = "hub-ca.pem"
    """The hub's CA certificate (PEM), a file beside the provisioning file."""
    enrolment_code: str = Field(min_length=4, max_length=40)
    """The one-time code made in the console; forgotten once the terminal enrolled."""

    @field_validator("ca_file")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        name = PurePosixPath(value)
        if len(name.parts) != 1 or value in {".", ".."}:
            raise ValueError("must be a file name beside huimin-provision.toml, not a path")
        return value


class MaintenancePart(_Strict):
    ssh_authorized_keys: list[str] = []
    """OpenSSH public keys allowed to log in as root; none means no SSH server at all."""

    @field_validator("ssh_authorized_keys")
    @classmethod
    def _public_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            fields = key.split()
            if len(fields) < 2 or fields[0] not in SSH_KEY_TYPES or "\n" in key:
                raise ValueError(f"not an OpenSSH public key line: {key[:40]!r}")
        return keys


class ProvisioningFile(_Strict):
    hub: HubPart
    terminal: dict[str, Any]
    display: dict[str, Any] = {}
    devices: dict[str, Any] = {}
    speech: dict[str, Any] = {}
    ui: dict[str, Any] = {}
    maintenance: MaintenancePart = MaintenancePart()


@dataclass(frozen=True)
class Provisioned:
    """What a valid provisioning file gives: the files to write."""

    config: KioskConfig
    config_document: dict[str, Any]
    """The kiosk configuration as a TOML document (what is written)."""
    ca_pem: bytes
    ssh_authorized_keys: list[str]


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        out.append(f"{path}: {message}")
    return out


def read_provisioning(text: str) -> ProvisioningFile:
    """Parse and check the file's own shape; raises :class:`ProvisioningError`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProvisioningError([f"{PROVISIONING_FILE} is not valid TOML: {exc}"]) from exc
    try:
        parsed = ProvisioningFile.model_validate(raw)
    except ValidationError as exc:
        raise ProvisioningError(_problems(exc)) from exc
    missing = [
        f"terminal.{key}: required"
        for key in ("name", "service_point")
        if key not in parsed.terminal
    ]
    if missing:
        raise ProvisioningError(missing)
    return parsed


def check_ca(pem: bytes, name: str) -> bytes:
    """``pem`` when it holds at least one X.509 certificate; raises :class:`ProvisioningError`."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise ProvisioningError([f"hub.ca_file {name}: not a PEM certificate ({exc})"]) from exc
    if not certificates:
        raise ProvisioningError([f"hub.ca_file {name}: no certificate in it"])
    return pem


def merge(base: dict[str, Any], provisioning: ProvisioningFile, ca_path: Path) -> dict[str, Any]:
    """The kiosk configuration document: ``base`` with the provisioning file's sections.

    Keys of a section replace the base's; a device the file names replaces the
    base's device entirely (a network printer has other keys than a serial one).
    """
    document = {section: dict(values) for section, values in base.items()}
    for section in KIOSK_SECTIONS:
        given: dict[str, Any] = getattr(provisioning, section)
        if not given:
            continue
        merged = dict(document.get(section, {}))
        merged.update(given)  # devices: each named device replaced as a whole
        document[section] = merged
    hub = dict(document.get("hub", {}))
    hub.update(
        url=provisioning.hub.url,
        ca_file=str(ca_path),
        enrolment_code=provisioning.hub.enrolment_code,
    )
    document["hub"] = hub
    return document


def build_config(text: str, read_beside: Any, base_path: Path, ca_path: Path) -> Provisioned:
    """Check a provisioning file and make the kiosk configuration from it.

    ``text`` is the file; ``read_beside(name) -> bytes`` reads a file beside it
    (the CA), raising ``OSError`` when it cannot; ``base_path`` is the image's
    base configuration; ``ca_path`` is where the CA will be written. Raises
    :class:`ProvisioningError` listing every problem found.
    """
    provisioning = read_provisioning(text)
    try:
        pem = read_beside(provisioning.hub.ca_file)
    except OSError as exc:
        raise ProvisioningError(
            [f"hub.ca_file {provisioning.hub.ca_file}: cannot be read ({exc.strerror or exc})"]
        ) from exc
    ca_pem = check_ca(pem, provisioning.hub.ca_file)
    base = tomllib.loads(base_path.read_text(encoding="utf-8"))
    document = merge(base, provisioning, ca_path)
    try:
        config = parse_config(document)
    except ConfigError as exc:
        raise ProvisioningError(exc.problems) from exc
    return Provisioned(config, document, ca_pem, provisioning.maintenance.ssh_authorized_keys)
