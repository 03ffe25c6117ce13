"""The TUF repository of terminal releases, on disk, with python-tuf's
Metadata API (``tuf.api.metadata``).

Layout (``consistent_snapshot`` off: one file per role, roots versioned)::

    <repo>/metadata/1.root.json, 2.root.json, …   every root ever signed
    <repo>/metadata/root.json                     the newest root
    <repo>/metadata/targets.json                  releases, signed OFFLINE
    <repo>/metadata/snapshot.json, timestamp.json signed by the hub (online)
    <repo>/targets/huimin-<version>.tar.gz        the bundles

Keys: ``root`` and ``targets`` are offline keys (kept on removable media,
used at a signing ceremony, see the README's fleet section); ``snapshot``
and ``timestamp`` are online keys the hub holds to re-sign freshness. With
the targets key away from the hub, a compromised hub cannot make terminals
install anything: it can only withhold or delay releases, and the timestamp
expiry bounds how long it can replay old metadata.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from securesystemslib.exceptions import StorageError
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

OFFLINE_ROLES = (Root.type, Targets.type)
ONLINE_ROLES = (Snapshot.type, Timestamp.type)
# Expiry of each role when signed. The timestamp is short: it is what bounds a
# replay (a terminal refuses metadata older than this); the hub re-signs it
# daily (``python -m hub release timestamp``, a systemd timer in production).
DEFAULT_EXPIRY = {
    Root.type: timedelta(days=365),
    Targets.type: timedelta(days=90),
    Snapshot.type: timedelta(days=7),
    Timestamp.type: timedelta(days=1),
}
VERSION_RE = re.compile(r"^\d{1,4}(\.\d{1,4}){1,3}$")
TARGET_PREFIX = "huimin-"
TARGET_SUFFIX = ".tar.gz"


class RepositoryError(Exception):
    """The repository or a key is missing, mismatched or refuses the change."""


@dataclass(frozen=True)
class ReleaseInfo:
    """A release as the signed targets metadata describes it."""

    version: str
    target: str
    length: int
    sha256: str


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10.2"`` → ``(1, 10, 2)``, for ordering releases. ``ValueError`` if malformed."""
    if not VERSION_RE.match(version):
        raise ValueError(f"release version {version!r} is not like 1.2.3")
    return tuple(int(p) for p in version.split("."))


def target_name(version: str) -> str:
    version_key(version)
    return f"{TARGET_PREFIX}{version}{TARGET_SUFFIX}"


def _expiry(role: str, now: datetime | None = None) -> datetime:
    base = (now or datetime.now(UTC)).replace(microsecond=0)
    return base + DEFAULT_EXPIRY[role]


def generate_key(path: Path) -> CryptoSigner:
    """A new Ed25519 key written to ``path`` (PEM, mode 0600); its signer."""
    private = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return CryptoSigner(private)


def load_signer(path: Path) -> Signer:
    """The signer of the PEM key at ``path``; :class:`RepositoryError` if unreadable."""
    try:
        private = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise RepositoryError(f"cannot read key {path}: {exc}") from exc
    return CryptoSigner(private)


class ReleaseRepository:
    """One TUF repository directory (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.metadata_dir = self.path / "metadata"
        self.targets_dir = self.path / "targets"
        self._serializer = JSONSerializer(compact=False)

    # -- creation ---------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | Path, offline_keys: str | Path, online_keys: str | Path
    ) -> ReleaseRepository:
        """A new repository with four new keys: root and targets written to
        ``offline_keys`` (take them off the machine), snapshot and timestamp to
        ``online_keys`` (the hub's). Refuses an existing repository."""
        repo = cls(path)
        if (repo.metadata_dir / "root.json").exists():
            raise RepositoryError(f"{repo.metadata_dir} already holds a repository")
        signers: dict[str, CryptoSigner] = {}
        for role in (*OFFLINE_ROLES, *ONLINE_ROLES):
            folder = Path(offline_keys if role in OFFLINE_ROLES else online_keys)
            try:
                signers[role] = generate_key(folder / f"{role}.pem")
            except FileExistsError:
                raise RepositoryError(f"{folder / role}.pem exists; not overwritten") from None
        root = Root(expires=_expiry(Root.type), consistent_snapshot=False)
        for role, signer in signers.items():
            root.add_key(signer.public_key, role)
        repo.metadata_dir.mkdir(parents=True, exist_ok=True)
        repo.targets_dir.mkdir(parents=True, exist_ok=True)
        root_md = Metadata(root)
        root_md.sign(signers[Root.type])
        repo._write(root_md, "1.root.json")
        repo._write(root_md, "root.json")
        targets_md = Metadata(Targets(expires=_expiry(Targets.type)))
        targets_md.sign(signers[Targets.type])
        repo._write(targets_md, "targets.json")
        repo.publish(signers[Snapshot.type], signers[Timestamp.type])
        return repo

    # -- reading ----------------------------------------------------------------------

    def _read(self, name: str) -> Metadata[Any]:
        try:
            return Metadata.from_file(str(self.metadata_dir / name))
        except (OSError, ValueError, StorageError) as exc:
            raise RepositoryError(f"cannot read {name}: {exc}") from exc

    def _write(self, md: Metadata[Any], name: str) -> None:
        # Write beside, then rename: a terminal fetching at that moment gets
        # the old file or the new one, never half of one.
        tmp = self.metadata_dir / f".{name}.tmp"
        md.to_file(str(tmp), self._serializer)
        os.replace(tmp, self.metadata_dir / name)

    def root_bytes(self) -> bytes:
        """The current root.json, the trust anchor a terminal is installed with."""
        return (self.metadata_dir / "root.json").read_bytes()

    def releases(self) -> list[ReleaseInfo]:
        """The signed releases, oldest version first."""
        targets: Targets = self._read("targets.json").signed
        found = []
        for name, info in targets.targets.items():
            custom = info.unrecognized_fields.get("custom", {})
            version = custom.get("huimin", {}).get("version") if isinstance(custom, dict) else None
            if isinstance(version, str) and VERSION_RE.match(version):
                found.append(ReleaseInfo(version, name, info.length, info.hashes["sha256"]))
        return sorted(found, key=lambda r: version_key(r.version))

    def expiries(self) -> dict[str, datetime]:
        return {
            role: self._read(f"{role}.json").signed.expires
            for role in (Root.type, Targets.type, Snapshot.type, Timestamp.type)
        }

    # -- signing ----------------------------------------------------------------------

    def _check_signer(self, role: str, signer: Signer) -> None:
        root: Root = self._read("root.json").signed
        if signer.public_key.keyid not in root.roles[role].keyids:
            raise RepositoryError(f"that key is not the {role} key of this repository")

    def add_release(
        self, bundle: str | Path, version: str, targets_signer: Signer, now: datetime | None = None
    ) -> ReleaseInfo:
        """Copy ``bundle`` in as the target of ``version`` and sign a new
        targets.json with the OFFLINE targets key (then :meth:`publish`).

        Refuses a version not newer than every signed release: terminals
        never go back, so neither does the repository."""
        self._check_signer(Targets.type, targets_signer)
        name = target_name(version)
        md: Metadata[Targets] = self._read("targets.json")
        existing = self.releases()
        if existing and version_key(version) <= version_key(existing[-1].version):
            raise RepositoryError(
                f"release {version} is not newer than the latest signed {existing[-1].version}"
            )
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.targets_dir / f".{name}.tmp"
        shutil.copyfile(bundle, tmp)
        os.replace(tmp, self.targets_dir / name)
        info = TargetFile.from_file(name, str(self.targets_dir / name), ["sha256"])
        info.unrecognized_fields["custom"] = {"huimin": {"version": version}}
        md.signed.targets[name] = info
        md.signed.version += 1
        md.signed.expires = _expiry(Targets.type, now)
        md.sign(targets_signer, append=False)
        self._write(md, "targets.json")
        return ReleaseInfo(version, name, info.length, info.hashes["sha256"])

    def publish(
        self, snapshot_signer: Signer, timestamp_signer: Signer, now: datetime | None = None
    ) -> None:
        """Sign a new snapshot (naming the current targets.json) and timestamp
        with the ONLINE keys: what the hub does after a targets ceremony."""
        self._check_signer(Snapshot.type, snapshot_signer)
        targets_version = self._read("targets.json").signed.version
        try:
            snapshot_md: Metadata[Snapshot] = self._read("snapshot.json")
            snapshot_md.signed.version += 1
        except RepositoryError:
            snapshot_md = Metadata(Snapshot())
        snapshot_md.signed.meta["targets.json"] = MetaFile(version=targets_version)
        snapshot_md.signed.expires = _expiry(Snapshot.type, now)
        snapshot_md.sign(snapshot_signer, append=False)
        self._write(snapshot_md, "snapshot.json")
        self.refresh_timestamp(timestamp_signer, now)

    def refresh_timestamp(self, timestamp_signer: Signer, now: datetime | None = None) -> None:
        """Re-sign timestamp.json (new version, new expiry) naming the current snapshot."""
        self._check_signer(Timestamp.type, timestamp_signer)
        snapshot_version = self._read("snapshot.json").signed.version
        try:
            md: Metadata[Timestamp] = self._read("timestamp.json")
            md.signed.version += 1
        except RepositoryError:
            md = Metadata(Timestamp())
        md.signed.snapshot_meta = MetaFile(version=snapshot_version)
        md.signed.expires = _expiry(Timestamp.type, now)
        md.sign(timestamp_signer, append=False)
        self._write(md, "timestamp.json")


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
